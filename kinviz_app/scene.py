"""What the figures, the pictures and the wording all measure of a prediction: the scene's extent, the
model's spread, which filled cells the model moved, which parts to draw. No Streamlit, no plotting."""

from __future__ import annotations

import numpy as np

import kinviz

MIN_SPAN = 0.1  # an axis spans at least this share of the scene: a tiny wobble must not look huge
CHANGE_SHARE = 1e-3  # the model moved a cell when it moved it by more than this share of the scene (not rounding)
BAND_ROOM = 0.5  # a band is drawn at most this share of the scene beyond it: a wild spread must not squash the plot
# Points per line over a long file, away from the hidden frames (``overview``): about two per pixel of a plot's
# width. 1,500 a line took Chromium 2.1 s to redraw the three plots of the 7,200 x 6 open-field file when a fill
# was added or removed (a CPU profile of the page), 700 took 1.5 s, with nothing lost to the eye.
OVERVIEW_POINTS = 700
BRIDGE = 4  # frames: a long line crosses the file's own gaps up to this long (``overview``)
MAX_DRAWN = 8  # parts drawn in the plots by default: the hidden ones and their nearest partners (more: a tangle)


def scene_box(traj: kinviz.Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """(lo (2,), hi (2,)): the bounding box of every known position."""
    pts = traj.positions[~traj.missing]
    if not len(pts):
        return np.zeros(2), np.ones(2)
    return pts.min(axis=0), pts.max(axis=0)


def scene_size(traj: kinviz.Trajectory) -> float:
    """The larger side of the bounding box of every known position (1 when there is no extent)."""
    lo, hi = scene_box(traj)
    size = float((hi - lo).max())
    return size if size > 0 else 1.0


def axis_range(values, min_span: float, pad: float = 0.06) -> list[float]:
    """[lo, hi] holding every finite value with a margin, at least ``min_span`` wide (centred)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return [-min_span / 2, min_span / 2]
    lo, hi = float(v.min()), float(v.max())
    span = max(hi - lo, min_span)
    mid = (lo + hi) / 2
    half = span * (1 + 2 * pad) / 2
    return [mid - half, mid + half]


def clip_to_scene(values: np.ndarray, box_lo, box_hi) -> np.ndarray:
    """Values clipped to the scene plus ``BAND_ROOM`` of its size on each side, for display."""
    room = BAND_ROOM * np.maximum(np.asarray(box_hi) - np.asarray(box_lo), 1e-12)
    return np.clip(values, box_lo - room, box_hi + room)


def classical_fill(pred: kinviz.Prediction) -> np.ndarray:
    """(T, K, 2) what the fill is without the model: the classical prior it was fused with."""
    for prior in (getattr(pred, "classical", None), pred.smoother):
        if prior is not None:
            return np.asarray(prior, float)
    return pred.positions


def model_changed(pred: kinviz.Prediction) -> np.ndarray:
    """(T, K) bool: filled cells the model moved off the classical fill by more than rounding. Elsewhere
    the 'model' value is the classical fill (a share of 0, or a drawing that agreed with it)."""
    shift = np.linalg.norm(pred.positions - classical_fill(pred), axis=-1)
    weight = pred.weight if pred.weight is not None else np.ones(pred.filled.shape)
    return pred.filled & (weight > 0) & (np.nan_to_num(shift) > CHANGE_SHARE * scene_size(pred.trajectory))


def spread(pred: kinviz.Prediction) -> np.ndarray | None:
    """(T, K, 2) the standard deviation of each filled value (``Prediction.spread``), NaN where the
    model gave none; None for a prediction that carries no spread (an older kinviz)."""
    sd = getattr(pred, "spread", None)
    if sd is None:
        return None
    sd = np.asarray(sd, dtype=float)
    return np.where(pred.filled[..., None] & np.isfinite(sd), sd, np.nan)


def hidden_cells(pred: kinviz.Prediction) -> np.ndarray:
    """(T, K) bool: the cells the user hid (whole frames: every part)."""
    if pred.hidden_cells is not None:
        return np.asarray(pred.hidden_cells, bool)
    return np.repeat(np.asarray(pred.hidden, bool)[:, None], pred.trajectory.n_objects, axis=1)


def default_parts(traj: kinviz.Trajectory, cells: np.ndarray, limit: int = MAX_DRAWN) -> list[str]:
    """The parts worth drawing for ``cells`` (T, K) bool (what is hidden or filled): those with such cells
    (most first), then the parts that stay nearest to them on average, ``limit`` at most, in file order."""
    K = traj.n_objects
    if K <= limit:
        return list(traj.names)
    counts = cells.sum(axis=0)
    chosen = [int(k) for k in np.argsort(-counts, kind="stable") if counts[k]][:limit]
    if not chosen:
        chosen = [0]
    if len(chosen) < limit:  # nearest partners: mean distance to the chosen parts over the frames both are seen
        pos = np.where(traj.missing[..., None], np.nan, traj.positions)  # (T, K, 2)
        with np.errstate(invalid="ignore"), np.errstate(all="ignore"):
            dist = np.linalg.norm(pos[:, :, None] - pos[:, None, chosen], axis=-1)  # (T, K, len(chosen))
            mean = np.nanmean(np.where(np.isfinite(dist), dist, np.nan), axis=(0, 2)) if np.isfinite(dist).any() \
                else np.zeros(K)
        mean = np.where(np.isfinite(mean), mean, np.inf)
        rest = [int(k) for k in np.argsort(mean, kind="stable") if k not in chosen]
        chosen += rest[: limit - len(chosen)]
    return [traj.names[k] for k in sorted(chosen)]


def focus_window(marked: np.ndarray, limit: int, context: int | None = None) -> tuple[int, int]:  # marked (T,) bool
    """[start, stop) of at most ``limit`` frames centred on the first marked stretch (its start when the
    stretch is longer than the window); the whole file when it is that short. With ``context``, the window
    is the stretch and that many frames on either side, when that is shorter than ``limit``."""
    T = len(marked)
    if T <= limit:
        return 0, T
    runs = kinviz.mask_runs(np.asarray(marked, bool))
    if not len(runs):
        return 0, limit
    a, b = (int(v) for v in runs[0])  # inclusive
    if context is not None:
        limit = min(limit, b - a + 1 + 2 * context)
    centre = (a + b) // 2 if b - a + 1 <= limit else a + limit // 2 - limit // 8
    start = max(0, min(centre - limit // 2, T - limit))
    return start, start + limit


def overview(values: np.ndarray, full: np.ndarray, budget: int = OVERVIEW_POINTS,
             crossed: np.ndarray | None = None) -> np.ndarray:
    """The frames to draw a line through ``values`` (T,) or (T, C) with: every frame where ``full`` (T,) holds
    (near the hidden frames) and at each end of a stretch of NaN (a gap stays a gap); elsewhere, in buckets of
    frames, each column's lowest and highest value (a tracker's jump stays on the line). A 7,200-frame line
    comes down to about ``budget`` points a screen can show: Chromium drew the coordinates of a 7,200 x 6 file
    in 1.1-1.5 s with every frame, the page's slowest part.

    ``crossed`` (T,) marks frames without a value that the line may cross straight (a file's own gaps of up to
    ``BRIDGE`` frames): where a bucket is wider than that, so the gap is finer than the drawing, the line leaves
    them out rather than break there, as each stretch of a line is an SVG path of its own (a 3,600 x 25 file
    with a gap every 40 frames or so made 2,000 paths per plot)."""
    v = np.asarray(values, float).reshape(len(values), -1)
    T, C = v.shape
    size = -(-T * 2 * C // max(budget, 1))  # frames per bucket: two points per column in each
    if size <= 1:
        return np.arange(T)
    if crossed is None or size <= BRIDGE:  # a bucket no wider than a crossed gap: the gap would show, so it breaks
        crossed = np.zeros(T, bool)
    crossed = np.asarray(crossed, bool)
    keep = np.asarray(full, bool).copy()
    gap = ~np.isfinite(v).all(axis=1) & ~crossed
    change = gap[1:] != gap[:-1]
    keep[1:] |= change
    keep[:-1] |= change
    keep[[0, -1]] = True
    padded = np.concatenate([v, np.full(((-T) % size, C), np.nan)]).reshape(-1, size, C)
    finite = np.isfinite(padded)
    starts = (np.arange(len(padded)) * size)[:, None]
    for pick, fill in ((np.argmin, np.inf), (np.argmax, -np.inf)):
        idx = (starts + pick(np.where(finite, padded, fill), axis=1)).ravel()
        keep[idx[idx < T]] = True
    return np.flatnonzero(keep & ~crossed)


def compared(pred: kinviz.Prediction) -> np.ndarray:
    """(T, K) the cells where the plots draw the other fills beside kinviz's: the ones the user hid (the ones
    scored), or every filled cell when none was hidden. A file's scattered gaps elsewhere get kinviz's fill
    alone: each stretch is an SVG path of its own per fill, and with three other fills drawn at them a
    3,600 x 25 file's plots took Chromium 3-4 s to draw again whenever a fill was added or removed."""
    hidden = hidden_cells(pred)
    return hidden if hidden.any() else pred.filled
