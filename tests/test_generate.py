import math

import numpy as np
import pandas as pd
import pytest

import tools.physics_examples
from kinviz.core.errors import KinvizError
from kinviz.io.examples import EXAMPLES_DIR, INDEX_COLUMNS, load_index
from kinviz.training import families, generate

FAMILIES = generate.FAMILIES
SEEDS = range(12)


def samples(family, n_frames=40):
    return [generate.simulate(family, np.random.default_rng(s), n_frames=n_frames) for s in SEEDS]


def scale(sample):
    return np.ptp(sample.positions.reshape(-1, 2), axis=0).max()


def second_difference(a):
    return a[2:] - 2 * a[1:-1] + a[:-2]


# ---------------------------------------------------------------- every family

def test_at_least_eight_families():
    assert len(FAMILIES) >= 8
    assert {"projectile", "pendulum", "circular", "spring", "bouncing_ball", "slope", "orbit",
            "collision"} <= set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("n_frames", [4, 16, 100])
def test_shapes_times_and_params(family, n_frames):
    for seed in range(4):
        s = generate.simulate(family, np.random.default_rng(seed), n_frames=n_frames)
        assert s.family == family
        assert s.positions.shape == (n_frames, len(s.names), 2)
        assert s.positions.dtype == np.float64 and np.isfinite(s.positions).all()
        assert s.times.shape == (n_frames,) and np.all(np.diff(s.times) > 0)
        np.testing.assert_allclose(np.diff(s.times), s.times[1] - s.times[0], rtol=1e-6)
        json_types = (int, float, str, list, dict, bool)
        assert all(isinstance(v, json_types) for v in s.params.values()), s.params


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_clip(family):
    a, b = (generate.simulate(family, np.random.default_rng(7), n_frames=30) for _ in range(2))
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.times, b.times)
    assert a.params == b.params


def test_object_counts():
    assert all(len(s.names) == 2 for s in samples("orbit"))
    assert {len(s.names) for s in samples("collision")} == {2, 3}


def test_walkers_walk_at_human_speeds_and_companions_keep_close():
    runs = [generate.simulate("walker", np.random.default_rng(s), n_frames=60) for s in range(40)]
    assert {len(s.names) for s in runs} == {1, 2, 3}
    speeds = []
    for s in runs:
        v = np.linalg.norm(np.diff(s.positions, axis=0), axis=-1) / np.diff(s.times)[:, None]
        speeds.append(np.median(v))
        if s.params["side_by_side"]:
            gap = np.linalg.norm(s.positions[:, 1] - s.positions[:, 0], axis=-1)
            assert gap.max() < 3.0, "a companion walks beside the leader"
    assert 0.8 < np.median(speeds) < 1.8  # metres per second
    assert any(s.params["stops"] for s in runs)


def test_wander_spans_nearly_straight_to_tortuous():
    from kinviz.videomodel.view import bend

    runs = [generate.simulate("wander", np.random.default_rng(s), n_frames=32) for s in range(40)]
    assert all(len(s.names) == 1 for s in runs)
    bends = {round(s.params["memories_shown"], 3): bend(s.positions, np.ones(32, bool)) for s in runs}
    short = [b for m, b in bends.items() if m < 0.3]
    long = [b for m, b in bends.items() if m > 5]
    assert short and long and np.median(short) < np.median(long)


def test_bundled_examples_show_the_physics_families():
    assert set(load_index()["family"]) == set(generate.PHYSICS_FAMILIES)


def test_random_sample_draws_from_the_given_families():
    rng = np.random.default_rng(0)
    drawn = {generate.random_sample(rng, n_frames=8).family for _ in range(80)}
    assert drawn == set(FAMILIES)
    assert {generate.random_sample(rng, n_frames=8, families=("spring",)).family} == {"spring"}


def test_bad_requests_raise_kinviz_errors():
    with pytest.raises(KinvizError, match="unknown family"):
        generate.simulate("rocket", np.random.default_rng(0), n_frames=10)
    with pytest.raises(KinvizError, match="at least 2 frames"):
        generate.simulate("spring", np.random.default_rng(0), n_frames=1)


# ---------------------------------------------------------------- physics

