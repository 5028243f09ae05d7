import numpy as np
import pytest

from kinviz.classical.baselines import BASELINES, fill_all, fill_baseline
from kinviz.core.errors import MaskError
from kinviz.core.masks import task_mask

N = 24


def irregular_times(n=N, seed=0):
    return np.cumsum(np.random.default_rng(seed).uniform(0.02, 0.2, n))


def motion(times, start, velocity, acceleration=(0.0, 0.0)):  # (T, 2)
    t = times[:, None]
    return np.asarray(start) + np.asarray(velocity) * t + 0.5 * np.asarray(acceleration) * t**2


def gap_mask(kind, n=N):
    """Hidden frames for a named gap pattern."""
    if kind in ("interpolate", "forecast", "random"):
        return task_mask(kind, n, seed=2)
    mask = np.zeros(n, dtype=bool)
    if kind == "leading":
        mask[:5] = True
    elif kind == "scattered":
        mask[[1, 2, 9, 15, 16, 17, 22]] = True
    elif kind == "interior":
        mask[[8, 11, 12, 13, 16]] = True
    return mask


GAPS = ["interpolate", "forecast", "random", "leading", "scattered"]


@pytest.mark.parametrize("method", [b for b in BASELINES if b != "hold"])  # hold is exact only on still motion
@pytest.mark.parametrize("gap", GAPS)
@pytest.mark.parametrize("regular", [True, False])
def test_exact_on_linear_motion(method, gap, regular):
    times = np.arange(N) * 0.1 if regular else irregular_times()
    truth = np.stack(
        [motion(times, (1.0, -2.0), (3.0, 0.5)), motion(times, (0.0, 4.0), (-1.5, 2.0))], axis=1
    )
    hidden = gap_mask(gap)
    positions = truth.copy()
    positions[hidden] = np.nan
    np.testing.assert_allclose(fill_baseline(method, times, positions, hidden), truth, atol=1e-9)


@pytest.mark.parametrize("gap", GAPS)
@pytest.mark.parametrize("regular", [True, False])
def test_constant_acceleration_exact_on_parabola(gap, regular):
    times = np.arange(N) * 0.1 if regular else irregular_times(seed=1)
    truth = motion(times, (1.0, 2.0), (3.0, -1.0), (-9.8, 4.0))[:, None]
    hidden = gap_mask(gap)
    out = fill_baseline("constant_acceleration", times, truth, hidden)
    np.testing.assert_allclose(out, truth, atol=1e-9)


@pytest.mark.parametrize("gap", ["interpolate", "interior"])
def test_cubic_close_on_parabola_and_better_than_linear(gap):
    # A natural spline has zero curvature at its ends, so it is close to, not exactly, a parabola,
    # and closest away from the ends.
    times = irregular_times(seed=3)
    truth = motion(times, (0.0, 0.0), (1.0, 2.0), (-3.0, 5.0))[:, None]
    hidden = gap_mask(gap)
    cubic = fill_baseline("cubic", times, truth, hidden)
    linear = fill_baseline("linear", times, truth, hidden)
    cubic_error = np.abs(cubic - truth)[hidden].max()
    assert cubic_error < 1e-2
    assert cubic_error < np.abs(linear - truth)[hidden].max()


def test_constant_velocity_uses_the_two_frames_before_the_gap():
    times = np.array([0.0, 1.0, 3.0, 4.0, 5.0, 6.0])
    track = np.array([[0, 0], [1, 0], [2, 4], [0, 0], [0, 0], [9, 9]], dtype=float)[:, None]
    hidden = np.array([False, False, False, True, True, False])
    out = fill_baseline("constant_velocity", times, track, hidden)
    # velocity (2-1, 4-0) / (3-1) = (0.5, 2), from frame 2 at t=3
    np.testing.assert_allclose(out[3:5, 0], [[2.5, 6.0], [3.0, 8.0]])


def test_constant_velocity_with_a_fit_averages_the_velocity_over_that_many_frames():
    times = np.arange(8.0)
    noise = np.array([0, 0, 0, 0.3, -0.3, 0.3, -0.3, 0])[:, None] * [1, 1]
    track = (np.stack([times, -2 * times], -1) + noise)[:, None]  # (8, 1, 2): uniform motion, jittered
    hidden = times >= 7
    two, four = (fill_baseline("constant_velocity", times, track, hidden, fit=f)[7, 0] for f in (2, 4))
    np.testing.assert_allclose(two, fill_baseline("constant_velocity", times, track, hidden)[7, 0])  # the default
    truth = [7.0, -14.0]
    assert np.linalg.norm(four - truth) < np.linalg.norm(two - truth) / 2
    coeffs = [np.polyfit(times[3:7], track[3:7, 0, d], 1) for d in range(2)]
    np.testing.assert_allclose(four, [np.polyval(c, 7.0) for c in coeffs])


def test_constant_acceleration_fits_last_five_frames():
    rng = np.random.default_rng(4)
    times = irregular_times(12, seed=4)
    track = rng.normal(size=(12, 1, 2))
    hidden = np.zeros(12, dtype=bool)
    hidden[9:] = True
    out = fill_baseline("constant_acceleration", times, track, hidden)
    for d in range(2):
        coeffs = np.polyfit(times[4:9], track[4:9, 0, d], 2)
        np.testing.assert_allclose(out[9:, 0, d], np.polyval(coeffs, times[9:]), atol=1e-9)


