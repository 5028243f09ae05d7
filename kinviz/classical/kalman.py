"""A Kalman / Rauch-Tung-Striebel smoother with its noise fitted to the data: the fill trackers trust.

Each object's x and y are smoothed as separate series under one of two motion models, the
continuous white-noise models of Bar-Shalom, Li & Kirubarajan (*Estimation with Applications to
Tracking and Navigation*, 2001, ch. 6):

- ``cv``: constant velocity, state (position, velocity), white-noise acceleration of intensity q;
- ``ca``: constant acceleration, state (position, velocity, acceleration), white-noise jerk.

Measurements are the observed positions with noise variance r. The model (cv or ca), q and r are
chosen per series by the Gaussian likelihood of its observed points (the prediction-error
decomposition, the first three observations conditioning a diffuse prior), on a log grid followed
by two finer local grids: no constant is tuned on any data set. Uneven time steps enter through
the transition and noise matrices; missing and hidden cells are skipped by the filter and
estimated by the smoother, and gaps at either end get the filter's prediction.

Why our own RTS instead of a library: ``scripts/kalman_libraries.py`` runs pykalman's EM-fitted
smoother beside this one on ``../shared/real-dev`` (13 files, this 2-core CPU): the same accuracy
after 50 EM iterations (interpolate 1.19 % against 1.20 %, forecast 2.85 % against 2.84 %, random
0.60 % against 0.58 % ADE), but 1.1-1.3 s per file against 0.04 s, since pykalman runs one series
and one parameter setting per Python call, while the likelihood grid here runs every series and
candidate in one pass. filterpy and statsmodels' state-space models are likewise one series at a
time; simdkalman vectorises but takes one transition matrix for every step, so uneven time stamps
do not fit it.

Why numba: the filter is a loop over time. Written in numpy over every series at once, each of its
steps cost some 35 us of numpy calls whatever the number of series, so one smoothing run of a
7,200-frame file took 0.25 s, and the self-check runs it on every variant of the file it fills (65 %
of a fill of a 7,200 x 6 DeepLabCut file). Compiled, the same arithmetic per series: a smoothing
run of that file 0.25 s -> 0.005 s, the whole fit and smoothing of real-train's autogaita file
(1,195 x 15) 4.1 -> 0.8 s, and the same numbers (smoothed positions equal to 3e-8 px on three real
files; the fits' models the same). The first call on a machine compiles (about 8 s, cached
on disk after: ``warm``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

FIT_FRAMES = 2000  # longer series are fitted on their best-observed stretch of this many frames (speed)
BURN_IN = 3  # observations that condition the diffuse prior (the ca state's size); not scored
DIFFUSE = 1e4  # prior variance of the initial state, in units of the series' standardised scale
R_FLOOR = 1e-8  # smallest measurement variance tried (standardised units): keeps the update well conditioned
Q_GRID = 10.0 ** np.arange(-10, 3)  # process noise intensities tried first (standardised units, per frame)
R_GRID = 10.0 ** np.arange(-8, 1)  # measurement noise variances tried first
MODELS = ("cv", "ca")


@dataclass
class Smoothed:
    """RTS smoother output for S series of T frames, in the caller's units.

    mean (T, S): the smoothed positions (observed cells are *not* replaced: ``fill`` does that);
    var (T, S): the posterior variance of the true position; noise (S,): the fitted measurement
    variance r, so ``var + noise`` is the variance of a new measurement; model (S,) 'cv', 'ca' or
    'linear' (not enough points to fit: linear interpolation stands in, ``reason`` says why).
    """

    mean: np.ndarray
    var: np.ndarray
    noise: np.ndarray
    model: list[str]
    reason: list[str]
    params: dict | None = None  # the fitted noise per series (standardised), for ``smooth(..., reuse=)``


def smooth(
    times: np.ndarray,  # (T,) strictly increasing
    values: np.ndarray,  # (T, S) NaN where not observed
    *,
    reuse: Smoothed | None = None,  # a fit of the same series (same units) whose noise levels to keep
) -> Smoothed:
    """Fit and run the smoother on each column of ``values`` (see the module docstring).

    With ``reuse``, the model and noise levels fitted before (on the same series, e.g. the whole file
    when these are a cut of it or have more cells hidden) are kept and only the smoother runs: the
    likelihood grid is most of the time (the self-check runs the smoother on many variants of a file)."""
    times = np.asarray(times, np.float64)
    values = np.asarray(values, np.float64)
    T, S = values.shape
    observed = np.isfinite(values)
    mean, var = np.zeros((T, S)), np.zeros((T, S))
    noise = np.zeros(S)
    model, reason = ["linear"] * S, [""] * S

    # Standardise each series and the time axis so that one grid of noise levels fits any units.
    steps = np.diff(times)
    unit = float(np.median(steps)) if T > 1 else 1.0
    centre = np.array([values[observed[:, s], s].mean() if observed[:, s].any() else 0.0 for s in range(S)])
    scale = np.array([values[observed[:, s], s].std() if observed[:, s].any() else 0.0 for s in range(S)])
    old = reuse.params if reuse is not None and reuse.params is not None and len(reuse.params["q"]) == S else None
    if old is not None:  # the earlier fit's standardisation, so its noise levels mean the same here
        unit, centre, scale = old["unit"], np.where(old["scale"] > 0, old["centre"], centre), np.where(
            old["scale"] > 0, old["scale"], scale)
    dt = steps / unit
    fit_cols = [s for s in range(S) if observed[:, s].sum() > BURN_IN and scale[s] > 0]
    for s in range(S):
        n_obs = int(observed[:, s].sum())
        if n_obs == 0:
            mean[:, s], var[:, s], reason[s] = np.nan, np.nan, "no observed point"
        elif scale[s] == 0:  # a track that never moves stays where it is, exactly
            mean[:, s], model[s] = centre[s], "constant"
        elif n_obs <= BURN_IN:
            t_obs, v_obs = times[observed[:, s]], values[observed[:, s], s]
            mean[:, s] = _linear(t_obs, v_obs, times)
            var[:, s] = np.nan
            reason[s] = f"{n_obs} observed points are too few to fit a smoother (linear interpolation instead)"
    if not fit_cols:
        return Smoothed(mean, var, noise, model, reason)

    cols = np.array(fit_cols)
    y = (values[:, cols] - centre[cols]) / scale[cols]  # (T, S') standardised, NaN where missing
    if old is not None and np.isfinite(old["q"][cols]).all():
        q, r, ca = old["q"][cols], old["r"][cols], old["ca"][cols]
    else:
        q, r, ca = _fit(dt, y)
    params = {"unit": unit, "centre": centre, "scale": scale, "q": np.full(S, np.nan), "r": np.full(S, np.nan),
              "ca": np.zeros(S, bool)}
    params["q"][cols], params["r"][cols], params["ca"][cols] = q, r, ca
    m, v = _run(dt, y, q, r, ca, smooth=True)
    bad = ~np.all(np.isfinite(m), axis=0) | ~np.all(np.isfinite(v), axis=0)
    for j, s in enumerate(cols):
        if bad[j]:  # numerically broken: linear interpolation stands in, with the reason
            mean[:, s] = _linear(times[observed[:, s]], values[observed[:, s], s], times)
            var[:, s] = np.nan
            reason[s] = "the smoother did not converge (linear interpolation instead)"
            continue
        mean[:, s] = centre[s] + scale[s] * m[:, j]
        var[:, s] = scale[s] ** 2 * v[:, j]
        noise[s] = scale[s] ** 2 * r[j]
        model[s] = "ca" if ca[j] else "cv"
    return Smoothed(mean, var, noise, model, reason, params)


def fill(
    times: np.ndarray,  # (T,)
    positions: np.ndarray,  # (T, K, 2) NaN where not observed
    *,
    reuse: Smoothed | None = None,  # an earlier fit of the same parts whose noise levels to keep (``smooth``)
) -> tuple[np.ndarray, np.ndarray, Smoothed]:  # positions (T, K, 2), variance (T, K, 2), the fit
    """Every unobserved cell filled with the smoother's mean; observed cells exactly as given.

    The variance is that of a new measurement at each cell (posterior plus fitted noise; 0 where
    observed), the spread to expect between the fill and what a tracker would have recorded."""
    T, K, _ = positions.shape
    fit = smooth(times, positions.reshape(T, K * 2), reuse=reuse)
    return (*answer(positions, fit), fit)


def answer(positions: np.ndarray, fit: Smoothed) -> tuple[np.ndarray, np.ndarray]:  # (T, K, 2) each
    """``fill``'s positions and variances from a smoother already run on ``positions`` (T, K, 2)."""
    T, K, _ = positions.shape
    observed = np.isfinite(positions)
    out = np.where(observed, positions, fit.mean.reshape(T, K, 2))
    return out, np.where(observed, 0.0, (fit.var + fit.noise).reshape(T, K, 2))


