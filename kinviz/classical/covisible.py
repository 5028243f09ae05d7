"""The classical fill from co-visible parts: a lost part follows the parts still seen around it.

For each gap of one part, the last frame before it and the first after it where the part was seen
are its *references*. At a gap frame, the parts seen both there and in a reference give a 2-D
similarity transform (rotation, uniform scale, translation; weighted Procrustes, weights falling
with their distance to the lost part, so nearer parts count more on an articulated body) that takes
the reference layout onto the current one; the lost part's reference position is carried along.
The two references' answers are blended linearly in time across the gap. This is the rigid-fit
missing-marker reconstruction of motion capture (cf. Gløersen and Federolf, 2016, who use the
principal components of the whole trial instead).

Its variance per cell: the co-visible parts' misfit after the transform (how far from rigid the
body moved) plus the references' disagreement; the predictor multiplies it by a calibration
(``Decoding.covisible_scale``, chosen by ``tune`` so that errors match it on the tuning split). Cells with no reference, or with fewer than two co-visible parts (one
part gives translation only and no misfit to judge it by) for each reference, get no answer (NaN):
the Kalman smoother stands alone there. Only observed cells are read.
"""

from __future__ import annotations

import numpy as np



def fill(known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """known (T, K, 2) world units, NaN where unseen -> (mean, variance), each (T, K, 2), NaN where no answer.

    Observed cells are returned as given with variance 0. One vectorised pass per part."""
    known = np.asarray(known, np.float64)
    T, K, _ = known.shape
    seen = np.isfinite(known).all(-1)  # (T, K)
    mean = np.where(seen[..., None], known, np.nan)
    var = np.where(seen[..., None], 0.0, np.full(known.shape, np.nan))
    if K < 3:
        return mean, var
    for k in range(K):
        lost, frames = np.flatnonzero(~seen[:, k]), np.flatnonzero(seen[:, k])
        if not len(lost) or not len(frames):
            continue
        # Each lost frame's references: the part's last seen frame before it and first after (-1: none).
        i = np.searchsorted(frames, lost)
        before = np.where(i > 0, frames[np.maximum(i - 1, 0)], -1)
        after = np.where(i < len(frames), frames[np.minimum(i, len(frames) - 1)], -1)
        mean[lost, k], var[lost, k] = _blend(lost, (before, *_carry(known, seen, k, before, lost)),
                                             (after, *_carry(known, seen, k, after, lost)))
    return mean, var


def _carry(known, seen, k: int, ref: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Part k's position at frames ``ref`` carried to frames ``t`` (both (m,)) by the similarity transform
    of the other parts seen in both, weighted Procrustes with nearer parts counting more.

    Returns (positions (m, 2), misfit variance (m,)); NaN where ``ref`` is -1 or fewer than two parts are
    seen in both frames."""
    others = np.array([j for j in range(known.shape[1]) if j != k])
    valid = ref >= 0
    r = np.where(valid, ref, 0)
    p_ref = known[r][:, others]  # (m, J, 2)
    own = known[r, k]  # (m, 2)
    dist = np.linalg.norm(p_ref - own[:, None], axis=-1)  # (m, J)
    both = seen[t][:, others] & seen[r][:, others] & valid[:, None] & np.isfinite(dist)
    dist = np.where(both, dist, np.inf)
    nearest = np.min(dist, axis=1, keepdims=True)
    base = 1.0 / np.maximum(dist, 1e-9 + 1e-3 * np.where(np.isfinite(nearest), nearest, 1.0)) ** 2
    w = np.where(both, base, 0.0)  # (m, J)
    n = both.sum(1)
    sw = np.maximum(w.sum(1, keepdims=True), 1e-300)
    q = np.where(both[..., None], known[t][:, others], 0.0)  # (m, J, 2)
    p = np.where(both[..., None], p_ref, 0.0)
    pc = (w[..., None] * p).sum(1) / sw  # (m, 2) weighted centroids
    qc = (w[..., None] * q).sum(1) / sw
    P, Q = p - pc[:, None], q - qc[:, None]
    # 2-D similarity by weighted Procrustes: q ~ s R(theta) p, closed form; s R = [[c, -s], [s, c]].
    c = (w * (P[..., 0] * Q[..., 0] + P[..., 1] * Q[..., 1])).sum(1)
    s = (w * (P[..., 0] * Q[..., 1] - P[..., 1] * Q[..., 0])).sum(1)
    norm = np.maximum((w * (P**2).sum(-1)).sum(1), 1e-300)
    c, s = c / norm, s / norm

    def turn(x):  # (m, ..., 2) -> s R x, per row
        cc, ss = c.reshape(-1, *[1] * (x.ndim - 2)), s.reshape(-1, *[1] * (x.ndim - 2))
        return np.stack([cc * x[..., 0] - ss * x[..., 1], ss * x[..., 0] + cc * x[..., 1]], -1)

    out = qc + turn(own - pc)
    resid = np.where(both[..., None], Q - turn(P), 0.0)
    # Misfit per coordinate: weighted mean square over the parts, corrected for the 4 fitted parameters.
    misfit = (w * (resid**2).sum(-1)).sum(1) / sw[:, 0] / 2 * n / np.maximum(n - 2, 1)
    bad = n < 2
    out[bad], misfit[bad] = np.nan, np.nan
    return out, misfit


def _blend(t: np.ndarray, first: tuple, second: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The two references' answers (ref (m,), positions (m, 2), misfit (m,)) blended linearly in time
    between them: (mean (m, 2), variance (m, 2)), NaN where neither answers.

    The variance is the blended misfit plus the references' disagreement."""
    (r0, p0, v0), (r1, p1, v1) = first, second
    ok0, ok1 = np.isfinite(p0).all(-1) & (r0 >= 0), np.isfinite(p1).all(-1) & (r1 >= 0)
    span = np.where(ok0 & ok1, r1 - r0, 1)
    w1 = np.where(ok0 & ok1, np.clip((t - r0) / np.maximum(span, 1e-12), 0, 1), ok1.astype(float))[:, None]
    w0 = np.where(ok0[:, None], 1 - w1, 0.0)
    mean = w0 * np.nan_to_num(p0) + w1 * np.nan_to_num(p1)
    var = w0 * np.nan_to_num(v0)[:, None] + w1 * np.nan_to_num(v1)[:, None]
    var = var + w0 * w1 * (np.nan_to_num(p0) - np.nan_to_num(p1)) ** 2  # the references' disagreement
    none = ~(ok0 | ok1)
    mean[none], var[none] = np.nan, np.nan
    return mean, var

