"""The motion families ``generate`` draws from, one simulator each: nine physics families (projectile,
pendulum, circular, spring, bouncing ball, slope, two-body orbit, elastic collisions, harmonograph)
and two of living movement (pedestrians, a persistent random walk).

Every family draws physical parameters in SI units and a frame interval, so that one clip may show
a fraction of a swing or several periods, a 3 cm spring or a 100 m throw. Positions come from
closed forms where physics has one (projectile, Kepler orbit, damped spring) and from RK4 or an
event-driven simulation where it does not (pendulum, bouncing ball, elastic collisions). Built on
``sampling``'s shared draws; ``SIMULATORS`` maps each family's name to its simulator.
"""
from __future__ import annotations

import math

import numpy as np

from .sampling import G, fine, frame_times, logu, ou, rk4, span


def pendulum_period(length: float, amplitude: float) -> float:
    """Exact period 4 sqrt(L/g) K(sin(amplitude/2)), with K from the arithmetic-geometric mean."""
    a, b = 1.0, math.cos(amplitude / 2)
    while abs(a - b) > 1e-15:
        a, b = (a + b) / 2, math.sqrt(a * b)
    return 2 * math.pi * math.sqrt(length / G) / a


# ---------------------------------------------------------------- families
# Each takes (rng, n_frames) and returns (times from 0, positions (T, K, 2), names, params).

def _projectile(rng, n):
    speed, angle = logu(rng, 0.5, 35), math.radians(rng.uniform(10, 80))
    vx, vy = speed * math.cos(angle), speed * math.sin(angle)
    height = 0.0 if rng.random() < 0.5 else rng.uniform(0, 1) * vy**2 / (2 * G)
    flight = (vy + math.sqrt(vy**2 + 2 * G * height)) / G  # without drag
    drag = 0.0 if rng.random() < 0.5 else logu(rng, 0.05, 1.5) / flight  # linear drag rate, 1/s
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
    times = frame_times(duration, n)
    params = dict(speed=speed, angle_deg=math.degrees(angle), launch_height=height, drag=drag,
                  g=G, flight_shown=times[-1] / landing)
    return times, at(start + times)[:, None, :], ["ball"], params


def _pendulum(rng, n):
    length = logu(rng, 0.05, 10)
    amplitude = math.radians(rng.uniform(5, 120)) * rng.choice([-1, 1])
    period = pendulum_period(length, abs(amplitude))
    decay = 0.0 if rng.random() < 0.5 else -math.log(1 - rng.uniform(0.01, 0.1)) / period
    periods = span(rng, 0.3, 3, n)
    start = 0.0 if rng.random() < 0.5 else rng.uniform(0, period)
    times = frame_times(periods * period, n)
    # theta'' = -(g/L) sin(theta) - 2 gamma theta': amplitude decays as exp(-gamma t).
    deriv = lambda s: np.array([s[1], -G / length * math.sin(s[0]) - 2 * decay * s[1]])
    theta = rk4(deriv, [amplitude, 0.0], start + times, max_step=period / 200)[:, 0]
    pivot = [rng.uniform(-1, 1) * length, rng.uniform(1, 1.5) * length]
    pos = np.stack([pivot[0] + length * np.sin(theta), pivot[1] - length * np.cos(theta)], -1)
    params = dict(length=length, amplitude_deg=math.degrees(amplitude), period=period,
                  decay_rate=decay, periods_shown=times[-1] / period, pivot=pivot, g=G)
    return times, pos[:, None, :], ["bob"], params


