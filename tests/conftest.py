"""Shared fixtures: a tiny checkpoint trained in seconds, and an untrained model, for tests of the model machinery.

Tests of the shipped model (CLI contract, app, browser) use checkpoints/ as users do.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from filelock import FileLock

from kinviz.videomodel.checkpoint import Model
from kinviz.inference.predict import Predictor
from kinviz.videomodel.tokenizer import Tokenizer
from kinviz.training.train import RunConfig, model_configs, train
from kinviz.videomodel.transformer import MaskedTransformer


if os.environ.get("PYTEST_XDIST_WORKER"):  # one of scripts/test.sh's worker processes: one core each
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A tiny model (both stages, a few steps) written to a temporary checkpoint, trained once per run: the
    suite's worker processes (pytest-xdist) share it through their common temporary folder, under a lock."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, above each worker's own
    out = shared / "tiny" / "tiny.safetensors"
    out.parent.mkdir(exist_ok=True)
    with FileLock(str(out.parent / "train.lock")):
        if not out.exists():
            run = RunConfig(out=out, clips=120, tokenizer_steps=15, steps=20, batch=8, save_every=10,
                            log=out.with_suffix(".jsonl"), tiny=True, seed=0)
            train(run)
    return out


@pytest.fixture(scope="session")
def predictor() -> Predictor:
    """The shipped model, as users load it."""
    return Predictor.load(device="cpu")


@pytest.fixture(scope="session")
def untrained_predictor() -> Predictor:
    """Random weights, no training (tests of properties that hold for any weights): the hybrid view, so
    the tracking and the still camera are both used; few steps and samples for speed."""
    torch.manual_seed(0)
    tok_cfg, tr_cfg = model_configs(tiny=True)
    tok_cfg = replace(tok_cfg, channels=(8, 8, 8))  # smaller still: the time goes to the tokenizer's convolutions
    meta = {"view": "hybrid", "decoding": {"steps": 2, "samples": 2, "samples_end": 2, "min_inner_gap": 1}}  # every gap decoded
    return Predictor(Model(Tokenizer(tok_cfg).eval(), MaskedTransformer(tr_cfg).eval(), meta), "cpu")
