"""Procedurally generated physics clips: the training data and the bundled example recordings.

Every family draws physical parameters in SI units and a frame interval, so that one clip may show
a fraction of a swing or several periods, a 3 cm spring or a 100 m throw. Positions come from
closed forms where physics has one (projectile, Kepler orbit, damped spring) and from RK4 or an
event-driven simulation where it does not (pendulum, bouncing ball, elastic collisions).

    python -m kinviz.training.generate [OUT] [--seed N]    # rewrite the bundled examples
"""
from __future__ import annotations

import argparse
import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..core.errors import KinvizError

FAMILIES = ("projectile", "pendulum", "circular", "spring", "bouncing_ball", "slope", "orbit",
            "collision", "lissajous", "walker", "wander")
PHYSICS_FAMILIES = FAMILIES[:9]  # the bundled recordings and the default training recipe
EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "data" / "examples"
INDEX_COLUMNS = ["file", "family", "objects", "frames", "layout", "missing_cells", "description"]
G = 9.81  # m/s^2
# Common camera frame rates (Hz); a clip's interval snaps to the nearest so recordings look real.
FRAME_RATES = np.array([0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 25, 30, 40, 50, 60, 90,
                        100, 120, 150, 200, 240, 250, 300, 400, 480, 500, 600, 800, 960, 1000, 1200,
                        1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000])


@dataclass
class Sample:
    family: str
    times: np.ndarray      # (T,) seconds, evenly spaced
    positions: np.ndarray  # (T, K, 2) metres, finite
    names: list[str]       # K object names
    params: dict           # the physical parameters drawn (JSON-serialisable)


# ---------------------------------------------------------------- helpers

