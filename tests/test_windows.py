"""Window planning: every hidden frame answered once, with observed context; short inner gaps left to the smoother."""

from __future__ import annotations

import numpy as np
import pytest

import kinviz
from kinviz.videomodel.windows import plan_windows


@pytest.mark.parametrize("n,gap", [(10, (3, 5)), (48, (16, 31)), (400, (10, 300)), (48, (40, 47)), (48, (0, 3))])
def test_windows_cover_every_gap_frame_with_context(n, gap):
    hidden = np.zeros(n, bool)
    hidden[gap[0] : gap[1] + 1] = True
    windows = plan_windows(hidden, [0], 16)
    targets = np.concatenate([w.targets for w in windows])
    assert sorted(targets) == list(range(gap[0], gap[1] + 1))
    for w in windows:
        assert len(w.frames) <= 16 and (np.diff(w.frames) > 0).all()
        assert (~w.hidden).sum() >= 2, "every window has observed context"


@pytest.mark.parametrize("n,seed", [(48, 0), (2000, 1), (300, 2)])
def test_every_gap_answered_once_and_scattered_dropouts_cost_no_window(n, seed):
    hidden = kinviz.task_mask("random", n, seed=seed)
    hidden[-3:] = True  # and a forecast at the end
    windows = plan_windows(hidden, [0], 16)  # every gap decoded: one window each
    targets = np.concatenate([w.targets for w in windows])
    assert sorted(targets) == list(np.flatnonzero(hidden))  # every hidden frame, once
    for w in windows:
        assert set(w.targets) <= set(w.frames[w.hidden]), "a window answers only for frames it sees hidden"
        assert (~w.hidden).sum() >= 2
    long_gaps = [w for w in plan_windows(hidden, [0], 16, min_inner=9) if w.targets[-1] < n - 1]
    assert not long_gaps, "30 % of frames hidden at random leaves no inner gap of 9 frames"


def test_short_inner_gaps_are_left_to_the_smoother():
    """With ``min_inner`` 9, inner gaps of 1-8 frames get no window (they stay hidden in any window
    whose frames they fall in); a 9-frame inner gap and a short gap at either end still do."""
    hidden = np.zeros(80, bool)
    for a, b in [(0, 1), (10, 12), (20, 28), (31, 32), (50, 57), (77, 79)]:
        hidden[a : b + 1] = True
    windows = plan_windows(hidden, [0], 16, min_inner=9)
    targets = sorted(np.concatenate([w.targets for w in windows]))
    assert targets == [0, 1, *range(20, 29), 77, 78, 79]
    around = next(w for w in windows if 20 in w.targets)
    assert around.hidden[np.isin(around.frames, [31, 32])].all(), "a short gap inside a window stays hidden there"
