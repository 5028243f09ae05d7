"""The model machinery on a tiny configuration: fusing the model with the smoother, tuning, the forecast
gate, the work per request and each kind of gap's budget (training and decoding: test_model.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import kinviz
from kinviz.inference.predict import Predictor
from modelhelp import simulated as _traj


def _samples(values):  # (S,) y-values of one cell's samples -> (S, 1, 2) positions at x = 0
    return np.stack([np.zeros(len(values)), np.asarray(values, float)], -1)[:, None]


def test_fusion_weighs_the_model_and_the_smoother_by_their_variances():
    from kinviz.inference.fusion import fuse

    dec = (1.0, 0.0)  # (model_scale, pixel_floor)
    smooth, conf = np.zeros((1, 2)), np.ones((4, 1))
    agree = _samples([1.0, 1.0, 1.0, 1.0])
    wide = _samples([-1.0, 3.0, -1.0, 3.0])  # mean 1, variance 16/3 per axis on y
    # The smoother unsure (variance 100), the samples agreeing: the model's answer stands.
    fused, var, share, ok = fuse(agree, conf, smooth, np.full((1, 2), 100.0), 1.0, (1.0, 0.1))
    assert ok.all() and fused[0, 1] == pytest.approx(1.0, abs=1e-3) and var[0, 1] == pytest.approx(0.01, rel=1e-3)
    # Equal variances: halfway. The samples' spread is the model's variance.
    v = 16 / 3
    fused, var, share, ok = fuse(wide, conf, smooth, np.full((1, 2), v), 1.0, dec)
    assert fused[0, 1] == pytest.approx(0.5) and var[0, 1] == pytest.approx(v / 2)
    # A sure smoother (variance 0, e.g. a track that never moves) keeps its own answer.
    fused, *_ = fuse(wide, conf, smooth, np.zeros((1, 2)), 1.0, dec)
    assert fused[0, 1] == 0.0
    # A smoother without a variance (too few points): the model alone.
    fused, *_ = fuse(agree, conf, smooth, np.full((1, 2), np.nan), 1.0, dec)
    assert fused[0, 1] == pytest.approx(1.0)
    # The calibration scales the model's variance: a larger scale trusts the model less.
    hi, *_ = fuse(wide, conf, smooth, np.full((1, 2), v), 1.0, (4.0, 0.0))
    assert hi[0, 1] == pytest.approx(0.2)
    # A fixed share overrides the variances (the benchmark's ablation).
    fixed, *_ = fuse(wide, conf, smooth, np.full((1, 2), v), 1.0, dec, weight=1.0)
    assert fixed[0, 1] == pytest.approx(1.0)
    # Fewer than half the samples readable: unusable, the smoother stands in.
    _, _, _, ok = fuse(agree, np.array([[1.0], [0.0], [0.0], [0.0]]), smooth, np.ones((1, 2)), 1.0, dec)
    assert not ok.any()


def test_strided_gaps_are_the_smoother_plus_the_models_correction(tiny_checkpoint):
    p = Predictor.load(tiny_checkpoint, device="cpu")
    t = np.arange(60.0)
    traj = kinviz.from_arrays(t, np.stack([np.cos(t / 9), np.sin(t / 7)], -1)[:, None])
    mask = (t >= 15) & (t < 45)  # 30 frames: a strided window
    draw = p.draw(traj, mask, seed=0)
    (w,) = draw.windows
    assert w.frames[1] - w.frames[0] > 1
    pred = p.assemble(draw)
    off = np.setdiff1d(w.targets, w.frames)
    correction = pred.positions[:, 0] - draw.smooth[:, 0]
    on = np.intersect1d(w.targets, w.frames)
    anchors = np.union1d(on, np.flatnonzero(~mask))
    for axis in range(2):  # between grid frames the correction is linear in frame index
        np.testing.assert_allclose(correction[off, axis], np.interp(off, anchors, correction[anchors, axis]), atol=1e-9)
    # The smoother alone (share 0) is exactly the Kalman baseline.
    alone = p.assemble(draw, weight=0.0)
    np.testing.assert_allclose(alone.positions, kinviz.fill_baseline("kalman", traj.times, traj.positions, mask))
    assert (pred.spread[mask] > 0).all() and (pred.spread[~mask] == 0).all()


def test_training_ends_by_calibrating_the_fusion_on_its_own_split(tiny_checkpoint):
    meta = kinviz.read_meta(tiny_checkpoint)
    tuning = meta["decoding_tuning"]
    assert meta["view"] == "hybrid" and Predictor.load(tiny_checkpoint, device="cpu").view == "hybrid"
    for task, keys in (("interpolate", ("model_scale", "pixel_floor")), ("forecast", ("model_scale_end", "pixel_floor_end"))):
        best = min(tuning["grid"][task], key=lambda row: row["video"])
        for key in keys:
            assert meta["decoding"][key] == tuning[key] == best[key]
    assert "seed 555" in tuning["split"] and "shrink" not in meta["decoding"]


def test_the_tuning_split_pairs_each_simulated_trajectory_with_a_noisy_copy():
    from kinviz.training.generate import FAMILIES
    from kinviz.training.splits import tuning_split

    split = tuning_split(1)
    clean, noisy = split[: len(FAMILIES)], split[len(FAMILIES) :]
    assert len(clean) == len(noisy) == len(FAMILIES)
    for (family, a), (label, b) in zip(clean, noisy):
        assert label == f"{family} (noisy)"
        np.testing.assert_array_equal(a.times, b.times)
        jitter = np.abs(b.positions - a.positions).max() / np.ptp(a.positions.reshape(-1, 2), axis=0).max()
        assert 0 < jitter < 0.2  # sigma within training's range of the extent, a few sigma at most
    assert [t.positions.tolist() for _, t in tuning_split(1)] == [t.positions.tolist() for _, t in split]  # seeded


def test_tune_scores_each_setting_and_leaves_the_decoding_as_it_was(tiny_checkpoint, tmp_path):
    from kinviz.core.masks import task_mask
    from kinviz.core.metrics import trajectory_metrics
    from kinviz.training.splits import tuning_split
    from kinviz.training.tune import tune_decoding, write_decoding

    p = Predictor.load(tiny_checkpoint, device="cpu")
    before = p.decoding
    result = tune_decoding(p, per_family=1, scales=(0.5, 4.0), floors=(0.5, 2.0), log=lambda line: None)
    assert p.decoding == before
    assert [(r["model_scale_end"], r["pixel_floor_end"]) for r in result["grid"]["forecast"]] == [
        (s, f) for s in (0.5, 4.0) for f in (0.5, 2.0)]
    # A grid value's score is what predict gives with that value set: the paired read-back is exact.
    best = min(result["grid"]["forecast"], key=lambda r: r["video"])
    p.decoding = replace(p.decoding, model_scale_end=best["model_scale_end"], pixel_floor_end=best["pixel_floor_end"])
    errors = []
    for _, traj in tuning_split(1):
        pred = p.fill_video(traj, task_mask("forecast", traj.n_frames), seed=0)  # the video fill tune scores
        errors.append(trajectory_metrics(traj.positions, pred.positions, pred.filled & ~traj.missing)["ade_pct"])
    assert float(np.mean(errors)) == pytest.approx(best["video"], abs=1e-3)
    copy = tmp_path / "c.safetensors"
    copy.write_bytes(tiny_checkpoint.read_bytes())
    copy.with_suffix(".json").write_text(tiny_checkpoint.with_suffix(".json").read_text())
    write_decoding(copy, result | {"model_scale": 3.0, "pixel_floor": 0.7, "model_scale_end": 5.0, "pixel_floor_end": 0.2})
    loaded = Predictor.load(copy, device="cpu").decoding
    assert (loaded.calibration(True), loaded.calibration(False)) == ((3.0, 0.7), (5.0, 0.2))


def test_training_clips_draw_the_forecast_lines_fit_and_are_rendered_on_that_line():
    from kinviz.training.data import make_clip, render_clip
    from kinviz.videomodel.render import render
    from kinviz.videomodel.view import FITS, Camera

    rng = np.random.default_rng(0)
    t = np.arange(12.0)
    pos = np.stack([t, 0.5 * t], -1)[:, None] + rng.normal(size=(12, 1, 2)) * 0.05  # nearly straight, jittered
    hidden = t >= 9
    clips = [make_clip(pos, hidden, rng, gate=(0.3, 0.3), fits=FITS) for _ in range(40)]
    assert {c.fit for c in clips} == set(FITS)
    assert {make_clip(pos, hidden, rng).fit for _ in range(5)} == {2}  # the earlier recipe
    for c in clips[:6]:  # straight enough for the gate: the tracking camera, on the line fitted to c.fit frames
        camera = Camera.tracking(c.positions, ~c.hidden, c.run, fit=c.fit)
        np.testing.assert_array_equal(render_clip(c), render(c.positions, camera))


def test_the_gate_draws_straight_forecasts_with_the_tracking_camera(tiny_checkpoint):
    from kinviz.videomodel.view import Camera

    p = Predictor.load(tiny_checkpoint, device="cpu")
    t = np.arange(24.0)
    straight = kinviz.from_arrays(t, np.stack([0.5 * t, 0.2 * t], -1)[:, None])
    curved = kinviz.from_arrays(t, np.stack([np.cos(t / 5), np.sin(t / 5)], -1)[:, None])
    mask = np.arange(24) >= 18
    for traj, kind in ((straight, "tracking"), (curved, "still")):
        draw = p.draw(traj, mask, seed=0, straight=0.05)
        (w,), (camera,) = draw.windows, draw.cameras
        pos = np.full((len(w.frames), 3, 2), np.nan)
        pos[:, :1] = np.where(draw.observed[w.frames][..., None], traj.positions[w.frames], np.nan)
        reference = (Camera.tracking(pos, ~w.hidden, w.run, fit=p.decoding.fit) if kind == "tracking"
                     else Camera.still(pos, ~w.hidden))
        np.testing.assert_array_equal(camera.origin, reference.origin)


def test_work_per_request_is_bounded_with_a_message_and_mini_batches_keep_results(tiny_checkpoint, monkeypatch):
    import kinviz.inference.videofill as predict_module

    p = Predictor.load(tiny_checkpoint, device="cpu")
    traj = _traj(60, 2)
    mask = kinviz.task_mask("random", 60, seed=3)
    whole = p.predict(traj, mask, seed=1)
    monkeypatch.setattr(predict_module, "BATCH_ROWS", 1)  # one window-sample per forward pass
    chunked = p.predict(traj, mask, seed=1)
    assert np.all(np.isfinite(chunked.positions)) and chunked.positions.shape == whole.positions.shape
    n = len(p.draw(traj, mask, seed=1).windows)
    monkeypatch.setattr(predict_module, "MAX_WINDOWS", n - 1)
    with pytest.raises(kinviz.MaskError, match=f"{n} model windows.*hide fewer frames or split the file"):
        p.predict(traj, mask, seed=1)


def test_a_track_the_smoother_cannot_fit_is_filled_and_says_why(untrained_predictor):
    t = np.arange(12.0)
    pos = np.stack([t, 0.5 * t], -1)[:, None].repeat(2, axis=1)
    pos[1:10, 1] = np.nan  # the second object: seen on 3 frames only
    pred = untrained_predictor.predict(kinviz.from_arrays(t, pos), np.isin(np.arange(12), [4, 5]), seed=0)
    assert np.isfinite(pred.positions).all()
    assert len(pred.notes) == 2 and all("too few" in n for n in pred.notes)  # x and y of that object
    np.testing.assert_array_equal(pred.positions[[0, 10, 11], 1], pos[[0, 10, 11], 1])


def test_each_kind_of_gap_decodes_with_its_own_budget(untrained_predictor, monkeypatch):
    """Windows around inner gaps take ``Decoding.samples``, windows at either end ``samples_end``;
    both take ``Decoding.steps``, or the steps asked for."""
    import copy

    import kinviz.inference.videofill as predict_module

    p = copy.copy(untrained_predictor)
    p.decoding = replace(p.decoding, steps=2, samples=3, samples_end=1)
    calls, decode = [], predict_module.maskgit_decode

    def spy(model, digits, unknown, task, **kw):
        calls.append((len(digits), kw["steps"], kw["samples"]))
        return decode(model, digits, unknown, task, **kw)

    monkeypatch.setattr(predict_module, "maskgit_decode", spy)
    traj = _traj(40, 1)
    mask = np.zeros(40, bool)
    mask[[10, 11, 36, 37, 38, 39]] = True  # one inner gap, one at the end
    p.fill_video(traj, mask)
    assert calls == [(1, 2, 3), (1, 2, 1)]
    calls.clear()
    p.fill_video(traj, mask, steps=5)
    assert calls == [(1, 5, 3), (1, 5, 1)]


def test_short_inner_gaps_are_the_smoothers_and_flagged(untrained_predictor):
    """Cells of inner gaps shorter than ``min_inner_gap`` are the smoother's alone (share 0,
    ``smoother_only``, not ``fallback``); a longer gap goes to the model."""
    import copy

    p = copy.copy(untrained_predictor)
    p.decoding = replace(p.decoding, min_inner_gap=9)
    traj = _traj(60, 1)
    mask = np.zeros(60, bool)
    mask[10:13] = True  # 3 frames: the smoother's
    mask[30:40] = True  # 10 frames: the model's
    pred = p.predict(traj, mask, compare=True)  # the video model drawn at every hidden cell it may fill
    assert pred.smoother_only[10:13, 0].all() and not pred.smoother_only[30:40].any()
    assert not pred.fallback[10:13].any() and (pred.weight[10:13] == 0).all()
    np.testing.assert_allclose(pred.positions[10:13], pred.smoother[10:13])
    assert pred.smoother_only.sum() == 3
