"""Trajectories to video frames and back.

Each object is drawn as a Gaussian blob at its sub-pixel position. Objects own one colour channel
each (red, green, blue), so up to three objects share a video without their blobs mixing: a channel
is read back on its own, exactly, even where blobs overlap. Trajectories with more objects are cut
into groups of three (``object_groups``), one video each.

The world-to-pixel mapping (``Framing``) is a similarity transform (one scale for x and y, y up)
computed from the *observed* cells only: a hidden position can never move a visible pixel. The
observed extent fills the central half of the frame, which leaves a margin of a quarter frame on
every side for motion beyond it (forecasts, overshoots).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .baselines import poly_extrapolate

MAX_GROUP = 3  # one object per RGB channel
MODEL_SIZE = 32  # the model's frames are 32x32
FILL = 0.5  # observed extent spans half the frame; the rest is margin
SIGMA_PER_PX = 1.1 / 32  # blob sigma as a fraction of the frame side (1.1 px at 32 px)
THRESHOLD = 0.02  # readout ignores intensities below this (background, codec noise)


@dataclass(frozen=True)
class Framing:
    """World (CSV units, y up) <-> pixel (col, row; row down) similarity transform."""

    cx: float
    cy: float
    scale: float  # pixels per world unit
    size: int  # frame side in pixels

    @classmethod
    def from_observed(cls, positions: np.ndarray, observed: np.ndarray, size: int = MODEL_SIZE) -> "Framing":
        """positions (T, K, 2) world units; observed (T, K) bool. Only observed cells are read."""
        pts = positions[observed]
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts) == 0:
            return cls(0.0, 0.0, FILL * size, size)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        center = (lo + hi) / 2
        span = float(max(hi - lo))
        # A motionless object still needs a finite scale; a relative floor keeps large offsets sane.
        span = max(span, 1e-6 * (1.0 + float(np.abs(center).max())))
        return cls(float(center[0]), float(center[1]), FILL * size / span, size)

    def resized(self, size: int) -> "Framing":
        """The same view at another resolution."""
        return Framing(self.cx, self.cy, self.scale * size / self.size, size)

    def to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """(..., 2) world -> (..., 2) pixel (col, row); pixel centres sit at integer coordinates."""
        half = (self.size - 1) / 2
        col = (xy[..., 0] - self.cx) * self.scale + half
        row = half - (xy[..., 1] - self.cy) * self.scale
        return np.stack([col, row], axis=-1)

    def to_world(self, px: np.ndarray) -> np.ndarray:
        """(..., 2) pixel (col, row) -> (..., 2) world."""
        half = (self.size - 1) / 2
        x = (px[..., 0] - half) / self.scale + self.cx
        y = self.cy - (px[..., 1] - half) / self.scale
        return np.stack([x, y], axis=-1)

    def warp_matrix(self, dst: "Framing") -> np.ndarray:
        """2x3 affine matrix taking this framing's pixels to ``dst``'s (for cv2.warpAffine)."""
        s = dst.scale / self.scale
        h_src, h_dst = (self.size - 1) / 2, (dst.size - 1) / 2
        # col' = (col - h_src)/scale_src*scale_dst + (cx_src - cx_dst)*scale_dst + h_dst; rows likewise, y flipped.
        tx = -h_src * s + (self.cx - dst.cx) * dst.scale + h_dst
        ty = -h_src * s - (self.cy - dst.cy) * dst.scale + h_dst
        return np.array([[s, 0.0, tx], [0.0, s, ty]], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Camera:
    """The model's view: a camera per colour channel that tracks a straight line through the world.

    Channel c of frame t is centred on ``origin[t, c]`` at ``scale[c]`` pixels per world unit. The
    line is the chord a user's linear interpolation would draw across the gap being filled (or, for
    a forecast, the constant-velocity line fitted to its last ``fit`` visible frames:
    ``reference_line``), so a blob left at the frame centre *is* that baseline, and the model draws
    only the deviation from it. The observed frames show how the
    motion bends away from that line; the zoom puts their largest deviation a quarter frame from the
    centre. Built from observed cells only, like ``Framing``.
    """

    origin: np.ndarray  # (n, C, 2) world point at the frame centre, per frame and channel
    scale: np.ndarray  # (C,) pixels per world unit, per channel
    size: int

    @classmethod
    def tracking(
        cls,
        positions: np.ndarray,  # (n, C, 2) world units; NaN channels are unused
        visible: np.ndarray,  # (n,) bool frames the model sees (hidden ones never read)
        run: tuple[int, int],  # inclusive frame range of the gap this view is for
        size: int = MODEL_SIZE,
        fit: int = 2,  # visible frames a forecast's line is fitted to (``reference_line``)
    ) -> "Camera":
        n, C, _ = positions.shape
        visible = np.asarray(visible, bool)
        known = np.where(visible[:, None, None], positions, np.nan)
        origin = reference_line(positions, visible, run, fit)  # (n, C, 2)
        scale = np.ones(C)
        for c in range(C):
            seen = np.isfinite(known[:, c]).all(-1) & np.isfinite(origin[:, c]).all(-1)
            if not seen.any():
                continue
            pts = known[seen, c]
            deviation = float(np.abs(pts - origin[seen, c]).max())
            span = float((pts.max(0) - pts.min(0)).max())
            # Nearly straight motion still gets a finite zoom: at least DEVIATION_FLOOR of the span.
            extent = max(deviation, DEVIATION_FLOOR * span, 1e-6 * (1.0 + float(np.abs(pts).max())))
            scale[c] = size / 4 / extent
        origin = np.where(np.isfinite(origin), origin, 0.0)
        return cls(origin, scale, size)

    @classmethod
    def still(
        cls,
        positions: np.ndarray,  # (n, C, 2) world units; NaN channels are unused
        visible: np.ndarray,  # (n,) bool frames the model sees (hidden ones never read)
        size: int = MODEL_SIZE,
    ) -> "Camera":
        """A camera per channel that does not move: that object's observed extent fills the central
        half of the frame (``Framing.from_observed``), so the model sees where bounded motion turns
        back (walls, orbits, swings). The view for gaps with context on one side only."""
        n, C, _ = positions.shape
        visible = np.asarray(visible, bool)
        origin, scale = np.zeros((n, C, 2)), np.ones(C)
        for c in range(C):
            seen = visible & np.isfinite(positions[:, c]).all(-1)
            f = Framing.from_observed(positions[:, c : c + 1], seen[:, None], size)
            origin[:, c], scale[c] = (f.cx, f.cy), f.scale
        return cls(origin, scale, size)

    @classmethod
    def for_gap(
        cls,
        positions: np.ndarray,  # (n, C, 2) world units; NaN channels are unused
        visible: np.ndarray,  # (n,) bool
        run: tuple[int, int],  # inclusive frame range of the gap this view is for
        view: str,  # one of VIEWS
        size: int = MODEL_SIZE,
        straight: float = 0.0,  # 'hybrid': the largest ``bend`` that still counts as straight (0: none)
        fit: int = 2,  # visible frames a forecast's tracking line is fitted to (``reference_line``)
    ) -> "Camera":
        """The model's view of one gap. A gap with visible frames on both sides (interpolation)
        always gets ``tracking``. A gap at either end (forecast, backcast) gets, by view:
        'tracking': ``tracking``; 'hybrid': ``still``, where a fixed frame shows bounded motion
        turning back, unless the visible motion hardly bends (``0 < bend <= straight``: walkers,
        drift, a throw's first frames keep going), which keeps ``tracking``."""
        assert view in VIEWS, f"unknown view {view!r}; expected one of {VIEWS}"
        if view == "tracking" or is_inner(visible, run) or is_straight(positions, visible, straight):
            return cls.tracking(positions, visible, run, size, fit)
        return cls.still(positions, visible, size)

    def to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """(n, K, 2) world -> (n, K, 2) pixel (col, row), K <= C, frame by frame."""
        K = xy.shape[1]
        half = (self.size - 1) / 2
        d = (xy - self.origin[:, :K]) * self.scale[None, :K, None]
        return np.stack([d[..., 0] + half, half - d[..., 1]], axis=-1)

    def to_world(self, px: np.ndarray) -> np.ndarray:
        """(n, K, 2) pixel (col, row) -> (n, K, 2) world."""
        K = px.shape[1]
        half = (self.size - 1) / 2
        d = np.stack([px[..., 0] - half, half - px[..., 1]], axis=-1) / self.scale[None, :K, None]
        return d + self.origin[:, :K]

    def cell(self, t: int, c: int) -> Framing:
        """Frame t of channel c as a plain similarity ``Framing`` (to warp it onto another view)."""
        return Framing(float(self.origin[t, c, 0]), float(self.origin[t, c, 1]), float(self.scale[c]), self.size)


DEVIATION_FLOOR = 0.05  # the camera's zoom never exceeds 1/20 of the observed span per quarter frame
VIEWS = ("tracking", "hybrid")  # checkpoints record theirs; those without the field were trained in "tracking"
GATE = (0.01, 0.5)  # training's range for each clip's straightness threshold (``train --gate``), the shipped recipe
FITS = (2, 4)  # frames a forecast's line may be fitted to: training draws one per clip, tuning picks one


def is_inner(visible: np.ndarray, run: tuple[int, int]) -> bool:
    """Whether the gap ``run`` (inclusive) has visible frames on both sides."""
    vis = np.flatnonzero(np.asarray(visible, bool))
    return len(vis) > 0 and vis[0] < run[0] and vis[-1] > run[1]


def is_straight(positions: np.ndarray, visible: np.ndarray, straight: float) -> bool:
    """The forecast view's gate: the visible motion bends no more than ``straight`` (0: no gate)."""
    return 0 < straight and bend(positions, visible) <= straight


def bend(positions: np.ndarray, visible: np.ndarray) -> float:
    """How far the visible motion is from uniform straight motion, the largest over channels.

    Per channel: the largest distance of a visible position from the least-squares line
    ``a + b * frame``, over the span of the visible positions (0 for uniform motion in a straight
    line, about 0.5 for a full circle). NaN channels and channels seen fewer than three times count 0.
    """
    visible = np.asarray(visible, bool)
    frames = np.arange(len(visible), dtype=np.float64)
    worst = 0.0
    for c in range(positions.shape[1]):
        seen = visible & np.isfinite(positions[:, c]).all(-1)
        if seen.sum() < 3:
            continue
        t, p = frames[seen], positions[seen, c]
        residual = float(np.linalg.norm(p - poly_extrapolate(t, p, t, 1), axis=-1).max())
        span = float((p.max(0) - p.min(0)).max())
        if span > 0:
            worst = max(worst, residual / span)
    return worst


def chord_anchors(visible: np.ndarray, run: tuple[int, int]) -> tuple[int, int]:
    """The two visible frames a linear baseline would use for the gap ``run`` (inclusive).

    The nearest visible frames on either side (interpolation); else the last two before it
    (forecast) or the first two after it (backcast); a single visible frame anchors a still camera.
    """
    a, b = run
    vis = np.flatnonzero(visible)
    assert len(vis) > 0, "a camera needs at least one visible frame"
    before, after = vis[vis < a], vis[vis > b]
    if len(before) and len(after):
        return int(before[-1]), int(after[0])
    if len(before) >= 2:
        return int(before[-2]), int(before[-1])
    if len(after) >= 2:
        return int(after[0]), int(after[1])
    if len(vis) >= 2:
        return int(vis[0]), int(vis[1])
    return int(vis[0]), int(vis[0])


def reference_line(
    positions: np.ndarray,  # (n, C, 2) world units; NaN channels are unused
    visible: np.ndarray,  # (n,) bool
    run: tuple[int, int],  # inclusive frame range of a gap
    fit: int = 2,
) -> np.ndarray:  # (n, C, 2) world point per frame and channel, NaN for unused channels
    """The straight line a gap is measured from, uniform in frame index.

    Across a gap with visible frames on both sides: the chord between its nearest visible frames,
    the line linear interpolation draws. For a gap at either end: the least-squares line through
    the ``fit`` visible frames nearest the gap; with ``fit = 2`` that is the line through the last
    two (first two), the constant-velocity baseline. Fitting more frames averages tracker noise out
    of the velocity, which two noisy points can get badly wrong.
    """
    n = len(visible)
    visible = np.asarray(visible, bool)
    t = np.arange(n, dtype=np.float64)
    known = np.where(visible[:, None, None], positions, np.nan)
    i0, i1 = chord_anchors(visible, run)
    vis = np.flatnonzero(visible)
    before, after = vis[vis < run[0]], vis[vis > run[1]]
    if (len(before) and len(after)) or fit <= 2 or max(len(before), len(after)) <= 2:
        velocity = (known[i1] - known[i0]) / (i1 - i0) if i1 != i0 else np.zeros_like(known[i0])
        return known[i0][None] + (t[:, None, None] - i0) * velocity[None]
    anchor = before[-fit:] if len(before) >= 2 else after[:fit]
    line = poly_extrapolate(t[anchor], known[anchor].reshape(len(anchor), -1), t, 1)  # (n, C*2); NaN channels stay NaN
    return line.reshape(n, *positions.shape[1:])


def object_groups(n_objects: int) -> list[list[int]]:
    """Object indices cut into videos of at most three (one per colour channel)."""
    return [list(range(i, min(i + MAX_GROUP, n_objects))) for i in range(0, n_objects, MAX_GROUP)]


def render(
    positions: np.ndarray,  # (T, K, 2) world units, NaN = not drawn; K <= 3
    framing: "Framing | Camera",
    hidden: np.ndarray | None = None,  # (T,) bool: hidden frames are left blank
) -> np.ndarray:  # (T, H, W, 3) uint8
    """Draw object k as a Gaussian blob in colour channel k, anti-aliased at sub-pixel position."""
    return to_uint8(render_float(positions, framing, hidden))


def render_float(positions: np.ndarray, framing: "Framing | Camera", hidden: np.ndarray | None = None) -> np.ndarray:
    """As ``render`` but float32 in [0, 1], unquantised."""
    T, K, _ = positions.shape
    assert K <= MAX_GROUP, f"render draws at most {MAX_GROUP} objects per video, got {K}"
    size = framing.size
    sigma = SIGMA_PER_PX * size
    px = framing.to_pixels(positions.astype(np.float64))  # (T, K, 2)
    visible = np.isfinite(px).all(axis=-1)
    if hidden is not None:
        visible &= ~np.asarray(hidden, bool)[:, None]
    px = np.where(visible[..., None], px, -1e6)  # far away: exp underflows to exactly 0
    grid = np.arange(size, dtype=np.float64)
    # Separable Gaussian: an outer product of 1-D profiles per frame and object.
    gx = np.exp(-((grid[None, None, :] - px[..., 0:1]) ** 2) / (2 * sigma**2))  # (T, K, W)
    gy = np.exp(-((grid[None, None, :] - px[..., 1:2]) ** 2) / (2 * sigma**2))  # (T, K, H)
    frames = np.zeros((T, size, size, 3), np.float32)
    for k in range(K):
        frames[..., k] = np.einsum("th,tw->thw", gy[:, k], gx[:, k])
    return frames


def to_uint8(frames: np.ndarray) -> np.ndarray:
    """float [0, 1] -> uint8, rounded."""
    return np.clip(np.rint(np.asarray(frames) * 255.0), 0, 255).astype(np.uint8)


def _expected_mass(size: int) -> float:
    """Thresholded mass of one ideal blob, to turn a read-back mass into a confidence."""
    framing = Framing(0.0, 0.0, 1.0, size)
    blob = render_float(np.zeros((1, 1, 2)), framing)[0, ..., 0]
    return float(np.maximum(blob - THRESHOLD, 0).sum())


def readout(
    frames: np.ndarray,  # (T, H, W, 3) uint8 or float in [0, 1]
    framing: "Framing | Camera",
    n_objects: int,
) -> tuple[np.ndarray, np.ndarray]:  # positions (T, K, 2) world units, confidence (T, K) in [0, 1]
    """Read each object's position back from its colour channel (thresholded intensity centroid).

    The centroid is taken in a window around the brightest pixel, so a faint ghost elsewhere does
    not pull it. Confidence is the blob's mass relative to an ideal blob, capped at 1, and 0 where
    nothing is drawn; positions are NaN there.
    """
    frames = np.asarray(frames)
    if frames.dtype == np.uint8:
        frames = frames.astype(np.float32) / 255.0
    T, H, W, _ = frames.shape
    assert H == W == framing.size, f"frames are {H}x{W} but the framing is {framing.size}px"
    sigma = SIGMA_PER_PX * framing.size
    r = int(np.ceil(4 * sigma))
    mass_ideal = _expected_mass(framing.size)
    out = np.full((T, n_objects, 2), np.nan)
    conf = np.zeros((T, n_objects))
    rows, cols = np.mgrid[0:H, 0:W]
    for k in range(n_objects):
        channel = np.maximum(frames[..., k] - THRESHOLD, 0)  # (T, H, W)
        flat = channel.reshape(T, -1)
        peak = flat.argmax(axis=1)
        pr, pc = np.divmod(peak, W)
        for t in range(T):
            if flat[t, peak[t]] <= 0:
                continue
            r0, r1 = max(pr[t] - r, 0), min(pr[t] + r + 1, H)
            c0, c1 = max(pc[t] - r, 0), min(pc[t] + r + 1, W)
            win = channel[t, r0:r1, c0:c1]
            mass = win.sum()
            col = (win * cols[r0:r1, c0:c1]).sum() / mass
            row = (win * rows[r0:r1, c0:c1]).sum() / mass
            out[t, k] = (col, row)
            # A blob cut by the frame edge reads biased: confidence says so.
            edge = min(pr[t], pc[t], H - 1 - pr[t], W - 1 - pc[t])
            conf[t, k] = min(1.0, mass / mass_ideal) * min(1.0, edge / (2 * sigma))
    return framing.to_world(out), conf


def warp(frames: np.ndarray, src: Framing, dst: Framing) -> np.ndarray:
    """Re-project (T, h, w, 3) frames drawn in ``src`` onto ``dst``'s view (T, H, W, 3), same dtype."""
    m = src.warp_matrix(dst)
    out = [cv2.warpAffine(f, m, (dst.size, dst.size), flags=cv2.INTER_LINEAR, borderValue=0) for f in frames]
    return np.stack(out) if out else np.zeros((0, dst.size, dst.size, 3), frames.dtype)
