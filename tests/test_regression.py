"""The fills learned from the parts seen together: regression on partners (bridged) and PCA."""

from __future__ import annotations

import numpy as np
import pytest

from kinviz.classical import pca, regression

FILLS = {"regression": regression.fill, "pca": pca.fill}


def rigid(T: int, K: int, seed: int = 0, noise: float = 0.02) -> np.ndarray:  # (T, K, 2)
    """A rigid body wandering and turning, its parts tracked with noise."""
    rng = np.random.default_rng(seed)
    offsets = rng.normal(size=(K, 2)) * 3
    angle = np.cumsum(rng.normal(0, 0.05, T))
    rot = np.stack([np.stack([np.cos(angle), -np.sin(angle)], -1), np.stack([np.sin(angle), np.cos(angle)], -1)], -2)
    centre = np.cumsum(rng.normal(0, 0.5, (T, 2)), 0)
    return np.einsum("tij,kj->tki", rot, offsets) + centre[:, None] + rng.normal(0, noise, (T, K, 2))


def hide(pos: np.ndarray, seed: int = 1, share: float = 0.05) -> np.ndarray:
    """Runs of 5-40 frames of random parts hidden, about ``share`` of the cells."""
    rng = np.random.default_rng(seed)
    known = pos.copy()
    T, K, _ = pos.shape
    for _ in range(max(1, int(share * T * K / 20))):
        k, L = rng.integers(K), rng.integers(5, 41)
        s = rng.integers(0, max(T - L, 1))
        known[s : s + L, k] = np.nan
    return known


@pytest.mark.parametrize("name", FILLS)
@pytest.mark.parametrize("T,K", [(10, 1), (10, 4), (60, 3), (300, 6), (2000, 25), (500, 2)])
def test_shapes_and_observed_cells_exact(name, T, K):
    known = hide(rigid(T, K))
    mean, var = FILLS[name](known)
    assert mean.shape == var.shape == known.shape
    seen = np.isfinite(known)
    assert np.array_equal(mean[seen], known[seen]) and (var[seen] == 0).all()
    answered = np.isfinite(mean)
    assert np.array_equal(answered, np.isfinite(var)) and (var[answered] >= 0).all()


@pytest.mark.parametrize("name", FILLS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hidden_values_never_reach_the_output(name, seed):
    known = hide(rigid(400, 5, seed), seed)
    mask = np.isnan(known)
    other = known.copy()
    other[mask] = np.random.default_rng(seed).normal(size=mask.sum()) * 1e3  # then hidden again below
    other[mask] = np.nan
    a, b = FILLS[name](known), FILLS[name](np.where(mask, np.nan, other))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    # Garbage under a part's gap that the fill is told is unseen: only NaN enters, so nothing changes.
    assert np.isfinite(a[0][mask]).mean() > 0.9


@pytest.mark.parametrize("name", FILLS)
@pytest.mark.parametrize("seed", [0, 3])
def test_rigid_body_beats_linear_interpolation(name, seed):
    pos = rigid(1500, 5, seed)
    known = pos.copy()
    gaps = [(200, 240, 1), (700, 760, 3), (1100, 1130, 0)]
    for s, e, k in gaps:
        known[s:e, k] = np.nan
    mean, var = FILLS[name](known)
    for s, e, k in gaps:
        t = np.arange(s, e)
        seen = np.flatnonzero(np.isfinite(known[:, k, 0]))
        lin = np.stack([np.interp(t, seen, known[seen, k, j]) for j in range(2)], -1)
        ours = np.linalg.norm(mean[s:e, k] - pos[s:e, k], axis=-1).mean()
        assert ours < 0.5 * np.linalg.norm(lin - pos[s:e, k], axis=-1).mean()
        # Honest spread: the errors sit mostly within 2 s.d.
        assert (np.abs(mean[s:e, k] - pos[s:e, k]) < 2 * np.sqrt(var[s:e, k])).mean() > 0.7


@pytest.mark.parametrize("name", FILLS)
def test_independent_objects_get_a_large_variance(name):
    # Three pucks wandering on their own: the partners say little, and the variance must say so.
    rng = np.random.default_rng(5)
    T = 1500
    pucks = np.cumsum(rng.normal(0, 0.5, (T, 3, 2)), 0) + rng.normal(0, 0.02, (T, 3, 2))
    known = pucks.copy()
    known[700:760, 1] = np.nan
    _, var_free = FILLS[name](known)
    body = rigid(T, 3, 5)
    known_body = body.copy()
    known_body[700:760, 1] = np.nan
    mean_body, _ = FILLS[name](known_body)
    rigid_error = np.mean((mean_body[700:760, 1] - body[700:760, 1]) ** 2)
    assert np.nanmean(var_free[700:760, 1]) > 50 * rigid_error


@pytest.mark.parametrize("name", FILLS)
def test_a_part_never_seen_with_partners_gets_no_answer(name):
    pos = rigid(300, 4)
    known = pos.copy()
    known[:150, 2] = np.nan  # part 2 seen only while all others are hidden
    known[150:, [0, 1, 3]] = np.nan
    known[200:220, 2] = np.nan
    mean, var = FILLS[name](known)
    assert np.isnan(mean[:150, 2]).all() and np.isnan(var[:150, 2]).all()
    assert np.isnan(mean[200:220, 2]).all()


def test_regression_needs_enough_co_seen_frames():
    pos = rigid(300, 4)
    known = pos.copy()
    known[15:, 1] = np.nan  # 15 co-seen frames < MIN_FRAMES
    mean, _ = regression.fill(known)
    assert np.isnan(mean[15:, 1]).all()
    mean, _ = regression.fill(known, min_frames=10)
    assert np.isfinite(mean[15:, 1]).all()


def test_regression_bridges_to_the_gap_edges():
    # A part off its rigid place by a slowly drifting offset: the bridge carries the edges' offset.
    rng = np.random.default_rng(2)
    pos = rigid(1000, 4, 2, noise=0.0)
    drift = np.cumsum(rng.normal(0, 0.05, (1000, 2)), 0)
    pos[:, 2] += drift
    known = pos.copy()
    known[500:530, 2] = np.nan
    plain, _ = regression.fill(known, bridge=False)
    bridged, _ = regression.fill(known)
    err = lambda m: np.linalg.norm(m[500:530, 2] - pos[500:530, 2], axis=-1).mean()  # noqa: E731
    assert err(bridged) < 0.5 * err(plain)