def _logu(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _span(rng, lo: float, hi: float, n_frames: int) -> float:
    """How many cycles a clip shows: log-uniform in [lo, hi], at least ~6 frames per cycle."""
    hi = min(hi, (n_frames - 1) / 6)
    return _logu(rng, min(lo, hi), hi)


def _frame_times(duration: float, n_frames: int) -> np.ndarray:
    """(T,) frame times from 0, the interval duration/(T-1) rounded down to a camera frame rate.

    Rounding down keeps the clip within `duration` (a projectile never passes its landing).
    """
    dt = duration / (n_frames - 1)
    faster = FRAME_RATES[FRAME_RATES * dt >= 1 - 1e-12]
    if dt <= 1 / FRAME_RATES[0] and len(faster):
        dt = 1 / faster[0]
    return dt * np.arange(n_frames)


def _rk4(deriv: Callable, state0, times: np.ndarray, *, max_step: float) -> np.ndarray:
    """Integrate the autonomous ODE y' = deriv(y) from t=0; returns (len(times), len(state0))."""
    y, t, out = np.asarray(state0, dtype=float), 0.0, []
    for t_next in times:
        n = max(1, math.ceil((t_next - t) / max_step))
        h = (t_next - t) / n
        for _ in range(n):
            k1 = deriv(y)
            k2 = deriv(y + h / 2 * k1)
            k3 = deriv(y + h / 2 * k2)
            k4 = deriv(y + h * k3)
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        t = t_next
        out.append(y)
    return np.array(out)


def _pendulum_period(length: float, amplitude: float) -> float:
    """Exact period 4 sqrt(L/g) K(sin(amplitude/2)), with K from the arithmetic-geometric mean."""
    a, b = 1.0, math.cos(amplitude / 2)
    while abs(a - b) > 1e-15:
        a, b = (a + b) / 2, math.sqrt(a * b)
    return 2 * math.pi * math.sqrt(length / G) / a


# ---------------------------------------------------------------- families
# Each takes (rng, n_frames) and returns (times from 0, positions (T, K, 2), names, params).

def _projectile(rng, n):
    speed, angle = _logu(rng, 0.5, 35), math.radians(rng.uniform(10, 80))
    vx, vy = speed * math.cos(angle), speed * math.sin(angle)
    height = 0.0 if rng.random() < 0.5 else rng.uniform(0, 1) * vy**2 / (2 * G)
    flight = (vy + math.sqrt(vy**2 + 2 * G * height)) / G  # without drag
    drag = 0.0 if rng.random() < 0.5 else _logu(rng, 0.05, 1.5) / flight  # linear drag rate, 1/s
    side = rng.choice([-1.0, 1.0])

    def at(t):
        # Linear drag has a closed form; (1 - exp(-kt))/k tends to t as k -> 0.
        reach = -np.expm1(-drag * t) / drag if drag else t
        y = height + vy * reach - (G * (t - reach) / drag if drag else G * t**2 / 2)
        return np.stack([side * vx * reach, y], axis=-1)

    grid = np.linspace(0, 1.2 * flight, 2001)
    landing = grid[np.argmax((at(grid)[:, 1] < 0) & (grid > flight / 4))]
    start = 0.0 if rng.random() < 0.6 else rng.uniform(0, 0.3) * landing
    duration = rng.uniform(0.3, 1.0) * (landing - start)
    times = _frame_times(duration, n)
    params = dict(speed=speed, angle_deg=math.degrees(angle), launch_height=height, drag=drag,
                  g=G, flight_shown=times[-1] / landing)
    return times, at(start + times)[:, None, :], ["ball"], params


def _pendulum(rng, n):
    length = _logu(rng, 0.05, 10)
    amplitude = math.radians(rng.uniform(5, 120)) * rng.choice([-1, 1])
    period = _pendulum_period(length, abs(amplitude))
    decay = 0.0 if rng.random() < 0.5 else -math.log(1 - rng.uniform(0.01, 0.1)) / period
    periods = _span(rng, 0.3, 3, n)
    start = 0.0 if rng.random() < 0.5 else rng.uniform(0, period)
    times = _frame_times(periods * period, n)
    # theta'' = -(g/L) sin(theta) - 2 gamma theta': amplitude decays as exp(-gamma t).
    deriv = lambda s: np.array([s[1], -G / length * math.sin(s[0]) - 2 * decay * s[1]])
    theta = _rk4(deriv, [amplitude, 0.0], start + times, max_step=period / 200)[:, 0]
    pivot = [rng.uniform(-1, 1) * length, rng.uniform(1, 1.5) * length]
    pos = np.stack([pivot[0] + length * np.sin(theta), pivot[1] - length * np.cos(theta)], -1)
    params = dict(length=length, amplitude_deg=math.degrees(amplitude), period=period,
                  decay_rate=decay, periods_shown=times[-1] / period, pivot=pivot, g=G)
    return times, pos[:, None, :], ["bob"], params


def _circular(rng, n):
    radius, speed = _logu(rng, 0.02, 50), _logu(rng, 0.1, 20)
    revolutions = _span(rng, 0.2, 3, n)
    turn = 2 * math.pi * revolutions
    duration = turn / (speed / radius)
    # Uniform motion, or a spin-up with constant angular acceleration from omega0 >= 0.
    uniform = rng.random() < 0.5
    omega0 = turn / duration * (1.0 if uniform else rng.uniform(0, 1))
    alpha = 0.0 if uniform else 2 * (turn - omega0 * duration) / duration**2
    times = _frame_times(duration, n)
    sense, phase = rng.choice([-1.0, 1.0]), rng.uniform(0, 2 * math.pi)
    angle = phase + sense * (omega0 * times + alpha * times**2 / 2)
    center = [rng.uniform(-2, 2) * radius, rng.uniform(-2, 2) * radius]
    pos = np.stack([center[0] + radius * np.cos(angle), center[1] + radius * np.sin(angle)], -1)
    params = dict(radius=radius, center=center, omega0=omega0, alpha=alpha,
                  revolutions_shown=abs(angle[-1] - angle[0]) / (2 * math.pi))
    return times, pos[:, None, :], ["puck"], params


def _damped(x0, v0, omega, zeta, t):
    """Closed-form underdamped oscillator x'' = -omega^2 x - 2 zeta omega x'."""
    wd = omega * math.sqrt(1 - zeta**2)
    b = (v0 + zeta * omega * x0) / wd
    return np.exp(-zeta * omega * t) * (x0 * np.cos(wd * t) + b * np.sin(wd * t))


def _spring(rng, n):
    period, amplitude = _logu(rng, 0.1, 3), _logu(rng, 0.005, 0.5)
    omega = 2 * math.pi / period
    zeta = 0.0 if rng.random() < 0.3 else _logu(rng, 0.005, 0.3)
    mode = str(rng.choice(["horizontal", "vertical", "2d"]))
    cycles = _span(rng, 0.5, 5, n)
    times = _frame_times(cycles * period, n)
    if mode == "2d":
        x0, v0 = rng.normal(size=2), rng.normal(size=2) * omega
    else:
        axis = np.array([1.0, 0.0] if mode == "horizontal" else [0.0, 1.0])
        x0, v0 = axis * rng.choice([-1, 1]), axis * rng.normal() * omega * 0.5
    scale = amplitude / np.linalg.norm(x0)
    equilibrium = list(rng.uniform(-1, 1, size=2) * 3 * amplitude)
    pos = np.stack([equilibrium[d] + scale * _damped(x0[d], v0[d], omega, zeta, times)
                    for d in range(2)], -1)
    params = dict(period=period, omega=omega, damping_ratio=zeta, amplitude=amplitude,
                  mode=mode, equilibrium=equilibrium, cycles_shown=times[-1] / period)
    return times, pos[:, None, :], ["mass"], params


def _bouncing_ball(rng, n):
    height, restitution = _logu(rng, 0.05, 10), rng.uniform(0.5, 0.95)
    vy0 = 0.0 if rng.random() < 0.6 else rng.uniform(0, 1) * math.sqrt(2 * G * height)
    vx = 0.0 if rng.random() < 0.3 else (
        rng.choice([-1, 1]) * _logu(rng, 0.05, 1) * math.sqrt(G * height))
    # Flight segments: start time, start height, upward speed; the ball rests once bounces vanish.
    starts, y0s, vys = [0.0], [height], [vy0]
    t = (vy0 + math.sqrt(vy0**2 + 2 * G * height)) / G
    v = restitution * math.sqrt(vy0**2 + 2 * G * height)
    while v > 1e-3 * math.sqrt(2 * G * height):
        starts.append(t), y0s.append(0.0), vys.append(v)
        t, v = t + 2 * v / G, v * restitution
    rest = t
    duration = _logu(rng, 0.7 * starts[1], starts[min(6, len(starts) - 1)] + 0.01 * starts[1])
    times = _frame_times(duration, n)
    k = np.searchsorted(starts, times, side="right") - 1
    s = times - np.take(starts, k)
    y = np.take(y0s, k) + np.take(vys, k) * s - G * s**2 / 2
    y = np.where(times >= rest, 0.0, np.maximum(y, 0.0))
    x0 = rng.uniform(-1, 1) * height
    pos = np.stack([x0 + vx * times, y], -1)
    params = dict(drop_height=height, restitution=restitution, vy0=vy0, vx=vx, floor=0.0, g=G,
                  bounces_shown=int(np.sum(np.array(starts[1:]) <= times[-1])))
    return times, pos[:, None, :], ["ball"], params


def _slope(rng, n):
    incline = math.radians(rng.uniform(10, 45))
    friction = rng.uniform(0, 0.8) * math.tan(incline)  # below tan(angle), so the block slides
    accel = G * (math.sin(incline) - friction * math.cos(incline))
    distance = _logu(rng, 0.1, 100)
    v0 = 0.0 if rng.random() < 0.6 else _logu(rng, 0.05, 1) * math.sqrt(accel * distance)
    slide = (-v0 + math.sqrt(v0**2 + 2 * accel * distance)) / accel
    # Some clips show the block held still for a few frames before release.
    hold = 0.0 if v0 or rng.random() < 0.6 else rng.uniform(0.05, 0.3) * slide
    times = _frame_times(hold + slide, n)
    t = np.maximum(times - hold, 0.0)
    s = v0 * t + accel * t**2 / 2
    side = rng.choice([-1.0, 1.0])
    top = [rng.uniform(-1, 1) * distance, distance * math.sin(incline) * rng.uniform(1, 1.5)]
    pos = np.stack([top[0] + side * s * math.cos(incline), top[1] - s * math.sin(incline)], -1)
    params = dict(incline_deg=math.degrees(incline), friction=friction, acceleration=accel,
                  v0=v0, release_time=hold, distance=s[-1], direction=side, g=G)
    return times, pos[:, None, :], ["block"], params


def _orbit(rng, n):
    a, period, ecc = _logu(rng, 0.05, 100), _logu(rng, 1, 60), rng.uniform(0, 0.7)
    q = _logu(rng, 0.05, 1)  # planet mass / sun mass
    orbits = _span(rng, 0.3, 2.5, n)
    times = _frame_times(orbits * period, n)
    # Relative orbit from Kepler's equation E - e sin E = M, solved by Newton's method.
    mean = rng.uniform(0, 2 * math.pi) + 2 * math.pi * times / period
    E = mean + ecc * np.sin(mean)
    for _ in range(50):
        E = E - (E - ecc * np.sin(E) - mean) / (1 - ecc * np.cos(E))
    rel = np.stack([a * (np.cos(E) - ecc), a * math.sqrt(1 - ecc**2) * np.sin(E)], -1)
    w, sense = rng.uniform(0, 2 * math.pi), rng.choice([-1.0, 1.0])
    rel = rel * [1, sense] @ np.array([[math.cos(w), math.sin(w)], [-math.sin(w), math.cos(w)]])
    drift = np.zeros(2) if rng.random() < 0.5 else (
        rng.uniform(0.05, 0.3) * 2 * math.pi * a / period * rng.normal(size=2) / math.sqrt(2))
    com = rng.uniform(-1, 1, size=2) * a + drift * times[:, None]
    masses = [1 / (1 + q), q / (1 + q)]
    pos = np.stack([com - masses[1] * rel, com + masses[0] * rel], 1)
    params = dict(semi_major_axis=a, period=period, eccentricity=ecc, mass_ratio=q, masses=masses,
                  gm=4 * math.pi**2 * a**3 / period**2, drift=list(drift),
                  orbits_shown=times[-1] / period)
    return times, pos, ["sun", "planet"], params


def _collide(pos, vel, radii, masses, box, times) -> tuple[np.ndarray, int]:
    """Event-driven elastic pucks in [0, W] x [0, H]; returns ((T, K, 2) positions, collisions)."""
    out, t, hits = [], 0.0, 0
    pairs = [(i, j) for i in range(len(radii)) for j in range(i + 1, len(radii))]
    for _ in range(100_000):
        # Earliest wall or pair contact from now.
        best, event = math.inf, None
        for i, r in enumerate(radii):
            for d in range(2):
                v = vel[i, d]
                if v:
                    dt_wall = ((box[d] - r if v > 0 else r) - pos[i, d]) / v
                    if dt_wall < best:
                        best, event = max(dt_wall, 0.0), ("wall", i, d)
        for i, j in pairs:
            dp, dv, reach = pos[j] - pos[i], vel[j] - vel[i], radii[i] + radii[j]
            b, a = dp @ dv, dv @ dv
            disc = b * b - a * (dp @ dp - reach**2)
            if b < 0 and disc >= 0:
                dt_pair = max((-b - math.sqrt(disc)) / a, 0.0)
                if dt_pair < best:
                    best, event = dt_pair, ("pair", i, j)
        # Record the frames that fall before it, then move to it and bounce.
        while len(out) < len(times) and times[len(out)] <= t + best:
            out.append(pos + vel * (times[len(out)] - t))
        if len(out) == len(times):
            return np.array(out), hits
        pos, t = pos + vel * best, t + best
        if event[0] == "wall":
            vel[event[1], event[2]] *= -1
        else:
            i, j = event[1:]
            normal = (pos[j] - pos[i]) / np.linalg.norm(pos[j] - pos[i])
            u = (vel[i] - vel[j]) @ normal
            vel[i] -= 2 * masses[j] / (masses[i] + masses[j]) * u * normal
            vel[j] += 2 * masses[i] / (masses[i] + masses[j]) * u * normal
            hits += 1
    raise AssertionError("collision simulation did not reach the end of the clip")


def _collision(rng, n):
    k = int(rng.integers(2, 4))
    width = _logu(rng, 0.3, 20)
    box = np.array([width, width * rng.uniform(0.5, 1.0)])
    radii = rng.uniform(0.04, 0.09, size=k) * width
    masses = rng.uniform(0.5, 2, size=k) * (radii / width) ** 2
    pos = np.empty((k, 2))
    for i in range(k):  # rejection-sample non-overlapping starts
        while True:
            pos[i] = rng.uniform(radii[i], box - radii[i])
            if all(np.linalg.norm(pos[i] - pos[j]) > radii[i] + radii[j] for j in range(i)):
                break
    speed = width * _logu(rng, 0.2, 2)  # metres per second
    heading = rng.uniform(0, 2 * math.pi, size=k)
    toward = pos[1] - pos[0]  # aim the first puck near the second so most clips show a hit
    heading[0] = math.atan2(toward[1], toward[0]) + rng.uniform(-0.3, 0.3)
    unit = np.stack([np.cos(heading), np.sin(heading)], -1)
    vel = speed * rng.uniform(0.3, 1, size=(k, 1)) * unit
    crossings = _span(rng, 0.5, 4, n)
    times = _frame_times(crossings * width / speed, n)
    params = dict(box=list(box), radii=list(radii), masses=list(masses),
                  velocities=vel.tolist(), crossings_shown=times[-1] * speed / width)
    positions, hits = _collide(pos.copy(), vel, radii, masses, box, times)
    params["collisions"] = hits
    return times, positions, ["a", "b", "c"][:k], params


def _lissajous(rng, n):
    p, q = [(1, 1), (1, 2), (2, 3), (3, 4), (1, 3), (3, 5)][rng.integers(6)]
    freq, amp = _logu(rng, 0.2, 2), _logu(rng, 0.02, 0.5)
    amps = [amp, amp * rng.uniform(0.5, 1.5)]
    omegas = [2 * math.pi * freq * p, 2 * math.pi * freq * q * (1 + rng.uniform(-0.01, 0.01))]
    decay = 0.0 if rng.random() < 0.5 else _logu(rng, 0.01, 0.1) * freq
    cycles = _span(rng, 0.5, 4, n)
    times = _frame_times(cycles / freq, n)
    phase = rng.uniform(0, math.pi)
    center = list(rng.uniform(-1, 1, size=2) * amp)
    env = np.exp(-decay * times)
    pos = np.stack([center[0] + amps[0] * env * np.sin(omegas[0] * times + phase),
                    center[1] + amps[1] * env * np.sin(omegas[1] * times)], -1)
    params = dict(ratio=[p, q], frequency=freq, amplitudes=amps, omegas=omegas,
                  decay_rate=decay, phase=phase, center=center, cycles_shown=times[-1] * freq)
    return times, pos[:, None, :], ["pen"], params


def _ou(rng, n_steps: int, dt: float, tau: float, sigma: float, start: np.ndarray | None = None) -> np.ndarray:
    """(n_steps, 2) Ornstein-Uhlenbeck process (mean 0, correlation time tau, stationary std sigma),
    sampled exactly on a grid of step dt; starts from the stationary law unless ``start`` is given."""
    decay = math.exp(-dt / tau)
    kick = sigma * math.sqrt(1 - decay**2)
    out = np.empty((n_steps, 2))
    out[0] = rng.normal(size=2) * sigma if start is None else start
    noise = rng.normal(size=(n_steps, 2)) * kick
    for i in range(1, n_steps):
        out[i] = out[i - 1] * decay + noise[i]
    return out


def _fine(times: np.ndarray, per_frame: int = 8) -> tuple[np.ndarray, float]:
    """A simulation grid ``per_frame`` times finer than the frames: (grid times, step)."""
    dt = (times[1] - times[0]) / per_frame
    return dt * np.arange((len(times) - 1) * per_frame + 1), dt


def _walker(rng, n):
    """Pedestrians: a preferred walking speed, a heading that wanders (an Ornstein-Uhlenbeck turn
    rate), speed fluctuations, sometimes a stop and restart; companions walk side by side."""
    k = 1 + int(rng.random() < 0.35) + int(rng.random() < 0.15)
    times = _frame_times(_logu(rng, 2, 40), n)
    grid, dt = _fine(times)
    side_by_side = k > 1 and rng.random() < 0.5
    tau_turn, turn_std = _logu(rng, 1, 10), _logu(rng, 0.02, 0.5)  # s, rad/s
    pos = np.empty((len(times), k, 2))
    stops = []
    for i in range(k):
        if i == 0 or not side_by_side:
            speed = float(np.clip(rng.normal(1.3, 0.25), 0.4, 2.2))
            heading0 = rng.uniform(0, 2 * math.pi)
            turn = _ou(rng, len(grid), dt, tau_turn, turn_std)[:, 0]
            heading = heading0 + np.cumsum(turn) * dt
            wobble = 1 + _ou(rng, len(grid), dt, 2.0, 0.08)[:, 0]
            target = np.full(len(grid), speed)
            if rng.random() < 0.2:  # a stop: ease to rest, wait, walk on
                t_stop, wait = rng.uniform(0, grid[-1]), _logu(rng, 0.5, 5)
                target[(grid >= t_stop) & (grid < t_stop + wait)] = 0.0
                stops.append(t_stop)
            v = np.empty(len(grid))
            v[0] = target[0]
            ease = 1 - math.exp(-dt / 0.5)
            for j in range(1, len(grid)):
                v[j] = v[j - 1] + (target[j] - v[j - 1]) * ease
            vel = (v * wobble)[:, None] * np.stack([np.cos(heading), np.sin(heading)], -1)
            start = rng.uniform(-5, 5, size=2)
            leader = vel
        else:  # a companion: the leader's velocity, a lateral offset, a little sway of its own
            normal = np.array([-math.sin(heading0), math.cos(heading0)])
            start = pos[0, 0] + normal * rng.uniform(0.5, 0.9) * rng.choice([-1, 1])
            vel = leader + _ou(rng, len(grid), dt, 1.0, 0.05)
        track = start + np.r_[np.zeros((1, 2)), np.cumsum(vel[:-1] * dt, axis=0)]
        pos[:, i] = track[::8]
    params = dict(walkers=k, side_by_side=bool(side_by_side), turn_time=tau_turn, turn_std=turn_std,
                  stops=stops, duration=times[-1])
    return times, pos, ["walker", "companion", "passer"][:k], params


def _wander(rng, n):
    """A persistent random walk (an insect, a cell, a drifting float): Ornstein-Uhlenbeck velocity
    around a mean drift; clips last from a tenth of the velocity's memory (nearly straight) to many
    memories (tortuous)."""
    tau, sigma = _logu(rng, 0.1, 10), _logu(rng, 0.002, 1)  # s, m/s
    drift = np.zeros(2) if rng.random() < 0.5 else sigma * rng.normal(size=2) * _logu(rng, 0.2, 2)
    memories = _logu(rng, 0.1, 20)
    times = _frame_times(memories * tau, n)
    grid, dt = _fine(times)
    vel = drift + _ou(rng, len(grid), dt, tau, sigma)
    start = rng.uniform(-1, 1, size=2) * sigma * tau * 5
    track = start + np.r_[np.zeros((1, 2)), np.cumsum(vel[:-1] * dt, axis=0)]
    params = dict(memory=tau, speed_std=sigma, drift=list(drift), memories_shown=times[-1] / tau)
    return times, track[::8, None, :], ["walker"], params


_SIMULATORS = {"projectile": _projectile, "pendulum": _pendulum, "circular": _circular,
               "spring": _spring, "bouncing_ball": _bouncing_ball, "slope": _slope,
               "orbit": _orbit, "collision": _collision, "lissajous": _lissajous,
               "walker": _walker, "wander": _wander}
assert tuple(_SIMULATORS) == FAMILIES, "every family needs a simulator"


# ---------------------------------------------------------------- public sampling

def _plain(value):
    """Numpy scalars and arrays inside params -> JSON types."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def simulate(family: str, rng: np.random.Generator, *, n_frames: int) -> Sample:
    """One clip of `family` with random parameters and frame interval.

    times: (T,) seconds, evenly spaced, from 0 or from a random clock offset;
    positions: (T, K, 2) metres. Deterministic given the state of `rng`.
    """
    if family not in _SIMULATORS:
        raise KinvizError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    if n_frames < 2:
        raise KinvizError(f"a clip needs at least 2 frames, not {n_frames}")
    times, positions, names, params = _SIMULATORS[family](rng, n_frames)
    offset = 0 if rng.random() < 0.5 else int(rng.integers(1, 500))  # a recorder's running clock
    times = times + offset * (times[1] - times[0])
    assert positions.shape == (n_frames, len(names), 2), f"{family}: shape {positions.shape}"
    assert np.isfinite(positions).all(), f"{family}: non-finite positions for {params}"
    return Sample(family, times, positions.astype(np.float64), names, _plain(params))


def random_sample(rng: np.random.Generator, *, n_frames: int, families=FAMILIES) -> Sample:
    """simulate() of a family chosen uniformly from `families`."""
    return simulate(families[int(rng.integers(len(families)))], rng, n_frames=n_frames)


def _extent(positions: np.ndarray) -> float:
    """Largest peak-to-peak range over x and y, ignoring NaN; 1 for a motionless clip."""
    flat = positions.reshape(-1, 2)
    extent = float(np.nanmax(np.nanmax(flat, 0) - np.nanmin(flat, 0)))
    return extent if extent > 0 else 1.0


def augment(positions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random similarity transform that keeps gravity roughly down.

    positions: (T, K, 2) -> (T, K, 2): mirror in x (p=0.5), rotation within +-30 deg, uniform
    scale 0.5-2x (log-uniform) and an offset of up to one motion extent.
    """
    mirror = rng.random() < 0.5
    angle = math.radians(rng.uniform(-30, 30))
    scale = _logu(rng, 0.5, 2)
    shift = rng.uniform(-1, 1, size=2)
    c, s = math.cos(angle), math.sin(angle)
    linear = scale * np.array([[c, -s], [s, c]]) @ np.diag([-1.0 if mirror else 1.0, 1.0])
    center = np.nanmean(positions.reshape(-1, 2), axis=0)
    return (positions - center) @ linear.T + center + shift * _extent(positions)


TRACKER_NOISE = (0.002, 0.02)  # range of ``add_tracker_noise``'s level in training clips and tune's noisy copies
NOISY = 0.5  # share of simulated training clips given tracker noise, the shipped recipe (``train --noisy``)


def add_tracker_noise(positions: np.ndarray, rng: np.random.Generator, *,
                      level: float) -> np.ndarray:
    """Gaussian jitter with sigma = level * motion extent; positions (T, K, 2), NaN stays NaN."""
    return positions + rng.normal(size=positions.shape) * level * _extent(positions)


# ---------------------------------------------------------------- bundled examples

def _num(x: float, digits: int = 2) -> str:
    """A number for a sentence: `digits` significant figures, never scientific notation."""
    return f"{float(f'{x:.{digits}g}'):g}"


def _count(n: int, noun: str) -> str:
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
        f"restitution {f(p['restitution'])}, {_count(p['bounces_shown'], 'bounce')}",
        "slope": lambda: f"Block on a {f(p['incline_deg'])} deg slope, friction coefficient "
        f"{f(p['friction'])}, " + (f"pushed at {f(p['v0'])} m/s" if p["v0"] else "starting at rest")
        + f", {f(p['distance'])} m slide",
        "orbit": lambda: f"Two-body orbit, mass ratio {f(p['mass_ratio'])}, eccentricity "
        f"{f(p['eccentricity'])}, period {f(p['period'])} s, {f(p['orbits_shown'])} orbits",
        "collision": lambda: f"{len(sample.names)} pucks colliding elastically in a "
        f"{f(p['box'][0])} x {f(p['box'][1])} m box, {_count(p['collisions'], 'collision')}",
        "lissajous": lambda: f"Harmonograph, frequency ratio {p['ratio'][0]}:{p['ratio'][1]}, "
        f"{f(p['frequency'])} Hz, amplitude {f(100 * p['amplitudes'][0])} cm, "
        f"{f(p['cycles_shown'])} cycles",
        "walker": lambda: f"{_count(p['walkers'], 'pedestrian')} walking"
        + (" side by side" if p["side_by_side"] else "") + f" for {f(p['duration'])} s"
        + (f", {_count(len(p['stops']), 'stop')}" if p["stops"] else ""),
        "wander": lambda: f"Persistent random walk, velocity memory {f(p['memory'])} s, "
        f"speed spread {f(p['speed_std'])} m/s, {f(p['memories_shown'])} memories",
    }[sample.family]()
    dt = sample.times[1] - sample.times[0]
    return f"{text}, {len(sample.times)} frames at {_num(1 / dt, 3)} Hz"


