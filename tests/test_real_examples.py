"""The real tracker files bundled beside the app (examples/real/) end to end, and Evaluate's held-out rows opening
in Predict (issue 31): each file reads with kinviz's own reader at its stated size, its preset hides one part where
it was tracked, Predict opens it on that preset (the fly is filled by Run), and what the page says about it is true.

The ethome file is not run here: its fill (5,700 frames x 14 parts, the file's own 1,957 low-likelihood points as
well) takes minutes on a CPU; its preset and the page up to Run are checked instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the pages import kinviz and kinviz_app as `streamlit run app.py` would

import kinviz  # noqa: E402
from kinviz.motion.data import TRAIN_FILES, VAL_FILES  # noqa: E402
from kinviz_app import cache, real  # noqa: E402
from apphelp import assert_clean, open_predict  # noqa: E402

TIMEOUT = 300  # seconds for one script run: the first loads the model on a busy CPU
ROWS = list(real.read_index().itertuples())
SHARED = ROOT.parent / "shared" / "real-train"
PRESET_FRAMES = {"eks-fly-legs": 30, "ethome-two-mice": 60}


def by_name(name: str):
    return next(r for r in ROWS if r.name == name)


def test_the_two_real_files_are_indexed_under_a_permissive_licence():
    assert [r.name for r in ROWS] == ["eks-fly-legs", "ethome-two-mice"]
    readme = (real.REAL_DIR / "README.md").read_text(encoding="utf-8")
    for row in ROWS:
        assert row.licence.startswith("MIT") and "GPL" not in row.licence
        licence = (real.REAL_DIR / f"LICENSE-{row.name.split('-')[0]}.txt").read_text(encoding="utf-8")
        assert licence.startswith("MIT License") and row.licence.split("(", 1)[1].rstrip(")") in licence
        assert row.file in readme and row.commit in readme and row.path in readme and row.preset in readme


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_each_file_reads_with_kinvizs_reader_at_its_stated_size(row):
    traj = real.load(row)
    assert (traj.n_frames, traj.n_objects) == (int(row.frames), int(row.parts))
    assert np.isfinite(traj.positions[~traj.missing]).all()
    original = next(SHARED.rglob(row.path.rsplit("/", 1)[-1]), None) if SHARED.is_dir() else None
    if original is not None:  # beside the checkout's shared data: the copy is byte for byte
        assert (real.REAL_DIR / row.file).read_bytes() == original.read_bytes()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_the_preset_hides_one_part_where_it_was_tracked(row):
    traj = real.load(row)
    mask = kinviz.parse_mask(row.preset, traj.n_frames, names=traj.names)  # as the typed field parses it
    assert mask.shape == (traj.n_frames, traj.n_objects)
    [part] = np.flatnonzero(mask.any(axis=0))
    assert traj.names[part] == row.preset.rsplit(":", 1)[0]
    assert mask[:, part].sum() == PRESET_FRAMES[row.name] and len(kinviz.mask_runs(mask[:, part])) == 1
    assert not (mask & traj.missing).any(), "only cells the tracker saw are hidden: the truth is there to score"
    assert kinviz.format_mask(mask, traj.names) == row.preset, "the page writes it back as the index has it"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.name)
def test_what_the_page_says_about_the_motion_models_training_is_true(row):
    original = row.path.rsplit("/", 1)[-1]
    trained = any(f.endswith(original) for f in TRAIN_FILES)
    assert trained or any(f.endswith(original) for f in VAL_FILES)
    assert ("was trained on this recording" in row.trained_on) == trained
    assert ("not held-out" in real.attribution(row)) == trained


def test_predict_opens_the_fly_on_its_preset_and_run_fills_that_part():
    row = by_name("eks-fly-legs")
    at = open_predict(example=row.name)
    assert_clean(at)
    assert at.selectbox(key="example").value == row.name and at.text_input(key="spec").value == row.preset
    assert at.multiselect(key="parts").value == ["L1B"]
    assert any("paninski-lab/eks" in i.value and "MIT" in i.value for i in at.info), "the attribution is shown"
    at.button(key="run").click().run()
    assert_clean(at)
    pred = at.session_state["_run"].prediction
    filled = pred.filled
    assert filled.sum() == 30 and filled[:, pred.trajectory.names.index("L1B")][200:230].all()
    assert np.isfinite(pred.positions).all()


def test_predict_opens_ethome_on_its_preset_and_says_the_motion_model_trained_on_it():
    row = by_name("ethome-two-mice")
    at = open_predict(example=row.name)
    assert_clean(at)
    assert at.text_input(key="spec").value == row.preset and at.multiselect(key="parts").value == ["adult/nose"]
    assert at.slider(key="mask").value == (2400, 2459)
    assert any("trained on this recording" in i.value and "not held-out" in i.value for i in at.info)
    assert at.button(key="run").disabled is False
    # Picking it in the picker (no link) opens it on the same preset.
    at = open_predict(example="pendulum-01")
    at.selectbox(key="example").set_value(row.name).run()
    assert_clean(at)
    assert at.text_input(key="spec").value == row.preset


def test_a_held_out_row_of_evaluate_opens_in_predict_with_its_hidden_cells():
    """Evaluate's default rows are simulated recordings, not files: selecting one opens Predict on the recording
    drawn again from the benchmark's seed, with the row's hidden cells (occlude: one part, the quickest task)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("app_pages/evaluate.py").run()
    assert at.radio(key="eval_source").value == "Held-out test set"
    at.radio(key="task").set_value("occlude").run()
    if at.button(key="eval_run").disabled:
        pytest.skip("this model's record has no held-out figure for occlude")
    at.button(key="eval_run").click().run()
    assert_clean(at)
    report, _ = at.session_state["_eval"]
    table = at.dataframe(key="eval_table").value
    name = table.example.iloc[0]
    at.session_state["eval_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    assert at.selectbox(key="example").value == cache.held_out_key("occlude", name)
    mask = next(r.mask for r in report.results if r.name == name)
    [traj] = [t for t in cache.held_out("occlude") if t.source_name == name]
    assert at.text_input(key="spec").value == kinviz.format_mask(mask, traj.names)
    assert any("held-out test set" in i.value for i in at.info)
