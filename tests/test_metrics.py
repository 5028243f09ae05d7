import math

import numpy as np
import pytest

from kinviz.core.errors import MaskError
from kinviz.core.metrics import (
    mean_over_examples,
    position_errors,
    scene_diagonal,
    trajectory_metrics,
    video_metrics,
)

KEYS = {"ade", "fde", "rmse", "max", "ade_pct", "fde_pct", "rmse_pct", "max_pct", "n_cells"}


def small_case():
    """Two objects, three frames; the scene's bounding box is 4 x 3, so its diagonal is 5."""
    nan = np.nan
    truth = np.array(
        [
            [[0, 0], [0, 3]],
            [[2, 0], [0, 2]],
            [[4, 0], [nan, nan]],  # object 1 has no ground truth in the last frame
        ],
        dtype=float,
    )
    pred = truth.copy()
    pred[0] += [[10, 10], [10, 10]]  # visible frame: wrong, but not scored
    pred[1, 0] += [3, 4]  # error 5
    pred[1, 1] += [1, 0]  # error 1
    pred[2, 0] += [0, 2]  # error 2
    pred[2, 1] = [7, 7]  # no ground truth: not scored
    cells = np.array([[False, False], [True, True], [True, True]])
    return truth, pred, cells


def test_scene_diagonal():
    truth, _, _ = small_case()
    assert scene_diagonal(truth) == pytest.approx(5.0)


@pytest.mark.parametrize(
    "truth", [np.full((3, 2, 2), np.nan), np.ones((4, 1, 2)), np.zeros((0, 3, 2))]
)
def test_scene_diagonal_degenerate_is_tiny_not_zero(truth):
    assert scene_diagonal(truth) == 1e-12


def test_position_errors_hand_computed():
    truth, pred, cells = small_case()
    errors = position_errors(truth, pred, cells)
    np.testing.assert_array_equal(errors, [[np.nan, np.nan], [5, 1], [2, np.nan]])


def test_trajectory_metrics_hand_computed():
    truth, pred, cells = small_case()
    m = trajectory_metrics(truth, pred, cells)
    assert set(m) == KEYS
    assert m["n_cells"] == 3
    assert m["ade"] == pytest.approx(8 / 3)
    assert m["fde"] == pytest.approx((2 + 1) / 2)  # object 0 at frame 2, object 1 at frame 1
    assert m["rmse"] == pytest.approx(math.sqrt((25 + 1 + 4) / 3))
    assert m["max"] == pytest.approx(5.0)
    for key in ("ade", "fde", "rmse", "max"):
        assert m[f"{key}_pct"] == pytest.approx(m[key] / 5.0 * 100)


def test_frame_mask_is_broadcast_to_objects():
    truth, pred, cells = small_case()
    assert trajectory_metrics(truth, pred, cells[:, 0]) == trajectory_metrics(truth, pred, cells)


def test_perfect_prediction_scores_zero():
    truth, _, cells = small_case()
    pred = np.nan_to_num(truth, nan=123.0)
    m = trajectory_metrics(truth, pred, cells)
    assert all(m[k] == 0.0 for k in KEYS - {"n_cells"}) and m["n_cells"] == 3


@pytest.mark.parametrize("which", ["no cells", "only missing truth"])
def test_no_ground_truth_gives_nan(which):
    truth, pred, cells = small_case()
    cells = np.zeros_like(cells)
    if which == "only missing truth":
        cells[2, 1] = True
    m = trajectory_metrics(truth, pred, cells)
    assert m["n_cells"] == 0
    assert all(math.isnan(m[k]) for k in KEYS - {"n_cells"})


def test_nan_prediction_in_scored_cell_is_refused():
    truth, pred, cells = small_case()
    pred[1, 0] = np.nan
    with pytest.raises(ValueError, match="1 scored cells"):
        trajectory_metrics(truth, pred, cells)


def test_bad_mask_shape():
    truth, pred, _ = small_case()
    with pytest.raises(MaskError):
        trajectory_metrics(truth, pred, np.ones((2, 2), dtype=bool))


def frames(seed=0, shape=(4, 16, 16, 3)):
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def add_noise(video, sigma, seed=1):
    noise = np.random.default_rng(seed).normal(0, sigma, size=video.shape)
    return np.clip(video + noise, 0, 255).astype(np.uint8)


def test_identical_frames_cap_psnr_and_give_ssim_one():
    video = frames()
    m = video_metrics(video, video.copy(), np.array([False, True, True, False]))
    assert m == {"psnr": 100.0, "ssim": pytest.approx(1.0)}


def test_psnr_of_uniform_error_by_hand():
    video = np.full((2, 8, 8, 3), 100, dtype=np.uint8)
    m = video_metrics(video, video + 1, np.array([True, True]))  # MSE = 1
    assert m["psnr"] == pytest.approx(10 * math.log10(255**2))


@pytest.mark.parametrize("shape", [(3, 16, 16, 3), (3, 5, 9, 3)])
def test_noise_lowers_psnr_and_ssim(shape):
    video = frames(shape=shape)
    hidden = np.array([True, False, True])
    mild = video_metrics(video, add_noise(video, 5), hidden)
    strong = video_metrics(video, add_noise(video, 40), hidden)
    assert 100 > mild["psnr"] > strong["psnr"]
    assert 1 > mild["ssim"] > strong["ssim"]


def test_visible_frames_are_not_scored():
    video = frames()
    pred = video.copy()
    pred[0] = 0
    assert video_metrics(video, pred, np.array([False, True, False, False]))["psnr"] == 100.0


def test_no_hidden_frames_gives_nan():
    video = frames()
    m = video_metrics(video, video, np.zeros(4, dtype=bool))
    assert set(m) == {"psnr", "ssim"} and all(math.isnan(v) for v in m.values())


def test_mean_over_examples():
    rows = [
        {"ade": 1.0, "name": "a", "n_cells": 3, "ok": True},
        {"ade": np.nan, "n_cells": 5, "psnr": np.nan},
        {"ade": 3.0, "fde": np.float32(2.0), "psnr": np.nan},
    ]
    m = mean_over_examples(rows)
    assert list(m) == ["ade", "n_cells", "psnr", "fde", "examples"]
    assert m["ade"] == 2.0 and m["n_cells"] == 4.0 and m["fde"] == 2.0 and m["examples"] == 3
    assert math.isnan(m["psnr"])


def test_mean_over_no_examples():
    assert mean_over_examples([]) == {"examples": 0}


def test_metrics_rows_average():
    truth, pred, cells = small_case()
    row = trajectory_metrics(truth, pred, cells)
    m = mean_over_examples([row, row])
    assert m["examples"] == 2 and m["ade"] == pytest.approx(row["ade"])
