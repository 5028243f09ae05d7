"""The app's other pages (Overview, Examples, Evaluate, Model) and issue 14's rough edges, driven by
widget key with streamlit.testing.v1.AppTest (no browser; see test_browser.py).

Uses the shipped checkpoint, or $KINVIZ_CHECKPOINT when set (a tiny one keeps these fast). Shared helpers:
tests/apphelp.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from apphelp import (  # first: puts the checkout on sys.path, as `streamlit run app.py` would
    ROOT, TIMEOUT, assert_clean, csv_text, metrics_tables, open_app, open_predict,
)
import kinviz  # noqa: E402
from kinviz_app import real, results, style, words  # noqa: E402


# ----------------------------------------------------------------------------- the other pages


def test_examples_gallery_links_to_predict():
    at = open_app("app_pages/examples.py")
    assert_clean(at)
    links = at.get("page_link")
    reals = len(real.read_index())  # the real tracker files come first, each a link too
    assert len(links) == len(kinviz.load_index()) + reals
    at.multiselect(key="families").set_value(["pendulum"]).run()
    assert len(at.get("page_link")) == 5 + reals


def test_evaluate_runs_on_a_few_examples():
    at = open_app("app_pages/evaluate.py")
    at.radio(key="eval_source").set_value("Bundled examples").run()
    assert any("no test of data it has not seen" in c.value for c in at.caption), "bundled files were trained on"
    at.multiselect(key="eval_examples").set_value(["projectile-01", "pendulum-01", "collision-01"]).run()
    at.radio(key="task").set_value("forecast").run()
    at.button(key="eval_run").click().run()
    assert_clean(at)
    [summary] = metrics_tables(at)
    assert list(summary.index) == [style.name(m) for m in kinviz.METHODS]
    assert list(summary.columns) == ["ADE %", "FDE %", "PSNR (dB)", "SSIM"], "% of the scene only: files of any scale"
    per_example = at.dataframe(key="eval_table").value
    assert sorted(per_example.example) == ["collision-01.csv", "pendulum-01.csv", "projectile-01.csv"]
    ade = per_example["kinviz ADE %"].to_numpy()
    assert (np.diff(ade) <= 0).all(), "worst kinviz error first"
    assert list(per_example.columns[:5]) == ["example", "kinviz ADE %", "best baseline", "best baseline ADE %",
                                             "kinviz − best (pp)"], "the comparison is visible without scrolling"
    assert per_example["best baseline"].isin([style.name(m) for m in kinviz.BASELINES]).all()
    assert at.metric[0].label == "kinviz's error (ADE %)" and "vs" in at.metric[0].delta
    # Linear and constant velocity are the same fill on a forecast: the page says why.
    assert any("by definition" in c.value and "constant velocity" in c.value for c in at.caption)
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert bars["layout"]["yaxis"]["type"] == "log", "cubic's forecast explodes: a log scale keeps the rest readable"


def test_evaluates_defaults_measure_the_overviews_figures_again():
    """The Overview's figure per task is the record of `bench --record`; Evaluate's default recordings are
    that benchmark's held-out set, drawn again, so a run at seed 0 gives the same numbers (occlude: the
    quickest task to score)."""
    [head] = [h for h in results.headlines(kinviz.read_meta()) if h["task"] == "occlude"] or [None]
    if head is None or head["model"] is None or head["best_value"] is None:
        pytest.skip("the checkpoint's record does not measure kinviz's fill on occlude (yet): nothing to reproduce")
    at = open_app("app_pages/evaluate.py")
    assert at.radio(key="eval_source").value == "Held-out test set" and at.number_input(key="eval_seed").value == 0
    at.radio(key="task").set_value("occlude").run()
    at.button(key="eval_run").click().run()
    assert_clean(at)
    assert len(at.dataframe(key="eval_table").value) == head["examples"]
    assert at.metric[0].value == f"{head['model']:.2f} %"
    assert at.metric[1].value == f"{head['best_value']:.2f} %"
    assert at.metric[2].value == f"{head['wins']} of {head['examples']}", "wins counted as the record counts them"


def test_model_card_shows_the_training_curve():
    at = open_app("app_pages/model.py")
    assert_clean(at)
    meta = kinviz.read_meta()
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    steps = [s for trace in figure["data"] if trace.get("name") == "validation loss" for s in trace["x"]]
    assert steps == [p["step"] for p in meta["training"]["curve"]]
    assert any("6.57" in m.value and "5.85" in m.value for m in at.markdown)


def test_headlines_read_the_record_and_never_invent():
    assert results.headlines({}) == []
    assert results.headlines({"metrics": {"methods": {style.MODEL: {"ade_pct": float("nan")}}}}) == []
    record = {"task": "interpolate", "examples": 45,
              "methods": {style.MODEL: {"ade_pct": 1.5}, "linear": {"ade_pct": 2.0}, "cubic": {"ade_pct": 1.8},
                          "video": {"ade_pct": 1.0}}}  # a model's own fill is no baseline
    one = {"task": "interpolate", "examples": 45, "split": None, "model": 1.5, "best": "cubic", "best_value": 1.8,
           "wins": None, "paired": None}
    assert results.headlines({"metrics": record}) == [one]
    both = results.headlines({"metrics": {"forecast": record | {"task": "forecast"}, "interpolate": record}})
    assert both == [one | {"task": "forecast"}, one]
    said = words.headline_words(one)
    assert "cubic spline" in said and "17% smaller" in said and "1.5 %" in said
    assert "better here" in words.headline_words(one | {"model": 3.6})
    assert "closer" not in said, "no count of wins where the record has none"
    counted = results.headlines({"metrics": record | {"wins": 3}})[0]
    assert "closer than every classical fill on **3 of 45** recordings" in words.headline_words(counted)
    # A gap between the means that the paired differences put within one standard error is called noise.
    paired = {"method": style.MODEL, "against": "cubic", "n": 45, "mean": -0.3, "se": 0.4}
    noisy = results.headlines({"metrics": record | {"paired": [paired]}})[0]
    assert noisy["paired"] == paired
    said = words.headline_words(noisy)
    assert "no difference beyond the noise" in said and "smaller" not in said and "-0.30 ± 0.40" in said
    sure = words.headline_words(noisy | {"paired": paired | {"se": 0.1}})
    assert "17% smaller" in sure


@pytest.mark.parametrize("methods", [
    {"magvit": {"ade_pct": 1.2}, "linear": {"ade_pct": 2.0}},  # a record written before the keys were renamed
    {style.MODEL: {"ade": 1.2}, "linear": {"ade_pct": 2.0}},  # no ADE % for kinviz
    {style.MODEL: "1.2", "linear": {"ade_pct": 2.0}},  # not a number
])
def test_a_record_without_kinvizs_figure_says_not_measured(methods):
    [head] = results.headlines({"metrics": {"occlude": {"task": "occlude", "examples": "12", "methods": methods}}})
    assert head["model"] is None and head["best"] == "linear" and head["examples"] is None
    assert "not measured" in words.headline_words(head)
    only_model = results.headlines({"metrics": {"methods": {style.MODEL: {"ade_pct": 1.0}}, "task": "random"}})
    assert only_model[0]["best"] is None and "not measured" in words.headline_words(only_model[0])
    assert results.headlines({"metrics": {"random": {"methods": None}, "x": 3}}) == []


def test_a_linked_mask_survives_an_upload():
    at = open_predict(mask="5-9")
    at.file_uploader(key="upload").upload("throw.csv", csv_text(24).encode(), "text/csv").run()
    assert_clean(at)
    assert at.slider(key="mask").value == (5, 9)
    assert "example" not in at.query_params, "an upload replaces the example"


# ----------------------------------------------------------------------------- issue 14: rough edges


def test_seed_and_steps_survive_a_bad_upload_and_another_page():
    """Decoding steps fell to 1 after a bad upload then a good one; seed and steps reset after another page."""
    at = open_app("app_pages/predict.py")
    at.number_input(key="seed").set_value(5).run()
    at.number_input(key="steps").set_value(20).run()
    at.file_uploader(key="upload").upload("bad.csv", b"time,x,y\n0,1,2\n", "text/csv").run()
    assert at.error
    at.file_uploader(key="upload").upload("good.csv", csv_text(24).encode(), "text/csv").run()
    assert_clean(at)
    assert (at.number_input(key="seed").value, at.number_input(key="steps").value) == (5, 20)
    at.switch_page("app_pages/model.py").run()
    at.switch_page("app_pages/predict.py").run()
    assert (at.number_input(key="seed").value, at.number_input(key="steps").value) == (5, 20)


def test_only_missing_cells_lights_no_range():
    at = open_predict(example="projectile-01")
    at.button(key="preset_interpolate").click().run()
    assert at.slider(key="mask").value == (58 // 3, 2 * 58 // 3 - 1)
    at.button(key="preset_none").click().run()
    assert at.slider(key="mask").value == (0, 0), "nothing hidden: the slider must not light a range"
    assert any("Hidden: **none**" in c.value for c in at.caption)


def test_any_file_reaches_the_reader_and_replaces_the_last_message():
    """A PNG was refused by the uploader's type filter with a red chip only, and the previous error stayed."""
    at = open_predict()
    at.file_uploader(key="upload").upload("words.csv", b"time,x,y\n0,1,2\n1,abc,2\n2,1,2\n3,1,2\n", "text/csv").run()
    assert len(at.error) == 1 and "words.csv" in at.error[0].value
    at.file_uploader(key="upload").upload("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png").run()
    assert not at.exception
    assert len(at.error) == 1 and "photo.png" in at.error[0].value and "binary" in at.error[0].value


