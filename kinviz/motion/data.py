"""Real multi-part 2-D tracks for training and validating the motion model, cut into windows.

Files come from `/work/shared/real-train` (its README gives provenance and formats; override the
folder with `KINVIZ_REAL_TRAIN`). The split is fixed here, by recording, so that files of one
recording never straddle it:

- train: aind-face (DLC, Lightning Pose and SLEAP tracking of one video), ethome (two mice),
  jabs v2 (one mouse) and v5 (three mice), disk (two fish);
- validation: eks-fly (three camera views of one recording), vame (one mouse), autogaita (a mouse on
  a beam).

The 3-D files (kineticstoolkit `.c3d`, pymo `.bvh`) are skipped: the model works on 2-D image
coordinates. Simulated bodies are not mixed in. `/work/shared/real-multipart` and
`/work/shared/real-dev` are benchmark sets and are never read here.

A window is `T_WIN` frames of up to `P` parts: a *lost* part in slot 0 and its nearest co-visible
partners (by median distance over the frames both are seen). Each window is normalised on its own
by the centroid and RMS radius of the cells the model may see.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

T_WIN = 64  # frames per window: 16 tokens of 4 frames
P = 8  # parts per window: the lost part and 7 partners
REAL_TRAIN = Path(os.environ.get("KINVIZ_REAL_TRAIN", "/work/shared/real-train"))
TRAIN_FILES = (
    "aind-face/DLC.predictions.csv",
    "aind-face/LP.predictions.csv",
    "aind-face/SLEAP.predictions.csv",
    "ethome/e3v813a-20210610T122332-122642DLC_dlcrnetms5_pilot_studySep24shuffle1_100000_el_filtered.csv",
    "jabs/sample_pose_est_v2.h5",
    "jabs/sample_pose_est_v5.h5",
    "disk/fish_fighting_interpolated_head_2D.csv",
)
VAL_FILES = (
    "eks-fly/05272019_fly4_0_R1C24_Cam-A_rot-ccw-0.06_sec.rng=0.csv",
    "eks-fly/05272019_fly4_0_R1C24_Cam-B_rot-ccw-0.06_sec.rng=0.csv",
    "eks-fly/05272019_fly4_0_R1C24_Cam-C_rot-ccw-0.06_sec.rng=0.csv",
    "vame/cropped_video.csv",
    "autogaita/PCCD3_Mouse12_25mm_run3-6DLC_resnet50_SIMINewOct24shuffle1_200000.csv",
)
SPLIT = {"train": TRAIN_FILES, "val": VAL_FILES}
MIN_CONFIDENCE = 0.6  # DeepLabCut's default pcutoff, as kinviz.load_track
JABS_V2_MIN_CONFIDENCE = 0.3  # JABS v2 confidences run 0.56-1.05; under 0.3 is a failed point
TASK_WEIGHTS = {"occlude": 0.7, "interpolate": 0.15, "forecast": 0.15}


@dataclass
class Track:
    """One recording's parts: `positions` (T, K, 2) float64, NaN where missing or low-confidence."""

    name: str
    positions: np.ndarray  # (T, K, 2)

    @property
    def seen(self) -> np.ndarray:  # (T, K) bool
        return np.isfinite(self.positions).all(-1)


def load_file(path: Path) -> Track:
    """Read one file of the real-train folder: DLC-layout CSV, DISK's plain CSV or a JABS .h5."""
    path = Path(path)
    name = f"{path.parent.name}/{path.name}"
    if path.suffix == ".h5":
        return Track(name, read_jabs(path))
    if path.parent.name == "disk":  # `frame_index,fish1_head_x,fish1_head_y,...`: no time column load_track knows
        table = np.genfromtxt(path, delimiter=",", skip_header=1)
        xy = table[:, 1:]
        return Track(name, xy.reshape(len(xy), -1, 2))
    import kinviz  # the front door reads every tracker layout; imported here as it loads torch

    return Track(name, np.asarray(kinviz.load_track(path, min_confidence=MIN_CONFIDENCE).positions, np.float64))


