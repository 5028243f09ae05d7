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

from .masks import mask_runs


def fill(known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """known (T, K, 2) world units, NaN where unseen -> (mean, variance), each (T, K, 2), NaN where no answer.

    Observed cells are returned as given with variance 0."""
    known = np.asarray(known, np.float64)
    T, K, _ = known.shape
    seen = np.isfinite(known).all(-1)  # (T, K)
    mean = np.where(seen[..., None], known, np.nan)
    var = np.where(seen[..., None], 0.0, np.full(known.shape, np.nan))
    if K < 3:
        return mean, var
    for k in range(K):
        frames = np.flatnonzero(seen[:, k])
        for a, b in mask_runs(~seen[:, k]):
            before, after = frames[frames < a], frames[frames > b]
            t = np.arange(a, b + 1)
            answers = []
            for ref in ([before[-1]] if len(before) else []) + ([after[0]] if len(after) else []):
                answers.append((ref, *_carry(known, seen, k, int(ref), t)))
            mean[t, k], var[t, k] = _blend(answers, t)
    return mean, var


def _carry(known, seen, k: int, ref: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Part k's reference position carried by the co-visible parts' similarity transform to frames t.

    Returns (positions (m, 2), misfit variance (m,)); NaN where fewer than two parts are seen in both."""
    others = np.array([j for j in range(known.shape[1]) if j != k])
    p_ref = known[ref, others]  # (J, 2)
    dist = np.linalg.norm(p_ref - known[ref, k], axis=-1)
    if not np.isfinite(dist).any():  # no other part seen in the reference frame
        return np.full((len(t), 2), np.nan), np.full(len(t), np.nan)
    base = 1.0 / np.maximum(dist, 1e-9 + 1e-3 * np.nanmax(dist)) ** 2  # nearer parts count more
    w = base[None] * (seen[t][:, others] & seen[ref, others][None])  # (m, J)
    w = np.where(np.isfinite(w), w, 0.0)
    n = (w > 0).sum(1)
    sw = np.maximum(w.sum(1, keepdims=True), 1e-300)
    q = np.where(w[..., None] > 0, known[t][:, others], 0.0)  # (m, J, 2)
    p = np.where(np.isfinite(p_ref), p_ref, 0.0)[None]  # (1, J, 2)
    pc = (w[..., None] * p).sum(1) / sw  # (m, 2) weighted centroids
    qc = (w[..., None] * q).sum(1) / sw
    P, Q = p - pc[:, None], q - qc[:, None]
    # 2-D similarity by weighted Procrustes: q ~ s R(theta) p, closed form.
    a = (w * (P[..., 0] * Q[..., 0] + P[..., 1] * Q[..., 1])).sum(1)
    b = (w * (P[..., 0] * Q[..., 1] - P[..., 1] * Q[..., 0])).sum(1)
    norm = np.maximum((w * (P**2).sum(-1)).sum(1), 1e-300)
    c, s = a / norm, b / norm  # s R = [[c, -s], [s, c]]
    def apply(x):  # (m, ..., 2) centred -> transformed
        return np.stack([c.reshape(-1, *[1] * (x.ndim - 2)) * x[..., 0] - s.reshape(-1, *[1] * (x.ndim - 2)) * x[..., 1],
                         s.reshape(-1, *[1] * (x.ndim - 2)) * x[..., 0] + c.reshape(-1, *[1] * (x.ndim - 2)) * x[..., 1]], -1)
    out = qc + apply((known[ref, k] - pc)[:, None, :])[:, 0]
    resid = Q - apply(P)
    # Misfit per coordinate: weighted mean square over the parts, corrected for the 4 fitted parameters.
    misfit = (w * (resid**2).sum(-1)).sum(1) / sw[:, 0] / 2 * n / np.maximum(n - 2, 1)
    bad = n < 2
    out[bad], misfit[bad] = np.nan, np.nan
    return out, misfit


def _blend(answers: list, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blend the references' answers linearly in time: (mean (m, 2), variance (m, 2)), NaN where none.

    The variance is the blended misfit plus the references' disagreement."""
    m = len(t)
    if not answers:
        return np.full((m, 2), np.nan), np.full((m, 2), np.nan)
    if len(answers) == 1:
        _, pos, mis = answers[0]
        return pos, np.repeat(mis[:, None], 2, 1)
    (r0, p0, v0), (r1, p1, v1) = answers
    w1 = ((t - r0) / (r1 - r0))[:, None]
    w0 = 1 - w1
    ok0, ok1 = np.isfinite(p0).all(-1, keepdims=True), np.isfinite(p1).all(-1, keepdims=True)
    w0, w1 = np.where(ok0, w0, 0.0), np.where(ok1, w1, 0.0)
    tot = w0 + w1
    w0, w1 = w0 / np.where(tot > 0, tot, 1), w1 / np.where(tot > 0, tot, 1)
    mean = w0 * np.nan_to_num(p0) + w1 * np.nan_to_num(p1)
    var = w0 * np.nan_to_num(v0)[:, None] + w1 * np.nan_to_num(v1)[:, None]
    var = var + w0 * w1 * (np.nan_to_num(p0) - np.nan_to_num(p1)) ** 2  # the references' disagreement
    none = (tot == 0)[:, 0]
    mean[none], var[none] = np.nan, np.nan
    return mean, var
