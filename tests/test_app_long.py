"""Plots of long files stay light for the browser (issue 31 §5): a line over thousands of frames is drawn
through an overview of them away from the hidden frames, with every gap and every extreme kept; the
timeline draws a bar per stretch on a long file (a marker per frame on a short one), and a box on it still hides
every frame under it."""

from __future__ import annotations

import numpy as np

from apphelp import many_parts  # first: puts the checkout on sys.path, as `streamlit run app.py` would
import kinviz  # noqa: E402
from kinviz_app import charts, figures, scene  # noqa: E402


def wobble(T: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(size=T))


def test_a_short_line_keeps_every_frame():
    v = wobble(500)
    assert np.array_equal(scene.overview(v, np.zeros(500, bool)), np.arange(500))


def test_a_long_line_keeps_its_full_frames_its_gaps_and_its_extremes():
    T = 7200
    v = wobble(T)
    v[1000:1040] = np.nan  # a gap
    v[5000] = 1e3  # a tracker's jump, one frame
    full = np.zeros(T, bool)
    full[3000:3100] = True
    idx = scene.overview(v, full, budget=1500)
    assert len(idx) < 0.4 * T, len(idx)
    assert set(range(3000, 3100)) <= set(idx), "every frame near the hidden ones"
    assert 5000 in idx and int(np.nanargmin(v)) in idx, "the extremes stay on the line"
    assert {999, 1000, 1039, 1040} <= set(idx), "both ends of the gap, so the line breaks there"
    for a, b in zip(idx[:-1], idx[1:]):  # no drawn segment spans a frame that has no value
        if np.isfinite(v[a]) and np.isfinite(v[b]):
            assert np.isfinite(v[a : b + 1]).all(), (a, b)


def test_a_long_line_crosses_the_short_gaps_it_is_told_to_and_breaks_at_the_rest():
    T = 7200
    v = wobble(T)
    v[2000] = v[4000:4002] = np.nan  # a tracker's blips
    v[5000:5040] = np.nan  # a long gap
    crossed = ~np.isfinite(v) & kinviz.core.masks.short_gaps(np.isfinite(v)[:, None], scene.BRIDGE + 1)[:, 0]
    assert np.flatnonzero(crossed).tolist() == [2000, 4000, 4001]
    idx = scene.overview(v, np.zeros(T, bool), crossed=crossed)
    assert not set(idx) & {2000, 4000, 4001}, "no point where the line crosses"
    assert {4999, 5000, 5039, 5040} <= set(idx), "a long gap still breaks the line"
    short = wobble(300)
    short[100] = np.nan
    assert 100 in scene.overview(short, np.zeros(300, bool), crossed=~np.isfinite(short)), "a short line keeps all"
    mid = wobble(1000)
    mid[500] = np.nan  # buckets of 3 frames: a one-frame gap would show, so the line breaks there
    assert 500 in scene.overview(mid, np.zeros(1000, bool), crossed=~np.isfinite(mid))


def test_a_long_files_figures_draw_every_frame_only_near_the_hidden_ones():
    traj = many_parts(7200, 3)
    mask = kinviz.parse_mask(f"{traj.names[0]}:3000-3060", traj.n_frames, names=traj.names)
    positions = traj.positions.copy()
    filled = np.asarray(mask, bool)
    pred_points = np.where(filled[..., None], positions + 1.0, np.nan)
    fig = figures.fill_figure(traj, ~filled, pred_points)
    for trace in fig.data[:-1]:  # the seen paths; the last trace holds the fill's dots
        assert len(trace.x) < 3000, (trace.name, len(trace.x))
    truth = traj.positions[:, 0]
    idx = scene.overview(np.where(~filled[:, :1], truth, np.nan), figures.near(filled[:, 0]))
    assert set(range(2999, 3062)) <= set(idx)


def test_a_long_files_timeline_draws_a_bar_per_stretch_not_a_marker_per_frame():
    traj = many_parts(7200, 6)
    hidden = np.zeros((7200, 6), bool)
    hidden[3000:3061, 1] = True
    fig = charts.timeline_figure(traj, hidden)
    assert [t.name for t in fig.data] == ["observed", "missing in file", "hidden (to fill)"], "one trace per kind"
    assert all(t.fill == "toself" for t in fig.data), "each kind one shape"
    observed, _, hid = fig.data
    assert len(observed.x) == 5 * 6, "one bar per row, under the gaps' and the hidden frames'"
    lo, hi = sorted({v for v in hid.x if v is not None})
    assert 2999.5 - 7200 / 1000 < lo <= 2999.5 and 3060.5 <= hi < 3060.5 + 7200 / 1000, "the hidden stretch, a pixel wider"
    assert {round(v) for v in hid.y if v is not None} == {6 - 1 - 1}, "row by row, the first part on top"
    assert list(fig.layout.yaxis.ticktext) == list(traj.names[::-1])


def test_a_short_files_timeline_has_a_marker_per_frame_to_click():
    traj = many_parts(200, 3)
    hidden = np.zeros(200, bool)
    hidden[50:60] = True
    fig = charts.timeline_figure(traj, hidden)
    observed, missing, hid = fig.data
    assert observed.mode == "markers" and len(observed.x) + len(hid.x) + len(missing.x) == 600, "every cell"
    assert sorted(set(hid.x)) == list(range(50, 60)) and len(hid.x) == 30, "each hidden frame, in every part"


def test_a_box_on_the_timeline_hides_every_frame_under_it():
    box = {"points": [{"x": 3004, "y": 2}], "box": [{"x": [2999.6, 3060.2], "y": [0, 5]}], "lasso": []}
    assert charts.selected_frames(box, 7200) == list(range(3000, 3061))
    assert charts.selected_frames({"points": [{"x": 12.0}], "box": [], "lasso": []}, 7200) == [12]
    assert charts.selected_frames({"points": [], "box": [{"x": [-5, 3.4]}]}, 7200) == [0, 1, 2, 3], "within the file"
