"""Simulated bodies: many parts that move together, the training data for per-part gaps.

A per-part smoother cannot use the one thing a tracked body offers when one part is lost: the
other parts, still seen, and how they have moved with it. These families give the model that
structure to learn, each with its own kind of coupling:

- ``rigid_cluster``: 3-8 markers on one rigid plate that translates and turns (a motion-capture
  marker cluster, a tracked robot link);
- ``limb``: a chain of 2-4 segments on joints that swing (shoulder, elbow, wrist, hand, finger);
- ``animal``: a walking four-legged animal seen from above (snout, ears, four paws, tail base and
  tip): the head turns on its own, paws step in a trot, the tail swings.

Positions are in metres, frames evenly spaced (``sampling.frame_times``); every part is seen in
every frame (the per-part gaps are drawn by ``data``).
"""

from __future__ import annotations

import math

import numpy as np

from ..core.errors import KinvizError
from .sampling import Sample, fine, frame_times, logu, ou, plain

BODY_FAMILIES = ("rigid_cluster", "limb", "animal")
ANIMAL_PARTS = ("snout", "ear_left", "ear_right", "paw_front_left", "paw_front_right", "paw_hind_left",
                "paw_hind_right", "tail_base", "tail_tip")
LIMB_PARTS = ("shoulder", "elbow", "wrist", "hand", "finger")


def _rot(angle: np.ndarray) -> np.ndarray:  # (n,) -> (n, 2, 2)
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)


def _path(rng, grid: np.ndarray, dt: float, speed: float, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """A wandering path on the fine grid: (positions (g, 2), heading (g,)); speed in m/s."""
    vel = ou(rng, len(grid), dt, tau, speed) + rng.normal(size=2) * speed * rng.uniform(0, 1.5)
    pos = np.r_[np.zeros((1, 2)), np.cumsum(vel[:-1] * dt, axis=0)]
    heading = np.unwrap(np.arctan2(vel[:, 1], vel[:, 0]))
    return pos + rng.uniform(-1, 1, size=2) * speed * tau, heading


def _rigid_cluster(rng, n):
    k = int(rng.integers(3, 9))
    radius = logu(rng, 0.02, 1.0)
    times = frame_times(logu(rng, 0.5, 20), n)
    grid, dt = fine(times)
    offsets = rng.uniform(-1, 1, size=(k, 2)) * radius
    center, _ = _path(rng, grid, dt, radius * logu(rng, 0.2, 4), logu(rng, 0.3, 5))
    spin = ou(rng, len(grid), dt, logu(rng, 0.3, 3), logu(rng, 0.1, 3))[:, 0]  # rad/s
    angle = rng.uniform(0, 2 * math.pi) + np.cumsum(spin) * dt
    pos = center[:, None] + np.einsum("gij,kj->gki", _rot(angle), offsets)
    names = [f"marker{i + 1}" for i in range(k)]
    return times, pos[::8], names, dict(markers=k, radius=radius, duration=times[-1])


def _limb(rng, n):
    segments = int(rng.integers(2, 5))
    lengths = rng.uniform(0.5, 1.0, size=segments) * logu(rng, 0.05, 0.6)
    freq = logu(rng, 0.2, 2.0)  # Hz
    times = frame_times(logu(rng, 1, 6) / freq, n)
    grid, dt = fine(times)
    base, _ = _path(rng, grid, dt, lengths.sum() * logu(rng, 0.01, 0.3), 2.0)
    angle = np.full(len(grid), rng.uniform(0, 2 * math.pi))
    pos = [base]
    for i in range(segments):
        amp, phase = rng.uniform(0.1, 1.2), rng.uniform(0, 2 * math.pi)
        wobble = ou(rng, len(grid), dt, 1 / freq, 0.1)[:, 0]
        angle = angle + rng.uniform(-1, 1) + amp * np.sin(2 * math.pi * freq * grid + phase) + wobble
        pos.append(pos[-1] + lengths[i] * np.stack([np.cos(angle), np.sin(angle)], -1))
    pos = np.stack(pos, 1)
    return times, pos[::8], list(LIMB_PARTS[: segments + 1]), dict(segments=segments, frequency=freq,
                                                                   length=float(lengths.sum()), duration=times[-1])


def _animal(rng, n):
    length = logu(rng, 0.05, 1.0)  # body length, m: a mouse to a dog
    speed = length * logu(rng, 0.1, 3)  # body lengths per second
    times = frame_times(logu(rng, 0.5, 15), n)
    grid, dt = fine(times)
    center, heading = _path(rng, grid, dt, speed, logu(rng, 0.5, 5))
    # Parts in the body's frame (x forward, y left), in body lengths.
    head = ou(rng, len(grid), dt, logu(rng, 0.2, 2), rng.uniform(0.05, 0.5))[:, 0]  # head yaw, rad
    tail = ou(rng, len(grid), dt, logu(rng, 0.2, 2), rng.uniform(0.1, 0.7))[:, 0]
    ground = np.linalg.norm(np.diff(center, axis=0, prepend=center[:1]), axis=1) / length
    phase = 2 * math.pi * np.cumsum(ground) / 0.3  # one stride per 0.3 body lengths walked
    stride = 0.12 * np.clip(np.linalg.norm(np.gradient(center, dt, axis=0), axis=1) / length, 0, 1)
    pivot = np.array([0.35, 0.0])
    local = np.empty((len(grid), len(ANIMAL_PARTS), 2))
    hr = _rot(head)
    local[:, 0] = pivot + hr @ np.array([0.2, 0.0])
    local[:, 1] = pivot + hr @ np.array([0.05, 0.08])
    local[:, 2] = pivot + hr @ np.array([0.05, -0.08])
    for i, (x, y, lag) in enumerate([(0.25, 0.12, 0), (0.25, -0.12, math.pi), (-0.25, 0.12, math.pi), (-0.25, -0.12, 0)]):
        local[:, 3 + i] = np.stack([x + stride * np.sin(phase + lag), np.full(len(grid), y)], -1)
    local[:, 7] = (-0.45, 0.0)
    local[:, 8] = np.array([-0.45, 0.0]) + _rot(tail) @ np.array([-0.4, 0.0])
    pos = center[:, None] + length * np.einsum("gij,gkj->gki", _rot(heading), local)
    return times, pos[::8], list(ANIMAL_PARTS), dict(length=length, speed=speed, duration=times[-1])


_SIMULATORS = {"rigid_cluster": _rigid_cluster, "limb": _limb, "animal": _animal}
assert tuple(_SIMULATORS) == BODY_FAMILIES, "every body family needs a simulator"


def simulate_body(family: str, rng: np.random.Generator, *, n_frames: int) -> Sample:
    """One clip of a body family: times (T,) s; positions (T, K, 2) m, every part seen."""
    if family not in _SIMULATORS:
        raise KinvizError(f"unknown body family {family!r}; choose one of {', '.join(BODY_FAMILIES)}")
    times, positions, names, params = _SIMULATORS[family](rng, n_frames)
    assert positions.shape == (n_frames, len(names), 2) and np.isfinite(positions).all(), f"{family}: {positions.shape}"
    return Sample(family, times, positions.astype(np.float64), names, plain(params))
