"""The app's figures and frames (issue 14: one look for methods, frames people can see), built from
predictions and driven with streamlit.testing.v1.AppTest (no browser; see test_browser.py).

Uses the shipped checkpoint, or $KINVIZ_CHECKPOINT when set (a tiny one keeps these fast). Shared helpers:
tests/apphelp.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from apphelp import (  # first: puts the checkout on sys.path, as `streamlit run app.py` would
    assert_clean, csv_text, many_parts, open_predict,
)
from apphelp import upload_with_gaps  # noqa: F401  (a fixture)
import kinviz  # noqa: E402
from kinviz_app import charts, figures, media, results, scene, style  # noqa: E402


# ----------------------------------------------------------------------------- issue 14: one look for methods


def test_every_method_has_one_name_and_one_colour_in_every_chart(upload_with_gaps):
    pred, result = upload_with_gaps
    baselines = {m: result.baselines.get(m, pred.fills.get(m)) for m in kinviz.METHODS
                 if m != style.MODEL and (m in result.baselines or m in pred.fills)}  # the candidates' fills too
    assert {"video", "kalman"} <= set(baselines)
    names = {style.name(m): style.colour(m) for m in style.METHODS}
    assert len(set(names.values())) == len(names), "no two methods share a colour"
    for fig in (figures.coords_figure(pred, baselines), figures.path_figure(pred, baselines), figures.error_figure(pred, baselines)):
        for trace in fig.data:
            if trace.name in names:
                assert trace.line.color == names[trace.name], (trace.name, trace.line.color)
        legend = [t.name for t in fig.data if t.showlegend is not False]
        assert len(legend) == len(set(legend)), "one legend entry per method"
    coords = figures.coords_figure(pred, baselines)
    truth = [t for t in coords.data if t.name == "ground truth"][0]
    assert np.isnan(np.asarray(truth.y, float)[[7, 8, 9]]).all(), "no truth line where the file has no truth"
    assert truth.connectgaps is False


def test_xy_plot_is_to_scale_and_holds_every_point(upload_with_gaps):
    pred, result = upload_with_gaps
    fig = figures.path_figure(pred, {"linear": result.baselines["linear"]})
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    for t in fig.data:
        x, y = np.asarray(t.x, float), np.asarray(t.y, float)
        ok = np.isfinite(x) & np.isfinite(y)
        assert (x[ok] > x0).all() and (x[ok] < x1).all() and (y[ok] > y0).all() and (y[ok] < y1).all()


def test_a_tiny_wobble_does_not_fill_the_axis():
    """A forecast of flat motion autoscaled y to -0.495..-0.505: an axis spans a share of the scene."""
    t = np.arange(20) * 0.1
    traj = kinviz.from_arrays(t, np.stack([t * 5, -0.5 + 1e-4 * np.sin(t)], -1)[:, None])
    mask = np.zeros(20, bool)
    mask[15:] = True
    pred = kinviz.Predictor.load().predict(traj, mask, seed=0, compare=True)
    fig = figures.coords_figure(pred, {})
    y0, y1 = fig.layout.yaxis2.range
    assert y1 - y0 >= scene.MIN_SPAN * scene.scene_size(traj)


def test_the_band_is_drawn_from_the_models_spread(upload_with_gaps):
    pred, result = upload_with_gaps
    fig = figures.coords_figure(pred, {})
    band = [t for t in fig.data if t.fill == "toself"]
    if scene.spread(pred) is None:
        pytest.skip("this kinviz's Prediction has no spread yet")
    assert band, "the model's samples give a spread: the band shows it"
    assert not figures.coords_figure(pred, {}, band=False).data[0].fill


def test_bars_stay_readable_when_one_method_explodes():
    import pandas as pd

    fig = charts.method_bars(pd.Series({results.MODEL_LABEL: 1.2, "linear": 1.4, "cubic spline": 658.0}))
    assert fig.layout.yaxis.type == "log"
    assert [b for b in fig.data[0].marker.color] == [style.colour(style.MODEL), style.colour("linear"), style.colour("cubic")]
    assert charts.method_bars(pd.Series({results.MODEL_LABEL: 1.2, "linear": 1.4})).layout.yaxis.type == "linear"


# ----------------------------------------------------------------------------- issue 14: frames people can see


def test_frames_are_large_cropped_and_mark_hidden_frames(upload_with_gaps):
    pred, _ = upload_with_gaps
    strip = media.strip_image(pred, 5, 15)
    assert strip.shape[0] >= 3 * media.TILE and strip.shape[1] >= 10 * media.TILE
    amber = (np.abs(strip.astype(int) - style.HIDDEN_RGB).sum(-1) < 30)
    assert amber[:, : 120 + 2 * (media.TILE + media.GAP)].sum() == 0, "frames 5-6 are neither hidden nor empty"
    assert amber.sum() > 0, "the filled frames 7-9 (empty in the file) are not hidden; 14 is: amber"
    # The object fills a fair share of its tile (cropped to where it moves), and is drawn in its own colour.
    tile = np.asarray(media.Tiles(pred, media.view_framing(pred, 5, 15, 128))(8, "pred"))
    red = (tile[..., 0] > 200) & (tile[..., 1] < 80) & (tile[..., 2] < 80)
    assert red.sum() > 50, "the prediction at an empty frame is drawn, in the object's own red"


@pytest.mark.parametrize("K", [1, 4, 20])
def test_the_fill_in_the_scene_is_a_few_traces_at_equal_scale(K):
    """The live fill: each part's seen path (broken where unseen), in its colour for the parts drawn (at most
    ``scene.MAX_DRAWN``: the hidden ones and their nearest partners), the others in one grey path, and the dots,
    in a handful of traces however many parts, at equal scale."""
    traj = many_parts(60, K) if K > 1 else kinviz.load_csv(csv_text(60))
    seen = np.ones((60, K), bool)
    seen[20:30] = False
    points = np.full((60, K, 2), np.nan)
    points[20:30] = traj.positions[20:30] + 0.01
    fig = figures.fill_figure(traj, seen, points)
    *paths, dots = fig.data
    drawn = min(K, scene.MAX_DRAWN)
    assert len(paths) == drawn + (K > drawn) and len(dots.x) == 10 * K
    assert all(np.isnan(np.asarray(p.x, float)).sum() >= 1 for p in paths)  # broken at the hidden frames
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.height == figures.LIVE_HEIGHT
    if K == 1:
        assert dots.marker.color == style.colour(style.MODEL)
    else:
        assert len(set(dots.marker.color)) == drawn + (K > drawn)  # the parts not drawn: grey
        assert [p.line.color for p in paths[:drawn]] == style.PART_COLOURS[:drawn]


def test_the_fill_is_drawn_live_under_run_and_stays_after_it(monkeypatch):
    """Run draws the hidden points as the model draws them (each stage of the decoding, never from a buffer
    afterwards: the figure is built inside the callback), then the fill, which a rerun keeps on screen."""
    import kinviz.inference.videofill as predict_module

    drawn = []
    fill = figures.fill_figure
    monkeypatch.setattr(figures, "fill_figure", lambda traj, seen, points, **kw: drawn.append(
        (seen.copy(), np.isfinite(points).all(axis=-1))) or fill(traj, seen, points, **kw))
    at = open_predict(example="pendulum-01", mask="10-21")
    assert [m.value for m in at.markdown if "Press Run" in m.value] and len(drawn) == 1  # the scene, before a run
    at.button(key="run").click().run()
    assert_clean(at)
    live = drawn[2:-1]  # after the scene before the run and the empty start, before the fill
    assert len(live) == predict_module.PREVIEW_STAGES
    for seen, dots in live:
        assert dots.any() and not (dots & seen).any()  # dots on hidden cells only
        assert not seen[10:22].any() and seen[:10].all()
    assert drawn[-1][1][10:22].all(), "the fill: every hidden point"
    headline = [m.value for m in at.markdown if "Done" in m.value]
    assert headline == ["**Done: the fill, in the scene**"], headline
    at.run()  # a rerun of the results
    assert [m.value for m in at.markdown if "Done" in m.value] == headline
    assert len(drawn) == 3 + predict_module.PREVIEW_STAGES, "the fill figure is the run's, built once"
