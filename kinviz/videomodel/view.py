"""The model's view of a gap: a camera per object, and the straight line it is measured from.

A window of a trajectory is drawn for the model through a ``Camera``: one per colour channel,
centred frame by frame on a world point, at a zoom of its own. Where a gap has observed frames on
both sides, the camera rides the straight line linear interpolation would draw across it
(``reference_line``), so the model draws only how the motion bends away from that line. A gap at
either end gets a still camera on the object's observed extent, unless the visible motion hardly
bends (``bend``, the gate), which keeps the tracking camera on a constant-velocity line fitted to the
last visible frames. ``Camera.for_gap`` picks the view. Built from observed cells only: a hidden
position can never move the camera. Pixels themselves (drawing, reading back, warping) are
``render``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..classical.baselines import poly_extrapolate
from .render import MODEL_SIZE, Framing

DEVIATION_FLOOR = 0.05  # the camera's zoom never exceeds 1/20 of the observed span per quarter frame
VIEWS = ("tracking", "hybrid")  # checkpoints record theirs; those without the field were trained in "tracking"
GATE = (0.01, 0.5)  # training's range for each clip's straightness threshold (``train --gate``), the shipped recipe
FITS = (2, 4)  # frames a forecast's line may be fitted to: training draws one per clip, tuning picks one


@dataclass(frozen=True, eq=False)
class Camera:
    """The model's view: a camera per colour channel, tracking a straight line through the world or standing still.

    Channel c of frame t is centred on ``origin[t, c]`` at ``scale[c]`` pixels per world unit. A
    tracking camera's line is the chord a user's linear interpolation would draw across the gap
    being filled (or, for a forecast, the constant-velocity line fitted to its last ``fit`` visible
    frames: ``reference_line``), so a blob left at the frame centre *is* that baseline, and the
    model draws only the deviation from it. The observed frames show how the motion bends away from
    that line; the zoom puts their largest deviation a quarter frame from the centre. Built from
    observed cells only, like ``Framing``.
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
        shared: bool = False,  # one zoom for every channel, the widest one's, so the parts' motions compare
    ) -> "Camera":
        n, C, _ = positions.shape
        visible = np.asarray(visible, bool)
        known = np.where(visible[:, None, None], positions, np.nan)
        origin = reference_line(positions, visible, run, fit)  # (n, C, 2)
        scale = np.full(C, np.nan)
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
        if shared and np.isfinite(scale).any():  # a part's bend from its chord reads as its partners' do, in pixels
            scale[np.isfinite(scale)] = np.nanmin(scale)
        scale = np.where(np.isfinite(scale), scale, 1.0)
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
        shared: bool = False,  # one zoom for every channel (``tracking``): co-visible parts drawn at one scale
    ) -> "Camera":
        """The model's view of one gap. A gap with visible frames on both sides (interpolation)
        always gets ``tracking``. A gap at either end (forecast, backcast) gets, by view:
        'tracking': ``tracking``; 'hybrid': ``still``, where a fixed frame shows bounded motion
        turning back, unless the visible motion hardly bends (``0 < bend <= straight``: walkers,
        drift, a throw's first frames keep going), which keeps ``tracking``."""
        assert view in VIEWS, f"unknown view {view!r}; expected one of {VIEWS}"
        if view == "tracking" or is_inner(visible, run) or is_straight(positions, visible, straight):
            return cls.tracking(positions, visible, run, size, fit, shared)
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

    def frames(self, which: np.ndarray) -> "Camera":
        """The same view for a subset of frames (``which``: (n,) bool or indices)."""
        return Camera(self.origin[which], self.scale, self.size)

    def cell(self, t: int, c: int) -> Framing:
        """Frame t of channel c as a plain similarity ``Framing`` (to warp it onto another view)."""
        return Framing(float(self.origin[t, c, 0]), float(self.origin[t, c, 1]), float(self.scale[c]), self.size)


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
