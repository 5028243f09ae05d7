"""The model's view: cameras that track the linear baseline or stand still, read back through them, blind to hidden frames."""

from __future__ import annotations

import numpy as np
import pytest

import kinviz
from kinviz.videomodel.render import MODEL_SIZE, readout, render
from kinviz.videomodel.view import Camera, bend, chord_anchors, reference_line


def _curve(n=16, k=3, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)[:, None]
    return np.stack([rng.normal(size=k) * t + rng.normal(size=k) * 0.05 * t**2,
                     rng.normal(size=k) * t - 0.1 * rng.random(k) * t**2], axis=-1)  # (n, k, 2)


@pytest.mark.parametrize("gap", [(5, 9), (12, 15), (0, 3), (7, 7)])
def test_camera_round_trip_within_005_px(gap):
    pos = _curve()
    visible = np.ones(16, bool)
    visible[gap[0] : gap[1] + 1] = False
    camera = Camera.tracking(pos, visible, gap)
    px = camera.to_pixels(pos)
    inside = ((px > 3) & (px < MODEL_SIZE - 4)).all(-1)  # blobs the frame holds whole
    back, conf = readout(render(pos, camera), camera, 3)
    err_px = np.linalg.norm(camera.to_pixels(back) - px, axis=-1)[inside]
    assert inside[visible].all(), "every observed position is in view"
    assert err_px.max() < 0.05
    np.testing.assert_allclose(camera.to_world(px), pos, atol=1e-9)


@pytest.mark.parametrize("gap", [(5, 9), (12, 15), (0, 3)])
def test_a_blob_left_at_the_frame_centre_is_the_linear_baseline(gap):
    pos = _curve(seed=3)
    visible = np.ones(16, bool)
    visible[gap[0] : gap[1] + 1] = False
    camera = Camera.tracking(pos, visible, gap)
    centre = np.full((16, 3, 2), (MODEL_SIZE - 1) / 2)
    linear = kinviz.fill_baseline("linear", np.arange(16.0), np.where(visible[:, None, None], pos, np.nan), ~visible)
    gap_frames = slice(gap[0], gap[1] + 1)
    np.testing.assert_allclose(camera.to_world(centre)[gap_frames], linear[gap_frames], atol=1e-9)


@pytest.mark.parametrize("gap", [(12, 15), (0, 3)])
@pytest.mark.parametrize("fit", [3, 4, 6])
def test_a_forecast_camera_with_a_fit_centres_on_constant_velocity_fitted_to_as_many_frames(gap, fit):
    pos = _curve(seed=4)
    visible = np.ones(16, bool)
    visible[gap[0] : gap[1] + 1] = False
    camera = Camera.tracking(pos, visible, gap, fit=fit)
    centre = np.full((16, 3, 2), (MODEL_SIZE - 1) / 2)
    known = np.where(visible[:, None, None], pos, np.nan)
    line = kinviz.fill_baseline("constant_velocity", np.arange(16.0), known, ~visible, fit=fit)
    gap_frames = slice(gap[0], gap[1] + 1)
    np.testing.assert_allclose(camera.to_world(centre)[gap_frames], line[gap_frames], atol=1e-9)
    np.testing.assert_allclose(reference_line(pos, visible, gap, fit), camera.origin, atol=1e-9)


def test_a_fit_leaves_inner_gaps_on_the_chord_and_uniform_motion_on_its_line():
    t = np.arange(16.0)[:, None, None]
    uniform = np.array([[1.0, -2.0], [0.5, 0.5], [-3.0, 1.0]])[None] * t + 7.0  # (16, 3, 2)
    noisy = uniform + np.random.default_rng(0).normal(size=uniform.shape)
    visible = np.ones(16, bool)
    visible[6:10] = False
    np.testing.assert_array_equal(reference_line(noisy, visible, (6, 9), 6), reference_line(noisy, visible, (6, 9), 2))
    visible[6:10], visible[11:] = True, False
    np.testing.assert_allclose(reference_line(uniform, visible, (11, 15), 6), uniform, atol=1e-9)


def test_camera_never_reads_hidden_positions():
    pos = _curve(seed=5)
    visible = np.ones(16, bool)
    visible[6:11] = False
    changed = pos.copy()
    changed[~visible] = 1e4
    a, b = (Camera.tracking(p, visible, (6, 10)) for p in (pos, changed))
    np.testing.assert_array_equal(a.origin, b.origin)
    np.testing.assert_array_equal(a.scale, b.scale)
    np.testing.assert_array_equal(render(pos, a, hidden=~visible), render(changed, b, hidden=~visible))


def test_camera_zooms_so_observed_deviation_fills_the_central_half():
    pos = _curve(seed=7)
    visible = np.ones(16, bool)
    visible[6:11] = False
    camera = Camera.tracking(pos, visible, (6, 10))
    offset = np.abs(camera.to_pixels(pos) - (MODEL_SIZE - 1) / 2)[visible].max(axis=(0, 2))  # per channel
    np.testing.assert_allclose(offset, MODEL_SIZE / 4)