def _circular(rng, n):
    radius, speed = logu(rng, 0.02, 50), logu(rng, 0.1, 20)
    revolutions = span(rng, 0.2, 3, n)
    turn = 2 * math.pi * revolutions
    duration = turn / (speed / radius)
    # Uniform motion, or a spin-up with constant angular acceleration from omega0 >= 0.
    uniform = rng.random() < 0.5
    omega0 = turn / duration * (1.0 if uniform else rng.uniform(0, 1))
    alpha = 0.0 if uniform else 2 * (turn - omega0 * duration) / duration**2
    times = frame_times(duration, n)
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
    period, amplitude = logu(rng, 0.1, 3), logu(rng, 0.005, 0.5)
    omega = 2 * math.pi / period
    zeta = 0.0 if rng.random() < 0.3 else logu(rng, 0.005, 0.3)
    mode = str(rng.choice(["horizontal", "vertical", "2d"]))
    cycles = span(rng, 0.5, 5, n)
    times = frame_times(cycles * period, n)
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
    height, restitution = logu(rng, 0.05, 10), rng.uniform(0.5, 0.95)
    vy0 = 0.0 if rng.random() < 0.6 else rng.uniform(0, 1) * math.sqrt(2 * G * height)
    vx = 0.0 if rng.random() < 0.3 else (
        rng.choice([-1, 1]) * logu(rng, 0.05, 1) * math.sqrt(G * height))
    # Flight segments: start time, start height, upward speed; the ball rests once bounces vanish.
    starts, y0s, vys = [0.0], [height], [vy0]
    t = (vy0 + math.sqrt(vy0**2 + 2 * G * height)) / G
    v = restitution * math.sqrt(vy0**2 + 2 * G * height)
    while v > 1e-3 * math.sqrt(2 * G * height):
        starts.append(t), y0s.append(0.0), vys.append(v)
        t, v = t + 2 * v / G, v * restitution
    rest = t
    duration = logu(rng, 0.7 * starts[1], starts[min(6, len(starts) - 1)] + 0.01 * starts[1])
    times = frame_times(duration, n)
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
    distance = logu(rng, 0.1, 100)
    v0 = 0.0 if rng.random() < 0.6 else logu(rng, 0.05, 1) * math.sqrt(accel * distance)
    slide = (-v0 + math.sqrt(v0**2 + 2 * accel * distance)) / accel
    # Some clips show the block held still for a few frames before release.
    hold = 0.0 if v0 or rng.random() < 0.6 else rng.uniform(0.05, 0.3) * slide
    times = frame_times(hold + slide, n)
    t = np.maximum(times - hold, 0.0)
    s = v0 * t + accel * t**2 / 2
    side = rng.choice([-1.0, 1.0])
    top = [rng.uniform(-1, 1) * distance, distance * math.sin(incline) * rng.uniform(1, 1.5)]
    pos = np.stack([top[0] + side * s * math.cos(incline), top[1] - s * math.sin(incline)], -1)
    params = dict(incline_deg=math.degrees(incline), friction=friction, acceleration=accel,
                  v0=v0, release_time=hold, distance=s[-1], direction=side, g=G)
    return times, pos[:, None, :], ["block"], params


def _orbit(rng, n):
    a, period, ecc = logu(rng, 0.05, 100), logu(rng, 1, 60), rng.uniform(0, 0.7)
    q = logu(rng, 0.05, 1)  # planet mass / sun mass
    orbits = span(rng, 0.3, 2.5, n)
    times = frame_times(orbits * period, n)
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
    width = logu(rng, 0.3, 20)
    box = np.array([width, width * rng.uniform(0.5, 1.0)])
    radii = rng.uniform(0.04, 0.09, size=k) * width
    masses = rng.uniform(0.5, 2, size=k) * (radii / width) ** 2
    pos = np.empty((k, 2))
    for i in range(k):  # rejection-sample non-overlapping starts
        while True:
            pos[i] = rng.uniform(radii[i], box - radii[i])
            if all(np.linalg.norm(pos[i] - pos[j]) > radii[i] + radii[j] for j in range(i)):
                break
    speed = width * logu(rng, 0.2, 2)  # metres per second
    heading = rng.uniform(0, 2 * math.pi, size=k)
    toward = pos[1] - pos[0]  # aim the first puck near the second so most clips show a hit
    heading[0] = math.atan2(toward[1], toward[0]) + rng.uniform(-0.3, 0.3)
    unit = np.stack([np.cos(heading), np.sin(heading)], -1)
    vel = speed * rng.uniform(0.3, 1, size=(k, 1)) * unit
    crossings = span(rng, 0.5, 4, n)
    times = frame_times(crossings * width / speed, n)
    params = dict(box=list(box), radii=list(radii), masses=list(masses),
                  velocities=vel.tolist(), crossings_shown=times[-1] * speed / width)
    positions, hits = _collide(pos.copy(), vel, radii, masses, box, times)
    params["collisions"] = hits
    return times, positions, ["a", "b", "c"][:k], params


