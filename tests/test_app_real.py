"""Issue 31, real files: bands per stretch, long files opening on the hidden stretch, many parts and part
masks, checked with streamlit.testing.v1.AppTest (no browser; see test_browser.py).

Uses the shipped checkpoint, or $KINVIZ_CHECKPOINT when set (a tiny one keeps these fast). Shared helpers:
tests/apphelp.py.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from apphelp import (  # first: puts the checkout on sys.path, as `streamlit run app.py` would
    assert_clean, csv_text, many_parts, open_predict,
)
from apphelp import upload_with_gaps  # noqa: F401  (a fixture)
import kinviz  # noqa: E402
from kinviz_app import figures, results, scene, style  # noqa: E402


# ----------------------------------------------------------------------------- issue 31: real files


def test_the_band_is_one_polygon_per_filled_stretch(upload_with_gaps):
    """Two gaps with seen frames between them: the band never joins them across those frames."""
    pred, _ = upload_with_gaps
    fig = figures.coords_figure(pred, {})
    if scene.spread(pred) is None:
        pytest.skip("this kinviz's Prediction has no spread yet")
    filled = pred.filled[:, 0]
    allowed = figures.near(filled)
    for band in (t for t in fig.data if t.fill == "toself"):
        x = np.asarray(band.x, float)
        for poly in np.split(x, np.flatnonzero(np.isnan(x))):
            frames = poly[np.isfinite(poly)].astype(int)
            if len(frames):
                assert allowed[frames].all() and filled[frames.min():frames.max() + 1][1:-1].all(), frames


def test_a_long_file_opens_on_the_hidden_stretch():
    """7,200 frames, one part hidden at 3000-3060: the coordinates open zoomed there (both axes),
    the strip and the playback are centred on it, the download shows every part."""
    traj = many_parts(7200, 6)
    mask = kinviz.parse_mask("part2:3000-3060", 7200, names=traj.names)
    pred = kinviz.Predictor.load().predict(traj, mask, seed=0, compare=True)
    run = results.build_run(pred, source="upload", spec="part2:3000-3060", meta={}, device="cpu")
    fig = run.figure("coords")
    lo, hi = fig.layout.xaxis2.range
    assert tuple(fig.layout.xaxis.range) == (lo, hi) and lo < 3000 and hi > 3060 and hi - lo < 400
    a, b = run.window
    assert a < 3000 and b > 3060 and abs((a + b) / 2 - 3030) <= 2
    start, stop = scene.focus_window(results.focus(pred), 10)
    assert start <= 3000 < stop, "the strip opens where the hidden stretch starts"
    gif = Image.open(io.BytesIO(run.video))
    assert gif.n_frames == b - a and gif.size[0] > 128, "the scene, larger than the model's own view"
    assert run.parts == traj.names, "six parts: every one drawn"
    # The other fills are drawn where frames were hidden: a part with none of them gets no trace of theirs (an empty
    # trace still cost Chromium its drawing); each fill keeps its key entry in the legend.
    for kind in ("coords", "path"):
        fills = [t for t in run.figure(kind).data if (t.legendgroup or "").startswith("fill:")]
        keys = {t.legendgroup for t in fills if " · " not in t.name}  # the legend's entry per fill, over every part
        drawn = [t for t in fills if " · " in t.name]  # a part's own line of a fill
        assert drawn and all(np.isfinite(np.asarray(t.y, float)).any() for t in drawn), kind
        assert {t.name.split(" · ")[0] for t in drawn} == {"part2"}, kind
        assert {t.legendgroup for t in drawn} <= keys, kind


def test_many_parts_draw_the_hidden_ones_and_their_nearest_partners():
    traj = many_parts(100, 25)
    cells = np.zeros((100, 25), bool)
    cells[40:60, 7] = True
    drawn = scene.default_parts(traj, cells)
    assert len(drawn) == scene.MAX_DRAWN and "part7" in drawn
    colours = style.part_colours(traj.names, drawn)
    assert len({colours[n] for n in drawn}) == len(drawn) and colours["part24" if "part24" not in drawn else "part0"]


@pytest.mark.parametrize("query, parts, frames", [({"example": "collision-01", "mask": "a:30-59"}, ["a"], (30, 59))])
def test_a_part_mask_from_a_link_or_typed(query, parts, frames):
    at = open_predict(**query)
    assert_clean(at)
    assert at.multiselect(key="parts").value == parts and at.slider(key="mask").value == frames
    at.text_input(key="spec").set_value("b:10-20,c:15-25").run()
    assert_clean(at)
    assert at.query_params["mask"] in ("b:10-20,c:15-25", ["b:10-20,c:15-25"])
    assert at.multiselect(key="parts").value == ["b", "c"]
    at.text_input(key="spec").set_value("Z:1-2").run()
    assert any("there is no part 'Z'" in e.value for e in at.error)
    at.slider(key="mask").set_range(40, 49).run()  # the slider keeps the parts picked
    assert at.query_params["mask"] in ("b:40-49,c:40-49", ["b:40-49,c:40-49"])
    at.button(key="run").click().run()
    assert_clean(at)
    cells = at.session_state["_run"].prediction.hidden_cells
    assert cells[40:50, 1:].all() and not cells[:, 0].any() and cells.sum() == 20


def test_an_upload_is_parsed_once_per_content(monkeypatch):
    from kinviz_app import cache

    calls = []
    load = kinviz.load_track
    monkeypatch.setattr(kinviz, "load_track", lambda *a, **k: calls.append(1) or load(*a, **k))
    cache.parse.clear()
    data = csv_text(30).encode()
    first = cache.upload("a.csv", data)
    assert cache.upload("a.csv", bytes(data)).n_frames == first.n_frames and len(calls) == 1
    cache.upload("a.csv", data.replace(b"0.05", b"0.06"))
    assert len(calls) == 2