def test_straight_still_and_lone_objects_get_a_finite_camera():
    t = np.arange(8.0)[:, None]
    pos = np.stack([np.hstack([t, np.zeros_like(t), np.full_like(t, 3.0)]), np.hstack([2 * t, np.zeros_like(t), np.nan * t])], -1)
    visible = np.ones(8, bool)
    visible[3:5] = False
    camera = Camera.tracking(pos, visible, (3, 4))
    assert np.isfinite(camera.scale).all() and (camera.scale > 0).all()
    back, conf = readout(render(pos[:, :2], camera), camera, 2)
    np.testing.assert_allclose(back[visible], pos[visible, :2], atol=1e-3)
    lone = np.zeros(8, bool)
    lone[2] = True
    assert np.isfinite(Camera.tracking(pos, lone, (5, 7)).origin).all()


def test_still_camera_frames_each_observed_extent_and_never_reads_hidden_positions():
    pos = _curve(seed=9)
    visible = np.ones(16, bool)
    visible[12:] = False
    camera = Camera.still(pos, visible)
    assert (camera.origin == camera.origin[:1]).all(), "a still camera does not move"
    px = camera.to_pixels(pos)[visible]
    extent = (px.max(axis=0) - px.min(axis=0)).max(axis=-1)  # (C,) widest side per object, pixels
    np.testing.assert_allclose(extent, MODEL_SIZE / 2)
    changed = pos.copy()
    changed[~visible] = -1e4
    other = Camera.still(changed, visible)
    np.testing.assert_array_equal(camera.origin, other.origin)
    np.testing.assert_array_equal(camera.scale, other.scale)


@pytest.mark.parametrize("view,gap,expected", [
    ("hybrid", (5, 9), "tracking"),  # context on both sides: the linear chord
    ("hybrid", (12, 15), "still"),  # forecast
    ("hybrid", (0, 3), "still"),  # backcast
    ("tracking", (12, 15), "tracking"),  # checkpoints trained before the still view
    ("hybrid-gate", (5, 9), "tracking"),
    ("hybrid-gate", (12, 15), "still"),  # the curve bends more than the gate's threshold
    ("hybrid-loose", (12, 15), "tracking"),  # ... and less than a looser one
])
def test_view_picks_the_camera_by_where_the_gap_sits(view, gap, expected):
    pos = _curve(seed=11)
    visible = np.ones(16, bool)
    visible[gap[0] : gap[1] + 1] = False
    assert 0.01 < bend(pos, visible) < 10
    straight = {"hybrid-loose": 10.0, "hybrid-gate": 0.01}.get(view, 0.0)
    camera = Camera.for_gap(pos, visible, gap, view.split("-")[0], straight=straight)
    reference = getattr(Camera, expected)(pos, visible, gap) if expected == "tracking" else Camera.still(pos, visible)
    np.testing.assert_array_equal(camera.origin, reference.origin)
    np.testing.assert_array_equal(camera.scale, reference.scale)
    with pytest.raises(AssertionError, match="unknown view"):
        Camera.for_gap(pos, visible, gap, "sideways")


def test_bend_measures_departure_from_uniform_straight_motion_on_visible_frames_only():
    t = np.arange(12.0)
    line = np.stack([2 * t + 1, -t], -1)[:, None]  # (12, 1, 2) uniform motion on a line
    visible = np.ones(12, bool)
    visible[8:] = False
    assert bend(line, visible) < 1e-12
    circle = np.stack([np.cos(t / 11 * 2 * np.pi), np.sin(t / 11 * 2 * np.pi)], -1)[:, None]
    assert 0.4 < bend(circle, np.ones(12, bool)) < 1.1
    arc = np.stack([t, 0.02 * t**2], -1)[:, None]  # a gentle curve: small but not zero
    assert 0 < bend(arc, visible) < 0.05
    wild = line.copy()
    wild[~visible] = 1e6  # hidden frames never count
    assert bend(wild, visible) == bend(line, visible)
    both = np.concatenate([line, circle], axis=1)  # the most bent channel decides
    assert bend(both, np.ones(12, bool)) == bend(circle, np.ones(12, bool))
    nan = np.full((12, 1, 2), np.nan)  # an unused channel counts as straight
    assert bend(np.concatenate([line, nan], axis=1), visible) == bend(line, visible)


@pytest.mark.parametrize("visible,run,expected", [
    ("1111000111", (4, 6), (3, 7)),  # interpolate: the frames either side
    ("1111110000", (6, 9), (4, 5)),  # forecast: the last two before
    ("0000111111", (0, 3), (4, 5)),  # backcast: the first two after
    ("0001000000", (4, 9), (3, 3)),  # one visible frame: a still camera
])
def test_chord_anchors_are_the_linear_baselines_points(visible, run, expected):
    assert chord_anchors(np.array([c == "1" for c in visible]), run) == expected
