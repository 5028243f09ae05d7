"""Classical baselines that fill hidden trajectory points, to compare the model against.

Every baseline but one works per object, on that object's observed points and their time stamps
(which may be irregular); ``covisible`` also reads the other parts seen in the same frames. All
leave observed points exactly as they were.
"""

from __future__ import annotations

import numpy as np

from . import covisible, kalman, pca, regression
from .pooling import pool
from ..core.masks import cell_mask, mask_runs

BASELINES = ("kalman", "regression", "pca", "covisible", "linear", "cubic", "hold", "constant_velocity",
             "constant_acceleration")

CA_WINDOW = 5  # constant acceleration fits a parabola to at most this many observed frames per gap


def fill_baseline(
    method: str,
    times: np.ndarray,  # (T,) seconds, strictly increasing
    positions: np.ndarray,  # (T, K, 2) float, NaN where missing
    hidden: np.ndarray,  # (T,) or (T, K) bool, True = hidden
    *,
    fit: int = 2,  # observed frames constant velocity's line is fitted to
    covisible_scale: float = 1.0,  # the co-visible fit's variance calibration (``Decoding.covisible_scale``)
    smoothed: np.ndarray | None = None,  # (T, K, 2) the smoother's fill of these cells, where already made
) -> np.ndarray:  # (T, K, 2) float64, finite everywhere
    """Fill the hidden and missing points of every object with one classical baseline.

    A cell (frame, object) is filled when it is hidden or when its x or y is NaN; x and y are
    filled together. Observed cells come back unchanged. Methods:

    - ``linear``: piecewise linear through the observed points; before the first and after the last
      one, the line through the first two (last two) observed points is extended.
    - ``cubic``: natural cubic spline (``scipy.interpolate.CubicSpline``) through the observed
      points, extrapolated past the ends; ``linear`` when fewer than 4 points are observed.
    - ``constant_velocity``: each run of filled frames continues the velocity of the last two
      observed frames before it; a run with fewer than two observed frames before it uses the first
      two after it, backward (and with one on each side, the line through those two). With
      ``fit`` > 2, the least-squares line through the last ``fit`` observed frames (or as many as
      there are): the velocity averaged over more frames, steadier under tracker noise.
    - ``covisible``: the Kalman smoother pooled (inverse-variance) with the fit from the parts seen in
      the same frames (:mod:`kinviz.classical.covisible`: a lost part carried by the similarity transform of
      the co-visible parts); the smoother alone where fewer than two other parts are seen. The honest
      classical bar for one part lost while others are tracked.
    - ``regression``: the lost part regressed on the parts seen with it, learned on every frame of the
      file where they are seen together (:mod:`kinviz.classical.regression`); the smoother where it has
      no answer (no partners, or too few frames seen together).
    - ``pca``: the principal shapes of the whole body (:mod:`kinviz.classical.pca`, Gløersen and
      Federolf 2016); the smoother where it has no answer.
    - ``hold``: the part's last seen position (its first, before it was seen): what a long forecast of
      bounded motion should beat.
    - ``kalman``: a Rauch-Tung-Striebel smoother per object and axis, its motion model (constant
      velocity or acceleration) and noise chosen by the likelihood of the observed points
      (:mod:`kinviz.classical.kalman`); gaps at either end get its prediction.
    - ``constant_acceleration``: like ``constant_velocity`` with a least-squares parabola through
      the last :data:`CA_WINDOW` (5) observed frames before the run, or fewer if fewer exist (the
      first ones after it, backward, when fewer than 3 lie before); constant velocity when neither
      side has 3 observed frames.

    An object with one observed point stays at it; one with none raises ``ValueError``.
    """
    if method not in BASELINES:
        raise ValueError(f"unknown baseline '{method}'; choose one of {', '.join(BASELINES)}")
    times = np.asarray(times, dtype=np.float64)
    positions = np.asarray(positions, dtype=np.float64)
    if positions.ndim != 3 or positions.shape[2] != 2:
        raise ValueError(f"positions must be (T, K, 2), got shape {positions.shape}")
    n_frames, n_objects, _ = positions.shape
    if times.shape != (n_frames,):
        raise ValueError(f"times must be ({n_frames},) to match positions, got {times.shape}")
    if not (np.all(np.isfinite(times)) and np.all(np.diff(times) > 0)):
        raise ValueError("time stamps must be finite and strictly increasing")
    fill = _fill_cells(positions, hidden)
    if not (~fill).any(axis=0).all():
        raise ValueError(f"object {int(np.argmin((~fill).any(axis=0)))} has no observed point to fill its track from")
    if method in ("kalman", "covisible", "regression", "pca"):
        known = np.where(fill[..., None], np.nan, positions)
        if smoothed is not None and method in ("regression", "pca"):  # the fits fall back on it: made once
            out = smoothed
        else:
            out, var, _ = kalman.fill(times, known)
        if method == "covisible":
            cov, cov_var = covisible.fill(known)
            out, _ = pool(out, var, cov, covisible_scale * cov_var)
        elif method in ("regression", "pca"):
            answer = (regression if method == "regression" else pca).fill(known)[0]
            out = np.where(np.isfinite(answer), answer, out)
        assert np.all(np.isfinite(out)), f"the {method} fill left non-finite values"
        return out

    out = positions.copy()
    for k in range(n_objects):
        observed = np.flatnonzero(~fill[:, k])
        if observed.size == 0:
            raise ValueError(f"object {k} has no observed point to fill its track from")
        targets = np.flatnonzero(fill[:, k])
        if targets.size:
            out[targets, k] = _fill_object(method, times, positions[:, k], observed, targets, fit)
    assert np.all(np.isfinite(out)), f"baseline '{method}' left non-finite values"
    return out


