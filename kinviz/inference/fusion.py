"""One rule for every filled cell: the model's sampled answer and the Kalman smoother's, weighed by how sure each is.

The smoother (``kinviz.classical.kalman``) gives a posterior mean and variance per cell; the model's samples
give a mean and a spread. ``fuse`` takes their inverse-variance weighted mean, the model's variance
put on the smoother's scale by a calibration that ``kinviz.training.tune`` picks on a split of its own
(``Decoding.calibration``). ``between_grid`` carries the model's correction to the frames a
strided window skipped.
"""

from __future__ import annotations

import numpy as np

MIN_CONFIDENCE = 0.3  # below this a read-back position is not used: the smoother stands in


def fuse(
    pos: np.ndarray,  # (S, m, 2) the samples' read-back positions of one object's cells (world units)
    conf: np.ndarray,  # (S, m) their read-back confidence
    smooth: np.ndarray,  # (m, 2) the smoother's mean on those cells
    smooth_var: np.ndarray,  # (m, 2) its variance
    px: float,  # world units per pixel of the view the samples were drawn in
    calibration: tuple[float, float],  # (model_scale, pixel_floor): ``Decoding.calibration``
    weight: float | None = None,  # a fixed model share instead of the variances' (ablation)
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fused (m, 2), variance (m, 2), model share (m,), usable (m,)
    """The model's answer and the smoother's, weighed by how sure each is (inverse-variance weighting).

    The model's mean is over the samples whose blob reads with confidence (a cell is usable when at
    least half of them do); its variance is ``model_scale`` times the samples' spread around that
    mean plus ``pixel_floor`` pixels squared (a single sample, or samples that agree, are still no
    better than the view's resolution). A smoother without a variance (too few points to fit) gives
    the model the whole weight."""
    ok = conf >= MIN_CONFIDENCE
    n_ok = ok.sum(axis=0)
    mean = np.where(ok[..., None], pos, 0.0).sum(axis=0) / np.maximum(n_ok, 1)[:, None]
    spread = np.where(ok[..., None], pos - mean, 0.0)
    sample_var = (spread**2).sum(axis=0) / np.maximum(n_ok - 1, 1)[:, None]  # (m, 2)
    model_scale, pixel_floor = calibration
    model_var = model_scale * sample_var + (pixel_floor * px) ** 2
    known = np.isfinite(smooth_var)
    k_var = np.where(known, smooth_var, 0.0)
    both = np.maximum(k_var + model_var, 1e-300)
    share = np.where(known, k_var / both, 1.0) if weight is None else np.full_like(model_var, float(weight))
    fused = smooth + share * (mean - smooth)
    var = np.where(known, k_var * model_var / both, model_var)
    usable = (2 * n_ok >= len(pos)) & (n_ok > 0)
    return fused, var, share.mean(axis=-1), usable




def at_ends(observed: np.ndarray) -> np.ndarray:  # (T, K) bool -> (T, K) bool
    """Unseen cells with no seen cell of their part before them, or none after: forecasts and backcasts."""
    before = np.maximum.accumulate(observed, axis=0)
    after = np.maximum.accumulate(observed[::-1], axis=0)[::-1]
    return ~observed & ~(before & after)


def between_grid(correction, share, from_model, observed, windows) -> None:
    """Target frames a strided window skipped: the model's correction to the smoother (and its share)
    interpolated in frame index between the neighbouring grid or observed frames, so the fill follows
    the smoother's path there, never straight segments; their spread stays the smoother's."""
    for w in windows:
        off = np.setdiff1d(w.targets, w.frames)
        if not len(off):
            continue
        for k in w.fills:
            anchors = np.flatnonzero(observed[:, k] | from_model[:, k])
            if len(anchors) < 2:
                continue
            for axis in range(2):
                correction[off, k, axis] = np.interp(off, anchors, correction[anchors, k, axis])
            share[off, k] = np.interp(off, anchors, share[anchors, k])
            # A skipped frame is the model's only where a grid frame beside it is: the model's answer
            # reaches it by interpolation; between two cells it could not read, the fill stays the prior's.
            answered = from_model[anchors, k].astype(float)
            from_model[off, k] = np.interp(off, anchors, answered) > 0
