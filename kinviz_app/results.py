"""What a Predict run leaves behind: the prediction, its scores, pictures, figures and a report, built once
and kept in session state so re-renders and downloads never re-run the model; the Overview's fill; the
tables of an evaluation and the record's headlines. No Streamlit here; the words are in ``words``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from pathlib import PurePath

import numpy as np
import pandas as pd

import kinviz
from kinviz import MAX_BYTES
from kinviz_app import figures, media, scene, style, words

VIDEO_METRICS_FRAMES = 300  # PSNR and SSIM need every hidden frame drawn per method: 6.5 s for 2,000 x 4 on 2 cores
PLAYBACK_FRAMES = 240  # frames in the playback and the downloadable video (a window around the gaps)
METRIC_COLUMNS = {"ade": "ADE", "ade_pct": "ADE %", "fde": "FDE", "fde_pct": "FDE %", "psnr": "PSNR (dB)", "ssim": "SSIM"}
MODEL_LABEL = style.name(style.MODEL)


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


def has_ground_truth(result) -> bool:
    return result.metrics[style.MODEL].get("n_cells", 0) > 0


def metrics_table(result) -> pd.DataFrame | None:
    """Methods as rows (the model first), ADE/FDE in CSV units and %, PSNR, SSIM; None without ground truth."""
    if not has_ground_truth(result):
        return None
    table = result.table()
    table = table[[c for c in METRIC_COLUMNS if c in table.columns]].rename(columns=METRIC_COLUMNS)
    return table.rename(index=style.name)


def _finite(v):
    return None if v is None or not math.isfinite(float(v)) else round(float(v), 6)


@dataclass
class Run:
    """One press of Run, ready to display and download."""

    source: str  # which input it was made from (example name or upload id)
    stem: str  # file name stem for downloads
    spec: str  # the mask as typed (SPEC syntax)
    prediction: kinviz.Prediction
    result: object  # kinviz.evaluation.evaluate.ExampleResult
    window: tuple[int, int]  # frames in the playback and the video download
    playback: bytes  # GIF: ground truth beside prediction
    report: dict
    figures: dict = field(default_factory=dict, repr=False)  # (kind, baselines, band, parts) -> plotly figure
    strips: dict = field(default_factory=dict, repr=False)  # first frame -> PNG of the frame strip

    @cached_property
    def parts(self) -> list[str]:
        """The parts drawn until the user picks others: the hidden ones and their nearest partners."""
        return figures.drawn_parts(self.prediction, None)

    def figure(self, kind: str, baselines: tuple[str, ...], band: bool = True, parts: tuple[str, ...] = ()):
        """The 'coords', 'path' or 'errors' figure for these baselines and parts, or the 'fill' in the scene (no
        baselines), built once per run: a rerun of the page (a toggle, the strip's slider) reuses it."""
        parts = tuple(parts) or tuple(self.parts)
        key = (kind, tuple(baselines), bool(band) and kind not in ("errors", "fill"), parts if kind != "errors" else ())
        if key not in self.figures:
            chosen = {m: self.result.baselines[m] for m in baselines if m in self.result.baselines}
            pred = self.prediction
            if kind == "fill":
                self.figures[key] = figures.fill_figure(pred.trajectory, ~pred.filled,
                                                        np.where(pred.filled[..., None], pred.positions, np.nan),
                                                        parts=list(parts))
            elif kind == "errors":
                self.figures[key] = figures.error_figure(pred, chosen)
            else:
                draw = figures.coords_figure if kind == "coords" else figures.path_figure
                self.figures[key] = draw(pred, chosen, band=band, parts=list(parts))
        return self.figures[key]

    def strip(self, start: int, frames: int) -> bytes:
        """PNG of the frame strip from ``start``, drawn once per run and start."""
        if start not in self.strips:
            stop = min(self.prediction.trajectory.n_frames, start + frames)
            self.strips[start] = media.png(media.strip_image(self.prediction, start, stop))
        return self.strips[start]

    @cached_property
    def video(self) -> bytes:
        """GIF of the prediction in the scene, every part, over ``window``, made when first asked for (its download)."""
        return media.prediction_gif(self.prediction, *self.window)

    @property
    def csv_name(self) -> str:  # a tracker's .txt (MOT, Tracker) or a .tsv keeps its suffix
        suffix = PurePath(self.prediction.trajectory.source_name).suffix.lower()
        return f"{self.stem}-filled{suffix if suffix in ('.txt', '.tsv') else '.csv'}"

    def report_json(self) -> str:
        return json.dumps(self.report, indent=1)


def focus(prediction: kinviz.Prediction) -> np.ndarray:
    """(T,) bool: the frames a run's pictures centre on: the ones the user hid, else the filled ones (a
    file's own gaps, which may lie anywhere, only when nothing was hidden)."""
    hidden = scene.hidden_cells(prediction).any(axis=1)
    return hidden if hidden.any() else prediction.filled.any(axis=1)


def build_run(prediction: kinviz.Prediction, *, source: str, spec: str, meta: dict, device: str) -> Run:
    """Score a prediction against the baselines and make everything the page shows and offers."""
    traj = prediction.trajectory
    result = kinviz.score(prediction, with_video=traj.n_frames <= VIDEO_METRICS_FRAMES)
    window = scene.focus_window(focus(prediction), PLAYBACK_FRAMES)
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
        "smoother_only_cells": int(prediction.smoother_only.sum()),
        "model_changed_cells": int(scene.model_changed(prediction).sum()),
        "ground_truth": truth_ok,
        "metrics": {m: {k: _finite(v) for k, v in values.items()} for m, values in result.metrics.items()} if truth_ok else None,
        "reader_warnings": traj.warnings,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return Run(
        source=source, stem=stem, spec=spec, prediction=prediction, result=result, window=window,
        playback=media.playback_gif(prediction, *window), report=report,
    )


@dataclass
class Demo:
    """The landing page's fill: its playback GIF and a caption with its measured errors."""

    playback: bytes
    caption: str


def demo(prediction: kinviz.Prediction, name: str) -> Demo:
    """Truth beside the model's fill over the whole recording, and what the fill scored against the best baseline."""
    result = kinviz.score(prediction, with_video=False)
    ade = {m: v.get("ade_pct") for m, v in result.metrics.items()}
    best = min((m for m in ade if m != style.MODEL), key=lambda m: ade[m])
    hidden = kinviz.format_mask(prediction.hidden)
    outcome = {"better": "the model is closer", "worse": f"{style.name(best)} is closer",
               "tie": "a tie: the model kept the classical fill"}[words.verdict(ade[style.MODEL], ade[best])]
    caption = (f"{name}: frames {hidden} hidden (amber); the recording on the left, the model's fill on the right. "
               f"Error over the hidden frames: model {ade[style.MODEL]:.2f} %, best classical fill ({style.name(best)}) "
               f"{ade[best]:.2f} % of the scene's size: {outcome}.")
    return Demo(media.playback_gif(prediction, 0, prediction.trajectory.n_frames), caption)


# ----------------------------------------------------------------------------- evaluation and the record


def per_example(report) -> pd.DataFrame:
    """One row per recording, the comparison first: the model's ADE %, the best baseline, its ADE %,
    and how far the model is from it (negative = the model is better); then every baseline's ADE %.
    Worst model error first. Methods by their human names."""
    rows = report.rows
    ade = rows.pivot(index="example", columns="method", values="ade_pct")
    baselines = [m for m in kinviz.METHODS if m != style.MODEL and m in ade.columns]
    model = rows[rows.method == style.MODEL].set_index("example")
    best = ade[baselines].idxmin(axis=1)
    out = pd.DataFrame({
        "example": ade.index,
        "model ADE %": ade[style.MODEL].to_numpy(),
        "best baseline": best.map(style.name).to_numpy(),
        "best baseline ADE %": ade[baselines].min(axis=1).to_numpy(),
        "model − best (pp)": (ade[style.MODEL] - ade[baselines].min(axis=1)).to_numpy(),
        "hidden frames": [int(r.mask.sum()) for r in _by_name(report, ade.index)],
        "model FDE %": model.loc[ade.index, "fde_pct"].to_numpy(),
        **{f"{style.name(m)} ADE %": ade[m].to_numpy() for m in baselines},
    })
    return out.sort_values("model ADE %", ascending=False, na_position="last").reset_index(drop=True)


def _by_name(report, names) -> list:
    results = {r.name: r for r in report.results}
    return [results[n] for n in names]


def summary_table(report) -> pd.DataFrame:
    """Methods as rows, the mean of each headline metric over the recordings as columns."""
    summary = report.summary()
    keys = ["ade_pct", "fde_pct", "psnr", "ssim"]  # % of each scene's size: comparable across files (CSV units are not)
    labels = {"ade_pct": "ADE %", "fde_pct": "FDE %", "psnr": "PSNR (dB)", "ssim": "SSIM"}
    table = pd.DataFrame({m: {labels[k]: summary[m].get(k, np.nan) for k in keys} for m in summary}).T
    return table.rename(index=style.name)


def headlines(meta: dict) -> list[dict]:
    """Per task in the checkpoint's record: {task, examples, split, model, best, best_value} (ADE %,
    best = the best baseline's key). Never invents a number: tasks without both are left out."""
    record = meta.get("metrics")
    if not isinstance(record, dict):
        return []
    entries = [record] if "methods" in record else [v for v in record.values() if isinstance(v, dict)]
    out = []
    for entry in entries:
        methods = entry.get("methods", {})
        model = (methods.get(style.MODEL) or {}).get("ade_pct")
        others = {m: v.get("ade_pct") for m, v in methods.items() if m != style.MODEL and isinstance(v, dict)}
        others = {m: v for m, v in others.items() if v is not None and math.isfinite(v)}
        if model is not None and math.isfinite(model) and others:
            best = min(others, key=others.get)
            out.append({"task": entry.get("task", "?"), "examples": entry.get("examples"), "split": entry.get("split"),
                        "model": model, "best": best, "best_value": others[best], "wins": entry.get("wins")})
    return out