def fill_all(
    times: np.ndarray,  # (T,)
    positions: np.ndarray,  # (T, K, 2)
    hidden: np.ndarray,  # (T,) or (T, K) bool
    *,
    known: dict[str, np.ndarray] | None = None,  # fills already computed for these cells (the predictor's smoother)
) -> dict[str, np.ndarray]:  # method -> (T, K, 2)
    """Every baseline in :data:`BASELINES`, keyed by name; the smoother runs once (the fits fall back on it)."""
    out = dict(known or {})
    if "kalman" not in out:
        out["kalman"] = fill_baseline("kalman", times, positions, hidden)
    for m in BASELINES:
        if m not in out:
            out[m] = fill_baseline(m, times, positions, hidden, smoothed=out["kalman"])
    return {m: out[m] for m in BASELINES}


def _fill_cells(positions: np.ndarray, hidden: np.ndarray) -> np.ndarray:  # (T, K) bool
    """Cells to fill: hidden ones and those with a missing coordinate."""
    n_frames, n_objects, _ = positions.shape
    return cell_mask(hidden, n_frames, n_objects) | ~np.all(np.isfinite(positions), axis=-1)


def _fill_object(
    method: str,
    times: np.ndarray,  # (T,)
    track: np.ndarray,  # (T, 2) one object
    observed: np.ndarray,  # (n,) frame indices with a known point, n >= 1
    targets: np.ndarray,  # (m,) frame indices to fill
    fit: int = 2,  # constant velocity's frames
) -> np.ndarray:  # (m, 2)
    t_obs, p_obs = times[observed], track[observed]
    if observed.size == 1:
        return np.repeat(p_obs, targets.size, axis=0)
    if method == "hold":  # the last seen position (the first, before the part was seen)
        return p_obs[np.maximum(np.searchsorted(observed, targets) - 1, 0)]
    if method == "linear" or (method == "cubic" and observed.size < 4):
        return _linear(t_obs, p_obs, times[targets])
    if method == "cubic":
        from scipy.interpolate import CubicSpline  # here: scipy.interpolate takes 0.4 s to import, and a fill seldom draws it

        return CubicSpline(t_obs, p_obs, bc_type="natural", extrapolate=True)(times[targets])

    # The motion models extrapolate each run of consecutive filled frames from its neighbours.
    out = np.empty((targets.size, 2))
    filled = np.zeros(len(times), bool)
    filled[targets] = True
    for a, b in mask_runs(filled):
        run = slice(np.searchsorted(targets, a), np.searchsorted(targets, b) + 1)
        before, after = observed[observed < a], observed[observed > b]
        if method == "constant_acceleration" and max(before.size, after.size) >= 3:
            anchor = before[-CA_WINDOW:] if before.size >= 3 else after[:CA_WINDOW]
            degree = 2
        else:
            anchor = before[-fit:] if before.size >= 2 else after[:fit] if after.size >= 2 else observed
            degree = 1
        out[run] = poly_extrapolate(times[anchor], track[anchor], times[a : b + 1], degree)
    return out


def _linear(t_obs: np.ndarray, p_obs: np.ndarray, t: np.ndarray) -> np.ndarray:  # (m, 2)
    """Piecewise linear through (t_obs, p_obs), the end segments extended beyond the ends."""
    out = np.stack([np.interp(t, t_obs, p_obs[:, d]) for d in range(2)], axis=-1)
    early, late = t < t_obs[0], t > t_obs[-1]
    out[early] = poly_extrapolate(t_obs[:2], p_obs[:2], t[early], 1)
    out[late] = poly_extrapolate(t_obs[-2:], p_obs[-2:], t[late], 1)
    return out


def poly_extrapolate(
    t_fit: np.ndarray,  # (n,)
    p_fit: np.ndarray,  # (n, D); a NaN column stays NaN in its own column only
    t: np.ndarray,  # (m,)
    degree: int,
) -> np.ndarray:  # (m, D)
    """Least-squares polynomial in time through the fit points, evaluated at ``t``."""
    # Centre and scale time on the fit points so the Vandermonde system stays well conditioned.
    centre = t_fit.mean()
    scale = max(np.ptp(t_fit), 1e-12)
    vander = np.vander((t_fit - centre) / scale, degree + 1)
    coeffs, *_ = np.linalg.lstsq(vander, p_fit, rcond=None)
    return np.vander((t - centre) / scale, degree + 1) @ coeffs
