"""How good a filled-in trajectory or video is: the one definition the CLI, app and benchmarks use.

Trajectory errors are Euclidean distances in the CSV's units, scored only on hidden cells that have
ground truth; each also comes as a percentage of the scene diagonal so clips of different sizes
compare. Video quality is PSNR and SSIM on the hidden frames.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .errors import MaskError
from .masks import cell_mask

PSNR_CAP_DB = 100.0  # identical frames have infinite PSNR; capping keeps means finite
MIN_DIAGONAL = 1e-12  # a scene whose points all coincide has diagonal 0; avoid dividing by it

TRAJECTORY_KEYS = ("ade", "fde", "rmse", "max")


def scene_diagonal(truth: np.ndarray) -> float:  # truth (T, K, 2), NaN where missing
    """Diagonal of the bounding box of all finite ground-truth points.

    Returns at least ``1e-12`` (also when there are no finite points), so percentages of it are
    always defined; such a scene has nothing to score anyway, or an enormous percentage flags it.
    """
    points = np.asarray(truth, dtype=np.float64).reshape(-1, 2)
    points = points[np.all(np.isfinite(points), axis=-1)]
    if points.size == 0:
        return MIN_DIAGONAL
    extent = points.max(axis=0) - points.min(axis=0)
    return max(float(np.hypot(*extent)), MIN_DIAGONAL)


def position_errors(
    truth: np.ndarray,  # (T, K, 2), NaN where missing
    pred: np.ndarray,  # (T, K, 2)
    cells: np.ndarray,  # (T, K) or (T,) bool, True = score this cell
) -> np.ndarray:  # (T, K) float64
    """Euclidean error per cell; NaN outside ``cells`` and where the ground truth is missing.

    Raises ``ValueError`` if the prediction is not finite in a cell that is scored: a method that
    produces NaN must not get a better score for it.
    """
    truth = np.asarray(truth, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if truth.shape != pred.shape or truth.ndim != 3 or truth.shape[2] != 2:
        raise ValueError(
            f"truth and pred must both be (T, K, 2), got {truth.shape} and {pred.shape}"
        )
    scored = _scored_cells(truth, cells)
    bad = scored & ~np.all(np.isfinite(pred), axis=-1)
    if bad.any():
        raise ValueError(f"the prediction is NaN or infinite in {int(bad.sum())} scored cells")
    errors = np.full(scored.shape, np.nan)
    errors[scored] = np.linalg.norm(pred[scored] - truth[scored], axis=-1)
    return errors


def trajectory_metrics(
    truth: np.ndarray,  # (T, K, 2), NaN where missing
    pred: np.ndarray,  # (T, K, 2)
    cells: np.ndarray,  # (T, K) or (T,) bool, the hidden cells to score
) -> dict:
    """ADE, FDE, RMSE and max error over the hidden cells that have ground truth.

    - ``ade``: mean error; ``rmse``: root mean squared error; ``max``: largest error.
    - ``fde``: for each object, the error at its last scored frame (the last hidden frame with
      ground truth), averaged over objects that have one.
    - ``<key>_pct``: the value as a percentage of :func:`scene_diagonal` of ``truth``.
    - ``n_cells``: how many cells were scored. With none, every value is NaN ("no ground truth").
    """
    errors = position_errors(truth, pred, cells)
    scored = np.isfinite(errors)
    n_cells = int(scored.sum())
    if n_cells == 0:
        values = dict.fromkeys(TRAJECTORY_KEYS, float("nan"))
    else:
        flat = errors[scored]
        has_last = scored.any(axis=0)
        last_frame = errors.shape[0] - 1 - np.argmax(scored[::-1], axis=0)  # (K,)
        final = errors[last_frame[has_last], np.flatnonzero(has_last)]
        values = {
            "ade": float(flat.mean()),
            "fde": float(final.mean()),
            "rmse": float(np.sqrt(np.mean(flat**2))),
            "max": float(flat.max()),
        }
    diagonal = scene_diagonal(truth)
    values |= {f"{key}_pct": values[key] / diagonal * 100.0 for key in TRAJECTORY_KEYS}
    return values | {"n_cells": n_cells}


def video_metrics(
    truth_frames: np.ndarray,  # (T, H, W, 3) uint8
    pred_frames: np.ndarray,  # (T, H, W, 3) uint8
    hidden: np.ndarray,  # (T,) bool
) -> dict:
    """Mean PSNR (dB, capped at 100 for identical frames) and SSIM over the hidden frames.

    Uses ``skimage.metrics`` with ``data_range=255`` and colour on the last axis; SSIM's window is
    7 pixels, or the largest odd size that fits frames smaller than that (at least 3 pixels).
    With no hidden frames both values are NaN.
    """
    truth_frames, pred_frames = np.asarray(truth_frames), np.asarray(pred_frames)
    if truth_frames.shape != pred_frames.shape or truth_frames.ndim != 4:
        raise ValueError(
            f"frames must both be (T, H, W, 3), got {truth_frames.shape} and {pred_frames.shape}"
        )
    hidden = np.asarray(hidden, dtype=bool)
    if hidden.shape != truth_frames.shape[:1]:
        raise MaskError(
            f"the mask has shape {hidden.shape} but there are {truth_frames.shape[0]} frames"
        )
    frames = np.flatnonzero(hidden)
    if frames.size == 0:
        return {"psnr": float("nan"), "ssim": float("nan")}

    side = min(truth_frames.shape[1:3])
    if side < 3:
        raise ValueError(f"frames of {side} pixels are too small for SSIM; need at least 3")
    window = min(7, side if side % 2 else side - 1)  # 7 is skimage's default window
    # Imported here: skimage.metrics pulls in scipy.stats (0.5 s), which a fill from the command line never needs.
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    psnr, ssim = [], []
    for t in frames:
        a, b = truth_frames[t], pred_frames[t]
        with warnings.catch_warnings():  # identical frames: divide by zero -> inf, capped below
            warnings.simplefilter("ignore", RuntimeWarning)
            psnr.append(min(peak_signal_noise_ratio(a, b, data_range=255), PSNR_CAP_DB))
        ssim.append(structural_similarity(a, b, channel_axis=-1, data_range=255, win_size=window))
    return {"psnr": float(np.mean(psnr)), "ssim": float(np.mean(ssim))}


def mean_over_examples(rows: list[dict]) -> dict:
    """NaN-aware mean of each numeric key over ``rows``, plus ``"examples"``: ``len(rows)``.

    Non-numeric values (names, paths) and booleans are skipped; a key missing from a row counts as
    NaN there; a key that is NaN in every row stays NaN.
    """
    keys: dict[str, None] = {}  # first-seen order
    for row in rows:
        for key, value in row.items():
            if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
                keys[key] = None
    means = {}
    for key in keys:
        values = np.array([_as_float(row.get(key)) for row in rows])
        finite = values[~np.isnan(values)]
        means[key] = float(finite.mean()) if finite.size else float("nan")
    return means | {"examples": len(rows)}


def _as_float(value) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return float(value)
    return float("nan")


def _scored_cells(truth: np.ndarray, cells: np.ndarray) -> np.ndarray:  # (T, K) bool
    """The requested cells, less those without ground truth."""
    n_frames, n_objects, _ = truth.shape
    return cell_mask(cells, n_frames, n_objects) & np.all(np.isfinite(truth), axis=-1)