def test_projectile_without_drag_is_a_parabola_and_drag_slows_it():
    seen = set()
    for s in samples("projectile"):
        x, y = s.positions[:, 0].T
        dt = s.times[1] - s.times[0]
        assert y.min() >= -1e-9 * scale(s), "the ball never passes the ground"
        if s.params["drag"] == 0:
            np.testing.assert_allclose(second_difference(y), -9.81 * dt**2, rtol=1e-5)
            np.testing.assert_allclose(second_difference(x), 0, atol=1e-9 * scale(s))
        else:
            assert np.all(np.diff(np.abs(np.diff(x))) < 0), "drag slows the horizontal motion"
        seen.add(s.params["drag"] == 0)
    assert seen == {True, False}


def test_pendulum_keeps_its_length():
    for s in samples("pendulum"):
        r = np.linalg.norm(s.positions[:, 0] - s.params["pivot"], axis=-1)
        np.testing.assert_allclose(r, s.params["length"], rtol=1e-9)


def test_pendulum_period_matches_large_amplitude_theory():
    # 90 deg release: T = 1.18034 * 2 pi sqrt(L/g) (e.g. Landau & Lifshitz, Mechanics, sec. 11).
    assert families.pendulum_period(1.0, math.pi / 2) == pytest.approx(
        1.18034 * 2 * math.pi / math.sqrt(9.81), rel=1e-5)


def test_circular_keeps_its_radius():
    for s in samples("circular"):
        r = np.linalg.norm(s.positions[:, 0] - s.params["center"], axis=-1)
        np.testing.assert_allclose(r, s.params["radius"], rtol=1e-9)


def test_spring_obeys_the_damped_oscillator_recurrence():
    # Samples of x(t) = exp(-g t)(A cos wt + B sin wt) satisfy an exact three-term recurrence.
    for s in samples("spring"):
        dt = s.times[1] - s.times[0]
        omega, zeta = s.params["omega"], s.params["damping_ratio"]
        x = s.positions[:, 0] - s.params["equilibrium"]
        decay, wd = math.exp(-zeta * omega * dt), omega * math.sqrt(1 - zeta**2)
        residual = x[2:] - 2 * decay * math.cos(wd * dt) * x[1:-1] + decay**2 * x[:-2]
        np.testing.assert_allclose(residual, 0, atol=1e-9 * s.params["amplitude"])


def test_bouncing_ball_stays_above_the_floor():
    for s in samples("bouncing_ball"):
        assert s.positions[:, 0, 1].min() >= s.params["floor"]
        apex = s.params["drop_height"] + s.params["vy0"] ** 2 / (2 * 9.81)
        assert s.positions[:, 0, 1].max() <= apex * (1 + 1e-9)
        np.testing.assert_allclose(second_difference(s.positions[:, 0, 0]), 0, atol=1e-9 * scale(s))


def test_slope_block_accelerates_uniformly_along_the_incline():
    for s in samples("slope"):
        p, dt = s.positions[:, 0], s.times[1] - s.times[0]
        angle = math.radians(s.params["incline_deg"])
        direction = np.array([s.params["direction"] * math.cos(angle), -math.sin(angle)])
        along = (p - p[0]) @ direction
        across = (p - p[0]) @ [-direction[1], direction[0]]
        np.testing.assert_allclose(across, 0, atol=1e-9 * scale(s))
        released = (s.times[:-2] - s.times[0]) >= s.params["release_time"]
        np.testing.assert_allclose(second_difference(along)[released],
                                   s.params["acceleration"] * dt**2, rtol=1e-6)


def test_orbit_conserves_momentum_and_keeps_the_kepler_ellipse():
    for s in samples("orbit"):
        m1, m2 = s.params["masses"]
        com = m1 * s.positions[:, 0] + m2 * s.positions[:, 1]
        a, e = s.params["semi_major_axis"], s.params["eccentricity"]
        np.testing.assert_allclose(second_difference(com), 0, atol=1e-9 * a)
        r = np.linalg.norm(s.positions[:, 1] - s.positions[:, 0], axis=-1)
        assert np.all(r >= a * (1 - e) * (1 - 1e-9)) and np.all(r <= a * (1 + e) * (1 + 1e-9))


def test_collision_pucks_stay_in_the_box_and_never_overlap():
    hits = 0
    for s in samples("collision", n_frames=100):
        radii, box = np.array(s.params["radii"]), np.array(s.params["box"])
        p, tol = s.positions, 1e-9 * box[0]
        assert np.all(p >= radii[:, None] - tol) and np.all(p <= box - radii[:, None] + tol)
        for i in range(len(radii)):
            for j in range(i):
                gap = np.linalg.norm(p[:, i] - p[:, j], axis=-1) - radii[i] - radii[j]
                assert gap.min() >= -tol
        hits += s.params["collisions"]
    assert hits > 0


