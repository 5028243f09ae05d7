import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kinviz.core.errors import MaskError
from kinviz.core.masks import TASKS, format_mask, mask_runs, parse_mask, task_mask

SIZES = [4, 5, 6, 7, 11, 12, 31, 48, 100, 199, 200]


@pytest.mark.parametrize("n", SIZES)
def test_interpolate_hides_middle_third(n):
    expected = np.array([n // 3 <= t < 2 * n // 3 for t in range(n)])
    np.testing.assert_array_equal(task_mask("interpolate", n), expected)


@pytest.mark.parametrize("n", SIZES)
def test_forecast_hides_last_quarter(n):
    expected = np.array([t >= n - n // 4 for t in range(n)])
    np.testing.assert_array_equal(task_mask("forecast", n), expected)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_random_keeps_ends_and_follows_seed(n, seed):
    mask = task_mask("random", n, seed=seed)
    draw = np.random.default_rng(seed).random(n - 2) < 0.3
    expected = np.concatenate([[False], draw, [False]])
    if not draw.any():
        expected[n // 2] = True
    np.testing.assert_array_equal(mask, expected)
    assert not mask[0] and not mask[-1] and mask.any()
    np.testing.assert_array_equal(mask, task_mask("random", n, seed=seed))


def test_random_falls_back_to_middle_frame():
    # Find a seed whose draw hides nothing on a short clip, so the fallback is exercised.
    seed = next(s for s in range(1000) if not (np.random.default_rng(s).random(2) < 0.3).any())
    np.testing.assert_array_equal(task_mask("random", 4, seed=seed), [False, False, True, False])


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("n", SIZES)
def test_tasks_leave_frames_visible_and_parse_by_name(task, n):
    mask = task_mask(task, n, seed=3)
    assert mask.dtype == bool and mask.shape == (n,)
    assert mask.any() and not mask.all()
    np.testing.assert_array_equal(parse_mask(task.upper(), n, seed=3), mask)


@pytest.mark.parametrize(
    "spec, hidden",
    [
        ("6-9,14", [6, 7, 8, 9, 14]),
        (" 6 - 9 , 14 ", [6, 7, 8, 9, 14]),
        ("3", [3]),
        ("0,19", [0, 19]),
        ("5-5", [5]),
        ("2-4,3-6", [2, 3, 4, 5, 6]),
        ("6,,9,", [6, 9]),
    ],
)
def test_parse_indices_and_ranges(spec, hidden):
    np.testing.assert_array_equal(np.flatnonzero(parse_mask(spec, 20)), hidden)


@pytest.mark.parametrize("spec", [None, "", "   ", "none", "NONE"])
def test_parse_nothing_hidden(spec):
    mask = parse_mask(spec, 12)
    assert mask.shape == (12,) and not mask.any()


@pytest.mark.parametrize(
    "spec, message",
    [
        ("6-x", "mask '6-x': 'x' is not a frame number or range; use e.g. 6-9,14 or interpolate"),
        ("abc", "'abc' is not a frame number or range"),
        ("6 9", "'6 9' is not a frame number or range"),
        ("9-6", "range '9-6' is reversed; write it as 6-9"),
        ("60", "frame 60 is out of range: this file has 48 frames (0-47)"),
        ("40-60", "frame 60 is out of range: this file has 48 frames (0-47)"),
        ("-3", "negative"),
        ("2--1", "negative"),
        ("0-47", "the mask hides every frame; leave at least one frame visible"),
        ("0-20,21-47", "the mask hides every frame"),
        ("1,\n2-x", "'x' is not a frame number or range"),
    ],
)
def test_parse_errors_are_one_line(spec, message):
    with pytest.raises(MaskError) as info:
        parse_mask(spec, 48)
    text = str(info.value)
    assert message in text
    assert "\n" not in text and text.strip() == text


def test_format_examples():
    mask = np.zeros(20, dtype=bool)
    assert format_mask(mask) == ""
    mask[[5, 6, 7, 8, 9, 14, 18, 19]] = True
    assert format_mask(mask) == "5-9,14,18-19"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=120).filter(lambda m: not all(m)))
def test_format_parse_round_trip(bits):
    mask = np.array(bits)
    np.testing.assert_array_equal(parse_mask(format_mask(mask), len(mask)), mask)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=60))
def test_mask_runs_are_maximal_and_rebuild_the_mask(bits):
    mask = np.array(bits, dtype=bool)
    runs = mask_runs(mask)
    rebuilt = np.zeros(len(mask), dtype=bool)
    for a, b in runs:
        assert a <= b and not rebuilt[a : b + 1].any()
        rebuilt[a : b + 1] = True
    np.testing.assert_array_equal(rebuilt, mask)
    assert all(b + 1 < a for (_, b), (a, _) in zip(runs, runs[1:])), "runs are maximal: a gap between each"
    assert mask_runs([False, True, True, False, True]) == [(1, 2), (4, 4)]


NAMES = ["snout", "ear_left", "ear_right", "tail"]


@pytest.mark.parametrize("spec, hidden", [
    ("snout:40-70", {0: range(40, 71)}),
    ("tail:5, ear_left: 3-4", {3: [5], 1: [3, 4]}),
    ("10-12, snout:1", {0: [1, 10, 11, 12], 1: [10, 11, 12], 2: [10, 11, 12], 3: [10, 11, 12]}),
])
def test_per_part_masks_parse_and_round_trip(spec, hidden):
    mask = parse_mask(spec, 100, names=NAMES)
    assert mask.shape == (100, 4)
    expected = np.zeros((100, 4), bool)
    for k, frames in hidden.items():
        expected[list(frames), k] = True
    np.testing.assert_array_equal(mask, expected)
    np.testing.assert_array_equal(parse_mask(format_mask(mask, NAMES), 100, names=NAMES), mask)


@pytest.mark.parametrize("spec, message", [
    ("nose:1-3", "there is no part 'nose'; the parts are snout, ear_left, ear_right, tail"),
    ("snout:0-99", "hides every frame of 'snout'"),
    ("snout:x", "'x' is not a frame number"),
    ("snout:90-120", "frame 120 is out of range"),
])
def test_per_part_mask_errors_are_one_line(spec, message):
    with pytest.raises(MaskError, match=message) as e:
        parse_mask(spec, 100, names=NAMES)
    assert "\n" not in str(e.value)


def test_a_part_named_without_parts_to_name_is_refused():
    with pytest.raises(MaskError, match="no parts to name"):
        parse_mask("snout:3", 10)


@pytest.mark.parametrize("n", [3, 12, 48, 500])
@pytest.mark.parametrize("seed", range(5))
def test_occlude_hides_one_part_for_a_stretch_inside_the_clip(n, seed):
    mask = task_mask("occlude", n, seed=seed, n_objects=4)
    assert mask.shape == (n, 4)
    parts = np.flatnonzero(mask.any(axis=0))
    assert len(parts) == 1
    (a, b), = mask_runs(mask[:, parts[0]])
    assert 0 < a and b < n - 1 and (b - a + 1) <= max(1, n // 2)
    if n >= 48:
        assert 10 <= b - a + 1 <= 60
    np.testing.assert_array_equal(parse_mask("occlude", n, seed=seed, names=NAMES), mask)
