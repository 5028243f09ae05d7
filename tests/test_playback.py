"""The Predict page's playback (kinviz_app/playback.py): the positions the browser draws are the recording's and
the fill's, in the tile's pixels, frame by frame; the page gets a canvas that plays them. Drawn and played in
Chromium by tests/test_browser.py."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from apphelp import many_parts  # first: puts the checkout on sys.path, as `streamlit run app.py` would
import kinviz  # noqa: E402
from kinviz_app import media, playback, scene  # noqa: E402


@pytest.fixture(scope="module")
def prediction():
    """Three parts, part1 hidden at 40-59 and part2 missing in the file at 45-47: the playback's window."""
    whole = many_parts(120, 3)
    positions = whole.positions.copy()
    positions[45:48, 2] = np.nan
    traj = kinviz.from_arrays(np.arange(120) / 30, positions, whole.names)
    mask = kinviz.parse_mask("part1:40-59", 120, names=traj.names)
    return kinviz.Predictor.load().predict(traj, mask, seed=0, compare=False)


def test_the_frames_are_the_recording_and_the_fill_in_the_tiles_pixels(prediction):
    start, stop = 30, 70
    spec = playback.frames(prediction, start, stop)
    framing = media.view_framing(prediction, start, stop, spec["size"])
    n, K = stop - start, prediction.trajectory.n_objects
    assert spec["frames"] == list(range(start, stop)) and len(spec["colours"]) == K
    assert spec["hidden"] == prediction.hidden[start:stop].tolist()
    assert spec["filled"] == prediction.filled[start:stop].tolist()
    for name in ("truth", "fill", "band"):
        assert len(spec[name]) == n and all(len(row) == K for row in spec[name]), name
    truth = framing.to_pixels(prediction.trajectory.positions[start:stop])
    fill = framing.to_pixels(prediction.positions[start:stop])
    for i in range(n):
        for k in range(K):
            seen = spec["truth"][i][k]
            if np.isfinite(truth[i, k]).all():
                np.testing.assert_allclose(seen, truth[i, k], atol=0.051)
            else:  # the file's own gap: nothing drawn on the recording's side
                assert seen is None and 45 <= start + i <= 47 and k == 2
            np.testing.assert_allclose(spec["fill"][i][k], fill[i, k], atol=0.051)  # every cell has a fill here
            band = spec["band"][i][k]
            assert (band is not None) == bool(prediction.filled[start + i, k] and scene.spread(prediction) is not None)
            if band is not None:  # at least a disc, at most a third of the tile
                assert spec["radius"] - 1e-6 <= min(band) and max(band) <= spec["size"] / 3 + 1e-6
    assert spec["backdrop"].startswith("data:image/png;base64,")


def test_the_page_gets_a_canvas_and_the_script_that_plays_it(prediction):
    spec = playback.frames(prediction, 30, 70)
    page = playback.html_of(spec, "predict")
    assert page.startswith('<canvas id="kinviz-playback-predict"')
    data = re.search(r"const S = (\{.*?\}), c = document", page, re.S).group(1)
    assert json.loads(data) == json.loads(json.dumps(spec)), "the positions reach the script as they were sent"
    assert "NaN" not in data
