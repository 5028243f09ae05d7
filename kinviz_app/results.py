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
from kinviz.inference.prediction import PRIOR
from kinviz_app import figures, media, playback, scene, style, words

VIDEO_METRICS_FRAMES = 300  # PSNR and SSIM need every hidden frame drawn per method: 6.5 s for 2,000 x 4 on 2 cores
PLAYBACK_FRAMES = 240  # frames in the playback and the downloadable video at most (a window around the gaps)
# Frames of context the playback shows on either side of the first hidden stretch: a 61-frame stretch of a
# 7,200-frame file plays in 121 frames, not 240, and its GIF takes 0.6-0.7 s to make, not 1.1-1.35 s (each Run).
PLAYBACK_CONTEXT = 30
METRIC_COLUMNS = {"ade": "ADE", "ade_pct": "ADE %", "fde": "FDE", "fde_pct": "FDE %", "psnr": "PSNR (dB)", "ssim": "SSIM"}
MODEL_LABEL = style.name(style.MODEL)
# The app's own cap (Streamlit's server.maxUploadSize, .streamlit/config.toml): a request's work stays
# bounded. The command line reads files up to kinviz.MAX_BYTES and fills them in pieces of any length.
UPLOAD_MAX_BYTES = 10_000_000


def check_size(n_bytes: int) -> None:
    """Refuse a file over the app's limit before a byte of it is parsed, naming the command that fills it."""
    if n_bytes > UPLOAD_MAX_BYTES:
        raise kinviz.CSVError(
            f"the file is {n_bytes / 1e6:.1f} MB; the app takes files up to {UPLOAD_MAX_BYTES / 1e6:.0f} MB. The command "
            f"line fills recordings of any length (up to {kinviz.MAX_BYTES / 1e6:.0f} MB): "
            ".venv/bin/python -m kinviz predict FILE --out FILLED.csv"
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


# ----------------------------------------------------------------------------- the self-check


@dataclass(frozen=True)
class Expected:
    """The self-check's expected error over the filled cells: the mean of ``Prediction.expected`` where
    it could be measured (file units), over how many of the filled cells."""

    mean: float | None
    measured: int
    filled: int


def expected_error(prediction: kinviz.Prediction, cells: np.ndarray | None = None) -> Expected:
    """Over the filled cells, or over ``cells`` (T, K) bool (the scored ones)."""
    filled = prediction.filled if cells is None else cells
    expected = prediction.expected if prediction.expected is not None else np.full(filled.shape, np.nan)
    values = expected[filled & np.isfinite(expected)]
    return Expected(float(values.mean()) if len(values) else None, int(len(values)), int(filled.sum()))


def check_rows(prediction: kinviz.Prediction) -> list[dict]:
    """The self-check's table, one row per candidate, with the cells each filled (``composition``; the video
    model's method filled those its classical prior filled alone too): the report's rows and the page's table."""
    composition = prediction.composition()
    composition["video"] = composition.get("video", 0) + composition.pop(PRIOR, 0)
    rows = prediction.check.table() if prediction.check is not None else []
    return [{"method": r["method"], "probes": r["probes"], "error": _finite(r["error"]), "best_on": r["best_on"],
             "filled_cells": composition.get(r["method"], 0)} for r in rows]


CHECK_COLUMNS = {"probes": "probes", "error": "mean probe error", "best_on": "best on", "filled_cells": "cells filled"}


def check_table(prediction: kinviz.Prediction) -> pd.DataFrame | None:
    """Methods (as people name them) as rows: probes scored, mean probe error (file units), probes it was
    best on, cells of the fill it made; None when no self-check ran."""
    rows = check_rows(prediction)
    if not rows:
        return None
    table = pd.DataFrame(rows).set_index("method").rename(columns=CHECK_COLUMNS)
    table["mean probe error"] = table["mean probe error"].astype(float)
    return table.rename(index=style.name)


def other_fills(run: "Run") -> dict[str, np.ndarray]:
    """Every fill the run can draw beside kinviz's, in ``kinviz.METHODS`` order: the candidates the self-check
    weighed (``Prediction.fills``; where one has no answer the smoother's stands, as when scored) and the
    classical baselines."""
    fills, base = run.prediction.fills, run.result.baselines
    out = {}
    for m in kinviz.METHODS:
        if m in base:
            out[m] = base[m]
        elif m in fills and m != style.MODEL:
            out[m] = np.where(np.isfinite(fills[m]), fills[m], base["kalman"])
    return out


@dataclass
class Run:
    """One press of Run, ready to display and download."""

    source: str  # which input it was made from (example name or upload id)
    stem: str  # file name stem for downloads
    spec: str  # the mask as typed (SPEC syntax)
    prediction: kinviz.Prediction
    result: object  # kinviz.evaluation.evaluate.ExampleResult
    window: tuple[int, int]  # frames in the playback and the video download
    report: dict
    figures: dict = field(default_factory=dict, repr=False)  # (kind, band, parts) -> plotly figure
    strips: dict = field(default_factory=dict, repr=False)  # first frame -> PNG of the frame strip

    @cached_property
    def others(self) -> dict[str, np.ndarray]:
        """The fills that can be drawn beside kinviz's (``other_fills``)."""
        return other_fills(self)

    @cached_property
    def parts(self) -> list[str]:
        """The parts drawn until the user picks others: the hidden ones and their nearest partners."""
        return figures.drawn_parts(self.prediction, None)

    def figure(self, kind: str, band: bool = True, parts: tuple[str, ...] = ()):
        """The 'coords', 'path' or 'errors' figure for these parts, every other fill in it (those but
        ``style.default_baselines`` switched off, in the legend), or the 'fill' in the scene (no other fills),
        built once per run: a rerun of the page (the strip's slider, a seed typed) reuses it."""
        parts = tuple(parts) or tuple(self.parts)
        key = (kind, bool(band) and kind not in ("errors", "fill"), parts if kind != "errors" else ())
        if key not in self.figures:
            others = self.others
            off = tuple(m for m in others if m not in style.default_baselines())
            pred = self.prediction
            if kind == "fill":
                self.figures[key] = figures.fill_figure(pred.trajectory, ~pred.filled,
                                                        np.where(pred.filled[..., None], pred.positions, np.nan),
                                                        parts=list(parts))
            elif kind == "errors":
                self.figures[key] = figures.error_figure(pred, others, off)
            else:
                draw = figures.coords_figure if kind == "coords" else figures.path_figure
                self.figures[key] = draw(pred, others, band=band, parts=list(parts), off=off)
        return self.figures[key]

    def strip(self, start: int, frames: int) -> bytes:
        """PNG of the frame strip from ``start``, drawn once per run and start."""
        if start not in self.strips:
            stop = min(self.prediction.trajectory.n_frames, start + frames)
            self.strips[start] = media.png(media.strip_image(self.prediction, start, stop))
        return self.strips[start]

    @cached_property
    def playback(self) -> str:
        """HTML of the playback over ``window``: ground truth beside the fill, drawn by the browser
        (``kinviz_app.playback``)."""
        return playback.html_of(playback.frames(self.prediction, *self.window), "predict")

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
    window = scene.focus_window(focus(prediction), PLAYBACK_FRAMES, PLAYBACK_CONTEXT)
    stem = PurePath(traj.source_name or "trajectory").stem
    truth_ok = has_ground_truth(result)
    expected = expected_error(prediction)
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
        "composition": prediction.composition(),
        "expected_error": {"mean": _finite(expected.mean), "cells_measured": expected.measured,
                           "cells_filled": expected.filled, "units": "the file's units"},
        "self_check": {"seconds": _finite(getattr(prediction.check, "seconds", None)),
                       "probes": len(prediction.check.probes) if prediction.check is not None else 0,
                       "methods": check_rows(prediction)},
        "ground_truth": truth_ok,
        "metrics": {m: {k: _finite(v) for k, v in values.items()} for m, values in result.metrics.items()} if truth_ok else None,
        "reader_warnings": traj.warnings,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return Run(
        source=source, stem=stem, spec=spec, prediction=prediction, result=result, window=window,
        report=report,
    )


@dataclass
class Demo:
    """The landing page's fill: its playback (HTML of ``kinviz_app.playback``) and a caption with its measured errors."""

    playback: str
    caption: str


def demo(prediction: kinviz.Prediction, name: str) -> Demo:
    """Truth beside kinviz's fill over the whole recording, and what the fill scored against the best baseline."""
    result = kinviz.score(prediction, with_video=False)
    ade = {m: v.get("ade_pct") for m, v in result.metrics.items()}
    best = min((m for m in ade if m in kinviz.BASELINES), key=lambda m: ade[m])
    hidden = kinviz.format_mask(prediction.hidden)
    outcome = {"better": "kinviz is closer", "worse": f"{style.name(best)} is closer",
               "tie": "a tie"}[
        words.verdict(ade[style.MODEL], ade[best])]
    caption = (f"{name}: frames {hidden} hidden (amber); the recording on the left, kinviz's fill on the right "
               f"({words.composition_words(prediction.composition(), short=True)}). Error over the hidden frames: "
               f"kinviz {ade[style.MODEL]:.2f} %, best classical fill ({style.name(best)}) {ade[best]:.2f} % of the "
               f"scene's size: {outcome}.")
    return Demo(playback.html_of(playback.frames(prediction, 0, prediction.trajectory.n_frames), "home"), caption)


# ----------------------------------------------------------------------------- evaluation and the record


def per_example(report) -> pd.DataFrame:
    """One row per recording, the comparison first: kinviz's ADE %, the best classical baseline, its ADE %,
    and how far kinviz is from it (negative = kinviz is better); then every other method's ADE % (the models'
    own fills and the baselines, in ``kinviz.METHODS`` order). Worst kinviz error first. Methods by their
    human names."""
    rows = report.rows
    ade = rows.pivot(index="example", columns="method", values="ade_pct")
    others = [m for m in kinviz.METHODS if m != style.MODEL and m in ade.columns]
    baselines = [m for m in others if m in kinviz.BASELINES]
    model = rows[rows.method == style.MODEL].set_index("example")
    best = ade[baselines].idxmin(axis=1)
    out = pd.DataFrame({
        "example": ade.index,
        "kinviz ADE %": ade[style.MODEL].to_numpy(),
        "best baseline": best.map(style.name).to_numpy(),
        "best baseline ADE %": ade[baselines].min(axis=1).to_numpy(),
        "kinviz − best (pp)": (ade[style.MODEL] - ade[baselines].min(axis=1)).to_numpy(),
        "hidden frames": [int(r.mask.sum()) for r in _by_name(report, ade.index)],
        "kinviz FDE %": model.loc[ade.index, "fde_pct"].to_numpy(),
        **{f"{style.name(m)} ADE %": ade[m].to_numpy() for m in others},
    })
    return out.sort_values("kinviz ADE %", ascending=False, na_position="last").reset_index(drop=True)


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
    """Per task in the checkpoint's record: {task, examples, split, model, best, best_value, wins, paired} (ADE %;
    best = the best classical baseline's key; paired = the record's paired difference against it, or None). Never invents a number: where the record has no finite
    figure for kinviz's fill or for any baseline, ``model`` (or ``best`` and ``best_value``) is None, said
    as "not measured". A record of another shape (keys renamed, values missing) gives what it can."""
    record = meta.get("metrics")
    if not isinstance(record, dict):
        return []
    entries = [record] if "methods" in record else [v for v in record.values() if isinstance(v, dict)]
    out = []
    for entry in entries:
        methods = entry.get("methods")
        if not isinstance(methods, dict):
            continue
        ade = {m: _ade(v) for m, v in methods.items()}
        others = {m: v for m, v in ade.items() if m in kinviz.BASELINES and v is not None}
        best = min(others, key=others.get) if others else None
        if ade.get(style.MODEL) is None and best is None:
            continue
        examples, wins = entry.get("examples"), entry.get("wins")
        paired = next((p for p in entry.get("paired") or () if isinstance(p, dict) and p.get("method") == style.MODEL
                       and p.get("against") == best), None)  # kinviz minus the best baseline, recording by recording
        out.append({"task": str(entry.get("task", "?")), "examples": examples if isinstance(examples, int) else None,
                    "split": entry.get("split"), "model": ade.get(style.MODEL), "best": best,
                    "best_value": others.get(best), "wins": wins if isinstance(wins, int) else None,
                    "paired": paired})
    return out


def _ade(value) -> float | None:
    """A method's ADE % from the record, or None when it is not there or not a finite number."""
    v = value.get("ade_pct") if isinstance(value, dict) else None
    return float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None
