"""The app's Predict page (and every page's first render), driven by widget key with
streamlit.testing.v1.AppTest (no browser; see test_browser.py).

Uses the shipped checkpoint, or $KINVIZ_CHECKPOINT when set (a tiny one keeps these fast). Shared helpers:
tests/apphelp.py.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from apphelp import (  # first: puts the checkout on sys.path, as `streamlit run app.py` would
    PAGES, assert_clean, csv_text, metrics_tables, open_app, open_predict,
)
import kinviz  # noqa: E402
from kinviz_app import media, results, style, words  # noqa: E402


# ----------------------------------------------------------------------------- every page


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(page):
    at = open_app(page)
    assert_clean(at)
    assert at.title, f"{page} shows no title"


# ----------------------------------------------------------------------------- Predict


def test_the_fill_says_what_filled_it_and_the_error_to_expect():
    """The composition, the expected error and the self-check's table on the page, in the same numbers as the
    downloaded report (issue 29 §2)."""
    at = open_predict(example="collision-01", mask="5-7,20-39")
    at.button(key="run").click().run()
    assert_clean(at)
    run = at.session_state["_run"]
    report = json.loads(run.report_json())
    k = kinviz.load_csv(kinviz.EXAMPLES_DIR / "collision-01.csv").n_objects
    assert report["filled_cells"] == 23 * k
    composition = report["composition"]
    assert composition == run.prediction.composition() and sum(composition.values()) == 23 * k
    assert set(composition) <= set(kinviz.METHODS)
    said = words.composition_words(composition)
    assert said.startswith(f"{23 * k} cells") and all(style.name(m) in said for m in composition)
    assert any(said in m.value for m in at.markdown), "the composition, exactly"
    if not set(composition) & set(words.MODELS):
        assert any("No model filled any cell" in m.value for m in at.markdown)
    expected = report["expected_error"]
    assert expected["cells_filled"] == 23 * k and 0 <= expected["cells_measured"] <= 23 * k
    text = " ".join(m.value for m in at.markdown)
    if expected["mean"] is None:
        assert "no expected error" in text and "too few stretches" in text
    else:
        assert f"about {words.number(expected['mean'], 2)}" in text
        # under the scores (every hidden cell here has truth): the promise beside kinviz's measured error
        ade = report["metrics"][style.MODEL]["ade"]
        assert words.promise_words(expected["mean"], ade, expected["cells_measured"], 23 * k) in text
    rows = report["self_check"]["methods"]
    assert [r["method"] for r in rows] == list(run.prediction.sources) and report["self_check"]["probes"] > 0
    [table] = [d.value for d in at.dataframe if "mean probe error" in d.value.columns]  # read-only: no key kept
    assert list(table.index) == [style.name(r["method"]) for r in rows]
    assert table["cells filled"].sum() == 23 * k, "the table's cells are the composition's"
    assert list(table["probes"]) == [r["probes"] for r in rows]


def test_predict_example_mask_run_shows_metrics_and_downloads():
    at = open_predict()
    at.selectbox(key="example").set_value("collision-01").run()
    at.slider(key="mask").set_range(5, 9).run()
    assert at.query_params["mask"] == ["5-9"] or at.query_params["mask"] == "5-9"
    assert at.text_input(key="spec").value == "5-9"

    at.button(key="run").click().run()
    assert_clean(at)
    [table] = metrics_tables(at)
    assert list(table.index) == [style.name(m) for m in kinviz.METHODS]  # human names, the model first
    assert {"ADE", "ADE %", "FDE", "FDE %", "PSNR (dB)", "SSIM"} <= set(table.columns)
    assert np.isfinite(table.to_numpy(float)).all()

    run = at.session_state["_run"]
    hidden = np.zeros(90, bool)
    hidden[5:10] = True
    assert (run.prediction.filled.any(axis=1) == hidden).all()
    assert run.csv_name == "collision-01-filled.csv"
    back = kinviz.load_csv(run.prediction.to_csv())  # the download reads back: complete, same frames
    assert back.n_frames == 90 and np.isfinite(back.positions).all()
    source = kinviz.load_csv(kinviz.EXAMPLES_DIR / "collision-01.csv")
    np.testing.assert_array_equal(back.positions, source.positions)  # hidden measurements kept; fills in _pred
    coords = run.figure("coords")  # every other fill in the legend; the video model, the smoother and linear on
    on = {t.name for t in coords.data if t.visible is not False and t.visible != "legendonly"}
    off = {t.name for t in coords.data if t.visible == "legendonly"}
    assert {style.name(m) for m in style.default_baselines()} <= on
    assert style.name("hold") in off and style.name("hold") not in on
    report = json.loads(run.report_json())
    assert report["settings"]["mask"] == "5-9" and report["settings"]["seed"] == 0
    assert report["model"]["version"] == results.model_version(kinviz.read_meta())
    assert run.video[:6] == b"GIF89a"
    gif, first = Image.open(io.BytesIO(run.video)), run.window[0]  # one palette for all frames keeps the amber
    for t in (4, 5):
        gif.seek(t - first)
        corner = np.asarray(gif.convert("RGB"))[26 + 2, media.GAP + 2].astype(int)  # the tile's frame
        assert (np.abs(corner - style.HIDDEN_RGB).max() <= 8) == (t == 5), (t, corner)
    assert '<canvas id="kinviz-playback-predict"' in run.playback and "<script>" in run.playback

    # Re-rendering (another strip start) keeps the run: the model is not asked again.
    at.run()
    assert at.session_state["_run"] is run
    assert_clean(at)


def test_query_params_set_example_and_mask():
    at = open_predict(example="pendulum-01", mask="5-9")
    assert_clean(at)
    assert at.selectbox(key="example").value == "pendulum-01"
    assert at.slider(key="mask").value == (5, 9)
    assert at.text_input(key="spec").value == "5-9"


@pytest.mark.parametrize("query", [{"mask": "banana"}, {"mask": "5-900"}, {"example": "no-such-example"}])
def test_bad_link_warns_and_falls_back(query):
    at = open_predict(**query)
    assert_clean(at)
    assert at.warning, "a bad link should say what it ignored"
    assert at.button(key="run")


@pytest.mark.parametrize("preset, first", [("forecast", 58 - 58 // 4), ("interpolate", 58 // 3)])
def test_presets_set_the_mask(preset, first):
    at = open_predict(example="projectile-01")
    at.button(key=f"preset_{preset}").click().run()
    assert_clean(at)
    assert at.slider(key="mask").value[0] == first
    assert at.query_params["mask"] in (preset, [preset])


def test_typed_mask_and_its_errors():
    at = open_predict(example="projectile-01")
    at.text_input(key="spec").set_value("3-4, 10").run()
    assert at.query_params["mask"] in ("3-4,10", ["3-4,10"])
    at.text_input(key="spec").set_value("9-3").run()
    assert any("reversed" in e.value for e in at.error)
    assert at.query_params["mask"] in ("3-4,10", ["3-4,10"]), "a bad mask leaves the old one"


@pytest.mark.parametrize("name, data, words", [
    ("bad.csv", b"hello\x00world", "NUL bytes"),
    ("words.csv", b"time,x,y\n0,1,2\n1,abc,2\n2,1,2\n3,1,2\n", "not a number"),
    ("huge.csv", b"time,x,y\n" + b"0,1,2 " * (results.UPLOAD_MAX_BYTES // 6), "MB"),
])
def test_bad_upload_shows_the_readers_message(name, data, words):
    at = open_predict()
    at.file_uploader(key="upload").upload(name, data, "text/csv").run()
    assert not at.exception
    assert len(at.error) == 1 and words in at.error[0].value and name in at.error[0].value
    at.file_uploader(key="upload").clear().run()  # the page stays usable
    assert_clean(at)
    assert at.button(key="run")


def test_oversize_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(kinviz, "load_track", lambda *a, **k: pytest.fail("parsed an oversize file"))
    with pytest.raises(kinviz.CSVError, match="up to 10 MB.*command line"):
        results.read_upload("big.csv", b"x" * (results.UPLOAD_MAX_BYTES + 1))


def test_upload_with_gaps_fills_them_and_shows_no_invented_numbers():
    at = open_predict()
    at.file_uploader(key="upload").upload("gaps.csv", csv_text(24, gaps=(7, 8, 9)).encode(), "text/csv").run()
    assert_clean(at)
    assert at.query_params["mask"] in ("none", ["none"]), "a file with gaps fills just those by default"
    at.button(key="run").click().run()
    assert_clean(at)
    assert any("No ground truth for the filled cells" in i.value for i in at.info)
    assert not metrics_tables(at)
    run = at.session_state["_run"]
    assert run.report["metrics"] is None and run.report["ground_truth"] is False
    assert np.isfinite(run.prediction.positions).all()
    assert run.prediction.filled[[7, 8, 9], 0].all() and run.prediction.filled.sum() == 3


def test_parts_to_hide_hide_those_parts_alone():
    at = open_predict()
    at.selectbox(key="example").set_value("collision-01").run()
    at.slider(key="mask").set_range(20, 39).run()
    names = kinviz.load_csv(kinviz.EXAMPLES_DIR / "collision-01.csv").names
    assert at.multiselect(key="parts").value == names  # every part by default: whole frames, as before
    at.multiselect(key="parts").set_value([names[1]]).run()
    assert_clean(at)
    assert any(f"for {names[1]} only" in c.value for c in at.caption)
    at.button(key="run").click().run()
    assert_clean(at)
    pred = at.session_state["_run"].prediction
    expected = np.zeros((90, 3), bool)
    expected[20:40, 1] = True
    np.testing.assert_array_equal(pred.filled, expected)  # the other parts stay seen, exactly as given
    np.testing.assert_array_equal(pred.hidden_cells, expected)
    assert at.session_state["_run"].spec == f"{names[1]}:20-39"
