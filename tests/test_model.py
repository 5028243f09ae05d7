"""The model machinery on a tiny configuration: training, decoding, inference properties, checkpoints."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import kinviz
from kinviz.videomodel.checkpoint import write_json
from kinviz.training.data import sample_clip, tokenize_clips
from kinviz.videomodel.transformer import task_of
from kinviz.videomodel.maskgit import maskgit_decode
import kinviz.inference.videofill as predict_module
from kinviz.inference.predict import Predictor
from kinviz.videomodel.tokenizer import Tokenizer
from kinviz.training.train import RunConfig, mask_batch, model_configs, train, transformer_loss
from kinviz.videomodel.transformer import MaskedTransformer


def _traj(n=40, k=2, seed=0):
    rng = np.random.default_rng(seed)
    s = kinviz.training.generate.simulate("collision" if k > 1 else "projectile", rng, n_frames=n)
    return kinviz.from_arrays(s.times, s.positions[:, :k])


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    tok_cfg, tr_cfg = model_configs(tiny=True)
    tok = Tokenizer(tok_cfg)
    rng = np.random.default_rng(0)
    pool = tokenize_clips(tok, [sample_clip(rng) for _ in range(16)])
    tr = MaskedTransformer(tr_cfg)
    opt = torch.optim.AdamW(tr.parameters(), lr=3e-3)
    idx = torch.arange(16)
    losses = []
    for step in range(40):
        g = torch.Generator().manual_seed(step % 4)  # a fixed set of masks: the loss must fall on it
        loss, _, _ = transformer_loss(tr, pool, idx, g, "cpu", tr.mask_id)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])


def test_training_masks_only_hidden_frames_tokens():
    digits = torch.randint(0, 8, (6, 16, 4, 4, 8))
    hidden = torch.zeros(6, 16, dtype=torch.bool)
    hidden[:, 5:9] = True
    inputs, masked = mask_batch(digits, hidden, torch.Generator().manual_seed(0), mask_id=8)
    assert not masked[~hidden].any(), "observed tokens are never masked"
    assert (masked.flatten(1).sum(1) >= 1).all()
    assert ((inputs == 8).all(-1) == masked).all()
    torch.testing.assert_close(inputs[~masked], digits[~masked])


@pytest.mark.parametrize("steps", [1, 4, 12])
def test_decoding_fills_every_hidden_token(steps):
    torch.manual_seed(0)
    tr = MaskedTransformer(model_configs(tiny=True)[1]).eval()
    digits = torch.randint(0, 8, (2, 16, 4, 4, 8))
    unknown = torch.zeros(2, 16, 4, 4, dtype=torch.bool)
    unknown[:, 6:11] = True
    calls = []
    out = maskgit_decode(tr, digits, unknown, torch.tensor([0, 2]), steps=steps,
                         generator=torch.Generator().manual_seed(0), on_step=lambda s, n, d: calls.append(s))
    assert (out < 8).all(), "no [MASK] left"
    torch.testing.assert_close(out[~unknown], digits[~unknown])
    assert calls == list(range(steps))


def test_samples_share_the_first_step_and_then_part():
    """samples=S returns S fills per row (sample j of row i at i + j * B): one forward pass for the
    first step, whose input is the same for every sample, then S rows per pass; each keeps the known
    tokens, and the samples differ."""
    torch.manual_seed(0)
    tr = MaskedTransformer(model_configs(tiny=True)[1]).eval()
    digits = torch.randint(0, 8, (2, 16, 4, 4, 8))
    unknown = torch.zeros(2, 16, 4, 4, dtype=torch.bool)
    unknown[:, 6:11] = True
    rows = []
    hook = tr.register_forward_pre_hook(lambda m, args: rows.append(len(args[0])))
    try:
        out = maskgit_decode(tr, digits, unknown, torch.tensor([0, 2]), steps=3, samples=4,
                             generator=torch.Generator().manual_seed(0))
    finally:
        hook.remove()
    assert rows == [2, 8, 8] and out.shape == (8, 16, 4, 4, 8)
    for j in range(4):
        torch.testing.assert_close(out[2 * j : 2 * j + 2][~unknown], digits[~unknown])
    assert not torch.equal(out[0], out[2]), "two samples of one row drew the same fill"


def test_digits_and_codes_round_trip_through_fsq():
    tok = Tokenizer(model_configs(tiny=True)[0]).eval()
    levels = torch.tensor(tok.cfg.levels)
    g = torch.Generator().manual_seed(0)
    digits = (torch.rand(5, 4, 4, len(levels), generator=g) * levels).long()
    digits[0, 0, 0], digits[0, 0, 1] = 0, levels - 1  # the grid's corners
    codes = tok.codes(digits)
    assert codes.shape == (5, len(levels), 4, 4) and codes.abs().max() <= 1
    assert torch.equal(tok.digits(codes), digits)
    frames = torch.rand(3, 3, 32, 32, generator=g)
    q, _ = tok.fsq(tok.encoder(frames))  # the continuous path's quantised codes
    assert torch.equal(tok.codes(tok.encode(frames)), q), "the digits are exactly the quantiser's codes"


def test_transformer_config_drops_retired_settings_only():
    from kinviz.videomodel.transformer import TransformerConfig

    recorded = TransformerConfig().to_dict()
    assert TransformerConfig.from_dict(recorded | {"dropout": 0.0}) == TransformerConfig()  # older checkpoints
    with pytest.raises(TypeError):
        TransformerConfig.from_dict(recorded | {"wings": 2})


def test_task_token_follows_the_gap_shape():
    h = np.zeros(16, bool)
    h[5:9] = True
    assert task_of(h) == "interpolate"
    h[:] = False
    h[12:] = True
    assert task_of(h) == "forecast"
    h[2] = True
    assert task_of(h) == "arbitrary"


def test_prediction_is_finite_keeps_observed_cells_and_is_reproducible(tiny_checkpoint):
    p = Predictor.load(tiny_checkpoint, device="cpu")
    traj = _traj(40, 2)
    mask = kinviz.parse_mask("10-19,33", 40)
    a = p.predict(traj, mask, seed=3)
    b = p.predict(traj, mask, seed=3)
    assert np.isfinite(a.positions).all()
    np.testing.assert_array_equal(a.positions[~mask], traj.positions[~mask])
    np.testing.assert_array_equal(a.positions, b.positions)
    assert a.filled[mask].all() and not a.filled[~mask].any()


def test_missing_cells_are_always_predicted(tiny_checkpoint):
    p = Predictor.load(tiny_checkpoint, device="cpu")
    traj = kinviz.load_csv(b"time,x,y\n0,0,0\n1,1,1\n2,,\n3,3,3\n4,4,4\n5,5,5\n")
    pred = p.predict(traj)
    assert pred.filled[2, 0] and pred.filled.sum() == 1 and np.isfinite(pred.positions).all()
    out = kinviz.load_csv(pred.to_csv())
    assert np.isfinite(out.positions).all()


@pytest.mark.parametrize("n,k", [(4, 1), (16, 3), (37, 4), (300, 1)])
def test_any_length_and_object_count(tiny_checkpoint, n, k):
    p = Predictor.load(tiny_checkpoint, device="cpu")
    traj = _traj(n, min(k, 3))
    pos = np.concatenate([traj.positions] * 2, axis=1)[:, :k] if k > 3 else traj.positions
    traj = kinviz.from_arrays(traj.times, pos)
    mask = kinviz.task_mask("forecast", n)
    steps = []
    pred = p.predict(traj, mask, on_step=lambda s, total, idx, frames, estimate: steps.append(
        (s, total, len(idx), frames.shape, estimate)))
    assert np.isfinite(pred.positions).all()
    total = p.decoding.steps  # a few stages of the decoding, evenly spaced, the last included
    assert [s for s, *_ in steps][-1] == total - 1 and all(t == total for _, t, *_ in steps)
    assert len(steps) == min(total, predict_module.PREVIEW_STAGES) and steps[0][3][1:] == (32, 32, 3)
    estimate = steps[-1][4]  # (T, K, 2): readings on hidden cells only, never on what the model was given
    assert estimate.shape == (n, k, 2) and not np.isfinite(estimate[~mask]).any()


def test_the_live_estimate_is_the_drawing_read_back(tiny_checkpoint):
    """The preview's last stage shows what ``assemble`` reads from the first sample: the same drawing, read the
    same way (before it is fused with the smoother), on the cells the window fills."""
    p = Predictor.load(tiny_checkpoint, device="cpu")
    traj = _traj(40, 2)
    mask = kinviz.task_mask("interpolate", 40)
    stages = []
    draw = p.draw(traj, mask, seed=3, on_step=lambda s, total, idx, frames, estimate: stages.append(estimate))
    w = draw.windows[0]
    rows = w.hidden & np.isin(w.frames, w.targets)
    read = draw.read(0)[0][0][rows]  # sample 0, the gap's frames: (m, C, 2)
    for c, k in enumerate(w.group):
        shown = stages[-1][w.frames[rows], k]
        assert np.allclose(shown, read[:, c], atol=1e-3, equal_nan=True), (shown, read[:, c])
    assert len(stages) > 1 and not np.array_equal(stages[0], stages[-1], equal_nan=True)  # it changes as it draws


def test_checkpoint_round_trip(tiny_checkpoint, tmp_path):
    m = kinviz.load_checkpoint(tiny_checkpoint)
    again = tmp_path / "again.safetensors"
    kinviz.videomodel.checkpoint.save_checkpoint(again, m.tokenizer, m.transformer, m.meta)
    n = kinviz.load_checkpoint(again)
    for a, b in zip(m.transformer.state_dict().values(), n.transformer.state_dict().values()):
        torch.testing.assert_close(a, b)
    assert n.meta["training"] == m.meta["training"]


def test_truncated_or_altered_checkpoint_is_refused(tiny_checkpoint, tmp_path):
    bad = tmp_path / "bad.safetensors"
    shutil.copy(tiny_checkpoint, bad)
    shutil.copy(tiny_checkpoint.with_suffix(".json"), bad.with_suffix(".json"))
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(kinviz.CheckpointError, match="truncated or altered"):
        kinviz.load_checkpoint(bad)
    meta = json.loads(bad.with_suffix(".json").read_text())
    meta["transformer"]["dim"] = 64
    bad.write_bytes(data)
    bad.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(kinviz.CheckpointError, match="record was edited"):  # by hand: its settings hash no longer fits
        kinviz.load_checkpoint(bad)
    write_json(bad.with_suffix(".json"), meta)  # as written by kinviz, with another network's shape
    with pytest.raises(kinviz.CheckpointError, match="does not fit"):
        kinviz.load_checkpoint(bad)
    with pytest.raises(kinviz.CheckpointError, match="no checkpoint"):
        kinviz.load_checkpoint(tmp_path / "none.safetensors")
    meta = json.loads(tiny_checkpoint.with_suffix(".json").read_text()) | {"view": "sideways"}
    write_json(bad.with_suffix(".json"), meta)
    with pytest.raises(kinviz.CheckpointError, match="view 'sideways'"):
        kinviz.load_checkpoint(bad)


def test_resume_continues_from_the_saved_step(tmp_path):
    out = tmp_path / "r.safetensors"
    run = RunConfig(out=out, clips=60, tokenizer_steps=5, steps=10, batch=4, save_every=5, tiny=True)
    train(run)
    run.steps, run.resume = 15, True
    train(run)
    meta = kinviz.read_meta(out)
    assert meta["training"]["transformer_steps_done"] == 15
    assert [c["step"] for c in meta["training"]["curve"]] == [5, 10, 15]


def test_training_runs_under_torchrun_with_distributed_data_parallel(tmp_path):
    """Two processes on the CPU (gloo): the path users take with several GPUs (nccl) is the same code."""
    import subprocess
    import sys

    out = tmp_path / "ddp.safetensors"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "kinviz", "train",
           "--tiny", "--clips", "40", "--tokenizer-steps", "4", "--steps", "6", "--batch", "4", "--save-every", "3",
           "--out", str(out), "--device", "cpu"]  # torchrun claims options that begin --log: the log takes its default
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(kinviz.__file__).parents[1])}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    meta = kinviz.read_meta(out)
    assert meta["training"]["world_size"] == 2 and meta["training"]["transformer_steps_done"] == 6
    assert Predictor.load(out, device="cpu").predict(_traj(20, 1), np.arange(20) % 5 == 2).positions.shape == (20, 1, 2)


def test_samples_per_window_do_not_depend_on_how_many_gaps_there_are(tiny_checkpoint):
    p = Predictor.load(tiny_checkpoint, device="cpu")
    p.decoding = replace(p.decoding, samples=3, samples_end=5)
    traj = _traj(200, 1)
    for spec in ("20-35", "20-35,60-75,100-115,140-155"):
        draw = p.draw(traj, kinviz.parse_mask(spec, 200), seed=0)
        assert {len(d) for d in draw.decoded} == {3}


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
    pred = p.predict(traj, mask)
    assert pred.smoother_only[10:13, 0].all() and not pred.smoother_only[30:40].any()
    assert not pred.fallback[10:13].any() and (pred.weight[10:13] == 0).all()
    np.testing.assert_allclose(pred.positions[10:13], pred.smoother[10:13])
    assert pred.smoother_only.sum() == 3
