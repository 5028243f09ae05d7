"""What every simulator shares (``generate``'s families and ``bodies``): the ``Sample`` record, a
log-uniform draw, frame times snapped to a camera's rate, a finer simulation grid, Ornstein-Uhlenbeck
noise, an RK4 step and the conversion of drawn parameters to JSON types.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

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


def logu(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A draw log-uniform in [lo, hi]."""
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def span(rng: np.random.Generator, lo: float, hi: float, n_frames: int) -> float:
    """How many cycles a clip shows: log-uniform in [lo, hi], at least ~6 frames per cycle."""
    hi = min(hi, (n_frames - 1) / 6)
    return logu(rng, min(lo, hi), hi)


def frame_times(duration: float, n_frames: int) -> np.ndarray:
    """(T,) frame times from 0, the interval duration/(T-1) rounded down to a camera frame rate.

    Rounding down keeps the clip within `duration` (a projectile never passes its landing).
    """
    dt = duration / (n_frames - 1)
    faster = FRAME_RATES[FRAME_RATES * dt >= 1 - 1e-12]
    if dt <= 1 / FRAME_RATES[0] and len(faster):
        dt = 1 / faster[0]
    return dt * np.arange(n_frames)


def fine(times: np.ndarray, per_frame: int = 8) -> tuple[np.ndarray, float]:
    """A simulation grid ``per_frame`` times finer than the frames: (grid times, step)."""
    dt = (times[1] - times[0]) / per_frame
    return dt * np.arange((len(times) - 1) * per_frame + 1), dt


def ou(rng, n_steps: int, dt: float, tau: float, sigma: float, start: np.ndarray | None = None) -> np.ndarray:
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


def rk4(deriv: Callable, state0, times: np.ndarray, *, max_step: float) -> np.ndarray:
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


def extent(positions: np.ndarray) -> float:
    """Largest peak-to-peak range over x and y, ignoring NaN; 1 for a motionless clip."""
    flat = positions.reshape(-1, 2)
    extent = float(np.nanmax(np.nanmax(flat, 0) - np.nanmin(flat, 0)))
    return extent if extent > 0 else 1.0


def plain(value):
    """Numpy scalars and arrays inside params -> JSON types."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value