def read_jabs(path: Path) -> np.ndarray:  # -> (T, K, 2) as (x, y), NaN where missing
    """JABS pose HDF5: v2 is one mouse; v5 holds slots, followed per identity by `instance_embed_id`."""
    import h5py

    with h5py.File(path, "r") as f:
        g = f["poseest"]
        points = g["points"][()].astype(np.float64)[..., ::-1]  # stored (y, x)
        conf = g["confidence"][()]
        if points.ndim == 3:  # v2: (T, 12, 2)
            points[conf < JABS_V2_MIN_CONFIDENCE] = np.nan
            return points
        embed, id_mask = g["instance_embed_id"][()], g["id_mask"][()]  # (T, slots)
    T = points.shape[0]
    mice = []
    for k in sorted(set(np.unique(embed).tolist()) - {0}):
        xy = np.full(points.shape[:1] + points.shape[2:], np.nan)  # (T, 12, 2)
        rows, slots = np.nonzero((embed == k) & ~id_mask)
        xy[rows] = points[rows, slots]
        c = np.zeros((T, points.shape[2]))
        c[rows] = conf[rows, slots]
        xy[c <= 0] = np.nan  # v5: confidence 0 means missing
        mice.append(xy)
    return np.concatenate(mice, axis=1)


def load_split(split: str) -> list[Track]:
    """The tracks of `split` ('train' or 'val'); parts never seen are dropped."""
    tracks = []
    for rel in SPLIT[split]:
        track = load_file(REAL_TRAIN / rel)
        keep = track.seen.any(0)
        tracks.append(Track(track.name, track.positions[:, keep]))
    return tracks


def fill_linear(positions: np.ndarray) -> np.ndarray:  # (T, K, 2) -> (T, K, 2), no NaN
    """Each part's missing frames linearly interpolated (held at the ends); a part never seen sits at 0."""
    out = np.zeros_like(positions)
    t = np.arange(len(positions))
    for k in range(positions.shape[1]):
        seen = np.isfinite(positions[:, k]).all(-1)
        if seen.any():
            for c in range(2):
                out[:, k, c] = np.interp(t, t[seen], positions[seen, k, c])
    return out


def run_lengths(seen: np.ndarray) -> np.ndarray:  # seen (T, K) -> lengths of inner unseen runs
    """Lengths of the runs of unseen frames per part that have seen frames on both sides."""
    lengths = []
    for col in seen.T:
        edges = np.diff(np.concatenate([[1], col.astype(np.int8), [1]]))
        starts, ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)
        inner = (starts > 0) & (ends < len(col))
        lengths.extend((ends - starts)[inner].tolist())
    return np.asarray(lengths, dtype=np.int64)


