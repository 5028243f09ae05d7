"""What a Predict run leaves behind: the prediction, its scores, videos and a report, built once
and kept in session state so re-renders and downloads never re-run the model. No Streamlit here."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePath

import numpy as np
import pandas as pd

import kinviz
from kinviz import MAX_BYTES
from kinviz_app import views

PLAYBACK_FRAMES = 240  # frames in the playback and the downloadable video (a window around the gaps)
METRIC_COLUMNS = {"ade": "ADE", "ade_pct": "ADE %", "fde": "FDE", "fde_pct": "FDE %", "psnr": "PSNR (dB)", "ssim": "SSIM"}
MODEL_LABEL = "MAGVIT (model)"


def check_size(n_bytes: int) -> None:
    """Refuse a file over kinviz's limit before a byte of it is parsed."""
    if n_bytes > MAX_BYTES:
        raise kinviz.CSVError(
            f"the file is {n_bytes / 1e6:.1f} MB; kinviz reads files up to {MAX_BYTES / 1e6:.0f} MB: trim or split it"
        )


def read_upload(name: str, data: bytes, min_confidence: float = kinviz.DEFAULT_MIN_CONFIDENCE) -> kinviz.Trajectory:
    """An uploaded file's bytes (a CSV or a tracker's own file) -> Trajectory, or CSVError with one line for people."""
    check_size(len(data))
    return kinviz.load_track(data, name=name, min_confidence=min_confidence)


def model_version(meta: dict) -> str:
    """Checksum prefix and training steps: '64731010bac5 @ 30 steps'."""
    steps = meta.get("training", {}).get("transformer_steps_done", "?")
    return f"{str(meta.get('sha256', 'unknown'))[:12]} @ {steps} steps"


