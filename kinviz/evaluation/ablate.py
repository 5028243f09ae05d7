"""``bench --ablate``: each decoding mechanism of the video model switched off in turn, on the tuning split.

Scores the video model's own fill (``Predictor.draw`` then ``assemble``, no self-check), so that a
mechanism's worth is measured where it acts.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np

from ..core.masks import task_mask
from ..training.splits import TUNING_SEED, body_split, tuning_split
from ..core.metrics import trajectory_metrics


ABLATE_PER_FAMILY = 4  # the tuning split's size that ``kinviz tune`` calibrates on
# Each decoding mechanism switched off in turn: (name, draw's keywords, assemble's keywords, decoding changes).
ABLATIONS = (
    ("shipped: the model fused with the classical prior", {}, {}, {}),
    ("the model alone (share 1)", {}, {"weight": 1.0}, {}),
    ("the classical prior alone (share 0)", {}, {"weight": 0.0}, {}),
    ("no co-visible fit: the smoother alone as the prior", {}, {}, {"covisible_scale": 1e12}),
    ("one sample per window (no spread)", {}, {}, {"samples": 1, "samples_end": 1}),
    ("no gate: the still view for every forecast", {"straight": 0.0}, {}, {}),
    ("the tracking view for every forecast", {"view": "tracking"}, {}, {}),
)


def ablate(predictor, per_family: int) -> list[dict]:
    """Mean ADE % per task on the tuning split (``splits.tuning_split``) for each of ``ABLATIONS``."""
    split = {task: tuning_split(per_family) for task in ("interpolate", "forecast")}
    split["occlude"] = body_split(per_family, seed=TUNING_SEED)
    tasks = tuple(split)
    masks = {task: [task_mask(task, t.n_frames, n_objects=t.n_objects) for _, t in split[task]] for task in tasks}
    base = {task: [predictor.draw(t, m, seed=0) for (_, t), m in zip(split[task], masks[task])] for task in tasks}
    rows = []
    for name, draw_kw, assemble_kw, changes in ABLATIONS:
        p = predictor
        if changes:
            p = copy.copy(predictor)
            p.decoding = replace(predictor.decoding, **changes)
        row = {"variant": name}
        for task in tasks:
            redraw = changes or (draw_kw and task == "forecast")
            draws = [p.draw(t, m, seed=0, **draw_kw) for (_, t), m in zip(split[task], masks[task])] if redraw else base[task]
            preds = [p.assemble(d, **assemble_kw) for d in draws]
            row[task] = float(np.mean([trajectory_metrics(q.trajectory.positions, q.positions, q.filled & ~q.trajectory.missing)["ade_pct"]
                                       for q in preds]))
        rows.append(row)
    return rows