def _dropouts(positions: np.ndarray, rng) -> int:
    """Blank short tracker dropouts (1-6 frames, or a single x,y pair) in place; returns count."""
    n_frames, n_objects, _ = positions.shape
    count = int(rng.integers(1, 4))
    for _ in range(count):
        length = 1 if rng.random() < 0.3 else int(rng.integers(1, 7))
        start = int(rng.integers(1, max(2, n_frames - length - 1)))
        positions[start:start + length, int(rng.integers(n_objects))] = np.nan
    return count


def _csv_text(times, positions, names, *, layout, extra, delimiter, rng) -> str:
    """The CSV text of one recording; NaN becomes an empty cell."""
    n_frames, n_objects, _ = positions.shape
    # Fixed decimals per file, about 6 significant digits of the motion's extent.
    decimals = max(0, 5 - math.floor(math.log10(_extent(positions))))
    cell = lambda v: "" if np.isnan(v) else f"{round(float(v), decimals) + 0.0:.{decimals}f}"
    # Times to ~6 significant digits of the frame interval, trailing zeros dropped.
    places = max(0, 5 - math.floor(math.log10(times[1] - times[0])))
    stamp = lambda t: f"{t:.{places}f}".rstrip("0").rstrip(".")
    axes = ["x", "y", "z"] if "z" in extra else ["x", "y"]
    if "z" in extra:  # a 3-D tracker looking straight at the plane: zeros or a little depth jitter
        z = np.zeros((n_frames, n_objects, 1)) if extra["z"] == 0 else (
            rng.normal(size=(n_frames, n_objects, 1)) * extra["z"] * _extent(positions))
        z = np.where(np.isnan(positions[..., :1]), np.nan, z)
        positions = np.concatenate([positions, z], -1)
    extra_name = next((k for k in extra if k != "z"), None)
    extra_values = {"label": [f"trial {int(rng.integers(1, 9))}"] * n_frames,
                    "temperature": [f"{v:.1f}" for v in 21 + rng.uniform(-2, 2) +
                                    np.cumsum(rng.normal(size=n_frames) * 0.02)]}.get(extra_name)
    header, rows = ["time"], []
    if layout == "long":
        header += ["object", *axes]
        for i, t in enumerate(times):
            rows += [[stamp(t), name, *map(cell, positions[i, k])] for k, name in enumerate(names)]
    else:
        header += [f"{n}_{a}" if layout == "wide_named" else a for n in names for a in axes]
        rows = [[stamp(t), *map(cell, positions[i].ravel())] for i, t in enumerate(times)]
    if extra_name:
        per_row = len(rows) // n_frames
        header.append(extra_name)
        rows = [row + [extra_values[r // per_row]] for r, row in enumerate(rows)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerows([header, *rows])
    return buffer.getvalue()


def write_examples(out_dir: Path | str = EXAMPLES_DIR, *, seed: int = 2023) -> list[Path]:
    """Write 5 lab-style recordings per family and index.csv; same seed -> byte-identical files.

    Returns the paths written (the recordings, then index.csv).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    per_family = 5
    n_files = per_family * len(PHYSICS_FAMILIES)
    # Which files get the rarer traits: spread over families by one shuffled plan.
    plan = np.random.default_rng([seed, 0]).permutation(n_files)
    traits = {int(i): t for i, t in zip(plan, [{"z": 0}, {"z": 0.002}, {"label": 1},
                                                {"temperature": 1}, {"semicolon": 1}])}
    missing = set(np.random.default_rng([seed, 1]).permutation(n_files)[: n_files // 4].tolist())
    paths, index = [], []
    for f, family in enumerate(PHYSICS_FAMILIES):
        for j in range(per_family):
            number = f * per_family + j
            rng = np.random.default_rng([seed, 2, f, j])
            n_frames = 48 if rng.random() < 0.2 else int(rng.integers(24, 121))
            sample = simulate(family, rng, n_frames=n_frames)
            positions = sample.positions.copy()
            description = describe(sample)
            if rng.random() < 0.35:
                positions = add_tracker_noise(positions, rng, level=rng.uniform(0.001, 0.005))
                description += ", mild tracker noise"
            if number in missing:
                count = _dropouts(positions, rng)
                description += f", {_count(count, 'dropout')}"
            if len(sample.names) == 1:
                layout = str(rng.choice(["wide", "wide_named", "long"], p=[0.45, 0.3, 0.25]))
            else:
                layout = str(rng.choice(["wide_named", "long"], p=[0.6, 0.4]))
            extra = dict(traits.get(number, {}))
            delimiter = ";" if extra.pop("semicolon", None) else ","
            text = _csv_text(sample.times, positions, sample.names, layout=layout, extra=extra,
                             delimiter=delimiter, rng=rng)
            path = out_dir / f"{family}-{j + 1:02d}.csv"
            path.write_text(text, encoding="utf-8", newline="")
            paths.append(path)
            tags = [*extra, *(["semicolon"] if delimiter == ";" else [])]
            index.append([path.name, family, len(sample.names), n_frames, "+".join([layout, *tags]),
                          int(np.isnan(positions).sum() // 2 * (2 + ("z" in extra))),
                          description + "."])
    index_path = out_dir / "index.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([INDEX_COLUMNS, *index])
    index_path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return [*paths, index_path]


def load_index(examples_dir: Path | str = EXAMPLES_DIR) -> pd.DataFrame:
    """The examples' index.csv: one row per recording with the columns in INDEX_COLUMNS."""
    path = Path(examples_dir) / "index.csv"
    if not path.is_file():
        raise KinvizError(f"no example index at {path}; "
                          f"run `python -m kinviz.training.generate {examples_dir}`")
    index = pd.read_csv(path, dtype={"file": str, "family": str, "layout": str, "description": str})
    missing = [c for c in INDEX_COLUMNS if c not in index.columns]
    if missing:
        raise KinvizError(f"{path} lacks the column(s) {', '.join(missing)}; regenerate it")
    return index[INDEX_COLUMNS]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write kinviz's bundled example recordings.")
    parser.add_argument("out", nargs="?", default=str(EXAMPLES_DIR), help="output folder")
    parser.add_argument("--seed", type=int, default=2023, help="random seed (default 2023)")
    args = parser.parse_args(argv)
    paths = write_examples(args.out, seed=args.seed)
    print(f"wrote {len(paths) - 1} examples and index.csv to {args.out}")


if __name__ == "__main__":
    main()
