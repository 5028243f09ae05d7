"""Which parts the model sees together: a part with gaps and the co-visible parts that tell most about it.

The model draws three parts per video, one per colour channel. A part lost while others are seen
is filled from a video that shows it beside its two best *partners*: the parts seen most often
while it is hidden, and among those the nearest on average (on a body, the parts that move with
it). Training clips are grouped by the same rule (``data``) as windows are at inference
(``predict``). Only observed cells are read.
"""

from __future__ import annotations

import numpy as np

from .render import MAX_GROUP


def partners(known: np.ndarray, observed: np.ndarray, k: int, count: int = MAX_GROUP - 1) -> list[int]:
    """The ``count`` parts that tell most about part ``k``.

    known (T, K, 2) world units (read only where ``observed``); observed (T, K) bool. Ranked by the
    share of k's unseen frames in which they are seen (tenths, so noise in it does not decide),
    then by their mean distance to k over the frames where both are seen."""
    T, K = observed.shape
    lost = ~observed[:, k]
    keys = []
    for j in range(K):
        if j == k:
            continue
        both = observed[:, k] & observed[:, j]
        seen_while_lost = observed[lost, j].mean() if lost.any() else 1.0
        dist = float(np.linalg.norm(known[both, k] - known[both, j], axis=-1).mean()) if both.any() else np.inf
        keys.append((-round(float(seen_while_lost), 1), dist, j))
    return [j for *_, j in sorted(keys)[:count]]


def plan_groups(known: np.ndarray, observed: np.ndarray, need: np.ndarray | None = None) -> list[tuple[list[int], list[int]]]:
    """Videos for a trajectory: [(parts drawn, parts whose cells it fills)], every part with cells to fill once.

    Up to three parts: one video of them all, as before. More: each part with a gap not yet
    answered gets a video with its partners (``partners``); it answers for the part and for the
    partners that have gaps and are not answered yet. known (T, K, 2); observed (T, K) bool; need
    (T, K) bool the cells the model is asked for (default: every unseen cell)."""
    T, K = observed.shape
    need = ~observed if need is None else need
    if K <= MAX_GROUP:
        return [(list(range(K)), list(range(K)))]
    lost = np.flatnonzero(need.any(axis=0)).tolist()
    lost.sort(key=lambda k: -int(need[:, k].sum()))  # the most-lost part picks its partners first
    done: set[int] = set()
    groups = []
    for k in lost:
        if k in done:
            continue
        drawn = [k] + partners(known, observed, k)
        answers = [j for j in drawn if j not in done and need[:, j].any()]
        done.update(answers)
        groups.append((drawn, answers))
    return groups
