"""Scoring the model against the classical baselines: one definition for the CLI, the app and bench.

For each trajectory a task mask hides frames; the model and every baseline fill them; errors are
measured on hidden cells that have ground truth (``metrics.trajectory_metrics``) and PSNR/SSIM on
the hidden frames of the display videos (each method's positions drawn in the same framing; the
model's own decoded frames for the model).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
import pandas as pd

from ..classical.baselines import BASELINES, fill_all
from ..core.errors import CSVError, KinvizError
from ..core.masks import task_mask
from ..core.metrics import mean_over_examples, trajectory_metrics, video_metrics
from ..core.trajectory import Trajectory
from ..inference.display import colorize, display_framing, object_maps, video
from ..inference.prediction import PRIOR
from ..io.formats import collect_csvs, load_track

if TYPE_CHECKING:  # the models (torch) load only when a prediction is made: a bad path is refused at once
    from ..inference.predict import Prediction, Predictor

# What kinviz returns, each model on its own, then the classical baselines: one row each, so no ratio
# compares a fill with itself. ``motion`` has rows only where its checkpoint is shipped.
MODELS = ("video", "video_alone", "motion")
METHODS = ("kinviz",) + MODELS + BASELINES
METHOD_NAMES = {"kinviz": "kinviz (self-checked fill)", "video": "video model + classical prior",
                "video_alone": "video model alone", "motion": "motion model",
                "kalman": "Kalman smoother", "regression": "co-visible regression", "pca": "PCA of the body",
                "covisible": "co-visible parts fit", "linear": "linear", "cubic": "cubic spline", "hold": "hold the last seen position",
                "constant_velocity": "constant velocity", "constant_acceleration": "constant acceleration"}  # for people
assert set(METHOD_NAMES) == set(METHODS), "every method needs a name people read"
# What filled a cell (``Prediction.method_of``): a method, or the video model's classical prior where no model drew
SOURCE_NAMES = METHOD_NAMES | {PRIOR: "classical prior alone (smoother pooled with the co-visible fit)"}
SUMMARY_KEYS = ("ade", "ade_pct", "fde", "fde_pct", "rmse_pct", "psnr", "ssim")


@dataclass
class ExampleResult:
    """One trajectory scored: metrics per method, and what produced them."""

    name: str
    mask: np.ndarray  # (T,) bool
    prediction: Prediction
    baselines: dict[str, np.ndarray]  # method -> positions (T, K, 2)
    metrics: dict[str, dict]  # method -> metric dict

    def table(self) -> pd.DataFrame:
        """Methods as rows, metrics as columns."""
        return pd.DataFrame.from_dict(self.metrics, orient="index")


def score(prediction: Prediction, *, with_video: bool = True) -> ExampleResult:
    """Score what kinviz returned, each model's own fill and every baseline on the same hidden cells."""
    traj = prediction.trajectory
    truth = traj.positions
    cells = prediction.filled & ~traj.missing  # hidden cells that have ground truth
    known = np.where(prediction.filled[..., None], np.nan, truth)
    # Fills the predictor already made of exactly these cells are reused, not run twice.
    given = {m: prediction.fills[m] for m in ("kalman", "linear") if m in prediction.fills}
    if prediction.smoother is not None:
        given.setdefault("kalman", prediction.smoother)
    if prediction.classical is not None:  # the smoother pooled with the co-visible parts' fit: ``covisible``
        given["covisible"] = prediction.classical
    if "regression" in prediction.fills and "kalman" in given:
        given["regression"] = np.where(np.isfinite(prediction.fills["regression"]), prediction.fills["regression"],
                                       given["kalman"])
    baselines = fill_all(traj.times, known, prediction.filled, known=given)
    fills = {"kinviz": prediction.positions}
    for m in MODELS:  # where a model has no answer, the smoother's stands (as in the fill)
        if m in prediction.fills:
            fills[m] = np.where(np.isfinite(prediction.fills[m]), prediction.fills[m], baselines["kalman"])
    fills |= baselines
    metrics = {name: trajectory_metrics(truth, pos, cells) for name, pos in fills.items()}
    if with_video and prediction.hidden.any():
        framing = display_framing(prediction)
        truth_video = video(prediction, "truth")
        for name, pos in fills.items():
            metrics[name] |= video_metrics(truth_video, colorize(object_maps(pos, framing)), prediction.hidden)
    return ExampleResult(traj.source_name, prediction.hidden, prediction, baselines, metrics)


@dataclass
class Report:
    task: str
    rows: pd.DataFrame  # one row per (example, method)
    results: list[ExampleResult]

    def summary(self) -> dict[str, dict]:
        """method -> mean over examples of each metric."""
        out = {}
        for method in METHODS:
            sub = self.rows[self.rows.method == method].drop(columns=["example", "method"])
            if sub.empty:
                continue  # a model that is not shipped
            out[method] = mean_over_examples(sub.to_dict("records"))
        return out

    def to_json(self) -> dict:
        summary = self.summary()
        methods = {m: {k: _finite(summary[m].get(k)) for k in SUMMARY_KEYS} for m in summary}
        return {"task": self.task, "examples": len(self.results), "methods": methods}


def _finite(v):
    return None if v is None or not np.isfinite(v) else round(float(v), 6)


def evaluate(
    predictor: Predictor,
    trajectories: list[Trajectory],
    *,
    task: str = "interpolate",
    seed: int = 0,
    with_video: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Hide frames per ``task`` in each trajectory, fill with the model and every baseline, score."""
    results, rows = [], []
    for i, traj in enumerate(trajectories):
        mask = task_mask(task, traj.n_frames, seed=seed, n_objects=traj.n_objects)
        result = score(predictor.predict(traj, mask, seed=seed, compare=True), with_video=with_video)
        results.append(result)
        for method, m in result.metrics.items():
            rows.append({"example": traj.source_name, "method": method, **m})
        if progress:
            progress(i + 1, len(trajectories))
    return Report(task, pd.DataFrame(rows), results)


def load_many(paths: Iterable[str | Path], *, skipped: Callable[[Path, str], None] | None = None) -> list[Trajectory]:
    """Read every CSV under ``paths`` (see ``io.formats.collect_csvs``). A file that cannot be read is skipped and
    reported to ``skipped(path, reason)`` (by default one line on stderr), so one bad file (a shell glob
    that picks up the examples' index.csv) does not end a batch; CSVError when no file can be read."""
    if skipped is None:
        skipped = lambda path, reason: print(f"skipped {path}: {reason}", file=sys.stderr)  # noqa: E731
    out, refused = [], []
    for path in collect_csvs(paths):
        try:
            out.append(load_track(path))  # every format predict reads
        except KinvizError as e:
            refused.append(f"{path}: {e}")
            skipped(path, str(e))
    if not out:
        raise CSVError(f"none of the {len(refused)} file(s) could be read; the first: {refused[0]}")
    return out
