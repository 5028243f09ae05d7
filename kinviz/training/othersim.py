"""A second motion simulator, written apart from ``generate`` so that a model tuned on one is checked on the other.

Seven families that ``generate`` does not have, each an ordinary differential equation integrated by
``scipy.integrate.solve_ivp`` (DOP853 for the chaotic double pendulum, RK45 for the rest) and read at
the frame times; frame rates and durations are drawn per trajectory, apart from ``generate``'s:

- ``double_pendulum``: two bobs, chaotic for large swings (Lagrangian equations of a rigid double pendulum);
- ``driven_oscillator``: a damped Duffing oscillator driven off resonance in x, a linear one in y;
- ``magnetic_drift``: a charge in a uniform magnetic field with a crossed electric field and drag
  (cycloids and trochoids drifting along E x B);
- ``bowl``: a ball rolling in a 2-D anharmonic bowl with coupling and rolling friction;
- ``hoop``: a bead on a hoop spinning about its vertical diameter, seen from the side;
- ``pursuit``: a prey on a smoothly wandering course and a predator steering toward it (two objects);
- ``flock``: three boids with cohesion, alignment, separation and a drifting goal.

Units are metres and seconds. ``validation_split`` draws the fixed validation set (checkpoint choice,
``kinviz.training.selection``; the benchmark's ``othersim`` section).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.integrate import solve_ivp

from ..core.trajectory import Trajectory
from ..io.csv import from_arrays

VALIDATION_SEED = 424_242  # the second simulator's validation split; no other split draws from it
FRAME_RATES = (12.0, 20.0, 24.0, 29.97, 48.0, 60.0)  # camera-like rates
DURATION = (1.5, 6.0)  # seconds a clip spans, drawn log-uniformly: the frame rate then sets the step
G = 9.81


@dataclass
class Motion:
    """One simulated trajectory: ``times`` (T,) s, ``positions`` (T, K, 2) m, ``names`` K."""

    family: str
    times: np.ndarray
    positions: np.ndarray
    names: tuple[str, ...]

    def trajectory(self) -> Trajectory:
        return from_arrays(self.times, self.positions, self.names)


def integrate(rhs: Callable, y0: np.ndarray, t: np.ndarray, method: str = "RK45", rtol: float = 1e-7) -> np.ndarray:
    """The state at times ``t`` (T,) from ``y0`` at ``t[0]``: (T, len(y0))."""
    sol = solve_ivp(rhs, (t[0], t[-1]), y0, method=method, t_eval=t, rtol=rtol, atol=rtol * 1e-2)
    assert sol.success and sol.y.shape[1] == len(t), f"integration failed: {sol.message}"
    return sol.y.T


def clock(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """Frame times: a frame rate from ``FRAME_RATES`` whose clip lasts within ``DURATION`` where it can."""
    lo, hi = DURATION
    want = np.exp(rng.uniform(np.log(lo), np.log(hi)))
    fps = min(FRAME_RATES, key=lambda f: abs(n_frames / f - want))
    return rng.uniform(0.0, 3.0) + np.arange(n_frames) / fps


def double_pendulum(rng, t):
    l1, l2 = rng.uniform(0.3, 1.2, 2)
    m1, m2 = rng.uniform(0.5, 2.0, 2)
    th = rng.uniform(-np.pi, np.pi, 2) * rng.uniform(0.3, 1.0)

    def rhs(_, s):  # s = (th1, th2, w1, w2): the standard equations for point masses on rigid rods
        a, b, wa, wb = s
        d = a - b
        den = 2 * m1 + m2 - m2 * np.cos(2 * d)
        da = (-G * (2 * m1 + m2) * np.sin(a) - m2 * G * np.sin(a - 2 * b)
              - 2 * np.sin(d) * m2 * (wb ** 2 * l2 + wa ** 2 * l1 * np.cos(d))) / (l1 * den)
        db = 2 * np.sin(d) * (wa ** 2 * l1 * (m1 + m2) + G * (m1 + m2) * np.cos(a) + wb ** 2 * l2 * m2 * np.cos(d)) / (l2 * den)
        return [wa, wb, da, db]

    a, b = integrate(rhs, np.r_[th, rng.normal(0, 1.0, 2)], t - t[0], method="DOP853", rtol=1e-9)[:, :2].T
    p1 = np.stack([l1 * np.sin(a), -l1 * np.cos(a)], -1)
    p2 = p1 + np.stack([l2 * np.sin(b), -l2 * np.cos(b)], -1)
    return np.stack([p1, p2], 1), ("bob1", "bob2")


def driven_oscillator(rng, t):
    span = t[-1] - t[0]
    w0 = 2 * np.pi * rng.uniform(0.7, 3.0) / span  # 0.7-3 natural periods per clip
    wy = w0 * rng.uniform(0.6, 1.6)
    gamma, beta = rng.uniform(0.05, 0.5) * w0, rng.uniform(0.0, 2.0) * w0 ** 2
    drive_w = w0 * rng.uniform(0.4, 2.2)
    drive = rng.uniform(0.2, 1.0) * w0 ** 2

    def rhs(s_t, s):
        x, y, vx, vy = s
        return [vx, vy, -gamma * vx - w0 ** 2 * x - beta * x ** 3 + drive * np.cos(drive_w * s_t),
                -gamma * vy - wy ** 2 * y + 0.5 * drive * np.sin(drive_w * s_t + 1.0)]

    s = integrate(rhs, np.r_[rng.normal(0, 0.5, 2), rng.normal(0, 0.5, 2) * w0], t - t[0])
    return s[:, None, :2], ("mass",)


def magnetic_drift(rng, t):
    span = t[-1] - t[0]
    wc = 2 * np.pi * rng.uniform(0.8, 3.0) / span * rng.choice([-1, 1])  # cyclotron turns per clip, either sense
    e = rng.uniform(0.2, 1.5) * abs(wc) * rng.normal(size=2)  # E / (q/m): drift speed |E| / |B|
    drag = rng.uniform(0.0, 0.3) * abs(wc)

    def rhs(_, s):  # dv/dt = E + v x B (B along z, q/m = 1) - drag v
        x, y, vx, vy = s
        return [vx, vy, e[0] + wc * vy - drag * vx, e[1] - wc * vx - drag * vy]

    s = integrate(rhs, np.r_[0.0, 0.0, rng.normal(0, 1.0, 2) * np.linalg.norm(e) / abs(wc)], t - t[0])
    return s[:, None, :2], ("charge",)


def bowl(rng, t):
    span = t[-1] - t[0]
    kx, ky = (2 * np.pi * rng.uniform(0.5, 2.0, 2) / span) ** 2
    quartic, cross, friction = rng.uniform(0, 3) * kx, rng.uniform(-1, 1) * kx, rng.uniform(0.0, 0.6) / span

    def rhs(_, s):  # V = kx x^2/2 + ky y^2/2 + quartic (x^4 + y^4)/4 + cross x^2 y^2 / 2, rolling friction
        x, y, vx, vy = s
        speed = np.hypot(vx, vy) + 1e-3
        ax = -kx * x - quartic * x ** 3 - cross * x * y ** 2 - friction * vx / speed * np.sqrt(kx)
        ay = -ky * y - quartic * y ** 3 - cross * x ** 2 * y - friction * vy / speed * np.sqrt(ky)
        return [vx, vy, ax, ay]

    s = integrate(rhs, np.r_[rng.uniform(-1, 1, 2), rng.normal(0, 0.5, 2) * np.sqrt(kx)], t - t[0])
    return s[:, None, :2], ("ball",)


def hoop(rng, t):
    r = rng.uniform(0.2, 1.0)
    omega = np.sqrt(G / r) * rng.uniform(0.5, 2.5)  # above sqrt(g/r) the bottom is unstable: the bead rides up
    damping = rng.uniform(0.0, 0.5)

    def rhs(_, s):  # theta'' = sin(theta) (omega^2 cos(theta) - g/r) - damping theta'
        th, w = s
        return [w, np.sin(th) * (omega ** 2 * np.cos(th) - G / r) - damping * w]

    th = integrate(rhs, np.r_[rng.uniform(-1.5, 1.5), rng.normal(0, 2.0)], t - t[0])[:, 0]
    phase = rng.uniform(0, 2 * np.pi)
    pos = np.stack([r * np.sin(th) * np.cos(omega * (t - t[0]) + phase), -r * np.cos(th)], -1)
    return pos[:, None], ("bead",)


def pursuit(rng, t):
    span = t[-1] - t[0]
    speed = rng.uniform(0.5, 3.0)
    turn_w = 2 * np.pi * rng.uniform(0.2, 1.5, 3) / span
    turn_a, turn_p = rng.uniform(0, 2.5, 3) / span * 2, rng.uniform(0, 2 * np.pi, 3)
    chase, agility = speed * rng.uniform(1.05, 1.6), rng.uniform(1.0, 6.0)

    def rhs(s_t, s):  # prey: heading turns at a smooth random rate; predator: heading relaxes toward the prey
        px, py, hp, qx, qy, hq = s
        turn = float(np.sum(turn_a * np.sin(turn_w * s_t + turn_p)))
        bearing = np.arctan2(py - qy, px - qx)
        return [speed * np.cos(hp), speed * np.sin(hp), turn,
                chase * np.cos(hq), chase * np.sin(hq), agility * np.sin(bearing - hq)]

    start = rng.normal(0, 1.0, 2) * speed * span * 0.3
    s = integrate(rhs, np.r_[0.0, 0.0, rng.uniform(-np.pi, np.pi), start, rng.uniform(-np.pi, np.pi)], t - t[0])
    return np.stack([s[:, :2], s[:, 3:5]], 1), ("prey", "predator")


def flock(rng, t, n: int = 3):
    span = t[-1] - t[0]
    goal_v = rng.normal(0, 1.0, 2)
    k_goal, k_align, k_sep = rng.uniform(0.5, 2.0) / span, rng.uniform(0.5, 3.0) / span, rng.uniform(0.05, 0.3)

    def rhs(s_t, s):  # boids as smooth forces: cohesion to the centre, alignment, inverse-square separation
        p, v = s[: 2 * n].reshape(n, 2), s[2 * n:].reshape(n, 2)
        centre, mean_v = p.mean(0), v.mean(0)
        d = p[:, None] - p[None]
        r2 = (d ** 2).sum(-1) + np.eye(n) + 0.01
        sep = (d / r2[..., None] * k_sep).sum(1) * (1 - np.eye(n)).sum(1)[:, None] / n
        goal = goal_v * s_t - p
        a = 4 * k_goal ** 2 * (centre - p) + k_align * (mean_v - v) + k_goal ** 2 * goal + sep / span ** 2
        return np.r_[v.ravel(), a.ravel()]

    s = integrate(rhs, np.r_[rng.normal(0, 0.5, 2 * n), rng.normal(0, 1.0, 2 * n)], t - t[0])
    return s[:, : 2 * n].reshape(len(t), n, 2), tuple(f"boid{k + 1}" for k in range(n))


SIMULATORS = {"double_pendulum": double_pendulum, "driven_oscillator": driven_oscillator, "magnetic_drift": magnetic_drift,
              "bowl": bowl, "hoop": hoop, "pursuit": pursuit, "flock": flock}
FAMILIES = tuple(SIMULATORS)
NOISE = (0.002, 0.01)  # tracker jitter, a share of the scene's diagonal (drawn per trajectory)


def simulate(family: str, rng: np.random.Generator, n_frames: int = 48) -> Motion:
    """One trajectory of ``family``: a random frame rate and duration, parameters, a placement in the scene."""
    assert family in SIMULATORS, f"unknown family '{family}'; choose from {FAMILIES}"
    t = clock(rng, n_frames)
    pos, names = SIMULATORS[family](rng, t)
    angle = rng.uniform(-0.3, 0.3)  # a camera a little tilted, somewhere in the scene
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    pos = pos @ rot.T + rng.uniform(-5, 5, 2)
    assert np.isfinite(pos).all(), f"{family}: the simulation left finite values"
    return Motion(family, t, pos.astype(np.float64), names)


def tracker_noise(positions: np.ndarray, rng: np.random.Generator, level: float, dropout: float = 0.03) -> np.ndarray:
    """A tracker's view of ``positions`` (T, K, 2): Gaussian jitter of ``level`` times the scene's diagonal, a few
    frames per object lost (NaN) and, rarely, a swap-like jump of a few diagonals' percent."""
    diag = float(np.linalg.norm(np.ptp(positions.reshape(-1, 2), 0))) or 1.0
    out = positions + rng.normal(0, level * diag, positions.shape)
    jumps = rng.random(positions.shape[:2]) < dropout / 3
    out[jumps] += rng.normal(0, 5 * level * diag, (int(jumps.sum()), 2))
    out[rng.random(positions.shape[:2]) < dropout] = np.nan
    return out


def validation_split(per_family: int, n_frames: int = 48, seed: int = VALIDATION_SEED, *, noisy: bool = False,
                     families=FAMILIES) -> list[tuple[str, Trajectory]]:
    """(family, trajectory) pairs, ``per_family`` of each family, drawn in ``FAMILIES`` order from one seed;
    with ``noisy`` each is followed by a copy as a tracker would see it (``tracker_noise``), named '<family> (noisy)'."""
    rng = np.random.default_rng(seed)
    noise_rng = np.random.default_rng(seed + 1)  # apart, so the clean draws do not depend on ``noisy``
    out = []
    for family in FAMILIES:
        for i in range(per_family):
            m = simulate(family, rng, n_frames=n_frames)
            if family not in families:
                continue
            traj = m.trajectory()
            out.append((family, _named(traj, f"{family} #{i + 1}")))
            if noisy:
                pos = tracker_noise(m.positions, noise_rng, level=noise_rng.uniform(*NOISE))
                out.append((f"{family} (noisy)", _named(from_arrays(m.times, pos, m.names), f"{family} #{i + 1} (noisy)")))
    return out


def _named(traj: Trajectory, name: str) -> Trajectory:
    import dataclasses

    return dataclasses.replace(traj, source_name=name)