def test_lissajous_stays_within_its_amplitudes():
    for s in samples("lissajous"):
        offset = np.abs(s.positions[:, 0] - s.params["center"])
        assert np.all(offset <= np.array(s.params["amplitudes"]) * (1 + 1e-12))


def test_clips_range_from_slow_to_fast():
    shown = [generate.simulate("pendulum", np.random.default_rng(100 + i), n_frames=48)
              .params["periods_shown"] for i in range(40)]
    assert min(shown) < 0.5 and max(shown) > 2, shown


# ---------------------------------------------------------------- augmentation and noise

def pairwise(points):
    flat = points.reshape(-1, 2)
    d = np.linalg.norm(flat[:, None] - flat[None], axis=-1)
    return d[np.triu_indices(len(flat), 1)]


@pytest.mark.parametrize("seed", range(5))
def test_augment_is_a_deterministic_similarity_transform(seed):
    s = generate.simulate("collision", np.random.default_rng(seed), n_frames=20)
    out = generate.augment(s.positions, np.random.default_rng(seed))
    assert out.shape == s.positions.shape
    np.testing.assert_array_equal(out, generate.augment(s.positions, np.random.default_rng(seed)))
    ratio = pairwise(out) / pairwise(s.positions)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    assert 0.5 <= ratio[0] <= 2


def test_augment_keeps_gravity_roughly_down():
    s = generate.simulate("slope", np.random.default_rng(3), n_frames=30)
    for seed in range(20):
        p = generate.augment(s.positions, np.random.default_rng(seed))[:, 0]
        step = p[-1] - p[0]
        descent = math.degrees(math.atan2(-step[1], abs(step[0])))
        assert descent > s.params["incline_deg"] - 30 - 1e-9


def test_tracker_noise_scales_with_the_motion_and_keeps_gaps():
    s = generate.simulate("circular", np.random.default_rng(0), n_frames=100)
    positions = s.positions.copy()
    positions[10:13] = np.nan
    noisy = generate.add_tracker_noise(positions, np.random.default_rng(1), level=0.01)
    assert np.array_equal(np.isnan(noisy), np.isnan(positions))
    jitter = np.nanstd(noisy - positions)
    assert 0.008 < jitter / scale(s) < 0.012


# ---------------------------------------------------------------- bundled examples

@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("examples")
    tools.physics_examples.main([str(out), "--seed", "2023"])
    return out


def test_examples_are_reproducible_and_committed(written):
    committed = sorted(p.name for p in EXAMPLES_DIR.glob("*.csv"))
    assert committed == sorted(p.name for p in written.glob("*.csv"))
    for name in committed:
        assert (written / name).read_bytes() == (EXAMPLES_DIR / name).read_bytes(), name


def read_example(path):
    table = pd.read_csv(path, sep=None, engine="python")
    if "object" in table.columns:
        return table, table["object"].nunique()
    return table, sum(c == "x" or c.endswith("_x") for c in table.columns)


def test_index_describes_the_files(written):
    index = load_index(written)
    assert list(index.columns) == INDEX_COLUMNS
    assert set(index["file"]) == {p.name for p in written.glob("*.csv")} - {"index.csv"}
    assert len(index) >= 40 and index["family"].nunique() >= 8
    assert index["family"].value_counts().min() >= 5
    for row in index.itertuples():
        table, objects = read_example(written / row.file)
        assert row.file.startswith(row.family + "-")
        assert (table["time"].nunique(), objects) == (row.frames, row.objects), row.file
        assert table.isna().sum().sum() == row.missing_cells, row.file
        assert str(row.frames) in row.description


def test_examples_vary_like_lab_recordings(written):
    index = load_index(written)
    layouts = "|".join(index["layout"])
    for trait in ["wide", "wide_named", "long", "z", "semicolon"]:
        assert trait in layouts
    assert "label" in layouts or "temperature" in layouts
    assert index["frames"].between(24, 120).all() and (index["frames"] == 48).sum() >= 2
    assert (index["objects"] > 1).sum() >= 5
    assert 0.15 <= (index["missing_cells"] > 0).mean() <= 0.35


def test_examples_load_with_the_project_reader():
    from kinviz.io.csv import load_csv

    for row in load_index().itertuples():
        traj = load_csv(EXAMPLES_DIR / row.file)
        assert (traj.n_frames, traj.n_objects) == (row.frames, row.objects), row.file


def test_load_index_explains_a_missing_folder(tmp_path):
    with pytest.raises(KinvizError, match="python -m tools.physics_examples"):
        load_index(tmp_path)
