"""Issue 23, a demo that tells the truth: ties, bands, many parts, long files and links, checked with
streamlit.testing.v1.AppTest and the app's figure builders (no browser; see test_browser.py).

Uses the shipped checkpoint, or $KINVIZ_CHECKPOINT when set (a tiny one keeps these fast). Shared helpers:
tests/apphelp.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from apphelp import (  # first: puts the checkout on sys.path, as `streamlit run app.py` would
    assert_clean, many_parts, open_predict,
)
from apphelp import upload_with_gaps  # noqa: F401  (a fixture)
import kinviz  # noqa: E402
from kinviz_app import figures, results, scene, style, words  # noqa: E402


# ----------------------------------------------------------------------------- issue 23: a demo that tells the truth


def test_a_tie_is_never_a_win_and_numbers_read_plainly():
    import pandas as pd

    table = pd.DataFrame({"ADE": [9.934e-05, 9.934e-05, 0.5], "ADE %": [1.6612, 1.6612, 3.0],
                          "PSNR (dB)": [50.8, 60.6, 40.0], "SSIM": [0.91, 0.99, 0.5]},
                         index=[results.MODEL_LABEL, style.name("kalman"), style.name("linear")])
    html = words.highlight_best(table).to_html()
    assert "dff3e4" not in html, "a tie at the top and picture scores are never marked best"
    import re

    cells = re.findall(r">([^<>]*)</td>", html)
    assert not any("e-" in c for c in cells) and "0.0000993" in cells and "1.66" in cells
    assert "a tie" in words.score_words(table)
    table.loc[style.name("linear"), "ADE %"] = 1.0
    assert "dff3e4" in words.highlight_best(table).to_html() and "linear is closer" in words.score_words(table)
    assert words.number(9.934e-05) == "0.0000993" and words.number(12345.6) == "12,346"
    head = {"task": "random", "model": 0.1663, "best": "kalman", "best_value": 0.1663}
    assert "a tie" in words.headline_words(head) and "smaller" not in words.headline_words(head)


def test_cells_the_video_models_prior_filled_alone_are_not_called_a_models():
    """A gap the video model does not draw (under 9 frames) filled by its method is its classical prior's: the
    composition, the words, the downloads' `filled_by` and the self-check's table say so, and that no model drew
    a cell when none did."""
    expected = results.Expected(mean=0.5, measured=25, filled=25)
    alone = words.fill_words({"prior": 25}, expected, 6)
    assert "No model filled any cell" in alone and "all by classical prior alone" in alone and "drew nothing" in alone
    some = words.fill_words({"video": 25, "prior": 5}, expected, 6)
    assert "No model filled any cell" not in some and "5 by classical prior alone" in some
    assert "drew nothing" not in words.fill_words({"video": 30}, expected, 6)
    traj = kinviz.load_csv(kinviz.EXAMPLES_DIR / "pendulum-01.csv")  # random frames: gaps of 1-3 frames
    pred = kinviz.Predictor.load().predict(traj, kinviz.parse_mask("random", traj.n_frames, seed=0), seed=0)
    source = pred.source == pred.sources.index("video")
    assert source.any() and (pred.weight[source] == 0).all(), "short gaps: the video model's method, drawn by no model"
    assert "video" not in pred.composition() and pred.composition()["prior"] == source.sum()
    assert (pred.method_of()[source] == "prior").all()
    rows = {r["method"]: r["filled_cells"] for r in results.check_rows(pred)}
    assert rows["video"] == source.sum(), "the table counts them under the method that filled them"


def test_the_page_says_which_cells_the_model_changed():
    at = open_predict(example="collision-01", mask="5-7")  # a short gap: the smoother's alone
    at.button(key="run").click().run()
    assert_clean(at)
    run = at.session_state["_run"]
    assert any(words.composition_words(run.prediction.composition()) in m.value for m in at.markdown)
    assert run.report["model_changed_cells"] == 0
    coords = run.figure("coords")
    model = [t for t in coords.data if t.name == style.name(style.MODEL)]
    assert model and all(not np.asarray(t.marker.size).any() for t in model), "no dot: no cell is the model's"


def _with_spread(pred, factor: float):
    import dataclasses

    return dataclasses.replace(pred, spread=pred.spread * factor)


def test_a_wild_band_is_clipped_to_the_scene(upload_with_gaps):
    pred, _ = upload_with_gaps
    wild = _with_spread(pred, 1e4)
    lo, hi = scene.scene_box(pred.trajectory)
    for fig in (figures.coords_figure(wild, {}), figures.path_figure(wild, {})):
        (y0, y1) = (fig.layout.yaxis.range if fig.layout.yaxis.range else (None, None))
        span = (hi - lo).max()
        assert y1 - y0 < 3 * span, "the band does not squash the plot"
    fig = figures.coords_figure(wild, {})
    band = np.concatenate([np.asarray(t.y, float) for t in fig.data if t.hoverinfo == "skip"])
    band = band[np.isfinite(band)]
    assert band.min() >= lo.min() - scene.BAND_ROOM * (hi - lo).max() - 1e-9


@pytest.mark.parametrize("K", [4, 16])
def test_many_parts_get_their_own_colours_and_legend_and_no_crosses(K):
    traj = many_parts(60, K)
    pred = kinviz.Predictor.load().predict(traj, kinviz.parse_mask("20-40", 60), seed=0, compare=True)
    result = kinviz.score(pred, with_video=False)
    baselines = {"kalman": result.baselines["kalman"], "linear": result.baselines["linear"]}
    drawn = traj.names[: scene.MAX_DRAWN]  # every part hidden alike: the first eight by default
    for parts, names in ((None, drawn), (traj.names, traj.names)):
        for fig in (figures.coords_figure(pred, baselines, parts=parts), figures.path_figure(pred, baselines, parts=parts)):
            legend = [t.name for t in fig.data if t.showlegend is not False]
            assert set(names) <= set(legend) and not set(traj.names) - set(names) & set(legend), "the parts drawn"
            colours = {t.name: t.line.color for t in fig.data if t.name in traj.names and t.showlegend}
            assert len(set(colours.values())) == len(names), "one colour per part drawn"
            assert {style.name(m) for m in ("truth", style.MODEL, "kalman", "linear")} <= set(legend), "a key to the lines"
            assert fig.layout.legend.orientation == "v"
            assert not any(t.error_x and t.error_x.array is not None for t in fig.data), "no error-bar crosses"


def long_random_csv(T: int = 2000, K: int = 4) -> bytes:
    traj = many_parts(T, K)
    rows = ["time," + ",".join(f"{n}_x,{n}_y" for n in traj.names)]
    for i in range(T):
        rows.append(f"{traj.times[i]:.4f}," + ",".join(f"{x:.3f},{y:.3f}" for x, y in traj.positions[i]))
    return ("\n".join(rows) + "\n").encode()


def test_a_long_file_with_scattered_gaps_draws_shapes_in_one_call_and_figures_once(monkeypatch):
    """2,000 frames x 4 objects, 30 % hidden at random: the stretches are layout shapes set in one call (one
    add_vrect per stretch took minutes), and a rerun of the results reuses the run's figures."""
    import plotly.graph_objects as go

    calls = {"vrect": 0, "shape": 0, "coords": 0}
    for name, key in (("add_vrect", "vrect"), ("add_shape", "shape")):
        original = getattr(go.Figure, name)
        monkeypatch.setattr(go.Figure, name, lambda self, *a, _o=original, _k=key, **kw: (
            calls.__setitem__(_k, calls[_k] + 1), _o(self, *a, **kw))[1])
    coords = figures.coords_figure
    monkeypatch.setattr(figures, "coords_figure", lambda *a, **kw: (calls.__setitem__("coords", calls["coords"] + 1),
                                                                   coords(*a, **kw))[1])
    at = open_predict()
    at.session_state["upload"] = None
    data = long_random_csv()
    monkeypatch.setattr(results, "read_upload", results.read_upload)  # the real reader
    traj = kinviz.load_csv(data, name="long.csv")
    assert not traj.warnings, traj.warnings  # 4 decimals at 30 Hz: no 'uneven' warning
    mask = kinviz.parse_mask("random", traj.n_frames, seed=0)
    pred = kinviz.Predictor.load().predict(traj, mask, seed=0, compare=True)
    run = results.build_run(pred, source="upload", spec="random", meta={}, device="cpu")
    fig = run.figure("coords")
    runs = len(kinviz.mask_runs(pred.hidden))
    assert runs > 100 and len(fig.layout.shapes) == 2 * runs
    assert len(run.figure("errors").layout.shapes) == runs
    assert calls["vrect"] == 0 and calls["shape"] == 0
    assert run.figure("coords") is fig and calls["coords"] == 1, "built once per run"
    assert "SSIM" not in results.metrics_table(run.result).columns  # picture scores skipped on long files


