"""Real tracker files end to end: whatever their all-missing stretches, a file fills with no traceback.

The shared real files (``../shared``, beside the checkout) are read when present: each is cut to a
seeded stretch of 240 frames (the whole file where shorter) and filled, or refused in one line when
kinviz does not read its format (3-D motion capture, JABS pose files). Without them, a synthetic file
with the same shape stands in: an animal in view for 80 of 300 frames, half its parts lost there."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import kinviz

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = sorted(p for d in ("real-train", "real-multipart", "real-dev") for p in (SHARED / d).rglob("*")
              if p.is_file() and p.name != "README.md")
STRETCH = 240


@pytest.fixture(scope="module")
def predictor():
    return kinviz.Predictor.load(device="cpu")


def _filled_exactly(traj, pred):
    seen = ~traj.missing
    assert np.isfinite(pred.positions[seen]).all()
    np.testing.assert_array_equal(pred.positions[seen], traj.positions[seen])
    assert np.isfinite(pred.positions[~traj.missing.all(axis=0)[None].repeat(traj.n_frames, 0)]).all()


def test_a_file_seen_only_in_a_short_stretch_fills(predictor):
    """The crash of issue 31: a window whose every frame lacks one of its parts has no view to draw."""
    rng = np.random.default_rng(0)
    T, K = 300, 4
    t = np.arange(T) / 100
    pos = np.stack([np.cos(3 * t), np.sin(5 * t)], -1)[:, None] * 100 + rng.normal(0, 20, (1, K, 2))
    pos = pos + rng.normal(0, 1, (T, K, 2))
    seen = np.zeros((T, K), bool)
    seen[120:200] = rng.random((80, K)) < 0.5
    pos[~seen] = np.nan
    traj = kinviz.from_arrays(t, pos, [f"p{k}" for k in range(K)])
    _filled_exactly(traj, predictor.predict(traj, None))


@pytest.mark.skipif(not REAL, reason="../shared real files are not beside this checkout")
@pytest.mark.parametrize("path", REAL, ids=[p.name[:40] for p in REAL])
def test_every_shared_real_file_fills_or_is_refused_in_one_line(path, predictor):
    try:
        traj = kinviz.load_track(path)
    except kinviz.KinvizError as e:  # a format kinviz does not read: one line for people
        assert "\n" not in str(e).strip() and str(e).strip()
        return
    rng = np.random.default_rng(abs(hash(path.name)) % 2**32)
    start = int(rng.integers(0, max(1, traj.n_frames - STRETCH)))
    pos = traj.positions[start: start + STRETCH]
    parts = np.flatnonzero(np.isfinite(pos).all(-1).any(0))  # a stretch keeps the parts seen in it
    if not len(parts):
        return
    cut = kinviz.from_arrays(traj.times[start: start + STRETCH], pos[:, parts], [traj.names[k] for k in parts])
    _filled_exactly(cut, predictor.predict(cut, None))
