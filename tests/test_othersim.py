"""The second simulator: seeded, finite, its own families; its benchmark section scores every method."""

import numpy as np
import pytest

from kinviz.classical.baselines import BASELINES
from kinviz.evaluation import bench, tables
from kinviz.evaluation.evaluate import METHODS
from kinviz.training import generate, othersim


def test_the_families_are_not_the_generators():
    assert othersim.FAMILIES and not set(othersim.FAMILIES) & set(generate.FAMILIES)


def test_othersim_does_not_import_the_generator():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(othersim.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {f"{n.module}" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not any(name in ("generate", "families", "sampling", "bodies") or name.endswith((".generate", ".families"))
                   for name in imported), imported


@pytest.mark.parametrize("family", othersim.FAMILIES)
def test_each_family_is_seeded_finite_and_moves(family):
    a = othersim.simulate(family, np.random.default_rng(3), n_frames=40)
    b = othersim.simulate(family, np.random.default_rng(3), n_frames=40)
    T, K, two = a.positions.shape
    assert (T, two) == (40, 2) and K == len(a.names) >= 1 and a.times.shape == (40,)
    assert np.isfinite(a.positions).all() and np.all(np.diff(a.times) > 0)
    assert np.array_equal(a.positions, b.positions) and np.array_equal(a.times, b.times)
    assert np.ptp(a.positions, axis=0).max() > 1e-3  # something moves
    traj = a.trajectory()
    assert traj.positions.shape == (40, K, 2) and traj.n_objects == K


def test_the_validation_split_is_fixed_and_a_subset_keeps_its_trajectories():
    split = othersim.validation_split(2, n_frames=32)
    again = othersim.validation_split(2, n_frames=32)
    assert [f for f, _ in split] == [f for f in othersim.FAMILIES for _ in range(2)]
    assert all(np.array_equal(a.positions, b.positions) for (_, a), (_, b) in zip(split, again))
    assert len({t.source_name for _, t in split}) == len(split)
    some = othersim.validation_split(2, n_frames=32, families=("bowl", "flock"))
    assert [t.positions.tolist() for _, t in some] == [t.positions.tolist() for f, t in split if f in ("bowl", "flock")]
    other = othersim.validation_split(2, n_frames=32, seed=1)
    assert not np.array_equal(split[0][1].positions, other[0][1].positions)


def test_noisy_copies_follow_their_clean_trajectory_without_changing_it():
    clean = othersim.validation_split(1, n_frames=48)
    both = othersim.validation_split(1, n_frames=48, noisy=True)
    assert [t.positions.tolist() for _, t in both[::2]] == [t.positions.tolist() for _, t in clean]
    for (f, c), (g, n) in zip(both[::2], both[1::2]):
        assert g == f"{f} (noisy)" and n.positions.shape == c.positions.shape
        seen = ~n.missing
        assert seen.mean() > 0.8 and not np.array_equal(n.positions[seen], c.positions[seen])


def test_the_bench_section_scores_every_method_per_task(untrained_predictor):
    rows = bench.othersim_rows(untrained_predictor, 1, tasks=("interpolate", "forecast"))
    assert len(rows) == 2 * len(othersim.FAMILIES)
    assert {r["group"] for r in rows} == set(othersim.FAMILIES) and {r["task"] for r in rows} == {"interpolate", "forecast"}
    for m in ("kinviz", "video", "video_alone") + BASELINES:
        assert all(np.isfinite(r[f"{m}_ade"]) for r in rows), m
    assert all(f"{m}_ade" in r for m in METHODS for r in rows)
    record, text = bench.summarise({"othersim": rows})
    s = record["second simulator"]["forecast"]
    assert s["examples"] == len(othersim.FAMILIES) and s["paired"][0]["method"] == "kinviz"
    assert "| second simulator | forecast |" in text
    assert "**all** | forecast |" in tables.quality_table(rows, bench.TITLES["othersim"])