def focus_window(marked: np.ndarray, limit: int) -> tuple[int, int]:  # marked (T,) bool
    """[start, stop) of at most ``limit`` frames, starting a little before the first marked frame."""
    T = len(marked)
    if T <= limit:
        return 0, T
    idx = np.flatnonzero(marked)
    first = int(idx[0]) if len(idx) else 0
    start = max(0, min(first - limit // 4, T - limit))
    return start, start + limit


def has_ground_truth(result) -> bool:
    return result.metrics["magvit"].get("n_cells", 0) > 0


def metrics_table(result) -> pd.DataFrame | None:
    """Methods as rows (the model first), ADE/FDE in CSV units and %, PSNR, SSIM; None without ground truth."""
    if not has_ground_truth(result):
        return None
    table = result.table()
    table = table[[c for c in METRIC_COLUMNS if c in table.columns]].rename(columns=METRIC_COLUMNS)
    return table.rename(index={"magvit": MODEL_LABEL})


def _finite(v):
    return None if v is None or not math.isfinite(float(v)) else round(float(v), 6)


@dataclass
class Run:
    """One press of Run, ready to display and download."""

    source: str  # which input it was made from (example name or upload id)
    stem: str  # file name stem for downloads
    spec: str  # the mask as typed (SPEC syntax)
    prediction: kinviz.Prediction
    result: object  # kinviz.evaluate.ExampleResult
    window: tuple[int, int]  # frames in the playback and the video download
    playback: bytes  # GIF: ground truth beside prediction
    video: bytes  # GIF: the prediction alone
    report: dict

    @property
    def csv_name(self) -> str:  # a tracker's .txt (MOT, Tracker) or a .tsv keeps its suffix
        suffix = PurePath(self.prediction.trajectory.source_name).suffix.lower()
        return f"{self.stem}-filled{suffix if suffix in ('.txt', '.tsv') else '.csv'}"

    def report_json(self) -> str:
        return json.dumps(self.report, indent=1)


def build_run(prediction: kinviz.Prediction, *, source: str, spec: str, meta: dict, device: str) -> Run:
    """Score a prediction against the baselines and make everything the page shows and offers."""
    traj = prediction.trajectory
    result = kinviz.score(prediction)
    window = focus_window(prediction.filled.any(axis=1), PLAYBACK_FRAMES)
    stem = PurePath(traj.source_name or "trajectory").stem
    truth_ok = has_ground_truth(result)
    report = {
        "source": traj.source_name,
        "frames": traj.n_frames,
        "objects": traj.names,
        "settings": {"mask": spec, "hidden_frames": int(prediction.hidden.sum()), "seed": prediction.seed,
                     "steps": prediction.steps, "decoding": meta.get("decoding", {})},
        "model": {"version": model_version(meta), "sha256": meta.get("sha256"), "device": device,
                  "transformer_steps": meta.get("training", {}).get("transformer_steps_done")},
        "filled_cells": int(prediction.filled.sum()),
        "fallback_cells": int(prediction.fallback.sum()),
        "ground_truth": truth_ok,
        "metrics": {m: {k: _finite(v) for k, v in values.items()} for m, values in result.metrics.items()} if truth_ok else None,
        "reader_warnings": traj.warnings,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return Run(
        source=source, stem=stem, spec=spec, prediction=prediction, result=result, window=window,
        playback=views.playback_gif(prediction, *window), video=views.video_gif(prediction.video("pred", *window),
                                                                                  prediction.hidden[slice(*window)]),
        report=report,
    )


# ----------------------------------------------------------------------------- evaluation and the record


def per_example(report) -> pd.DataFrame:
    """One row per recording: the model's and each baseline's ADE % and FDE %, the best baseline,
    and how far the model is from it (negative = the model is better). Worst model error first."""
    rows = report.rows
    ade = rows.pivot(index="example", columns="method", values="ade_pct")
    baselines = [m for m in ade.columns if m != "magvit"]
    model = rows[rows.method == "magvit"].set_index("example")
    best = ade[baselines].idxmin(axis=1)
    out = pd.DataFrame({
        "example": ade.index,
        "hidden frames": [int(r.mask.sum()) for r in _by_name(report, ade.index)],
        "model ADE %": ade["magvit"].to_numpy(),
        "model FDE %": model.loc[ade.index, "fde_pct"].to_numpy(),
        **{f"{m} ADE %": ade[m].to_numpy() for m in baselines},
        "best baseline": best.to_numpy(),
        "model − best (pp)": (ade["magvit"] - ade[baselines].min(axis=1)).to_numpy(),
        "model PSNR (dB)": model.loc[ade.index].get("psnr", pd.Series(np.nan, index=ade.index)).to_numpy(),
    })
    return out.sort_values("model ADE %", ascending=False, na_position="last").reset_index(drop=True)


def _by_name(report, names) -> list:
    results = {r.name: r for r in report.results}
    return [results[n] for n in names]


def summary_table(report) -> pd.DataFrame:
    """Methods as rows, the mean of each headline metric over the recordings as columns."""
    summary = report.summary()
    keys = ["ade_pct", "fde_pct", "ade", "fde", "psnr", "ssim"]
    labels = {"ade_pct": "ADE %", "fde_pct": "FDE %", "ade": "ADE", "fde": "FDE", "psnr": "PSNR (dB)", "ssim": "SSIM"}
    table = pd.DataFrame({m: {labels[k]: summary[m].get(k, np.nan) for k in keys} for m in summary}).T
    return table.rename(index={"magvit": MODEL_LABEL})


def headline(meta: dict) -> dict | None:
    """The benchmark the checkpoint's record carries, if any: {task, examples, model, best, best_value}.

    Reads ``meta["metrics"]`` in ``Report.to_json`` form, alone or keyed by task (interpolation first).
    Never invents a number: returns None when the record has none.
    """
    record = meta.get("metrics")
    if not isinstance(record, dict):
        return None
    candidates = [record] if "methods" in record else [record[k] for k in ("interpolate", *record) if isinstance(record.get(k), dict)]
    for entry in candidates:
        methods = entry.get("methods", {})
        model = (methods.get("magvit") or {}).get("ade_pct")
        others = {m: v.get("ade_pct") for m, v in methods.items() if m != "magvit" and isinstance(v, dict)}
        others = {m: v for m, v in others.items() if v is not None and math.isfinite(v)}
        if model is not None and math.isfinite(model) and others:
            best = min(others, key=others.get)
            return {"task": entry.get("task", "?"), "examples": entry.get("examples"), "model": model,
                    "best": best, "best_value": others[best]}
    return None


def highlight_best(table: pd.DataFrame):
    """A Styler: numbers to 4 significant digits, the best method per column in bold on green."""
    higher_is_better = [c for c in table.columns if c.startswith(("PSNR", "SSIM"))]
    lower = [c for c in table.columns if c not in higher_is_better]
    style = "font-weight: bold; background-color: #dff3e4"
    return (table.style.format("{:.4g}")
            .highlight_min(subset=lower, props=style)
            .highlight_max(subset=higher_is_better, props=style))
