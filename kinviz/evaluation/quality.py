"""The benchmark's quality rows: every method's error per trajectory and task, and what they add up to.

A row is one (group, task, trajectory): ``<method>_ade`` and ``<method>_fde`` (% of the scene
diagonal) for each of ``evaluate.METHODS`` (NaN for a model that is not shipped), the kinviz fill's
roughness, band coverage, the share of its cells each candidate filled, and the self-check's
expected error against the error measured. ``paired`` compares kinviz and each model with the best
classical baseline on the same trajectories; ``record_metrics`` turns rows into the checkpoint's record.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from ..classical.baselines import BASELINES
from ..core.masks import PART_TASKS, TASKS, task_mask
from ..inference.prediction import Prediction
from .evaluate import METHODS, MODELS, score
from ..core.metrics import mean_over_examples, scene_diagonal

ALL_TASKS = TASKS + PART_TASKS
BAND_Z = 2.0  # the app draws the fill +- 2 standard deviations (kinviz_app.style.BAND_SD): about 95 % if calibrated
CALIBRATION_Z = (1.0, 2.0, 3.0)  # the band's width in s.d.; a Gaussian holds 68.3, 95.4, 99.7 % within them
AGREEMENT = 1.5  # the self-check's expected error "agrees" with the measured one within this factor
TIE = 0.01  # ADE % points: a difference that rounds to zero at the figures' 0.01 is a tie, no win
SOURCES = ("kalman", "linear", "regression", "video", "prior", "motion")  # what filled a cell (Prediction.method_of)


def roughness(truth: np.ndarray, fill: np.ndarray, cells: np.ndarray) -> float:
    """Mean absolute second difference of the fill over that of the truth, on hidden cells with
    both neighbours in the clip (1: as smooth as the motion; 2: twice as jagged)."""
    centre = np.zeros_like(cells)
    centre[1:-1] = cells[1:-1]
    ok = centre & np.isfinite(truth).all(-1) & np.isfinite(np.roll(truth, 1, 0)).all(-1) & np.isfinite(np.roll(truth, -1, 0)).all(-1)
    if not ok.any():
        return float("nan")
    second = lambda p: np.linalg.norm(p[2:] - 2 * p[1:-1] + p[:-2], axis=-1)  # noqa: E731
    mine, theirs = second(fill)[ok[1:-1]], second(truth)[ok[1:-1]]
    return float(mine.mean() / max(theirs.mean(), 1e-12))


def coverage(prediction: Prediction, cells: np.ndarray, z: float = BAND_Z) -> float:
    """Share of hidden coordinates whose truth lies within the fill +- ``z`` spreads."""
    if prediction.spread is None or not cells.any():
        return float("nan")
    err = np.abs(prediction.positions - prediction.trajectory.positions)[cells]
    return float((err <= z * prediction.spread[cells] + 1e-12).mean())


def row_of(result, cells: np.ndarray, seconds: float) -> dict:  # cells (T, K) bool: the scored cells
    """The measurements of one scored fill (``evaluate.score``) on ``cells``."""
    pred, traj = result.prediction, result.prediction.trajectory
    row = {}
    for m in METHODS:
        got = result.metrics.get(m, {})
        row[f"{m}_ade"], row[f"{m}_fde"] = got.get("ade_pct", float("nan")), got.get("fde_pct", float("nan"))
    row["roughness"] = roughness(traj.positions, pred.positions, cells)
    row["kalman_roughness"] = roughness(traj.positions, result.baselines["kalman"], cells)
    row["coverage"] = coverage(pred, cells)
    row |= {f"coverage_{z:g}": coverage(pred, cells, z) for z in CALIBRATION_Z}
    methods = pred.method_of()[cells]
    row |= {f"share_{m}": float((methods == m).mean()) if cells.any() else float("nan") for m in SOURCES}
    # The self-check's promise against what came true, both as mean distance over the cells (file units).
    measured = float(np.linalg.norm(pred.positions - traj.positions, axis=-1)[cells].mean()) if cells.any() else float("nan")
    expected = pred.expected[cells] if pred.expected is not None else np.array([np.nan])
    row["expected"] = float(np.nanmean(expected)) if np.isfinite(expected).any() else float("nan")
    row["measured"] = measured
    row["expected_pct"] = 100 * row["expected"] / scene_diagonal(traj.positions)
    row["seconds"] = seconds
    return row


def quality(predictor, items: list, seed: int = 0, tasks=TASKS) -> list[dict]:
    """One row per (group, task, trajectory) (see ``row_of``): ``items`` are (group, trajectory) pairs, each
    filled whole with ``task``'s mask."""
    rows = []
    for group, traj in tqdm(items, desc="quality", unit="trajectory", disable=None):  # stderr, terminals only
        for task in tasks:
            mask = task_mask(task, traj.n_frames, seed=seed, n_objects=traj.n_objects)
            t = time.perf_counter()
            pred = predictor.predict(traj, mask, seed=seed, compare=True)
            seconds = time.perf_counter() - t
            result = score(pred, with_video=False)
            rows.append({"group": group, "task": task, "name": traj.source_name}
                        | row_of(result, pred.filled & ~traj.missing, seconds))
    return rows


