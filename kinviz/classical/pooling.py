"""Two estimates of the same cells, each with a variance, pooled by inverse-variance weighting: how
kinviz combines a smoother with a co-visible fit, and a classical prior with a model."""

from __future__ import annotations

import numpy as np


def pool(mean_a: np.ndarray, var_a: np.ndarray, mean_b: np.ndarray, var_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two estimates of the same cells (..., 2) with their variances, by inverse-variance weighting.

    Where b has no answer (NaN) a stands alone; where a has no variance (NaN: too few points for the
    smoother) and b answers, b stands alone."""
    has_b = np.isfinite(mean_b) & np.isfinite(var_b)
    has_va = np.isfinite(var_a)
    va, vb = np.where(has_va, var_a, 0.0), np.where(has_b, var_b, 0.0)
    both = has_b & has_va
    tot = np.maximum(va + vb, 1e-300)
    w = np.where(both, va / tot, np.where(has_b, 1.0, 0.0))  # b's weight
    mean = mean_a + w * (np.where(has_b, mean_b, mean_a) - mean_a)
    var = np.where(both, va * vb / tot, np.where(has_b, vb, var_a))
    return mean, var
