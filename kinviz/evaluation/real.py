"""The benchmark's real tasks: pose-tracker files, each filled whole with only the drawn cells hidden.

``occlude``: a confidently tracked part hidden for 10-60 frames while the others stay as tracked,
one stretch per ``predict`` call and several stretches per file; scored on the hidden cells.
``interpolate``: cuts of 240-600 frames of files with several parts, the middle third of every part
hidden (whole frames), as the generated split's interpolate task.

The files: ``/work/shared/real-multipart`` (benchmark only) and the motion model's validation split
(``kinviz.motion.data.VAL_FILES``: eks-fly's three camera views, vame, autogaita), which neither
model trained on. Both folders are outside the repository; without them the real rows are skipped.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..core.masks import task_mask
from ..core.trajectory import Trajectory
from ..io.csv import from_arrays
from .evaluate import score
from .quality import quality, row_of

SHARED = Path("/work/shared")
MULTIPART = SHARED / "real-multipart"
MIN_CONFIDENCE = 0.6  # DeepLabCut's default pcutoff, as kinviz.load_track and the motion model's loader
OCCLUDE_FRAMES = (10, 60)  # a stretch hides one part for this many frames (inclusive)
MARGIN = 5  # the part is seen this many frames on each side of its stretch: a gap the tracker did not already have
CUT_FRAMES = (240, 600)  # interpolate: a cut of this many frames (inclusive)


def real_files(multipart: Path = MULTIPART) -> list[Path]:
    """The real files the benchmark reads (real-multipart, then the motion model's validation split) that exist."""
    from ..motion.data import REAL_TRAIN, VAL_FILES

    files = sorted(Path(multipart).glob("*.csv")) + [REAL_TRAIN / rel for rel in VAL_FILES]
    return [f for f in files if f.exists()]


def group_of(path: Path) -> str:
    """A short name for a file's recording: the folder under real-train, or the file's stem."""
    return path.parent.name if path.parent.name != MULTIPART.name else path.stem.split("_")[0].split("DLC")[0]


def load(path: Path) -> Trajectory:
    import kinviz  # the front door reads every tracker layout

    return kinviz.load_track(path, min_confidence=MIN_CONFIDENCE)


def draw_stretches(seen: np.ndarray, n: int, rng: np.random.Generator) -> list[tuple[int, int, int]]:  # seen (T, K)
    """Up to ``n`` (part, start, length) stretches: a part seen for the stretch and ``MARGIN`` frames each side,
    with at least one other part seen in every frame of it (an occlusion, not a lost frame)."""
    T, K = seen.shape
    others = seen.sum(axis=1, keepdims=True) - seen  # (T, K)
    out: list[tuple[int, int, int]] = []
    for _ in range(200 * n):
        if len(out) == n:
            break
        k, L = int(rng.integers(K)), int(rng.integers(OCCLUDE_FRAMES[0], OCCLUDE_FRAMES[1] + 1))
        if T < L + 2 * MARGIN + 1:
            break
        s = int(rng.integers(MARGIN, T - L - MARGIN + 1))
        if seen[s - MARGIN: s + L + MARGIN, k].all() and (others[s: s + L, k] > 0).all() and \
                all(k != k2 or s + L + MARGIN <= s2 or s2 + L2 + MARGIN <= s for k2, s2, L2 in out):
            out.append((k, s, L))
    return out


def occlude(predictor, files: list[Path], *, per_file: int, seed: int = 0) -> list[dict]:
    """One row per stretch (``quality.row_of`` on its hidden cells): the whole file filled with only the
    stretch hidden. ``per_file`` stretches per file, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    plan = []
    for path in files:
        traj = load(path)
        for k, s, L in draw_stretches(~traj.missing, per_file, rng):
            plan.append((path, traj, k, s, L))
    rows = []
    for path, traj, k, s, L in tqdm(plan, desc="real occlude", unit="stretch", disable=None):
        mask = np.zeros(traj.missing.shape, bool)
        mask[s: s + L, k] = True
        t = time.perf_counter()
        pred = predictor.predict(traj, mask, seed=seed, compare=True)
        seconds = time.perf_counter() - t
        result = score(pred, with_video=False)
        rows.append({"group": group_of(path), "task": "occlude", "name": f"{path.name} {traj.names[k]} {s}+{L}",
                     "frames": traj.n_frames, "parts": traj.n_objects} | row_of(result, mask, seconds))
    return rows


def cuts(files: list[Path], *, per_file: int, seed: int = 0) -> list[tuple[str, Trajectory]]:
    """(group, cut) pairs: ``per_file`` cuts of ``CUT_FRAMES`` frames from each file with several parts, where
    every part is seen at both ends of its middle third (so the hidden third has truth and a gap to bridge)."""
    rng = np.random.default_rng(seed)
    out = []
    for path in files:
        traj = load(path)
        if traj.n_objects < 2:
            continue
        pos = np.where(traj.missing[..., None], np.nan, traj.positions)
        got = 0
        for _ in range(50 * per_file):
            if got == per_file:
                break
            n = int(rng.integers(CUT_FRAMES[0], min(CUT_FRAMES[1], traj.n_frames) + 1))
            a = int(rng.integers(0, traj.n_frames - n + 1))
            seen = ~traj.missing[a: a + n]
            hidden = task_mask("interpolate", n)
            if seen[~hidden].any(axis=0).all() and seen[hidden].mean() > 0.9:
                out.append((group_of(path), from_arrays(traj.times[a: a + n], pos[a: a + n], traj.names)))
                got += 1
    return out


def interpolate(predictor, files: list[Path], *, per_file: int, seed: int = 0) -> list[dict]:
    """The interpolate task (``quality.quality``) on ``cuts`` of the real files."""
    return quality(predictor, cuts(files, per_file=per_file, seed=seed), seed=seed, tasks=("interpolate",))