def best_baseline(rows: list[dict]) -> str:
    """The classical baseline with the lowest mean ADE % over ``rows``."""
    means = {b: mean_of(rows, f"{b}_ade") for b in BASELINES}  # a baseline newer than the rows has no figure
    return min((b for b in BASELINES if np.isfinite(means[b])), key=means.get)


def paired(rows: list[dict], method: str, reference: str) -> dict:
    """``method`` minus ``reference`` ADE %, trajectory by trajectory: mean, standard error, wins, losses.

    The same trajectories and masks for both, so the spread of the differences, not of the errors,
    says whether a gap between the means is more than the luck of the draw. A difference that rounds
    to 0.00 is a tie: neither a win nor a loss."""
    d = np.array([r.get(f"{method}_ade", np.nan) - r.get(f"{reference}_ade", np.nan) for r in rows], float)
    d = d[np.isfinite(d)]
    n = len(d)
    mine, theirs = mean_of(rows, f"{method}_ade"), mean_of(rows, f"{reference}_ade")
    return {"method": method, "against": reference, "n": n,
            "mean": float(d.mean()) if n else float("nan"),
            "se": float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
            "wins": int((np.round(d, 2) <= -TIE).sum()), "losses": int((np.round(d, 2) >= TIE).sum()),
            "ratio": float(mine / max(theirs, 1e-12)) if n else float("nan")}


def compared(rows: list[dict]) -> list[dict]:
    """kinviz and each model against the best classical baseline of ``rows`` (never a method with itself)."""
    best = best_baseline(rows)
    return [paired(rows, m, best) for m in ("kinviz",) + MODELS if np.isfinite(mean_of(rows, f"{m}_ade"))]


def verdict(p: dict) -> str:
    """Words for a paired difference: a direction only where it is more than one standard error from zero."""
    if not p["n"] or not np.isfinite(p["mean"]):
        return "not measured"
    if not np.isfinite(p["se"]) or abs(p["mean"]) <= p["se"] or round(p["mean"], 2) == 0:
        return "no difference beyond one s.e."
    return "closer" if p["mean"] < 0 else "further"


def mean_of(rows: list[dict], key: str) -> float:
    values = np.array([r.get(key, np.nan) for r in rows], float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def se_of(rows: list[dict], key: str) -> float:
    values = np.array([r.get(key, np.nan) for r in rows], float)
    values = values[np.isfinite(values)]
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")


def agreement(rows: list[dict]) -> dict:
    """The self-check's expected error against the measured one, stretch by stretch: the share within a
    factor ``AGREEMENT`` and the median of expected / measured (1: it promised what came true)."""
    pairs = np.array([(r["expected"], r["measured"]) for r in rows], float).reshape(-1, 2)
    ok = np.isfinite(pairs).all(1) & (pairs[:, 1] > 0)
    ratio = pairs[ok, 0] / pairs[ok, 1]
    return {"n": int(ok.sum()), "within": float(np.mean((ratio <= AGREEMENT) & (ratio >= 1 / AGREEMENT))) if ok.any() else float("nan"),
            "median_ratio": float(np.median(ratio)) if ok.any() else float("nan")}


def summary(rows: list[dict], split: str) -> dict:
    """What the record keeps of one split's rows for one task: per method mean ± s.e. ADE % and mean FDE %,
    the paired comparisons, wins, the self-check's agreement, coverage, shares and time per fill."""
    stat = lambda m: {"ade_pct": round(mean_of(rows, f"{m}_ade"), 4), "ade_se": round(se_of(rows, f"{m}_ade"), 4),  # noqa: E731
                      "fde_pct": round(mean_of(rows, f"{m}_fde"), 4)}
    # Closer than every baseline on a trajectory, to the 0.01 points the figures show: a tie is no win.
    wins = sum(round(r["kinviz_ade"] - np.nanmin([r.get(f"{m}_ade", np.nan) for m in BASELINES]), 2) < 0 for r in rows)
    models = {m: stat(m) for m in MODELS if np.isfinite(mean_of(rows, f"{m}_ade"))}
    return {"task": rows[0]["task"], "examples": len(rows), "split": split, "wins": int(wins),
            "methods": {m: stat(m) for m in ("kinviz",) + BASELINES if np.isfinite(mean_of(rows, f"{m}_ade"))}, "models": models,
            "paired": compared(rows), "self_check": agreement(rows),
            "expected_pct": round(mean_of(rows, "expected_pct"), 4),
            "coverage": round(mean_of(rows, "coverage"), 4),
            "shares": {m: round(mean_of(rows, f"share_{m}"), 4) for m in SOURCES if np.isfinite(mean_of(rows, f"share_{m}"))},
            "seconds": round(mean_of(rows, "seconds"), 3)}


def record_metrics(splits: dict[str, list[dict]]) -> dict:
    """{split name: {task: ``summary``}} for every split and task with rows: the checkpoint's record."""
    out = {}
    for name, rows in splits.items():
        for task in dict.fromkeys(r["task"] for r in rows):
            out.setdefault(name, {})[task] = summary([r for r in rows if r["task"] == task], name)
    return out


def group_means(rows: list[dict]) -> dict:
    """Mean of every numeric key over ``rows`` (``metrics.mean_over_examples``)."""
    return mean_over_examples([{k: v for k, v in r.items() if k not in ("group", "task", "name")} for r in rows])
