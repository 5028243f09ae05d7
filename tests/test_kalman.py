import numpy as np
import pytest

from kinviz.classical import kalman
from kinviz.classical.baselines import fill_baseline
from kinviz.core.masks import task_mask


def test_parabola_picks_constant_acceleration_and_fills_it_exactly():
    times = np.cumsum(np.random.default_rng(0).uniform(0.05, 0.15, 40))  # uneven steps
    truth = (2.0 + 3.0 * times - 4.9 * times**2)[:, None]
    values = truth.copy()
    values[12:20] = values[35:] = np.nan
    fit = kalman.smooth(times, values)
    assert fit.model == ["ca"]
    np.testing.assert_allclose(fit.mean, truth, atol=1e-6)


def test_noise_level_is_recovered_by_likelihood():
    rng = np.random.default_rng(1)
    times = np.arange(400) * 0.1
    sigma = 0.05
    truth = np.stack([np.sin(times), np.cos(0.5 * times)], -1)
    fit = kalman.smooth(times, truth + rng.normal(0, sigma, truth.shape))
    np.testing.assert_allclose(np.sqrt(fit.noise), sigma, rtol=0.3)
    # smoothing beats the raw measurements
    assert np.abs(fit.mean - truth).mean() < 0.7 * sigma


def test_variance_grows_inside_a_gap_and_calibrates():
    rng = np.random.default_rng(2)
    times = np.arange(200.0)
    walk = np.cumsum(np.cumsum(rng.normal(0, 0.05, 200)))  # integrated white noise: the cv model itself
    values = (walk + rng.normal(0, 0.5, 200))[:, None]
    hidden = np.zeros(200, bool)
    for start in range(20, 190, 30):
        hidden[start:start + 8] = True
    filled, var, _ = kalman.fill(times, np.where(hidden[:, None, None], np.nan, values[:, :, None].repeat(2, -1)))
    v = var[hidden, 0, 0]
    assert np.all(var[~hidden] == 0) and np.all(v > 0)
    assert v[3] > v[0]  # the middle of a gap is less certain than its edge
    z = (filled[hidden, 0, 0] - values[hidden, 0]) / np.sqrt(v)
    assert 0.5 < np.mean(z**2) < 2.0  # predicted variance matches the errors it makes


@pytest.mark.parametrize("offset", [0.0, 1e9])
def test_huge_offsets_and_observed_cells_exact(offset):
    times = np.arange(30) * 0.04
    pos = np.stack([offset + np.sin(times * 3), offset - times], -1)[:, None] * np.ones((1, 3, 1))
    pos[:, 1] = 5.0  # a still object
    hidden = task_mask("random", 30, seed=0)
    out = fill_baseline("kalman", times, np.where(hidden[:, None, None], np.nan, pos), hidden)
    np.testing.assert_array_equal(out[~hidden], pos[~hidden])
    np.testing.assert_array_equal(out[:, 1], 5.0)
    assert np.all(np.isfinite(out))
    assert np.abs(out[hidden] - pos[hidden]).max() < 0.05


def test_too_few_points_fall_back_to_linear_with_a_reason():
    times = np.arange(8.0)
    values = np.full((8, 1), np.nan)
    values[[1, 5], 0] = [1.0, 3.0]
    fit = kalman.smooth(times, values)
    assert fit.model == ["linear"] and "too few" in fit.reason[0]
    np.testing.assert_allclose(fit.mean[:, 0], 0.5 + 0.5 * times)


def test_long_many_object_track_is_finite():
    rng = np.random.default_rng(3)
    T, K = 5000, 5
    times = np.arange(T) * 0.01
    pos = np.cumsum(rng.normal(0, 0.1, (T, K, 2)), axis=0)
    hidden = task_mask("random", T, seed=1)
    out = fill_baseline("kalman", times, np.where(hidden[:, None, None], np.nan, pos), hidden)
    assert np.all(np.isfinite(out))


def test_the_compiled_smoother_is_the_textbook_rts():
    """The numba loop against a plain RTS smoother (explicit gains and inverse, one series at a time) on
    uneven steps with gaps, both motion models: the same means and variances past the diffuse start."""
    rng = np.random.default_rng(3)
    T = 300
    dt = np.where(rng.random(T - 1) < 0.2, 2.0, 1.0)
    y = np.cumsum(rng.normal(size=(T, 2)), 0)
    y[rng.random((T, 2)) < 0.3] = np.nan
    y[120:170] = np.nan
    q, r, ca = np.array([0.3, 0.05]), np.array([0.5, 0.2]), np.array([False, True])
    mean, var = kalman._run(dt, y, q, r, ca, smooth=True)
    f_cv, f_ca, q_cv, q_ca = kalman._matrices(dt)
    for b in range(2):
        F, Q = (f_ca, q_ca) if ca[b] else (f_cv, q_cv)
        n = 3 if ca[b] else 2  # the cv state has no acceleration: a 2-state filter
        first = np.flatnonzero(np.isfinite(y[:, b]))[0]
        x, P = np.zeros(n), np.eye(n) * kalman.DIFFUSE
        x[0] = y[first, b]
        xp, Pp, xf, Pf = [], [], [], []
        for t in range(T):
            if t:
                x, P = F[t - 1][:n, :n] @ x, F[t - 1][:n, :n] @ P @ F[t - 1][:n, :n].T + q[b] * Q[t - 1][:n, :n]
            xp.append(x), Pp.append(P)
            if np.isfinite(y[t, b]):
                K = P[:, 0] / (P[0, 0] + r[b])
                x, P = x + K * (y[t, b] - x[0]), P - np.outer(K, P[0])
            xf.append(x), Pf.append(P)
        xs, Ps = xf[-1], Pf[-1]
        ref_m, ref_v = [xs[0]], [Ps[0, 0]]
        for t in range(T - 2, -1, -1):
            G = Pf[t] @ F[t][:n, :n].T @ np.linalg.inv(Pp[t + 1])
            xs, Ps = xf[t] + G @ (xs - xp[t + 1]), Pf[t] + G @ (Ps - Pp[t + 1]) @ G.T
            ref_m.append(xs[0]), ref_v.append(Ps[0, 0])
        ref_m, ref_v = np.array(ref_m[::-1]), np.array(ref_v[::-1])
        late = np.arange(T) > first + 10
        np.testing.assert_allclose(mean[late, b], ref_m[late], rtol=1e-6, atol=1e-6)
        # (the textbook form inverts the predicted covariance: 4e-4 apart at the end of the 50-frame gap)
        np.testing.assert_allclose(var[late, b], ref_v[late], rtol=1e-3, atol=1e-8)