@pytest.mark.parametrize("method", BASELINES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_observed_cells_unchanged_and_output_finite(method, seed):
    rng = np.random.default_rng(seed)
    times = irregular_times(seed=seed)
    positions = rng.normal(size=(N, 3, 2)).astype(np.float32)
    hidden = rng.random((N, 3)) < 0.3
    hidden[[0, 5], :] = False  # every object keeps at least two observed frames
    positions[rng.random((N, 3)) < 0.1, 0] = np.nan  # missing x only: fill x and y
    out = fill_baseline(method, times, positions, hidden)
    assert out.shape == positions.shape and out.dtype == np.float64
    assert np.all(np.isfinite(out))
    observed = ~hidden & np.all(np.isfinite(positions), axis=-1)
    np.testing.assert_array_equal(out[observed], positions[observed].astype(np.float64))


@pytest.mark.parametrize("method", BASELINES)
def test_frame_mask_equals_per_object_mask(method):
    rng = np.random.default_rng(5)
    times, positions = irregular_times(), rng.normal(size=(N, 2, 2))
    hidden = task_mask("random", N, seed=5)
    np.testing.assert_array_equal(
        fill_baseline(method, times, positions, hidden),
        fill_baseline(method, times, positions, np.repeat(hidden[:, None], 2, axis=1)),
    )


@pytest.mark.parametrize("method", [b for b in BASELINES if b not in ("covisible", "regression", "pca")])  # these read the others by design
def test_objects_are_filled_independently(method):
    rng = np.random.default_rng(6)
    times, positions = irregular_times(), rng.normal(size=(N, 3, 2))
    hidden = rng.random((N, 3)) < 0.4
    hidden[[0, 1, -1]] = False
    together = fill_baseline(method, times, positions, hidden)
    for k in range(3):
        alone = fill_baseline(method, times, positions[:, k : k + 1], hidden[:, k : k + 1])
        np.testing.assert_array_equal(together[:, k : k + 1], alone)


@pytest.mark.parametrize("method", BASELINES)
def test_single_observed_point_is_held(method):
    positions = np.full((6, 1, 2), np.nan)
    positions[3, 0] = [2.0, -1.0]
    out = fill_baseline(method, np.arange(6.0), positions, np.zeros(6, dtype=bool))
    np.testing.assert_array_equal(out[:, 0], np.tile([2.0, -1.0], (6, 1)))


def test_no_observed_point_is_refused():
    positions = np.zeros((5, 2, 2))
    hidden = np.zeros((5, 2), dtype=bool)
    hidden[:, 1] = True
    with pytest.raises(ValueError, match="object 1 has no observed point"):
        fill_baseline("linear", np.arange(5.0), positions, hidden)


def test_bad_inputs():
    times, positions = np.arange(5.0), np.zeros((5, 2, 2))
    with pytest.raises(ValueError, match="unknown baseline"):
        fill_baseline("spline", times, positions, np.zeros(5, dtype=bool))
    with pytest.raises(MaskError):
        fill_baseline("linear", times, positions, np.zeros(4, dtype=bool))
    with pytest.raises(ValueError, match="strictly increasing"):
        fill_baseline("linear", times[::-1], positions, np.zeros(5, dtype=bool))


def test_fill_all_has_every_baseline():
    times, positions = irregular_times(), np.random.default_rng(7).normal(size=(N, 2, 2))
    hidden = task_mask("forecast", N)
    filled = fill_all(times, positions, hidden)
    assert tuple(filled) == BASELINES
    for method, out in filled.items():
        np.testing.assert_array_equal(out, fill_baseline(method, times, positions, hidden))


def test_fill_all_takes_a_fill_already_computed():
    times = np.arange(N) * 0.1
    pos = motion(times, (0.0, 1.0), (1.0, 0.5))[:, None]
    hidden = gap_mask("interpolate")
    sentinel = np.full_like(pos, 7.0)
    filled = fill_all(times, np.where(hidden[:, None, None], np.nan, pos), hidden, known={"kalman": sentinel})
    assert filled["kalman"] is sentinel and tuple(filled) == BASELINES


def rigid_body(n=80, k=5, seed=0):
    """A rigid marker cluster that turns and translates: (times, positions (n, k, 2))."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) * 0.05
    offsets = rng.uniform(-1, 1, size=(k, 2))
    angle = 0.8 * np.sin(1.3 * t) + 0.4 * t
    c, s = np.cos(angle), np.sin(angle)
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)  # (n, 2, 2)
    centre = np.stack([3 * np.sin(0.7 * t), 2 * np.cos(0.5 * t) + t], -1)
    return t, centre[:, None] + np.einsum("nij,kj->nki", rot, offsets)


def test_covisible_recovers_a_rigid_marker_the_smoother_cannot():
    times, pos = rigid_body()
    hidden = np.zeros(pos.shape[:2], bool)
    hidden[20:60, 2] = True  # one marker lost for 40 frames while the other four are seen
    cov = fill_baseline("covisible", times, pos, hidden)
    kal = fill_baseline("kalman", times, pos, hidden)
    err = lambda fill: np.linalg.norm(fill[hidden] - pos[hidden], axis=-1).mean()  # noqa: E731
    assert err(cov) < 1e-6 < 1e-3 < err(kal)
    np.testing.assert_array_equal(cov[~hidden], pos[~hidden])


def test_covisible_is_the_smoother_where_no_part_is_co_visible():
    times, pos = rigid_body(k=4)
    hidden = np.zeros(pos.shape[:2], bool)
    hidden[30:40] = True  # every part lost together: nothing to carry the lost one
    np.testing.assert_array_equal(fill_baseline("covisible", times, pos, hidden), fill_baseline("kalman", times, pos, hidden))
