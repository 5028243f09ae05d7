"""The model machinery on a tiny configuration: training, decoding, inference properties, checkpoints.
Fusion, tuning, the gate and budgets: test_model_fusion.py; shared helpers: modelhelp.py."""

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
from modelhelp import simulated as _traj


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
    pred = p.predict(traj, mask, compare=True, on_step=lambda s, total, idx, frames, estimate: steps.append(
        (s, total, len(idx), frames.shape, estimate)))  # compare: the video model draws every hidden cell
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


@pytest.mark.serial
def test_training_runs_under_torchrun_with_distributed_data_parallel(tmp_path):
    """Two processes on the CPU (gloo): the path users take with several GPUs (nccl) is the same code."""
    import subprocess
    import sys

    out = tmp_path / "ddp.safetensors"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "kinviz", "train",
           "--tiny", "--clips", "40", "--tokenizer-steps", "4", "--steps", "6", "--batch", "4", "--save-every", "3",
           "--out", str(out), "--device", "cpu"]  # torchrun claims options that begin --log: the log takes its default
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(kinviz.__file__).parents[1])}
    # stdin from /dev/null: under pytest-xdist a worker's stdin is its channel to the controller, not for children.
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path,
                          stdin=subprocess.DEVNULL)
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