def partners(positions: np.ndarray, seen: np.ndarray, lost: int, n: int) -> np.ndarray:
    """`lost` and its `n - 1` nearest co-visible partners, by median distance over frames both are seen.

    positions (T, K, 2), seen (T, K). Parts never seen with `lost` come after, nearest by the median
    distance of their own seen positions to the lost part's; read from seen cells only.
    """
    K = positions.shape[1]
    both = seen & seen[:, lost : lost + 1]
    d = np.linalg.norm(np.where(both[..., None], positions - positions[:, lost : lost + 1], np.nan), axis=-1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: parts never seen together
        co = np.nanmedian(np.where(both, d, np.nan), axis=0) if both.any() else np.full(K, np.nan)
        own = np.nanmedian(np.where(seen[..., None], positions, np.nan), axis=0)  # (K, 2)
        far = np.linalg.norm(own - own[lost], axis=-1)
    key = np.where(np.isfinite(co), co, 1e12 + np.nan_to_num(far, nan=1e12))
    key[lost] = -1.0
    return np.argsort(key, kind="stable")[: min(n, K)]


def normalise(xy: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(T, K, 2) -> (xy - centre) / scale with centre and RMS radius of the seen cells; unseen -> 0."""
    pts = xy[seen]
    centre = pts.mean(0) if len(pts) else np.zeros(2)
    scale = float(np.sqrt(((pts - centre) ** 2).sum(-1).mean())) if len(pts) else 1.0
    scale = max(scale, 1e-6)
    out = np.where(seen[..., None], (np.nan_to_num(xy) - centre) / scale, 0.0)
    return out, centre, scale


def draw_mask(rng: np.random.Generator, gaps: np.ndarray, n_parts: int, task: str) -> np.ndarray:
    """Frames the model is not shown, (T_WIN, n_parts) bool; the lost part is slot 0.

    occlude: slot 0 hidden for a stretch of 10-60 frames inside the window, the others seen;
    interpolate: every part hidden for an inner stretch; forecast: every part hidden at one end.
    Stretch lengths are drawn from the real files' own inner gaps (`gaps`) where they fall in range.
    """
    def length(lo: int, hi: int) -> int:
        pool = gaps[(gaps >= lo) & (gaps <= hi)]
        return int(rng.choice(pool)) if len(pool) >= 20 and rng.random() < 0.5 else int(rng.integers(lo, hi + 1))

    hide = np.zeros((T_WIN, n_parts), bool)
    if task == "occlude":
        n = length(10, 60)
        a = int(rng.integers(1, T_WIN - n))
        hide[a : a + n, 0] = True
    elif task == "interpolate":
        n = length(4, 32)
        a = int(rng.integers(4, T_WIN - n - 3))
        hide[a : a + n] = True
    elif task == "forecast":
        n = int(rng.integers(8, 33))
        hide[T_WIN - n :] = True
        if rng.random() < 0.3:  # a gap at the start: the same with time reversed
            hide = hide[::-1].copy()
    else:
        raise AssertionError(f"unknown task {task!r}")
    return hide


@dataclass
class Batch:
    """Windows for the model, all (B, P, T_WIN, ...) part-major, normalised coordinates."""

    truth: np.ndarray  # (B, P, T, 2) normalised, linear-filled where the data is missing
    visible: np.ndarray  # (B, P, T) bool: what the model is shown
    scored: np.ndarray  # (B, P, T) bool: hidden from the model and seen in the data
    present: np.ndarray  # (B, P) bool: slot holds a part


class WindowSampler:
    """Draws training or validation windows from tracks with augmentation (rotation, mirror, reversal, stride)."""

    def __init__(self, tracks: list[Track], *, seed: int, augment: bool = True):
        self.tracks = tracks
        self.filled = [fill_linear(t.positions) for t in tracks]
        self.seen = [t.seen for t in tracks]
        self.gaps = np.concatenate([run_lengths(s) for s in self.seen])
        frames = np.array([len(t.positions) for t in tracks], np.float64)
        self.weights = frames / frames.sum()
        self.rng = np.random.default_rng(seed)
        self.augment = augment

    def window(self, task: str | None = None):
        """One window: (truth (P, T, 2), visible (P, T), scored (P, T), present (P,))."""
        rng = self.rng
        for _ in range(200):
            i = int(rng.choice(len(self.tracks), p=self.weights))
            stride = int(rng.choice([1, 1, 2])) if self.augment else 1
            T = len(self.seen[i])
            span = (T_WIN - 1) * stride + 1
            if T < span:
                continue
            a = int(rng.integers(0, T - span + 1))
            rows = slice(a, a + span, stride)
            seen = self.seen[i][rows]
            # The lost part: tracked in at least 80 % of the window.
            good = np.flatnonzero(seen.mean(0) >= 0.8)
            if len(good) == 0:
                continue
            lost = int(rng.choice(good))
            pos = np.where(seen[..., None], self.tracks[i].positions[rows], np.nan)
            slots = partners(pos, seen, lost, P)
            if seen[:, slots].mean() < 0.5:
                continue
            break
        else:
            raise AssertionError("no usable window in 200 draws: the tracks are too short or too sparse")
        truth = self.filled[i][rows][:, slots]  # (T, p, 2)
        seen = seen[:, slots]
        if self.augment:
            angle = rng.uniform(0, 2 * math.pi)
            rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
            if rng.random() < 0.5:
                rot = rot @ np.diag([1.0, -1.0])
            truth = truth @ rot.T
            if rng.random() < 0.5:
                truth, seen = truth[::-1], seen[::-1]
        task = task or str(rng.choice(list(TASK_WEIGHTS), p=list(TASK_WEIGHTS.values())))
        hide = draw_mask(rng, self.gaps, len(slots), task)
        visible = seen & ~hide
        # Normalise by what the model sees; the truth (filled) is put in the same frame.
        _, centre, scale = normalise(truth, visible)
        truth = (truth - centre) / scale
        out_t = np.zeros((P, T_WIN, 2))
        out_v = np.zeros((P, T_WIN), bool)
        out_s = np.zeros((P, T_WIN), bool)
        present = np.zeros(P, bool)
        n = len(slots)
        out_t[:n], out_v[:n], out_s[:n], present[:n] = truth.transpose(1, 0, 2), visible.T, (seen & hide).T, True
        return out_t, out_v, out_s, present

    def batch(self, size: int, task: str | None = None) -> Batch:
        parts = [self.window(task) for _ in range(size)]
        return Batch(*(np.stack(x) for x in zip(*parts)))
