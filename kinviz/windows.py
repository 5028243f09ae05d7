"""Windows: how a trajectory of any length meets a model that sees clips of 16 frames.

Each run of consecutive model-hidden frames (a gap) is covered by a window of up to ``max_frames``
frames, with a temporal stride ``s`` chosen so that the window spans the gap plus about
``CONTEXT`` observed frames on each side (``s = 1`` for gaps up to 8 frames; long gaps are seen at a
coarser frame rate, in a window centred on them). Gaps at the ends take their context from one
side. Short inner gaps share a window with the inner gaps that follow them within its frames, so
many scattered dropouts cost about one window per 16 frames, not one per gap. Inner gaps shorter
than ``min_inner`` frames get no window of their own (the smoother fills them). Only the mask is
read here, never a position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .masks import mask_runs

CONTEXT = 4  # observed frames wanted on each side of a gap


@dataclass
class Window:
    group: list[int]  # object indices (<= 3)
    frames: np.ndarray  # (n,) frame indices on the grid
    hidden: np.ndarray  # (n,) bool model-hidden
    targets: np.ndarray  # (m,) frame indices this window is responsible for (its gaps)
    run: tuple[int, int]  # the gap whose view it is drawn in, as inclusive positions in ``frames``


def plan_windows(model_hidden: np.ndarray, group: list[int], max_frames: int, min_inner: int = 1) -> list[Window]:
    """Windows that cover every run of ``model_hidden`` (T,) for the objects ``group`` (see the module docstring),
    but inner runs shorter than ``min_inner`` frames, which are left to the smoother
    (``Decoding.min_inner_gap``); they stay hidden in any window whose frames they fall in.

    A short inner gap shares its window with the inner gaps that follow it inside the same
    ``max_frames`` frames (with two frames to spare after them), so the cost grows with the frames
    to fill, not with the number of gaps; the window is drawn in the view of its first gap. Long
    gaps (seen at a stride) and gaps at either end get a window of their own, centred on them.
    """
    N = len(model_hidden)
    runs = [(a, b) for a, b in mask_runs(model_hidden) if a == 0 or b == N - 1 or b - a + 1 >= min_inner]
    windows = []
    i = 0
    while i < len(runs):
        a, b = runs[i]
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
        gaps = [(a, b)]
        inner = lambda r: r[0] > 0 and r[1] < N - 1  # noqa: E731
        if stride == 1 and inner((a, b)):
            start = min(max(a - CONTEXT, 0), N - n)
            last = start + n - 1
            while i + 1 < len(runs) and inner(runs[i + 1]) and runs[i + 1][1] <= last - 2:
                i += 1
                gaps.append(runs[i])
        frames = start + stride * np.arange(n)
        inside = np.flatnonzero((frames >= a) & (frames <= b))
        assert len(inside), f"window of stride {stride} misses the gap {a}-{b}"
        run = (int(inside[0]), int(inside[-1]))
        targets = np.concatenate([np.arange(g0, g1 + 1) for g0, g1 in gaps])
        windows.append(Window(group, frames, model_hidden[frames], targets, run))
        i += 1
    return windows
