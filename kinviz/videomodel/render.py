"""Trajectories to video frames and back.

Each object is drawn as a Gaussian blob at its sub-pixel position. Objects own one colour channel
each (red, green, blue), so up to three objects share a video without their blobs mixing: a channel
is read back on its own, exactly, even where blobs overlap. Trajectories with more objects are cut
into groups of three (``object_groups``), one video each.

The world-to-pixel mapping (``Framing``) is a similarity transform (one scale for x and y, y up)
computed from the *observed* cells only: a hidden position can never move a visible pixel. The
observed extent fills the central half of the frame, which leaves a margin of a quarter frame on
every side for motion beyond it (forecasts, overshoots). The model's own view of a gap, a camera
per object that moves with the motion, is ``view.Camera``; it draws through the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np



class View(Protocol):
    """What drawing and reading back need of a framing: ``Framing`` here, or the model's ``view.Camera``."""

    size: int

    def to_pixels(self, positions: np.ndarray) -> np.ndarray: ...

    def to_world(self, pixels: np.ndarray) -> np.ndarray: ...

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


def object_groups(n_objects: int) -> list[list[int]]:
    """Object indices cut into videos of at most three (one per colour channel)."""
    return [list(range(i, min(i + MAX_GROUP, n_objects))) for i in range(0, n_objects, MAX_GROUP)]


def render(
    positions: np.ndarray,  # (T, K, 2) world units, NaN = not drawn; K <= 3
    framing: View,
    hidden: np.ndarray | None = None,  # (T,) bool: hidden frames are left blank
) -> np.ndarray:  # (T, H, W, 3) uint8
    """Draw object k as a Gaussian blob in colour channel k, anti-aliased at sub-pixel position."""
    return to_uint8(render_float(positions, framing, hidden))


def render_float(positions: np.ndarray, framing: View, hidden: np.ndarray | None = None) -> np.ndarray:
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
    framing: View,
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