def _linear(t_obs: np.ndarray, v_obs: np.ndarray, t: np.ndarray) -> np.ndarray:
    if len(t_obs) == 1:
        return np.full(len(t), v_obs[0])
    out = np.interp(t, t_obs, v_obs)
    for side, (a, b) in ((t < t_obs[0], (0, 1)), (t > t_obs[-1], (-2, -1))):
        slope = (v_obs[b] - v_obs[a]) / (t_obs[b] - t_obs[a])
        out[side] = v_obs[a] + slope * (t[side] - t_obs[a])
    return out


def _fit(dt: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # q, r, ca per series
    """Maximum likelihood (q, r, model) per series: a coarse log grid, then two finer local grids."""
    T, S = y.shape
    if T > FIT_FRAMES:  # the stretch with the most observations
        counts = np.convolve(np.isfinite(y).sum(axis=1), np.ones(FIT_FRAMES), mode="valid")
        start = int(np.argmax(counts))
        y, dt = y[start: start + FIT_FRAMES], dt[start: start + FIT_FRAMES - 1]

    # Coarse: every (model, q, r) on the grid for every series at once.
    lq, lr = np.meshgrid(np.log10(Q_GRID), np.log10(R_GRID), indexing="ij")
    cand = np.array([(m, a, b) for m in (0, 1) for a, b in zip(lq.ravel(), lr.ravel())])  # (C, 3)
    best = _best(dt, y, np.tile(cand, (S, 1)).reshape(S, -1, 3))

    # Refine around each series' best, at half and then a quarter of the grid's step.
    for step in (0.5, 0.25):
        offsets = np.array([(0, a, b) for a in (-step, 0, step) for b in (-step, 0, step)])
        local = best[:, None, :] + offsets[None]  # (S, 9, 3)
        local[..., 2] = np.maximum(local[..., 2], np.log10(R_FLOOR))
        best = _best(dt, y, local)
    return 10.0 ** best[:, 1], 10.0 ** best[:, 2], best[:, 0] > 0.5


def _best(dt: np.ndarray, y: np.ndarray, cand: np.ndarray) -> np.ndarray:  # (S, 3)
    """The candidate (model, log q, log r) of highest likelihood per series; cand (S, C, 3)."""
    S, C, _ = cand.shape
    flat = cand.reshape(S * C, 3)
    ys = np.repeat(y, C, axis=1)  # series s's candidates sit in columns s*C .. s*C + C - 1
    ca = flat[:, 0] > 0.5
    nll = np.empty(S * C)
    for model in (False, True):  # each motion model in a pass of its own: no choosing of matrices per series
        cols = ca == model
        if cols.any():
            nll[cols] = _run(dt, ys[:, cols], 10.0 ** flat[cols, 1], 10.0 ** flat[cols, 2], ca[cols])
    return cand[np.arange(S), np.argmin(nll.reshape(S, C), axis=1)]


def _matrices(dt: np.ndarray) -> tuple[np.ndarray, ...]:  # F and Q per step for cv and ca, each (T-1, 3, 3)
    n = len(dt)
    one, d2, d3, d4, d5 = np.ones(n), dt**2, dt**3, dt**4, dt**5
    zero = np.zeros(n)
    f_cv = np.stack([np.stack([one, dt, zero], -1), np.stack([zero, one, zero], -1), np.stack([zero] * 3, -1)], 1)
    f_ca = np.stack([np.stack([one, dt, d2 / 2], -1), np.stack([zero, one, dt], -1), np.stack([zero, zero, one], -1)], 1)
    q_cv = np.stack([np.stack([d3 / 3, d2 / 2, zero], -1), np.stack([d2 / 2, dt, zero], -1), np.stack([zero] * 3, -1)], 1)
    q_ca = np.stack([np.stack([d5 / 20, d4 / 8, d3 / 6], -1), np.stack([d4 / 8, d3 / 3, d2 / 2], -1),
                     np.stack([d3 / 6, d2 / 2, dt], -1)], 1)
    return f_cv, f_ca, q_cv, q_ca


def warm() -> None:
    """Compile the filter (or load it from numba's cache on disk) now, not in a user's first fill."""
    smooth(np.arange(8.0), np.linspace(0.0, 1.0, 8)[:, None] ** 2)


def _run(dt, y, q, r, ca, smooth: bool = False):
    """Kalman filter over the columns of ``y`` (T, B), each with its own q, r, model (B,).

    Returns the negative log-likelihood (B,) of the observations after the first ``BURN_IN``, or with
    ``smooth`` the RTS means and posterior variances of the position, (T, B) each."""
    f_cv, f_ca, q_cv, q_ca = _matrices(np.asarray(dt, np.float64))
    y = np.ascontiguousarray(np.asarray(y, np.float64).T)  # (B, T): each series' frames side by side in memory
    q, r = np.asarray(q, np.float64), np.asarray(r, np.float64)
    ca = np.asarray(ca, np.bool_)
    if not smooth:
        return _filter(f_cv, f_ca, q_cv, q_ca, y, q, r, ca, BURN_IN, DIFFUSE)
    mean, var = _smooth(f_cv, f_ca, q_cv, q_ca, y, q, r, ca, DIFFUSE)
    return mean.T, np.maximum(var.T, 0.0)


@njit(cache=True, nogil=True)
def _predict(x, P, F, Q, qb, xn, Pn):
    """xn = F x, Pn = F P F' + qb Q, for the transitions of ``_matrices``: F = [[1, a, c], [0, 1, e], [0, 0, g]]
    (cv: c = e = g = 0), so only its nonzero entries are multiplied (a third of the flops of a 3 x 3 product)."""
    a, c, e, g = F[0, 1], F[0, 2], F[1, 2], F[2, 2]
    xn[0] = x[0] + a * x[1] + c * x[2]
    xn[1] = x[1] + e * x[2]
    xn[2] = g * x[2]
    for j in range(3):  # F P, row by row, into Pn's rows for now
        Pn[0, j] = P[0, j] + a * P[1, j] + c * P[2, j]
        Pn[1, j] = P[1, j] + e * P[2, j]
        Pn[2, j] = g * P[2, j]
    for i in range(3):  # (F P) F' + qb Q
        f0, f1, f2 = Pn[i, 0], Pn[i, 1], Pn[i, 2]
        Pn[i, 0] = f0 + a * f1 + c * f2 + qb * Q[i, 0]
        Pn[i, 1] = f1 + e * f2 + qb * Q[i, 1]
        Pn[i, 2] = g * f2 + qb * Q[i, 2]


@njit(cache=True, nogil=True)
def _start(y, ca, diffuse, x, P):  # the diffuse prior at the series' first observation; y (T,)
    t = 0
    while t < len(y) - 1 and not np.isfinite(y[t]):
        t += 1
    x[:] = 0.0
    x[0] = y[t]
    P[:, :] = 0.0
    P[0, 0] = P[1, 1] = diffuse
    P[2, 2] = diffuse if ca else 0.0


@njit(cache=True, nogil=True)
def _update(x, P, K, v, S):  # the measurement update: K = P[:, 0] / S, x += K v, P -= K P[0, :]
    for i in range(3):
        K[i] = P[i, 0] / S
    p0, p1, p2 = P[0, 0], P[0, 1], P[0, 2]
    for i in range(3):
        x[i] += K[i] * v
        P[i, 0] -= K[i] * p0
        P[i, 1] -= K[i] * p1
        P[i, 2] -= K[i] * p2


@njit(cache=True, nogil=True)
def _forward(y, F_, Q_, qb, rb, ca, burn_in, diffuse, store, xs, Ps, gains, innov, var_in) -> float:
    """The filter over one series y (T,): its negative log-likelihood past ``burn_in`` observations; with
    ``store``, each step's prediction (xs, Ps) and update (gains, innov, var_in) for the backward pass."""
    x, P, xn, Pn, K = np.empty(3), np.empty((3, 3)), np.empty(3), np.empty((3, 3)), np.empty(3)
    _start(y, ca, diffuse, x, P)
    nll, seen = 0.0, 0
    for t in range(len(y)):
        if t > 0:
            _predict(x, P, F_[t - 1], Q_[t - 1], qb, xn, Pn)
            x[:], P[:, :] = xn, Pn
        if store:
            xs[t], Ps[t] = x, P
        if np.isfinite(y[t]):
            S = P[0, 0] + rb
            v = y[t] - x[0]
            if seen >= burn_in:
                nll += np.log(S) + v * v / S
            seen += 1
            _update(x, P, K, v, S)
            if store:
                gains[t], innov[t], var_in[t] = K, v, S
    return nll


@njit(cache=True, nogil=True)
def _filter(f_cv, f_ca, q_cv, q_ca, y, q, r, ca, burn_in, diffuse):  # y (B, T) -> nll (B,)
    B = y.shape[0]
    nll = np.zeros(B)
    none3, none33, none = np.empty((0, 3)), np.empty((0, 3, 3)), np.empty(0)  # nothing stored
    for b in range(B):
        F_, Q_ = (f_ca, q_ca) if ca[b] else (f_cv, q_cv)
        nll[b] = _forward(y[b], F_, Q_, q[b], r[b], ca[b], burn_in, diffuse, False, none3, none33, none3, none, none)
    return nll


@njit(cache=True, nogil=True)
def _smooth(f_cv, f_ca, q_cv, q_ca, y, q, r, ca, diffuse):  # y (B, T) -> mean, var (B, T)
    """The filter, then the RTS smoother's backward pass in the modified Bryson-Frazier form (Bierman 1977): it
    needs no inverse of the predicted covariance, which the diffuse start leaves badly conditioned. lam, Lam: the
    adjoint mean and information carried back from later observations; the smoothed position is x + P lam and its
    variance P - P Lam P (first row), from the filter's prediction x, P at each step."""
    B, T = y.shape
    mean, var = np.empty((B, T)), np.empty((B, T))
    xs, Ps = np.empty((T, 3)), np.empty((T, 3, 3))  # the filter's predictions, per step
    gains, innov, var_in = np.zeros((T, 3)), np.zeros(T), np.ones(T)
    lam, Lam, LF, LK, K, xn = np.empty(3), np.empty((3, 3)), np.empty((3, 3)), np.empty(3), np.empty(3), np.empty(3)
    for b in range(B):
        F_, Q_ = (f_ca, q_ca) if ca[b] else (f_cv, q_cv)
        _forward(y[b], F_, Q_, q[b], r[b], ca[b], 0, diffuse, True, xs, Ps, gains, innov, var_in)
        lam[:], Lam[:, :] = 0.0, 0.0
        for t in range(T - 1, -1, -1):
            if t < T - 1:  # back through the step from t to t + 1: lam <- F' lam, Lam <- F' Lam F
                F = F_[t]
                for i in range(3):
                    xn[i] = F[0, i] * lam[0] + F[1, i] * lam[1] + F[2, i] * lam[2]
                    for j in range(3):
                        LF[i, j] = Lam[i, 0] * F[0, j] + Lam[i, 1] * F[1, j] + Lam[i, 2] * F[2, j]
                lam[:] = xn
                for i in range(3):
                    for j in range(3):
                        Lam[i, j] = F[0, i] * LF[0, j] + F[1, i] * LF[1, j] + F[2, i] * LF[2, j]
            if np.isfinite(y[b, t]):  # through the update: C = I - K H, lam <- H'v/S + C'lam, Lam <- H'H/S + C'Lam C
                K[:] = gains[t]
                for i in range(3):
                    LK[i] = Lam[i, 0] * K[0] + Lam[i, 1] * K[1] + Lam[i, 2] * K[2]
                lam[0] += innov[t] / var_in[t] - (K[0] * lam[0] + K[1] * lam[1] + K[2] * lam[2])
                kl = K[0] * LK[0] + K[1] * LK[1] + K[2] * LK[2]
                for j in range(3):
                    Lam[0, j] -= LK[j]
                for i in range(3):
                    Lam[i, 0] -= LK[i]
                Lam[0, 0] += kl + 1.0 / var_in[t]
            row = Ps[t, 0]
            mean[b, t] = xs[t, 0] + row[0] * lam[0] + row[1] * lam[1] + row[2] * lam[2]
            quad = 0.0
            for i in range(3):
                for j in range(3):
                    quad += row[i] * Lam[i, j] * Ps[t, j, 0]
            var[b, t] = Ps[t, 0, 0] - quad
    return mean, var
