"""Shared fixtures: a tiny checkpoint trained in seconds, and an untrained model, for tests of the model machinery.

Tests of the shipped model (CLI contract, app, browser) use checkpoints/ as users do. Every module checks that
it leaves the tracked files alone; the browser tests (tests/test_browser*.py) share one app server, one
browser and a fresh page per test (helpers: tests/browserhelp.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
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

# The longest modules first (the browser walks, 1-2 minutes a test): pytest-xdist hands modules out in this order, so
# they start at once on the two workers and the short modules fill in around them, instead of one of them running
# alone at the end while the other worker waits. test_browser.py leads: its deep-link test needs a fresh server.
# Then the rest by size, longest first (seconds of work each, stop 37: 166, 130, 108, 65, 32, 29, 26, 21, 18).
FIRST = ("test_browser.py", "test_cli.py", "test_browser_large.py", "test_atomic.py", "test_app_pages.py",
         "test_app_truth.py", "test_model.py", "test_real_examples.py", "test_readme.py", "test_real_files.py",
         "test_browser_real.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(FIRST)))  # stable: each module keeps its own order


ROOT = Path(__file__).resolve().parent.parent

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


# ----------------------------------------------------------------------------- every module


def tracked_changes() -> set[str]:
    """`git status --porcelain` lines of tracked files other than Python source: people edit code while these
    tests run, and no test writes code; what a test could write (pictures, data, docs) is all compared."""
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"}).stdout
    asked = os.environ.get("KINVIZ_DOCS_SCREENSHOTS") == "1"  # the README's screenshots, refreshed on request
    return {line for line in out.splitlines()
            if not line.endswith(".py") and not (asked and line[3:].startswith("docs/") and line.endswith(".png"))}


@pytest.fixture(scope="module", autouse=True)
def tree_left_alone():
    """The tests never write a tracked file (screenshots go under artifacts/, ignored by git). Checked around
    each module; skipped outside a git checkout (no .git, or no git). GIT_OPTIONAL_LOCKS=0: the check never
    takes the index's lock from someone committing meanwhile."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        yield
        return
    before = tracked_changes()
    yield
    assert tracked_changes() == before, f"the tests changed tracked files: {tracked_changes() ^ before}"


# ----------------------------------------------------------------------------- the browser tests


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """`streamlit run app.py`, one per worker process for all its browser modules (test_browser.py comes
    first: its deep-link test needs a server that has not served '/' yet)."""
    from browserhelp import default_path, streamlit_server

    checkpoint = default_path()  # what the app will load
    assert checkpoint.exists(), f"no checkpoint at {checkpoint}: train one, or point $KINVIZ_CHECKPOINT at one"
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(log=log) as s:
        yield s


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from browserhelp import LAUNCH

    with sync_playwright() as p:
        b = p.chromium.launch(**LAUNCH)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    from browserhelp import PAGE_S, RunCounter

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(PAGE_S * 1000)
    page.runs = RunCounter(page)
    yield page
    context.close()
