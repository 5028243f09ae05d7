"""Windows: how a trajectory of any length meets a model that sees clips of 16 frames.

Each run of consecutive model-hidden frames (a gap) is covered by a window of up to ``max_frames``
frames, with a temporal stride ``s`` chosen so that the window spans the gap plus about
``CONTEXT`` observed frames on each side (``s = 1`` for gaps up to 8 frames; long gaps are seen at a
coarser frame rate), centred on it; gaps at the ends take their context from one side. Inner gaps
shorter than ``min_inner`` frames get no window (the Kalman smoother fills them alone), so scattered
dropouts cost no model time and the work grows with the long gaps, at most one window per
``min_inner`` + 1 frames. Only the mask is read here, never a position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.masks import mask_runs

CONTEXT = 4  # observed frames wanted on each side of a gap


@dataclass
class Window:
    group: list[int]  # object indices (<= 3)
    frames: np.ndarray  # (n,) frame indices on the grid
    hidden: np.ndarray  # (n,) bool model-hidden
    targets: np.ndarray  # (m,) frame indices this window is responsible for (its gap)
    run: tuple[int, int]  # the gap whose view it is drawn in, as inclusive positions in ``frames``
    answers: list[int] | None = None  # the objects whose cells it fills (``groups.plan_groups``); None: all of ``group``
    partial: np.ndarray | None = None  # (n,) bool frames where some drawn objects are hidden and others seen

    @property
    def fills(self) -> list[int]:
        """The objects whose cells this window fills."""
        return self.group if self.answers is None else self.answers


def plan_windows(model_hidden: np.ndarray, group: list[int], max_frames: int, min_inner: int = 1) -> list[Window]:
    """One window per run of ``model_hidden`` (T,) for the objects ``group``, but inner runs shorter
    than ``min_inner`` frames, which are left to the smoother (``Decoding.min_inner_gap``); they stay
    hidden in any window whose frames they fall in (see the module docstring)."""
    N = len(model_hidden)
    windows = []
    for a, b in mask_runs(model_hidden):
        if 0 < a and b < N - 1 and b - a + 1 < min_inner:
            continue
        span = b - a + 1 + 2 * CONTEXT
        stride = max(1, math.ceil((span - 1) / (max_frames - 1)))
        length = (max_frames - 1) * stride + 1
        if N <= length:  # the whole trajectory fits: take it all at the smallest stride that does
            stride = max(1, math.ceil((N - 1) / (max_frames - 1)))
            n = (N - 1) // stride + 1
            start = 0
        else:
            n = max_frames
            start = int(round((a + b) / 2 - (length - 1) / 2))
            start = min(max(start, 0), N - length)
        frames = start + stride * np.arange(n)
        inside = np.flatnonzero((frames >= a) & (frames <= b))
        assert len(inside), f"window of stride {stride} misses the gap {a}-{b}"
        windows.append(Window(group, frames, model_hidden[frames], np.arange(a, b + 1), (int(inside[0]), int(inside[-1]))))
    return windows
