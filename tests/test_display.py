"""Videos for people: one framing, one colour per object, hidden frames blank in the input, the model's own frames in 'pred'."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import kinviz
from kinviz.inference.display import DISPLAY_SIZE, KINDS, PALETTE, colorize, display_framing, object_maps


@pytest.fixture(scope="module")
def prediction(untrained_predictor) -> kinviz.Prediction:
    t = np.arange(30.0)
    paths = [np.stack([np.cos(t / 6 + k), np.sin(t / 5) + k], -1) for k in range(4)]  # four objects: two groups
    traj = kinviz.from_arrays(t, np.stack(paths, 1))
    return untrained_predictor.predict(traj, kinviz.parse_mask("8-13,25-29", 30), seed=0)


@pytest.mark.parametrize("kind", KINDS)
def test_every_video_is_one_uint8_clip_and_a_range_is_its_slice(prediction, kind):
    whole = kinviz.video(prediction, kind)
    assert whole.shape == (30, DISPLAY_SIZE, DISPLAY_SIZE, 3) and whole.dtype == np.uint8
    np.testing.assert_array_equal(kinviz.video(prediction, kind, 5, 12), whole[5:12])


def test_the_input_shows_nothing_of_hidden_frames_and_the_rest_as_given(prediction):
    hidden = prediction.hidden
    shown, truth = kinviz.video(prediction, "input"), kinviz.video(prediction, "truth")
    assert not shown[hidden].any() and truth[hidden].any()
    np.testing.assert_array_equal(shown[~hidden], truth[~hidden])
    assert not kinviz.video(prediction, "error")[~hidden].any(), "observed frames are given exactly"


def test_pred_shows_the_models_frames_where_it_answered(prediction):
    redrawn = colorize(object_maps(prediction.positions, display_framing(prediction)))
    without = replace(prediction, model_frames={})  # nothing the model drew: the filled positions redrawn
    np.testing.assert_array_equal(kinviz.video(without, "pred"), redrawn)
    answered = (prediction.filled & ~prediction.fallback).any(axis=1)
    same = (kinviz.video(prediction, "pred") == redrawn).all(axis=(1, 2, 3))
    assert same[~answered].all()


def test_each_object_has_its_palette_colour():
    framing = kinviz.Framing(0.0, 0.0, 10.0, DISPLAY_SIZE)
    for k in range(5):
        positions = np.full((1, 5, 2), np.nan)
        positions[0, k] = 0.0
        frame = colorize(object_maps(positions, framing))[0].astype(float)
        peak = frame[DISPLAY_SIZE // 2, DISPLAY_SIZE // 2]
        np.testing.assert_allclose(peak / peak.max(), PALETTE[k] / PALETTE[k].max(), atol=0.02)
