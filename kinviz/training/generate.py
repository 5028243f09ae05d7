"""Procedurally generated motion clips: the training data and the source of the bundled example recordings.

``simulate`` draws one clip of a family (the simulators are in ``families``, the draws they share in
``sampling``); ``augment`` and ``add_tracker_noise`` vary a clip for training; ``describe`` says in a
line what a clip shows. ``tools/physics_examples.py`` writes the bundled recordings from these.
"""
from __future__ import annotations

import math

import numpy as np

from ..core.errors import KinvizError
from ..io.examples import EXAMPLES_DIR, INDEX_COLUMNS, load_index  # noqa: F401  (their home before io.examples)
from .families import SIMULATORS
from .sampling import Sample, extent, logu, plain

FAMILIES = ("projectile", "pendulum", "circular", "spring", "bouncing_ball", "slope", "orbit",
            "collision", "lissajous", "walker", "wander")
PHYSICS_FAMILIES = FAMILIES[:9]  # the bundled recordings and the default training recipe
assert tuple(SIMULATORS) == FAMILIES, "every family needs a simulator"


def simulate(family: str, rng: np.random.Generator, *, n_frames: int) -> Sample:
    """One clip of `family` with random parameters and frame interval.

    times: (T,) seconds, evenly spaced, from 0 or from a random clock offset;
    positions: (T, K, 2) metres. Deterministic given the state of `rng`.
    """
    if family not in SIMULATORS:
        raise KinvizError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    if n_frames < 2:
        raise KinvizError(f"a clip needs at least 2 frames, not {n_frames}")
    times, positions, names, params = SIMULATORS[family](rng, n_frames)
    offset = 0 if rng.random() < 0.5 else int(rng.integers(1, 500))  # a recorder's running clock
    times = times + offset * (times[1] - times[0])
    assert positions.shape == (n_frames, len(names), 2), f"{family}: shape {positions.shape}"
    assert np.isfinite(positions).all(), f"{family}: non-finite positions for {params}"
    return Sample(family, times, positions.astype(np.float64), names, plain(params))


def random_sample(rng: np.random.Generator, *, n_frames: int, families=FAMILIES) -> Sample:
    """simulate() of a family chosen uniformly from `families`."""
    return simulate(families[int(rng.integers(len(families)))], rng, n_frames=n_frames)


def augment(positions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random similarity transform that keeps gravity roughly down.

    positions: (T, K, 2) -> (T, K, 2): mirror in x (p=0.5), rotation within +-30 deg, uniform
    scale 0.5-2x (log-uniform) and an offset of up to one motion extent.
    """
    mirror = rng.random() < 0.5
    angle = math.radians(rng.uniform(-30, 30))
    scale = logu(rng, 0.5, 2)
    shift = rng.uniform(-1, 1, size=2)
    c, s = math.cos(angle), math.sin(angle)
    linear = scale * np.array([[c, -s], [s, c]]) @ np.diag([-1.0 if mirror else 1.0, 1.0])
    center = np.nanmean(positions.reshape(-1, 2), axis=0)
    return (positions - center) @ linear.T + center + shift * extent(positions)


TRACKER_NOISE = (0.002, 0.02)  # range of ``add_tracker_noise``'s level in training clips and tune's noisy copies
NOISY = 0.5  # share of simulated training clips given tracker noise, the shipped recipe (``train --noisy``)


def add_tracker_noise(positions: np.ndarray, rng: np.random.Generator, *,
                      level: float) -> np.ndarray:
    """Gaussian jitter with sigma = level * motion extent; positions (T, K, 2), NaN stays NaN."""
    return positions + rng.normal(size=positions.shape) * level * extent(positions)


# ---------------------------------------------------------------- descriptions

def _num(x: float, digits: int = 2) -> str:
    """A number for a sentence: `digits` significant figures, never scientific notation."""
    return f"{float(f'{x:.{digits}g}'):g}"


def plural(n: int, noun: str) -> str:
    """'1 bounce', '3 bounces'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def describe(sample: Sample) -> str:
    """A one-line human description of the physics in a sample."""
    p, f = sample.params, _num
    text = {
        "projectile": lambda: f"Projectile, launched at {f(p['speed'])} m/s and "
        f"{f(p['angle_deg'])} deg, "
        + (f"linear drag {f(p['drag'])} /s" if p["drag"] else "no drag")
        + f", {f(100 * p['flight_shown'])}% of the flight",
        "pendulum": lambda: f"Pendulum, length {f(p['length'])} m, released at "
        f"{f(abs(p['amplitude_deg']))} deg, {f(p['periods_shown'])} periods"
        + (", lightly damped" if p["decay_rate"] else ""),
        "circular": lambda: f"Circular motion, radius {f(p['radius'])} m, "
        + (f"uniform at {f(p['omega0'] / (2 * math.pi))} rev/s" if p["alpha"] == 0
           else f"accelerating at {f(p['alpha'])} rad/s^2")
        + f", {f(p['revolutions_shown'])} revolutions",
        "spring": lambda: f"Spring ({p['mode']}), period {f(p['period'])} s, damping ratio "
        f"{f(p['damping_ratio'])}, amplitude {f(100 * p['amplitude'])} cm, "
        f"{f(p['cycles_shown'])} cycles",
        "bouncing_ball": lambda: f"Bouncing ball, dropped from {f(p['drop_height'])} m, "
        f"restitution {f(p['restitution'])}, {plural(p['bounces_shown'], 'bounce')}",
        "slope": lambda: f"Block on a {f(p['incline_deg'])} deg slope, friction coefficient "
        f"{f(p['friction'])}, " + (f"pushed at {f(p['v0'])} m/s" if p["v0"] else "starting at rest")
        + f", {f(p['distance'])} m slide",
        "orbit": lambda: f"Two-body orbit, mass ratio {f(p['mass_ratio'])}, eccentricity "
        f"{f(p['eccentricity'])}, period {f(p['period'])} s, {f(p['orbits_shown'])} orbits",
        "collision": lambda: f"{len(sample.names)} pucks colliding elastically in a "
        f"{f(p['box'][0])} x {f(p['box'][1])} m box, {plural(p['collisions'], 'collision')}",
        "lissajous": lambda: f"Harmonograph, frequency ratio {p['ratio'][0]}:{p['ratio'][1]}, "
        f"{f(p['frequency'])} Hz, amplitude {f(100 * p['amplitudes'][0])} cm, "
        f"{f(p['cycles_shown'])} cycles",
        "walker": lambda: f"{plural(p['walkers'], 'pedestrian')} walking"
        + (" side by side" if p["side_by_side"] else "") + f" for {f(p['duration'])} s"
        + (f", {plural(len(p['stops']), 'stop')}" if p["stops"] else ""),
        "wander": lambda: f"Persistent random walk, velocity memory {f(p['memory'])} s, "
        f"speed spread {f(p['speed_std'])} m/s, {f(p['memories_shown'])} memories",
    }[sample.family]()
    dt = sample.times[1] - sample.times[0]
    return f"{text}, {len(sample.times)} frames at {_num(1 / dt, 3)} Hz"

