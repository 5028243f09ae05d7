"""What a Predict run leaves behind: the prediction, its scores, videos and a report, built once
and kept in session state so re-renders and downloads never re-run the model. No Streamlit here."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from pathlib import PurePath

import numpy as np
import pandas as pd

import kinviz
from kinviz import MAX_BYTES
from kinviz_app import style, views

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


def quoted(text: str, limit: int = 40) -> str:
    """Text from outside (a URL's query, a file name) for markdown: printable characters only, cut to
    ``limit``, in a code span, so that it can never become a link, emphasis or a formula."""
    text = "".join(c for c in str(text) if c.isprintable() and c != "`")
    return f"`{text[:limit]}{'…' if len(text) > limit else ''}`"


def plain(text) -> str:
    """A message that may carry text from outside (a file's cell, a typed mask) for markdown: the characters
    that make links, emphasis, code, HTML or formulas escaped, and bare web addresses broken, so it shows as
    written and never becomes a link."""
    text = "".join(c for c in str(text) if c.isprintable())
    text = re.sub(r"([\\`*_\[\]()<>~$|#])", r"\\\1", text)
    return re.sub(r"(?i)(?<=www)\.|(?<=:)//", lambda m: "".join("\\" + c for c in m.group(0)), text)


def objects_words(names: list[str]) -> str:
    """'1 object' for a file with one unnamed object, else '2 objects: ball, cart'."""
    if names == [kinviz.core.trajectory.DEFAULT_NAME]:
        return "1 object"
    return f"{len(names)} object{'s' * (len(names) != 1)}: {', '.join(names)}"


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
    return table.rename(index=style.name)


def _finite(v):
    return None if v is None or not math.isfinite(float(v)) else round(float(v), 6)


@dataclass
class Effect:
    """What the model did in one run: how many filled cells it moved off the classical fill, and how far."""

    filled: int
    changed: int
    max_shift: float  # CSV units
    mean_share: float  # the model's mean weight in the cells it changed (0..1)
    scene: float  # CSV units: the scene's size, for percentages


def model_effect(prediction: kinviz.Prediction) -> Effect:
    changed = views.model_changed(prediction)
    shift = np.linalg.norm(prediction.positions - views.classical_fill(prediction), axis=-1)
    weight = prediction.weight if prediction.weight is not None else np.ones(changed.shape)
    return Effect(int(prediction.filled.sum()), int(changed.sum()),
                  float(shift[changed].max()) if changed.any() else 0.0,
                  float(weight[changed].mean()) if changed.any() else 0.0, views.scene_size(prediction.trajectory))


def effect_words(effect: Effect) -> str:
    """One plain sentence: which filled cells are the model's, which the smoother's, and by how much it moved them."""
    classical = "the Kalman smoother's fill"
    if effect.filled == 0:
        return "Nothing was filled."
    if effect.changed == 0:
        return (f"**The model changed none of the {effect.filled} filled cells**: every filled value is {classical} "
                "(the model's drawing agreed with it, or was not trusted over it). The model line is that fill.")
    rest = effect.filled - effect.changed
    return (f"**The model changed {effect.changed} of the {effect.filled} filled cells** (dots on the plots), by up "
            f"to {number(effect.max_shift)} ({number(100 * effect.max_shift / effect.scene)} % of the scene), with "
            f"{effect.mean_share:.0%} of the weight there on average"
            + (f"; the other {rest} are {classical}." if rest else "."))


def number(v: float, digits: int = 3) -> str:
    """A number for people: ``digits`` significant digits, no exponent (9.934e-05 -> 0.0000993; 12345.6 -> 12,346)."""
    if v is None or not math.isfinite(v):
        return "–"
    if v == 0:
        return "0"
    places = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    return f"{v:,.{min(places, 8)}f}"


def column_decimals(column: str) -> int | None:
    """Decimals a metrics column is shown to: % to 2, dB to 1, SSIM to 3; None for the file's own units
    (each value to 3 significant digits, ``number``: files range from metres to thousands of pixels)."""
    if column.endswith("%"):
        return 2
    if column.startswith("PSNR"):
        return 1
    if column.startswith("SSIM"):
        return 3
    return None


def as_shown(column: str, v: float) -> float:
    """``v`` rounded as the table shows it, so that comparisons are of what people read."""
    d = column_decimals(column)
    if not math.isfinite(v) or v == 0:
        return v
    return round(v, d) if d is not None else float(f"{v:.3g}")


def cell_text(column: str, v: float) -> str:
    d = column_decimals(column)
    return "–" if not math.isfinite(v) else (f"{v:,.{d}f}" if d is not None else number(v))


def best_rows(table: pd.DataFrame, column: str) -> list[str]:
    """The row that is best in ``column`` as displayed (rounded), or [] on a tie at the top."""
    shown = table[column].astype(float).map(lambda v: as_shown(column, v))
    shown = shown[np.isfinite(shown)]
    if len(shown) < 2:
        return []
    best = shown.max() if column.startswith(("PSNR", "SSIM")) else shown.min()
    rows = shown.index[shown == best].tolist()
    return rows if len(rows) == 1 else []


def highlight_best(table: pd.DataFrame, *, images: bool = False):
    """A Styler: each column as people read it (``cell_text``), the best method in bold on green only
    where it beats every other as displayed: never on a tie. PSNR and SSIM are highlighted only when
    ``images``: they compare drawn frames (the model's own, the others' drawn from positions), so they
    differ even where two methods' positions are the same."""
    best = "font-weight: bold; background-color: #dff3e4"
    by_name = {style.name(m): m for m in style.METHODS}
    styler = table.style.format({c: (lambda v, c=c: cell_text(c, v)) for c in table.columns})
    for column in table.columns:
        if column.startswith(("PSNR", "SSIM")) and not images:
            continue
        winners = best_rows(table, column)
        if winners:
            styler = styler.map(lambda _: best, subset=pd.IndexSlice[winners, [column]])
    return styler.map_index(lambda n: f"color: {style.colour(by_name.get(n, n))}; font-weight: bold")


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
    figures: dict = field(default_factory=dict, repr=False)  # (kind, baselines, band) -> plotly figure, made once

    def figure(self, kind: str, baselines: tuple[str, ...], band: bool = True):
        """The 'coords', 'path' or 'errors' figure for these baselines, or the 'fill' in the scene (no baselines),
        built once per run: a rerun of the page (a toggle, the strip's slider) reuses it."""
        key = (kind, tuple(baselines), bool(band) and kind not in ("errors", "fill"))
        if key not in self.figures:
            chosen = {m: self.result.baselines[m] for m in baselines if m in self.result.baselines}
            pred = self.prediction
            if kind == "fill":
                self.figures[key] = views.fill_figure(pred.trajectory, ~pred.filled,
                                                      np.where(pred.filled[..., None], pred.positions, np.nan))
            elif kind == "errors":
                self.figures[key] = views.error_figure(self.prediction, chosen)
            else:
                draw = views.coords_figure if kind == "coords" else views.path_figure
                self.figures[key] = draw(self.prediction, chosen, band=band)
        return self.figures[key]

    @cached_property
    def video(self) -> bytes:
        """GIF of the prediction alone over ``window``, made when first asked for (its download)."""
        a, b = self.window
        return views.video_gif(kinviz.video(self.prediction, "pred", a, b), self.prediction.hidden[a:b])

    @property
    def csv_name(self) -> str:  # a tracker's .txt (MOT, Tracker) or a .tsv keeps its suffix
        suffix = PurePath(self.prediction.trajectory.source_name).suffix.lower()
        return f"{self.stem}-filled{suffix if suffix in ('.txt', '.tsv') else '.csv'}"

    def report_json(self) -> str:
        return json.dumps(self.report, indent=1)


def build_run(prediction: kinviz.Prediction, *, source: str, spec: str, meta: dict, device: str) -> Run:
    """Score a prediction against the baselines and make everything the page shows and offers."""
    traj = prediction.trajectory
    result = kinviz.score(prediction, with_video=traj.n_frames <= VIDEO_METRICS_FRAMES)
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
        "smoother_only_cells": int(prediction.smoother_only.sum()),
        "model_changed_cells": int(views.model_changed(prediction).sum()),
        "ground_truth": truth_ok,
        "metrics": {m: {k: _finite(v) for k, v in values.items()} for m, values in result.metrics.items()} if truth_ok else None,
        "reader_warnings": traj.warnings,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return Run(
        source=source, stem=stem, spec=spec, prediction=prediction, result=result, window=window,
        playback=views.playback_gif(prediction, *window), report=report,
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
               "tie": "a tie: the model kept the classical fill"}[verdict(ade[style.MODEL], ade[best])]
    caption = (f"{name}: frames {hidden} hidden (amber); the recording on the left, the model's fill on the right. "
               f"Error over the hidden frames: model {ade[style.MODEL]:.2f} %, best classical fill ({style.name(best)}) "
               f"{ade[best]:.2f} % of the scene's size: {outcome}.")
    return Demo(views.playback_gif(prediction, 0, prediction.trajectory.n_frames), caption)


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


def coinciding(report, task: str) -> list[str]:
    """A sentence for each pair of baselines that gave the same fills on every recording, saying why
    where that holds by definition (linear and constant velocity both extend the last two seen frames
    into a forecast)."""
    ade = report.rows.pivot(index="example", columns="method", values="ade_pct")
    baselines = [m for m in kinviz.BASELINES if m in ade.columns]
    why = {("linear", "constant_velocity"): "both extend the line through the last two seen frames"}
    notes = []
    for i, a in enumerate(baselines):
        for b in baselines[i + 1 :]:
            if np.allclose(ade[a], ade[b], rtol=1e-9, atol=1e-12, equal_nan=True):
                reason = why.get((a, b)) if task == "forecast" else None
                notes.append(f"{style.name(a).capitalize()} and {style.name(b)} score the same here: "
                             + (f"on a forecast they are the same fill by definition ({reason})." if reason
                                else "they gave the same fills on these recordings."))
    return notes


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


TASK_WORDS = {"interpolate": "Filling a gap in the middle", "forecast": "Continuing past the end",
              "random": "Filling scattered frames", "occlude": "Filling parts of a body lost while others are seen"}


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


def headline_words(head: dict) -> str:
    """One plain sentence: the model's error against the best classical fill's, in % of the scene's size."""
    task = TASK_WORDS.get(head["task"], head["task"])
    model, best, name = head["model"], head["best_value"], style.name(head["best"])
    outcome = verdict(model, best, 1)
    if outcome == "better":
        verdict_words = f"the model's error is **{1 - model / best:.0%} smaller**"
    elif outcome == "worse":
        verdict_words = f"**{name} is better here** (the model's error is {model / best - 1:.0%} larger)"
    else:
        verdict_words = "**a tie**: the model's fill is the classical one there"
    wins = head.get("wins")
    count = (f" It is closer than every classical fill on **{wins} of {head['examples']}** recordings."
             if isinstance(wins, int) and head.get("examples") else "")
    return (f"**{task}**: the model is off by {model:.1f} % of the scene's size on average, the best classical "
            f"fill ({name}) by {best:.1f} %: {verdict_words}.{count}")


def score_words(table: pd.DataFrame) -> str:
    """One sentence on a run's metrics table: the model's ADE % against the best classical fill's, and
    which is better as shown (a tie is a tie)."""
    ade = table["ADE %"].astype(float)
    model = ade.get(MODEL_LABEL, np.nan)
    others = ade.drop(index=MODEL_LABEL).dropna()
    if not math.isfinite(model) or others.empty:
        return ""
    best = others.idxmin()
    outcome = verdict(model, others[best])
    words = {"better": f"**the model is closer** by {others[best] - model:.2f} points",
             "worse": f"**{best} is closer** by {model - others[best]:.2f} points",
             "tie": "**a tie**: the same error as shown"}[outcome]
    return (f"Mean error over these cells: the model {model:.2f} % of the scene's size, the best classical fill "
            f"({best}) {others[best]:.2f} %: {words}.")


def verdict(model: float, best: float, decimals: int = 2) -> str:
    """'better', 'worse' or 'tie' for a lower-is-better error, compared as displayed (rounded)."""
    m, b = round(model, decimals), round(best, decimals)
    return "tie" if m == b else ("better" if m < b else "worse")
