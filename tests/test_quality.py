"""A quality floor for the shipped models: a small fixed held-out set whose errors must not get worse.

Nine recordings the models never trained or tuned on (three of the held-out generated split per
whole-frame task, three simulated bodies for occlusion), filled by ``Predictor.predict`` as users get
it, self-check included. The bar per task is the sum of kinviz's ADE % measured on 2026-12-06 with
the shipped checkpoints, plus 10 % and 0.1 points of slack; a change that makes a fill worse than
that fails here. Re-measure and lower the bars when a change makes them better.
"""

from __future__ import annotations

import pytest

import kinviz
from kinviz.training.splits import body_split, held_out

BARS = {"interpolate": 9.148, "forecast": 9.369, "occlude": 12.995}  # sum of kinviz's ADE %, measured


def recordings(task: str):
    if task == "occlude":
        return body_split(1)[:3]
    return held_out(1)[:6:2] if task == "interpolate" else held_out(1)[1:7:2]


@pytest.mark.parametrize("task", list(BARS))
def test_the_shipped_fill_is_no_worse_than_measured(predictor, task):
    total = 0.0
    for _, traj in recordings(task):
        mask = kinviz.task_mask(task, traj.n_frames, seed=0, n_objects=traj.n_objects)
        total += kinviz.score(predictor.predict(traj, mask, seed=0, compare=True), with_video=False).metrics["kinviz"]["ade_pct"]
    assert total <= BARS[task] * 1.1 + 0.1, f"{task}: kinviz's error summed {total:.3f} % > the bar {BARS[task]} %"