def test_the_page_reuses_a_runs_figures_on_a_rerun(monkeypatch):
    built = []
    coords = figures.coords_figure
    monkeypatch.setattr(figures, "coords_figure", lambda *a, **kw: built.append(1) or coords(*a, **kw))
    at = open_predict(example="pendulum-01", mask="10-21")
    at.button(key="run").click().run()
    assert_clean(at)
    assert len(built) == 1
    at.run()
    at.number_input(key="seed").set_value(1).run()  # a rerun that changes no figure
    assert_clean(at)
    assert len(built) == 1, "once per run, not once per rerun"


def test_url_text_is_shown_as_text_never_as_markdown():
    at = open_predict(example="[click me](https://evil.example)")
    assert_clean(at)
    shown = " ".join(w.value for w in at.warning)
    assert "`[click me](https://evil.example)`" in shown, shown
    at = open_predict(mask="**[x](https://evil.example)**")
    shown = " ".join(w.value for w in at.warning)
    outside_code = shown.split("`")[::2]
    assert shown and not any("](" in part or "**" in part for part in outside_code), shown


def test_example_names_are_checked_before_a_path_is_built():
    from kinviz_app import cache

    for name in ("../../README", "/etc/passwd", "pendulum-01/../pendulum-01"):
        with pytest.raises(kinviz.CSVError, match="no bundled example"):
            cache.example(name)


def test_decoding_passes_are_capped():
    at = open_predict()
    assert at.number_input(key="steps").max == 24


def test_the_scores_say_how_far_the_self_checks_promise_held_on_the_scored_cells():
    assert "within the factor 1.5" in words.promise_words(5.5, 4.0, 10, 10)
    said = words.promise_words(5.5, 12.4, 8, 10)
    assert "about 5.50" in said and "12.4" in said and "the error was 2.3x its promise" in said
    assert "8 of the 10 cells" in said
    assert "its promise was 3.0x the error" in words.promise_words(3.0, 1.0, 4, 4)
    assert words.promise_words(None, 1.0, 0, 4) == "" and words.promise_words(1.0, float("nan"), 4, 4) == ""
