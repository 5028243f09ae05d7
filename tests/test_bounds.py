"""Bounded fills: whatever fills a gap, the answer stays within the part's plausible envelope and says so."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import kinviz
from kinviz.classical import kalman
from kinviz.inference import bounds


def oscillation(T: int) -> np.ndarray:  # (T, 1, 2) x within +-50, y within +-30
    t = np.arange(T) / 30
    return np.stack([50 * np.sin(2 * np.pi * t / 7), 30 * np.cos(2 * np.pi * t / 5)], -1)[:, None]


def outside(known, positions) -> int:
    low, high, _ = bounds.envelope(known)
    return int(((positions < low) | (positions > high)).any(-1).sum())


def test_a_quadratic_forecast_is_held_and_kept_inside():
    """The smoother's constant-acceleration forecast of a long oscillation left the scene by 35 times its range."""
    pos = oscillation(1000)
    known = pos.copy()
    known[750:] = np.nan
    mean, var, _ = kalman.fill(np.arange(1000) / 30, known)
    assert outside(known, mean) > 0, "the smoother alone leaves the envelope (the defect this guards)"
    b = bounds.bound(known, mean, np.sqrt(var))
    assert outside(known, b.positions) == 0 and b.held.any() and b.notes()
    np.testing.assert_array_equal(b.positions[:750], pos[:750])


@settings(max_examples=40, deadline=None)
@given(T=st.integers(20, 400), K=st.integers(1, 4), seed=st.integers(0, 10_000), walk=st.booleans())
def test_any_fill_of_any_mask_stays_in_the_envelope(T, K, seed, walk):
    rng = np.random.default_rng(seed)
    pos = np.cumsum(rng.normal(0, 3, (T, K, 2)), 0) if walk else oscillation(T) + rng.normal(0, 5, (1, K, 2))
    hidden = rng.random((T, K)) < rng.uniform(0.05, 0.6)
    hidden[rng.integers(T)] = False  # every part keeps a seen frame somewhere
    for k in range(K):
        hidden[rng.integers(T), k] = False
    known = np.where(hidden[..., None], np.nan, pos)
    wild = np.where(hidden[..., None], rng.normal(0, 1e4, pos.shape), pos)  # any method, however wrong
    b = bounds.bound(known, wild, np.abs(rng.normal(0, 1e3, pos.shape)))
    assert outside(known, b.positions) == 0
    np.testing.assert_array_equal(b.positions[~hidden], pos[~hidden])
    assert (b.spread >= 0).all()


def test_predict_keeps_a_long_forecast_inside_and_no_worse_than_holding(untrained_predictor):
    pos = oscillation(1000)
    traj = kinviz.from_arrays(np.arange(1000) / 30, pos, ["a"])
    mask = kinviz.task_mask("forecast", 1000)
    pred = untrained_predictor.predict(traj, mask, methods=("kalman", "linear", "hold"))
    known = np.where(mask[:, None, None], np.nan, pos)
    assert outside(known, pred.positions) == 0
    hold = np.linalg.norm(pos[mask, 0] - pos[~mask][-1, 0], axis=-1).mean()
    assert np.linalg.norm(pred.positions[mask, 0] - pos[mask, 0], axis=-1).mean() <= hold * (1 + 1e-9)