def test_landing_page_speaks_plainly_and_shows_the_model_at_work():
    at = open_app()
    assert_clean(at)
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    meta = kinviz.read_meta()
    assert "Token accuracy" not in text and str(meta["sha256"])[:12] not in text and "@" not in text
    heads = results.headlines(meta)
    if heads and all(h["model"] is None for h in heads):  # a record from before the self-check: said, not invented
        assert any("not measured" in i.value for i in at.info) and "off by" not in text
    for head in heads if any(h["model"] is not None for h in heads) else []:  # each task's headline, in words
        assert words.headline_words(head) in text
    assert any('<canvas id="kinviz-playback-home"' in h.proto.body for h in at.get("html")), "a real fill playing"
    for jargon in ("MAGVIT-style", "cross-entropy", "nats", "EMA", "FSQ", "MaskGIT", "RTS", "s.d."):
        assert jargon not in text, f"'{jargon}' belongs on the Model page"
    assert not at.get("plotly_chart"), "the training curve is on the Model page"
    if any(h["model"] is not None for h in heads):
        assert "BENCHMARK.md" in text, "the headline names the measurement it comes from"


def test_examples_speak_plainly():
    at = open_app("app_pages/examples.py")
    assert_clean(at)
    assert not any("wide_named" in c.value or "layout" in c.value for c in at.caption)


def test_objects_in_words():
    assert words.objects_words(["object"]) == "1 object"
    assert words.objects_words(["ball"]) == "1 object: ball"
    assert words.objects_words(["ball", "cart"]) == "2 objects: ball, cart"


def test_a_link_to_a_page_runs_it_in_the_router_with_its_parameters():
    """The pages live in app_pages/, not pages/: no legacy multipage runner ever runs a page without app.py
    (tests/test_browser.py opens a link on a fresh server)."""
    assert not (ROOT / "pages").exists(), "a pages/ folder beside app.py turns on Streamlit's legacy runner"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("app_pages/predict.py")
    at.query_params["mask"] = "5-9"
    at.run()
    assert_clean(at)
    assert [t.value for t in at.title] == ["Predict"]
    assert at.slider(key="mask").value == (5, 9)
