"""Shared fixtures: a tiny checkpoint trained in seconds, for tests of the model machinery.

Tests of the shipped model (CLI contract, app, browser) use checkpoints/ as users do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kinviz.train import RunConfig, train


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A tiny model (both stages, a few steps) written to a temporary checkpoint."""
    out = tmp_path_factory.mktemp("tiny") / "tiny.safetensors"
    run = RunConfig(out=out, clips=120, tokenizer_steps=15, steps=20, batch=8, save_every=10,
                    log=out.with_suffix(".jsonl"), tiny=True, seed=0)
    return train(run)
