"""The start every co-visible fill shares: the seen cells, and an answer that holds them exactly."""

from __future__ import annotations

import numpy as np


def blank_answer(known) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """known (T, K, 2), NaN where unseen -> (known as float64, seen (T, K), mean, variance (T, K, 2)):
    observed cells as given with variance 0, every other cell NaN in both (no answer yet)."""
    known = np.asarray(known, np.float64)
    assert known.ndim == 3 and known.shape[-1] == 2, f"known must be (T, K, 2), got {known.shape}"
    seen = np.isfinite(known).all(-1)
    mean = np.where(seen[..., None], known, np.nan)
    var = np.where(seen[..., None], 0.0, np.full(known.shape, np.nan))
    return known, seen, mean, var
