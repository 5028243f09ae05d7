"""Per-part gaps: the co-visible parts' fit, which parts are drawn together, and per-part masks through the predictor."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import kinviz
from kinviz.classical import covisible
from kinviz.training.bodies import BODY_FAMILIES, simulate_body
from kinviz.videomodel.checkpoint import CheckpointError, Decoding, json_path, load_checkpoint
from kinviz.core.errors import MaskError
from kinviz.inference.fusion import between_grid
from kinviz.videomodel.groups import partners, plan_groups
from kinviz.inference.videofill import window_generator
from kinviz.training.splits import body_split
from kinviz.training.tune import FLOORS, SCALES
from kinviz.videomodel.windows import Window


@pytest.mark.parametrize("family", BODY_FAMILIES)
@pytest.mark.parametrize("n", [4, 16, 120])
def test_bodies_are_finite_and_named(family, n):
    s = simulate_body(family, np.random.default_rng(n), n_frames=n)
    assert s.positions.shape == (n, len(s.names), 2) and np.isfinite(s.positions).all()
    assert len(set(s.names)) == len(s.names) >= 3


def test_covisible_fill_is_exact_for_a_rigid_body_under_any_turn():
    rng = np.random.default_rng(0)
    offsets = rng.normal(size=(5, 2))
    angle = np.linspace(0, 3 * np.pi, 50)  # one and a half turns while a marker is lost
    rot = np.stack([np.stack([np.cos(angle), -np.sin(angle)], -1), np.stack([np.sin(angle), np.cos(angle)], -1)], -2)
    pos = np.einsum("tij,kj->tki", rot, offsets) + np.linspace(0, 10, 50)[:, None, None]
    known = pos.copy()
    known[10:40, 3] = np.nan
    mean, var = covisible.fill(known)
    np.testing.assert_allclose(mean, pos, atol=1e-9)
    assert (var[10:40, 3] < 1e-12).all() and (var[~np.isnan(known)] == 0).all()


def test_covisible_has_no_answer_without_two_co_visible_parts():
    known = np.random.default_rng(1).normal(size=(20, 3, 2))
    known[5:9, 0] = np.nan
    known[6, 1] = np.nan  # at frame 6 only one other part is seen: no similarity to carry part 0 by
    mean, _ = covisible.fill(known)
    assert np.isnan(mean[6, 0]).all() and np.isfinite(mean[[5, 7, 8], 0]).all()
    mean2, _ = covisible.fill(known[:, :2])  # two parts: never
    assert np.isnan(mean2[5:9, 0]).all()


def test_partners_are_the_nearest_parts_seen_while_one_is_lost():
    known = np.zeros((10, 5, 2))
    known[:, :, 0] = [0.0, 1.0, 5.0, 2.0, 9.0]
    observed = np.ones((10, 5), bool)
    observed[3:6, 0] = False
    observed[3:6, 1] = False  # the nearest part is lost at the same time: it tells nothing there
    assert partners(known, observed, 0) == [3, 2]


def test_plan_groups_fill_each_part_once_with_partners_drawn_beside_it():
    known = np.random.default_rng(2).normal(size=(30, 8, 2))
    observed = np.ones((30, 8), bool)
    observed[5:15, 2] = observed[20:25, 6] = False
    groups = plan_groups(known, observed)
    filled = [k for _, answers in groups for k in answers]
    assert sorted(filled) == [2, 6] and all(len(drawn) == 3 and answers[0] == drawn[0] for drawn, answers in groups)
    assert plan_groups(known[:, :3], observed[:, :3]) == [([0, 1, 2], [0, 1, 2])]  # up to three: as before


def test_occlude_fills_a_lost_part_from_its_partners_far_better_than_the_smoother(predictor):
    errors = {"kinviz": [], "kalman": [], "covisible": [], "regression": []}
    for _, traj in body_split(1)[:3]:
        mask = kinviz.task_mask("occlude", traj.n_frames, seed=1, n_objects=traj.n_objects)
        assert mask.shape == (traj.n_frames, traj.n_objects) and mask.sum(0).astype(bool).sum() == 1
        pred = predictor.predict(traj, mask, seed=0)
        np.testing.assert_array_equal(pred.positions[~mask], traj.positions[~mask])  # every other cell as given
        result = kinviz.score(pred, with_video=False)
        for m in errors:
            errors[m].append(result.metrics[m]["ade_pct"])
    assert np.mean(errors["covisible"]) < 0.6 * np.mean(errors["kalman"])
    assert np.mean(errors["kinviz"]) < 0.6 * np.mean(errors["kalman"])  # the self-check finds the co-visible fills


def test_a_mask_that_hides_every_seen_frame_of_a_part_is_refused_in_one_line(untrained_predictor):
    pos = np.random.default_rng(3).normal(size=(20, 2, 2)).cumsum(0)
    pos[:5, 1] = pos[9:, 1] = np.nan  # the tracker saw part 1 in frames 5-8 only
    traj = kinviz.from_arrays(np.arange(20.0), pos)
    with pytest.raises(MaskError, match="hides every frame in which 'y2'|hides every frame in which"):
        untrained_predictor.predict(traj, kinviz.parse_mask("5-8", 20))


def test_a_window_fill_does_not_depend_on_gaps_elsewhere(untrained_predictor):
    pos = np.random.default_rng(4).normal(size=(100, 1, 2)).cumsum(0)
    traj = kinviz.from_arrays(np.arange(100.0), pos)
    alone = untrained_predictor.draw(traj, kinviz.parse_mask("81-99", 100), seed=0)
    with_other = untrained_predictor.draw(traj, kinviz.parse_mask("20-35,81-99", 100), seed=0)
    last = lambda d: next(i for i, w in enumerate(d.windows) if w.targets[-1] == 99)  # noqa: E731
    a, b = alone.windows[last(alone)], with_other.windows[last(with_other)]
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(alone.decoded[last(alone)], with_other.decoded[last(with_other)])
    w = Window([0], np.arange(16), np.zeros(16, bool), np.arange(3), (0, 2))
    assert window_generator(0, w, 0).initial_seed() != window_generator(0, w, 1).initial_seed()


def test_skipped_frames_between_unread_grid_frames_stay_the_priors():
    observed = np.zeros((30, 1), bool)
    observed[:5] = observed[25:] = True
    window = Window([0], np.arange(0, 30, 2), ~observed[::2, 0], np.arange(5, 25), (3, 12))
    for read in ([], [6, 8]):  # no grid frame read back, then two
        from_model = np.zeros((30, 1), bool)
        from_model[read, 0] = True
        correction, share = np.zeros((30, 1, 2)), np.zeros((30, 1))
        correction[read, 0] = np.array([[1.0, 1.0], [3.0, 3.0]])[: len(read)].reshape(-1, 2)
        between_grid(correction, share, from_model, observed, [window])
        skipped = np.arange(5, 25, 2)
        if not read:  # the fill there is the prior's: the model must not be credited (nor fallback undercounted)
            assert not from_model[skipped, 0].any() and not correction[skipped].any()
        else:
            assert from_model[7, 0] and correction[7, 0, 0] == 2.0


def test_decoding_defaults_are_the_shipped_settings_and_unknown_ones_are_refused():
    shipped = kinviz.read_meta()["decoding"]
    assert Decoding() == Decoding.from_dict(shipped)
    with pytest.raises(CheckpointError, match="unknown settings \\(pixel_flor\\)"):
        Decoding.from_dict(shipped | {"pixel_flor": 2})


def test_the_shipped_calibration_is_inside_its_grid():
    tuned = kinviz.read_meta()["decoding"]
    for key in ("model_scale", "model_scale_end"):
        assert min(SCALES) < tuned[key] < max(SCALES), key
    for key in ("pixel_floor", "pixel_floor_end"):
        assert min(FLOORS) < tuned[key] < max(FLOORS), key


def test_an_edited_record_is_refused(tmp_path):
    for src in (kinviz.DEFAULT_PATH, json_path(kinviz.DEFAULT_PATH)):
        shutil.copy(src, tmp_path / src.name)
    path = tmp_path / kinviz.DEFAULT_PATH.name
    load_checkpoint(path)  # as shipped: loads
    meta = json.loads(json_path(path).read_text())
    meta["decoding"]["pixel_floor"] = 0.5
    json_path(path).write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="record was edited"):
        load_checkpoint(path)
