"""The generated splits the model is measured and tuned on, apart from the ones it trains on.

Training draws its pools from seeds 0 and 10_000 (``kinviz.training.train``); the benchmark's held-out
split and the decoding's tuning split use seeds of their own, so no trajectory is in two of them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import bodies
from . import generate
from ..core.trajectory import Trajectory
from ..io.csv import from_arrays

HELD_OUT_SEED = 777_001  # the benchmark's split
TUNING_SEED = 555  # the decoding's calibration (``kinviz.training.tune``)


def held_out(per_family: int, n_frames: int = 48, seed: int = HELD_OUT_SEED,
             families=generate.FAMILIES) -> list[tuple[str, Trajectory]]:
    """(family, trajectory) pairs with fresh parameters, ``per_family`` of each family.

    Families are drawn in ``generate.FAMILIES`` order from one generator, so a subset keeps the
    trajectories it shares with the whole."""
    rng = np.random.default_rng(seed)
    out = []
    for family in generate.FAMILIES:
        for _ in range(per_family):
            s = generate.simulate(family, rng, n_frames=n_frames)
            if family in families:
                out.append((family, from_arrays(s.times, s.positions, s.names)))
    return out


def tuning_split(per_family: int) -> list[tuple[str, Trajectory]]:
    """(family, trajectory) pairs: the tuning seed's trajectories, then each again with tracker noise
    at a level drawn from training's range (``generate.TRACKER_NOISE``): measured tracks are never exact."""
    clean = held_out(per_family, seed=TUNING_SEED)
    rng = np.random.default_rng(TUNING_SEED)
    noisy = [(f"{family} (noisy)",
              from_arrays(t.times, generate.add_tracker_noise(t.positions, rng, level=rng.uniform(*generate.TRACKER_NOISE)),
                          t.names)) for family, t in clean]
    return clean + noisy


BODY_FRAMES = 120  # long enough for the occlude task's 10-60 frame stretches


def body_split(per_family: int, seed: int = HELD_OUT_SEED, n_frames: int = BODY_FRAMES) -> list[tuple[str, Trajectory]]:
    """(family, trajectory) pairs of simulated bodies (``bodies.BODY_FAMILIES``), ``per_family`` of
    each, then each again with tracker noise (``generate.TRACKER_NOISE``): the occlude task's split."""
    rng = np.random.default_rng(seed + 1)  # apart from ``held_out``'s draws with the same seed
    clean = []
    for family in bodies.BODY_FAMILIES:
        for _ in range(per_family):
            s = bodies.simulate_body(family, rng, n_frames=n_frames)
            clean.append((family, from_arrays(s.times, s.positions, s.names)))
    noisy = [(f"{family} (noisy)",
              from_arrays(t.times, generate.add_tracker_noise(t.positions, rng, level=rng.uniform(*generate.TRACKER_NOISE)),
                          t.names)) for family, t in clean]
    return clean + noisy


def segments(trajectories: list[Trajectory], per_file: int = 12, n_frames: int = BODY_FRAMES * 2) -> list[tuple[str, Trajectory]]:
    """(file stem, segment) pairs: ``per_file`` evenly spaced stretches of ``n_frames`` frames from each long
    trajectory (real multi-part recordings: the occlude task hides one part inside each, scored where it was seen)."""
    out = []
    for traj in trajectories:
        T = traj.n_frames
        starts = np.linspace(0, max(T - n_frames, 0), per_file).astype(int)
        pos = np.where(traj.missing[..., None], np.nan, traj.positions)
        for a in starts:
            cut = slice(a, min(a + n_frames, T))
            out.append((traj.source_name.split("_")[0].split(".")[0], from_arrays(traj.times[cut], pos[cut], traj.names)))
    return out


def benchmark_split(task: str, examples: int, families=generate.FAMILIES) -> list[Trajectory]:
    """The held-out trajectories behind a recorded benchmark row of ``examples`` trajectories, named
    ``<family> #N`` (apart from the bundled files' ``<family>-NN``): ``held_out`` for the frame tasks, ``body_split`` for the part tasks (``bench --record``
    draws them the same way, so scoring these with ``evaluate`` at seed 0 gives the recorded figures)."""
    from ..core.masks import PART_TASKS

    if task in PART_TASKS:
        items = body_split(max(1, examples // (2 * len(bodies.BODY_FAMILIES))))
    else:
        items = held_out(max(1, examples // len(families)), families=families)
    counts: dict[str, int] = {}
    out = []
    for family, traj in items:
        counts[family] = counts.get(family, 0) + 1
        base, noisy = family.removesuffix(" (noisy)"), family.endswith(" (noisy)")
        out.append(dataclasses.replace(traj, source_name=f"{base} #{counts[family]}" + " (noisy)" * noisy))
    return out
