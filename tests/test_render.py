"""Rendering and reading back: the round trip, the framing's blindness to hidden frames, warping, object groups."""

from __future__ import annotations

import numpy as np
import pytest

import kinviz
from kinviz.videomodel.render import MODEL_SIZE, Framing, object_groups, readout, render, warp

EXAMPLES = sorted(p for p in kinviz.EXAMPLES_DIR.glob("*.csv") if p.name != "index.csv")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("size", [MODEL_SIZE, 64])
def test_round_trip_every_example_within_005_px(path, size):
    traj = kinviz.load_csv(path)
    for group in object_groups(traj.n_objects):
        pos = traj.positions[:, group]
        observed = np.isfinite(pos).all(-1)
        framing = Framing.from_observed(pos, observed, size)
        back, conf = readout(render(pos, framing), framing, len(group))
        err_px = np.linalg.norm(framing.to_pixels(back) - framing.to_pixels(pos), axis=-1)[observed]
        assert err_px.max() < 0.05, f"{path.name}: {err_px.max():.4f} px"
        assert (conf[observed] > 0.9).all()
        assert np.isnan(back[~observed]).all() and (conf[~observed] == 0).all()


def test_objects_own_channels_even_when_overlapping():
    pos = np.array([[[0.0, 0.0], [0.05, 0.0], [1.0, 1.0]]] * 4)  # first two nearly on top of each other
    framing = Framing.from_observed(pos, np.ones((4, 3), bool))
    back, _ = readout(render(pos, framing), framing, 3)
    assert np.abs(framing.to_pixels(back) - framing.to_pixels(pos)).max() < 0.05


def test_hidden_positions_never_change_visible_pixels():
    rng = np.random.default_rng(1)
    pos = rng.normal(size=(12, 2, 2)).cumsum(0)
    hidden = np.zeros(12, bool)
    hidden[4:8] = True
    changed = pos.copy()
    changed[hidden] = rng.normal(scale=100, size=(4, 2, 2))
    frames = []
    for p in (pos, changed):
        framing = Framing.from_observed(p, ~hidden[:, None].repeat(2, 1))
        frames.append(render(p, framing, hidden=hidden))
    np.testing.assert_array_equal(frames[0], frames[1])
    assert not frames[0][hidden].any(), "hidden frames are blank"


def test_framing_leaves_margin_for_motion_beyond_observed_extent():
    pos = np.stack([np.linspace(0, 1, 10), np.zeros(10)], -1)[:, None]  # moves right
    framing = Framing.from_observed(pos, np.ones((10, 1), bool))
    beyond = framing.to_pixels(np.array([1.4, 0.0]))  # 40 % further than seen
    assert 0 < beyond[0] < MODEL_SIZE - 1


def test_motionless_object_gets_a_finite_framing():
    pos = np.full((5, 1, 2), 3.0)
    framing = Framing.from_observed(pos, np.ones((5, 1), bool))
    assert np.isfinite(framing.scale) and framing.scale > 0
    back, _ = readout(render(pos, framing), framing, 1)
    np.testing.assert_allclose(back, pos, atol=1e-5)


@pytest.mark.parametrize("dst_size", [32, 64, 96])
def test_warp_moves_blobs_to_the_other_framing(dst_size):
    rng = np.random.default_rng(2)
    pos = rng.normal(size=(6, 1, 2))
    src = Framing.from_observed(pos, np.ones((6, 1), bool), 32)
    dst = Framing(src.cx + 0.3, src.cy - 0.2, src.scale * 0.7 * dst_size / 32, dst_size)
    moved, _ = readout(warp(render(pos, src), src, dst), dst, 1)
    err = np.linalg.norm(dst.to_pixels(moved) - dst.to_pixels(pos), axis=-1)
    assert err.max() < 0.3


@pytest.mark.parametrize("k", [1, 3, 4, 7, 16])
def test_object_groups_cover_every_object_once(k):
    groups = object_groups(k)
    assert sorted(i for g in groups for i in g) == list(range(k))
    assert all(1 <= len(g) <= 3 for g in groups)
