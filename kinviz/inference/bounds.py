"""Fills that stay bounded: no filled cell leaves a plausible envelope without the fill saying so.

A smoother that picked constant acceleration extrapolates a forecast quadratically: on a 1,000-frame
sine with its last quarter hidden it wrote values 35 times the observed range. Two rules, applied to
the fill kinviz returns, whatever method made it:

1. **Horizon.** Once the fill's standard deviation exceeds the part's observed extent (its motion model
   knows nothing any more): in a gap at either end of a part's track, the fill continues at the
   velocity it had there, decaying to a hold (``p_h + v tau (1 - exp(-n / tau))``, ``tau`` = the
   horizon's distance from the last seen frame); inside a track, those cells get the straight line
   between the gap's two seen edges. Either way their standard deviation stays at least the extent.
2. **Envelope.** Every filled coordinate lies within the part's observed extent grown by its own size
   on each side (the part's range of motion, one range beyond either edge); a value outside is moved
   to the edge and counted.

Both count what they did (``Bounded``); the predictor turns the counts into notes for people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fusion import at_ends

TAU_SHARE = 1.0  # the decaying hold's time constant, as a share of the horizon (0.01-1 measured alike on a sine)


@dataclass
class Bounded:
    positions: np.ndarray  # (T, K, 2)
    spread: np.ndarray  # (T, K, 2) standard deviation
    held: np.ndarray  # (T, K) bool cells past the horizon, continued by the decaying hold
    clipped: np.ndarray  # (T, K) bool cells moved to the envelope's edge

    def notes(self) -> list[str]:
        out = []
        if self.held.any():
            out.append(f"{int(self.held.sum()):,} filled point(s) lie beyond what the motion seen around them can "
                       "predict: there the fill slows to a hold (or, inside a track, follows the line between the "
                       "gap's edges), with a band as wide as the part's range of motion")
        if self.clipped.any():
            out.append(f"{int(self.clipped.sum()):,} filled point(s) fell outside the part's plausible range (its "
                       "observed extent grown by its own size on each side) and were moved to its edge")
        return out


def envelope(known: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # known (T, K, 2) NaN unseen
    """Per part and axis: (low, high, size), each (K, 2); the observed extent grown by its size each side.
    A part that never moved on an axis gets the scene's size there, so it is not pinned to a point."""
    lo, hi = np.nanmin(known, axis=0), np.nanmax(known, axis=0)  # (K, 2)
    size = hi - lo
    scene = np.nanmax(hi, axis=0) - np.nanmin(lo, axis=0)  # (2,)
    size = np.where(size > 0, size, np.where(scene > 0, scene, 1.0))
    return lo - size, hi + size, size


def bound(known: np.ndarray, positions: np.ndarray, spread: np.ndarray) -> Bounded:
    """Apply the horizon and the envelope to a fill. known (T, K, 2) NaN where unseen; positions, spread
    (T, K, 2) the fill and its standard deviation (observed cells are left exactly as they are)."""
    seen = np.isfinite(known).all(-1)
    positions, spread = positions.copy(), spread.copy()
    T, K, _ = known.shape
    held = np.zeros((T, K), bool)
    parts = seen.any(axis=0)
    if not parts.any():
        return Bounded(positions, spread, held, held.copy())
    low, high, size = envelope(np.where(seen[..., None], known, np.nan)[:, parts])
    ends = at_ends(seen)
    for j, k in enumerate(np.flatnonzero(parts)):
        frames = np.flatnonzero(seen[:, k])
        for side, run in (("after", np.arange(frames[-1] + 1, T)), ("before", np.arange(frames[0] - 1, -1, -1))):
            run = run[ends[run, k]]
            if not len(run):
                continue
            lost = (spread[run, k] > size[j]).any(-1)  # the motion model knows nothing from here on
            if not lost.any():
                continue
            h = int(np.argmax(lost))  # steps from the last seen frame to the horizon
            edge = frames[-1] if side == "after" else frames[0]
            prev = positions[run[h - 1], k] if h >= 1 else positions[edge, k]
            start = positions[run[h], k] if h >= 1 else prev
            v = start - prev  # per frame, at the horizon
            tau = max(h * TAU_SHARE, 1.0)
            n = np.arange(1, len(run) - h + 1)[:, None]
            positions[run[h:], k] = start + v * tau * (1 - np.exp(-(n - 1) / tau))
            spread[run[h:], k] = np.maximum(spread[run[h:], k], size[j])
            held[run[h:], k] = True
        # Inner gaps: cells where the fill knows nothing get the line between the gap's seen edges.
        inner = ~seen[:, k] & ~ends[:, k] & (spread[:, k] > size[j]).any(-1)
        if inner.any():
            rows = np.flatnonzero(inner)
            for a in range(2):
                positions[rows, k, a] = np.interp(rows, frames, known[frames, k, a])
            spread[rows, k] = np.maximum(spread[rows, k], size[j])
            held[rows, k] = True
    lo = np.full((K, 2), -np.inf)
    hi = np.full((K, 2), np.inf)
    lo[parts], hi[parts] = low, high
    inside = np.clip(positions, lo, hi)
    clipped = ~seen & (inside != positions).any(-1)
    positions = np.where(seen[..., None], positions, inside)
    return Bounded(positions, spread, held, clipped)