def _lissajous(rng, n):
    p, q = [(1, 1), (1, 2), (2, 3), (3, 4), (1, 3), (3, 5)][rng.integers(6)]
    freq, amp = logu(rng, 0.2, 2), logu(rng, 0.02, 0.5)
    amps = [amp, amp * rng.uniform(0.5, 1.5)]
    omegas = [2 * math.pi * freq * p, 2 * math.pi * freq * q * (1 + rng.uniform(-0.01, 0.01))]
    decay = 0.0 if rng.random() < 0.5 else logu(rng, 0.01, 0.1) * freq
    cycles = span(rng, 0.5, 4, n)
    times = frame_times(cycles / freq, n)
    phase = rng.uniform(0, math.pi)
    center = list(rng.uniform(-1, 1, size=2) * amp)
    env = np.exp(-decay * times)
    pos = np.stack([center[0] + amps[0] * env * np.sin(omegas[0] * times + phase),
                    center[1] + amps[1] * env * np.sin(omegas[1] * times)], -1)
    params = dict(ratio=[p, q], frequency=freq, amplitudes=amps, omegas=omegas,
                  decay_rate=decay, phase=phase, center=center, cycles_shown=times[-1] * freq)
    return times, pos[:, None, :], ["pen"], params


def _walker(rng, n):
    """Pedestrians: a preferred walking speed, a heading that wanders (an Ornstein-Uhlenbeck turn
    rate), speed fluctuations, sometimes a stop and restart; companions walk side by side."""
    k = 1 + int(rng.random() < 0.35) + int(rng.random() < 0.15)
    times = frame_times(logu(rng, 2, 40), n)
    grid, dt = fine(times)
    side_by_side = k > 1 and rng.random() < 0.5
    tau_turn, turn_std = logu(rng, 1, 10), logu(rng, 0.02, 0.5)  # s, rad/s
    pos = np.empty((len(times), k, 2))
    stops = []
    for i in range(k):
        if i == 0 or not side_by_side:
            speed = float(np.clip(rng.normal(1.3, 0.25), 0.4, 2.2))
            heading0 = rng.uniform(0, 2 * math.pi)
            turn = ou(rng, len(grid), dt, tau_turn, turn_std)[:, 0]
            heading = heading0 + np.cumsum(turn) * dt
            wobble = 1 + ou(rng, len(grid), dt, 2.0, 0.08)[:, 0]
            target = np.full(len(grid), speed)
            if rng.random() < 0.2:  # a stop: ease to rest, wait, walk on
                t_stop, wait = rng.uniform(0, grid[-1]), logu(rng, 0.5, 5)
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
            vel = leader + ou(rng, len(grid), dt, 1.0, 0.05)
        track = start + np.r_[np.zeros((1, 2)), np.cumsum(vel[:-1] * dt, axis=0)]
        pos[:, i] = track[::8]
    params = dict(walkers=k, side_by_side=bool(side_by_side), turn_time=tau_turn, turn_std=turn_std,
                  stops=stops, duration=times[-1])
    return times, pos, ["walker", "companion", "passer"][:k], params


def _wander(rng, n):
    """A persistent random walk (an insect, a cell, a drifting float): Ornstein-Uhlenbeck velocity
    around a mean drift; clips last from a tenth of the velocity's memory (nearly straight) to many
    memories (tortuous)."""
    tau, sigma = logu(rng, 0.1, 10), logu(rng, 0.002, 1)  # s, m/s
    drift = np.zeros(2) if rng.random() < 0.5 else sigma * rng.normal(size=2) * logu(rng, 0.2, 2)
    memories = logu(rng, 0.1, 20)
    times = frame_times(memories * tau, n)
    grid, dt = fine(times)
    vel = drift + ou(rng, len(grid), dt, tau, sigma)
    start = rng.uniform(-1, 1, size=2) * sigma * tau * 5
    track = start + np.r_[np.zeros((1, 2)), np.cumsum(vel[:-1] * dt, axis=0)]
    params = dict(memory=tau, speed_std=sigma, drift=list(drift), memories_shown=times[-1] / tau)
    return times, track[::8, None, :], ["walker"], params


# family name -> simulator, in ``generate.FAMILIES`` order (the physics families first)
SIMULATORS = {"projectile": _projectile, "pendulum": _pendulum, "circular": _circular,
              "spring": _spring, "bouncing_ball": _bouncing_ball, "slope": _slope,
              "orbit": _orbit, "collision": _collision, "lissajous": _lissajous,
              "walker": _walker, "wander": _wander}
