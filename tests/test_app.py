"""The app's pages driven by widget key with streamlit.testing.v1.AppTest (no browser; see test_browser.py).

Uses the shipped checkpoint, or $KINVIZ_CHECKPOINT when set (a tiny one keeps these fast).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the pages import kinviz and kinviz_app as `streamlit run app.py` would

import kinviz  # noqa: E402
from kinviz.trajectory import MAX_BYTES  # noqa: E402
from kinviz_app import results  # noqa: E402

TIMEOUT = 300  # seconds for one script run: the first loads the model on a busy CPU
PAGES = ["pages/home.py", "pages/predict.py", "pages/examples.py", "pages/evaluate.py", "pages/model.py"]


def open_app(page: str | None = None, **query) -> AppTest:
    """The router, optionally switched to ``page``, with URL query parameters set."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def open_predict(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "predict.py"), default_timeout=TIMEOUT)
    at.query_params.update(query)
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metrics_tables(at: AppTest) -> list:
    """Tables with methods as rows (AppTest keeps no key for read-only st.dataframe)."""
    return [d.value for d in at.dataframe if results.MODEL_LABEL in list(d.value.index)]


def csv_text(n: int = 24, gaps: tuple[int, ...] = ()) -> str:
    """A thrown ball, one object; frames in ``gaps`` have empty x and y (missing)."""
    t = np.arange(n) * 0.05
    rows = [f"{ti:.2f},," if i in gaps else f"{ti:.2f},{2 * ti:.4f},{3 * ti - 4.9 * ti**2:.4f}" for i, ti in enumerate(t)]
    return "time,x,y\n" + "\n".join(rows) + "\n"


# ----------------------------------------------------------------------------- every page


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(page):
    at = open_app(page)
    assert_clean(at)
    assert at.title, f"{page} shows no title"


# ----------------------------------------------------------------------------- Predict


def test_predict_example_mask_run_shows_metrics_and_downloads():
    at = open_predict()
    at.selectbox(key="example").set_value("collision-01").run()
    at.slider(key="mask").set_range(5, 9).run()
    assert at.query_params["mask"] == ["5-9"] or at.query_params["mask"] == "5-9"
    assert at.text_input(key="spec").value == "5-9"

    at.button(key="run").click().run()
    assert_clean(at)
    [table] = metrics_tables(at)
    assert list(table.index) == [results.MODEL_LABEL, *kinviz.BASELINES]
    assert {"ADE", "ADE %", "FDE", "FDE %", "PSNR (dB)", "SSIM"} <= set(table.columns)
    assert np.isfinite(table.to_numpy(float)).all()

    run = at.session_state["_run"]
    hidden = np.zeros(90, bool)
    hidden[5:10] = True
    assert (run.prediction.filled.any(axis=1) == hidden).all()
    assert run.csv_name == "collision-01-filled.csv"
    back = kinviz.load_csv(run.prediction.to_csv())  # the download reads back: complete, same frames
    assert back.n_frames == 90 and np.isfinite(back.positions).all()
    report = json.loads(run.report_json())
    assert report["settings"]["mask"] == "5-9" and report["settings"]["seed"] == 0
    assert report["model"]["version"] == results.model_version(kinviz.read_meta())
    assert run.playback[:6] == b"GIF89a" and run.video[:6] == b"GIF89a"

    # Re-rendering (a changed baseline toggle) keeps the run: the model is not asked again.
    at.multiselect(key="baselines").set_value(list(kinviz.BASELINES)).run()
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
    ("huge.csv", b"time,x,y\n" + b"0,1,2 " * (MAX_BYTES // 6), "MB"),
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
    with pytest.raises(kinviz.CSVError, match="up to 10 MB"):
        results.read_upload("big.csv", b"x" * (MAX_BYTES + 1))


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


# ----------------------------------------------------------------------------- the other pages


def test_examples_gallery_links_to_predict():
    at = open_app("pages/examples.py")
    assert_clean(at)
    links = at.get("page_link")
    assert len(links) == len(kinviz.load_index())
    at.multiselect(key="families").set_value(["pendulum"]).run()
    assert len(at.get("page_link")) == 5


def test_evaluate_runs_on_a_few_examples():
    at = open_app("pages/evaluate.py")
    at.multiselect(key="eval_examples").set_value(["projectile-01", "pendulum-01", "collision-01"]).run()
    at.radio(key="task").set_value("forecast").run()
    at.button(key="eval_run").click().run()
    assert_clean(at)
    [summary] = metrics_tables(at)
    assert list(summary.index) == [results.MODEL_LABEL, *kinviz.BASELINES]
    per_example = at.dataframe(key="eval_table").value
    assert sorted(per_example.example) == ["collision-01.csv", "pendulum-01.csv", "projectile-01.csv"]
    ade = per_example["model ADE %"].to_numpy()
    assert (np.diff(ade) <= 0).all(), "worst model error first"


def test_model_card_shows_the_training_curve():
    at = open_app("pages/model.py")
    assert_clean(at)
    meta = kinviz.read_meta()
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    steps = [s for trace in figure["data"] if trace.get("name") == "validation loss" for s in trace["x"]]
    assert steps == [p["step"] for p in meta["training"]["curve"]]
    assert any("6.57" in m.value and "5.85" in m.value for m in at.markdown)


def test_headline_reads_the_record_and_never_invents():
    assert results.headline({}) is None
    assert results.headline({"metrics": {"methods": {"magvit": {"ade_pct": float("nan")}}}}) is None
    record = {"task": "interpolate", "examples": 45,
              "methods": {"magvit": {"ade_pct": 1.5}, "linear": {"ade_pct": 2.0}, "cubic": {"ade_pct": 1.8}}}
    for metrics in (record, {"forecast": record | {"task": "forecast"}, "interpolate": record}):
        assert results.headline({"metrics": metrics}) == {
            "task": "interpolate", "examples": 45, "model": 1.5, "best": "cubic", "best_value": 1.8}


def test_a_linked_mask_survives_an_upload():
    at = open_predict(mask="5-9")
    at.file_uploader(key="upload").upload("throw.csv", csv_text(24).encode(), "text/csv").run()
    assert_clean(at)
    assert at.slider(key="mask").value == (5, 9)
    assert "example" not in at.query_params, "an upload replaces the example"
