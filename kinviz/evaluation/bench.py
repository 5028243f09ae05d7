"""``python -m kinviz bench``: quality, speed, size and training figures, as Markdown tables.

Quality: for each motion family and task, the model against every baseline (ADE and FDE as % of
the scene diagonal) on a held-out generated split (parameters drawn from a seed training never
used) and on real trajectories; the tokenizer floor (``predict(..., oracle=True)``: the hidden
frames' own tokens decoded) beside it; the fill's roughness against the truth's, how often the
truth falls inside the model's 95 % band, and the model's share of the fused fill. ``--ablate``
scores each decoding mechanism switched off on the tuning split. Speed: cold and warm latency for several sizes, load time,
peak memory, the baselines' time on the same inputs. Training: the checkpoint's own record.
"""

from __future__ import annotations

import json
import platform
import resource
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from dataclasses import replace

from ..training import generate
from ..classical.baselines import BASELINES, fill_all, fill_baseline
from ..videomodel.checkpoint import default_path, resolve_device
from .evaluate import load_many, score
from ..io.formats import load_track
from ..core.masks import PART_TASKS, TASKS, task_mask
from .metrics import mean_over_examples, trajectory_metrics
from ..inference.predict import Prediction, Predictor
from ..training.splits import TUNING_SEED, body_split, held_out, segments, tuning_split
from ..io.csv import from_arrays

COLUMNS = ("magvit", "floor") + BASELINES
ALL_TASKS = TASKS + PART_TASKS
BAND_Z = 2.0  # the app draws the fill +- 2 standard deviations (kinviz_app.style.BAND_SD): about 95 % if calibrated


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


CALIBRATION_Z = (1.0, 2.0, 3.0)  # the band's width in s.d.; a Gaussian holds 68.3, 95.4, 99.7 % within them


def calibration_table(splits: dict[str, list[dict]]) -> str:
    """Markdown: the share of hidden coordinates inside the fill +- z s.d., per split and task, beside a Gaussian's."""
    lines = ["**Calibration of the band** — share of hidden coordinates whose truth lies within the fill ± z s.d. "
             "(a calibrated band matches the Gaussian row; the app draws z = 2)", "",
             "| split | task | n | " + " | ".join(f"z = {z:g}" for z in CALIBRATION_Z) + " |",
             "|---|---|---|" + "---|" * len(CALIBRATION_Z),
             "| Gaussian | | | 68 % | 95 % | 100 % |"]
    for name, rows in splits.items():
        for task in ALL_TASKS:
            sub = [r for r in rows if r["task"] == task]
            if sub:
                cov = [100 * float(np.nanmean([r[f"coverage_{z:g}"] for r in sub])) for z in CALIBRATION_Z]
                lines.append(f"| {name} | {task} | {len(sub)} | " + " | ".join(f"{c:.0f} %" for c in cov) + " |")
    return "\n".join(lines)


def quality(predictor: Predictor, items: list, seed: int = 0, tasks=TASKS) -> list[dict]:
    """One row per (group, task, trajectory): ade_pct and fde_pct per method, floor included, and
    the model's roughness, band coverage and share of the fused fill."""
    rows = []
    for group, traj in tqdm(items, desc="quality", unit="trajectory", disable=None):  # stderr, terminals only
        for task in tasks:
            mask = task_mask(task, traj.n_frames, seed=seed, n_objects=traj.n_objects)
            result = score(predictor.predict(traj, mask, seed=seed), with_video=False)
            floor = predictor.predict(traj, mask, seed=seed, oracle=True)
            pred = result.prediction
            cells = pred.filled & ~traj.missing
            metrics = result.metrics | {"floor": trajectory_metrics(traj.positions, floor.positions, cells)}
            row = {"group": group, "task": task}
            for m in COLUMNS:
                row[f"{m}_ade"] = metrics[m]["ade_pct"]
                row[f"{m}_fde"] = metrics[m]["fde_pct"]
            row["fallback"] = float(pred.fallback.sum() / max(1, pred.filled.sum()))
            row["roughness"] = roughness(traj.positions, pred.positions, cells)
            row["kalman_roughness"] = roughness(traj.positions, result.baselines["kalman"], cells)
            row["coverage"] = coverage(pred, cells)
            row |= {f"coverage_{z:g}": coverage(pred, cells, z) for z in CALIBRATION_Z}
            row["weight"] = float(pred.weight[cells].mean()) if cells.any() else float("nan")
            rows.append(row)
    return rows


def examples_roughness(predictor: Predictor) -> dict:
    """The bundled examples with their middle third hidden (long gaps, seen at a stride): how jagged
    the model's and the smoother's fills are against the truth (``roughness``), and their ADE %."""
    rows = []
    for traj in tqdm(load_many([generate.EXAMPLES_DIR]), desc="examples", unit="file", disable=None):
        mask = task_mask("interpolate", traj.n_frames)
        result = score(predictor.predict(traj, mask, seed=0), with_video=False)
        cells = result.prediction.filled & ~traj.missing
        rows.append({"frames": traj.n_frames, "roughness": roughness(traj.positions, result.prediction.positions, cells),
                     "kalman_roughness": roughness(traj.positions, result.baselines["kalman"], cells),
                     "magvit_ade": result.metrics["magvit"]["ade_pct"], "kalman_ade": result.metrics["kalman"]["ade_pct"]})
    m = lambda k: float(np.nanmean([r[k] for r in rows]))  # noqa: E731
    return {"n": len(rows), "frames": [min(r["frames"] for r in rows), max(r["frames"] for r in rows)],
            "roughness": m("roughness"), "roughness_max": float(np.nanmax([r["roughness"] for r in rows])),
            "kalman_roughness": m("kalman_roughness"), "magvit_ade": m("magvit_ade"), "kalman_ade": m("kalman_ade")}


def examples_table(ex: dict) -> str:
    return "\n".join([
        f"**Bundled examples, middle third hidden** ({ex['n']} files of {ex['frames'][0]}-{ex['frames'][1]} frames: "
        "long gaps, seen at a stride) — roughness of the fill (mean absolute second difference over the truth's; 1 = as "
        "smooth as the motion)", "",
        "| | roughness, mean (largest file) | ADE % |", "|---|---|---|",
        f"| MAGVIT model | {ex['roughness']:.2f} ({ex['roughness_max']:.2f}) | {ex['magvit_ade']:.2f} |",
        f"| Kalman smoother | {ex['kalman_roughness']:.2f} | {ex['kalman_ade']:.2f} |"])


def extras_table(rows: list[dict], title: str) -> str:
    """Markdown: per group and task, roughness (model, smoother), band coverage, model share."""
    lines = [f"**{title}** — roughness of the fill (median over trajectories; 1 = the truth's), coverage of the ±2 s.d. band (95 % if calibrated), the "
             "model's share of the fused fill, cells where the smoother stood in", "",
             "| group | task | n | roughness: model | roughness: kalman | truth inside band | model's share | smoother stood in |",
             "|---|---|---|---|---|---|---|---|"]
    for task in ALL_TASKS:
        for g in sorted({r["group"] for r in rows}) + ["all"]:
            sub = [r for r in rows if r["task"] == task and (g == "all" or r["group"] == g)]
            if not sub:
                continue
            m = lambda k: float(np.nanmean([r[k] for r in sub]))  # noqa: E731
            med = lambda k: float(np.nanmedian([r[k] for r in sub]))  # noqa: E731 - a straight truth has ~0 roughness
            name = f"**{g}**" if g == "all" else g
            lines.append(f"| {name} | {task} | {len(sub)} | {med('roughness'):.2f} | {med('kalman_roughness'):.2f} | "
                         f"{100 * m('coverage'):.0f} % | {m('weight'):.2f} | {100 * m('fallback'):.0f} % |")
    return "\n".join(lines)


def quality_table(rows: list[dict], title: str) -> str:
    """Markdown: group x task, ADE% (FDE%) per method, best baseline and whether the model beats it."""
    lines = [f"**{title}** — ADE % of scene diagonal (FDE % in brackets); lower is better", "",
             "| group | task | n | " + " | ".join(COLUMNS) + " | model vs best baseline |",
             "|---|---|---|" + "---|" * len(COLUMNS) + "---|"]
    groups = sorted({r["group"] for r in rows}) + ["all"]
    for task in ALL_TASKS:
        for g in groups:
            sub = [r for r in rows if r["task"] == task and (g == "all" or r["group"] == g)]
            if not sub:
                continue
            mean = mean_over_examples([{k: v for k, v in r.items() if k not in ("group", "task")} for r in sub])
            cells = [f"{mean[f'{m}_ade']:.2f} ({mean[f'{m}_fde']:.2f})" for m in COLUMNS]
            best = min(BASELINES, key=lambda b: mean[f"{b}_ade"])
            verdict = "wins" if mean["magvit_ade"] < mean[f"{best}_ade"] else "loses"
            name = f"**{g}**" if g == "all" else g
            lines.append(f"| {name} | {task} | {len(sub)} | " + " | ".join(cells) + f" | {verdict} vs {best} |")
    return "\n".join(lines)


# Each task against the Kalman smoother (the fill trackers trust), and against the simplest fill.
COMPARISONS = (("interpolate", "kalman"), ("forecast", "kalman"), ("random", "kalman"),
               ("interpolate", "linear"), ("forecast", "constant_velocity"),
               ("occlude", "kalman"), ("occlude", "covisible"))


def paired(rows: list[dict], task: str, reference: str) -> dict:
    """Model minus ``reference`` ADE %, trajectory by trajectory: mean, standard error, wins.

    The same trajectories and masks for both, so the spread of the differences, not of the errors,
    says whether a gap between the means is more than the luck of the draw."""
    sub = [r for r in rows if r["task"] == task]
    d = np.array([r["magvit_ade"] - r[f"{reference}_ade"] for r in sub])
    mean = float(d.mean()) if len(d) else float("nan")
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
    ratio = float(np.mean([r["magvit_ade"] for r in sub]) / max(np.mean([r[f"{reference}_ade"] for r in sub]), 1e-12)) if sub else float("nan")
    return {"n": len(d), "mean": mean, "se": se, "wins": int((d < 0).sum()), "ratio": ratio}


def paired_all(splits: dict[str, list[dict]]) -> dict:
    """``paired`` for every split and each of ``COMPARISONS``: {split: [{"task", "against", "n", ...}]}."""
    return {name: [{"task": task, "against": ref} | paired(rows, task, ref) for task, ref in COMPARISONS]
            for name, rows in splits.items()}


def paired_table(results: dict) -> str:
    """Markdown of ``paired_all``: per split and task, the model against the target's baseline."""
    lines = ["| split | task | against | n | model − baseline, mean ± s.e. (ADE %) | model / baseline (mean ADE) | model better on |",
             "|---|---|---|---|---|---|---|"]
    for name, comparisons in results.items():
        for p in comparisons:
            if p["n"]:
                lines.append(f"| {name} | {p['task']} | {p['against']} | {p['n']} | {p['mean']:+.2f} ± {p['se']:.2f} | "
                             f"{p['ratio']:.2f}x | {p['wins']} of {p['n']} |")
    return "\n".join(lines)


def record_metrics(rows: list[dict]) -> dict:
    """Held-out means per task in ``Report.to_json`` form, keyed by task, for the checkpoint's record."""
    out = {}
    for task in ALL_TASKS:
        sub = [{k: v for k, v in r.items() if k not in ("group", "task")} for r in rows if r["task"] == task]
        if not sub:
            continue
        mean = mean_over_examples(sub)
        cell = lambda m: {"ade_pct": round(mean[f"{m}_ade"], 4), "fde_pct": round(mean[f"{m}_fde"], 4)}  # noqa: E731
        split = "held-out simulated bodies, 120 frames" if task in PART_TASKS else "held-out generated, 48 frames"
        # Closer than every baseline on a trajectory, to the 0.01 points the Evaluate page shows: a tie is no win.
        wins = sum(round(r["magvit_ade"] - np.nanmin([r[f"{m}_ade"] for m in BASELINES]), 2) < 0 for r in sub)
        out[task] = {"task": task, "examples": len(sub), "split": split, "wins": int(wins),
                     "methods": {m: cell(m) for m in ("magvit",) + BASELINES}, "tokenizer_floor": cell("floor")}
    return out


def _timed(fn, repeats: int) -> tuple[float, list[float]]:
    """(first call seconds, later calls' seconds)."""
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return first, times


def speed(path: Path, device: str, quick: bool) -> dict:
    """Load time, cold/warm latency per size, the baselines' time, peak memory."""
    loads = []
    for _ in range(3):
        t = time.perf_counter()
        Predictor.load(path, device=device)
        loads.append(time.perf_counter() - t)
    predictor = Predictor.load(path, device=device)
    rng = np.random.default_rng(0)
    sizes = [16, 48, 256, 2000] + ([] if quick else [20000])
    rows = []
    for n in sizes:
        for k in (1, 2, 4) if n <= 256 else (1, 4):  # 2 objects: the speed target's case
            for task in ("interpolate", "random"):
                if task == "random" and n > 2000:
                    continue  # the largest random request is the worst-case line (``worst_case``)
                traj = synthetic(n, k, rng)
                mask = task_mask(task, n, seed=0)
                repeats = 1 if (quick or n >= 2000) else 9
                cold, warm = _timed(lambda: predictor.predict(traj, mask, seed=0), repeats)
                known = np.where(mask[:, None, None], np.nan, traj.positions)
                _, base = _timed(lambda: fill_all(traj.times, known, mask), 3)
                _, kal = _timed(lambda: fill_baseline("kalman", traj.times, known, mask), 3)
                rows.append({
                    "frames": n, "objects": k, "task": task, "cold_s": cold,
                    "warm_median_s": float(np.median(warm)), "warm_p95_s": float(np.percentile(warm, 95)),
                    "baselines_s": float(np.median(base)), "kalman_s": float(np.median(kal)),
                })
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"load_s_median": float(np.median(loads)), "load_s_max": float(max(loads)), "latency": rows,
            "peak_rss_mb": peak_mb, "checkpoint_mb": path.stat().st_size / 1e6,
            "worst_case": None if quick else worst_case(path, device)}


WORST_CASE = (20_000, 16, "random")  # frames, objects, mask: the largest request the speed table tries

def synthetic(n: int, k: int, rng: np.random.Generator):
    """A trajectory of n frames and k objects for timing: a projectile, or colliding pucks (2-3)
    with shifted copies added to reach k."""
    s = generate.simulate("collision" if k > 1 else "projectile", rng, n_frames=n)
    pos = s.positions
    if pos.shape[1] < k:
        pos = np.concatenate([pos] + [pos + 10.0 * (i + 1) for i in range(k // pos.shape[1])], axis=1)
    return from_arrays(s.times, pos[:, :k])


def worst_case_child(path: str, device: str) -> None:
    """Run in a fresh process by ``worst_case``: the request, then one JSON line on stdout."""
    from ..core.errors import KinvizError

    n, k, task = WORST_CASE
    predictor = Predictor.load(path, device=device)
    traj = synthetic(n, k, np.random.default_rng(0))
    t = time.perf_counter()
    try:
        predictor.predict(traj, task_mask(task, n, seed=0))
        outcome = "filled"
    except KinvizError as e:
        outcome = f"refused: {e}"
    print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - t,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def worst_case(path: Path, device: str) -> dict:
    """The largest request, in a process of its own so that its peak memory is its own: it must
    finish or be refused with a message, within bounded memory."""
    import subprocess
    import sys

    n, k, task = WORST_CASE
    code = f"from kinviz.evaluation.bench import worst_case_child; worst_case_child({str(path)!r}, {device!r})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    if done.returncode != 0:
        return {"frames": n, "objects": k, "task": task, "outcome": f"crashed: {done.stderr.strip().splitlines()[-1:]}"}
    return {"frames": n, "objects": k, "task": task} | json.loads(done.stdout.strip().splitlines()[-1])


def speed_table(sp: dict) -> str:
    lines = [f"Model load: median {sp['load_s_median']:.2f} s (max {sp['load_s_max']:.2f} s); "
             f"checkpoint {sp['checkpoint_mb']:.1f} MB; peak RSS of the benchmark process {sp['peak_rss_mb']:.0f} MB.", "",
             f"| frames | objects | mask | cold (s) | warm median (s) | warm p95 (s) | Kalman smoother alone (s) | all {len(BASELINES)} baselines (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in sp["latency"]:
        lines.append(f"| {r['frames']} | {r['objects']} | {r['task']} | {r['cold_s']:.3f} | {r['warm_median_s']:.3f} | "
                     f"{r['warm_p95_s']:.3f} | {r['kalman_s']:.4f} | {r['baselines_s']:.4f} |")
    if (w := sp.get("worst_case")) is not None:
        lines += ["", f"Largest request, {w['frames']:,} frames x {w['objects']} objects, {w['task']} mask, in a process "
                      f"of its own: {w['outcome']} after {w.get('seconds', float('nan')):.1f} s; peak RSS "
                      f"{w.get('peak_rss_mb', float('nan')):.0f} MB (model loaded)."]
    return "\n".join(lines)


FOLDER = (200, 48, (1, 2))  # files, frames per file, worker processes: the "a folder of 200 files, 1 and 2 workers"
FOLDER_TOOLS = ("deeplabcut", "sleap", "trackmate", "tracker", "mot")  # the folder's files cycle through these
FOLDER_FAMILIES = ("projectile", "pendulum", "spring", "collision")


def folder_speed(path: Path, device: str, quick: bool) -> list[dict]:
    """`predict DIR --out-dir OUT --jobs N --mask interpolate` (``batch.run``) over a folder of small generated
    tracker files, one row per N: total seconds (worker start and model loads included) and files per second."""
    import tempfile

    from ..inference.batch import Job, plan, run
    from tools.format_examples import example  # needs a checkout of kinviz: bench runs from one

    n_files, n_frames, workers = FOLDER
    n_files = 20 if quick else n_files
    rng = np.random.default_rng(0)
    job = Job(mask="interpolate", min_confidence=0.6, seed=0, steps=None, checkpoint=str(path), device=device)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kinviz-folder-") as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        for i in range(n_files):
            fmt, family = FOLDER_TOOLS[i % len(FOLDER_TOOLS)], FOLDER_FAMILIES[i % len(FOLDER_FAMILIES)]
            (src / f"{i:03d}-{fmt}.csv").write_text(example(fmt, family, n_frames, rng), encoding="utf-8")
        for n in workers:
            pairs = plan([str(src)], str(Path(tmp) / f"out-{n}"))
            t = time.perf_counter()
            done = run(pairs, job, jobs=n)
            seconds = time.perf_counter() - t
            rows.append({"files": n_files, "frames": n_frames, "workers": n, "total_s": seconds,
                         "files_per_s": n_files / seconds, "failed": sum(not d.ok for d in done)})
    return rows


def folder_table(rows: list[dict]) -> str:
    """Markdown: a whole folder filled by `predict --out-dir` with 1 and 2 worker processes."""
    r0 = rows[0]
    lines = [f"**Whole folders**: `predict DIR --out-dir OUT --jobs N --mask interpolate` over {r0['files']} generated "
             f"files of {r0['frames']} frames ({', '.join(FOLDER_TOOLS)} in turn), worker start and model loads "
             "included (`bench --folder`)", "",
             "| workers | total (s) | files/s | failed |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['total_s']:.1f} | {r['files_per_s']:.2f} | {r['failed']} |")
    return "\n".join(lines)


def record_folder(text: str) -> None:
    """Put the whole-folder table in docs/BENCHMARK.md in place of the one there (after the speed table)."""
    doc = DOCS / "BENCHMARK.md"
    old = doc.read_text()
    if "\n\n**Whole folders**" in old:
        start = old.index("\n\n**Whole folders**") + 2
        end = old.find("\n\n", old.index("\n|", start))  # the block ends after its table
        new = old[:start] + text + (old[end:] if end >= 0 else "\n")
    else:
        at = old.index("\n\n| format | frames x objects |")  # before the formats' table, as a full record puts it
        new = old[:at] + "\n\n" + text + old[at:]
    doc.write_text(new)


def formats_table(rows: list[dict]) -> str:
    """Markdown: time to read and write each tracker format (``format_examples.time_roundtrip``)."""
    lines = ["| format | frames x objects | file | read (s) | write (s) |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['format']} | {r['frames']} x {r['objects']} | {r['bytes'] / 1e6:.1f} MB | {r['read_s']:.2f} | {r['write_s']:.2f} |")
    return "\n".join(lines)


def training_table(meta: dict) -> str:
    tr = meta.get("training", {})
    curve = tr.get("curve") or [{}]
    last = curve[-1]
    D = meta.get("transformer", {}).get("digits", 8)
    proto = meta.get("prototype", {})
    return "\n".join([
        "| run | data | steps | time | token loss (start -> end) | token accuracy (val) |",
        "|---|---|---|---|---|---|",
        f"| prototype (earlier) | {proto.get('videos', 140)} videos | {proto.get('epochs', 10)} epochs | ? | "
        f"{proto.get('token_loss_start', 6.57)} -> {proto.get('token_loss_end', 5.85)} | not reported |",
        f"| shipped checkpoint | {meta.get('data', {}).get('simulated_clips', '?')} simulated clips + "
        f"{meta.get('data', {}).get('example_videos', '?')} example videos | {tr.get('transformer_steps_done', '?')} "
        f"(+{tr.get('tokenizer_steps_done', '?')} tokenizer) | {tr.get('minutes', float('nan')):.0f} min | "
        f"{curve[0].get('loss', float('nan')) * D:.2f} -> {last.get('val_loss', float('nan')) * D:.2f} (val) | "
        f"{last.get('val_token_acc', float('nan')):.3f} |",
        "",
        f"Token loss is the cross-entropy of a whole token in nats (the sum over its {D} FSQ digits), the same "
        "quantity as the prototype's loss over its codebook; the vocabularies differ, so compare trends, not values.",
    ])


ABLATE_PER_FAMILY = 4  # the tuning split's size that ``kinviz tune`` calibrates on
# Each decoding mechanism switched off in turn: (name, draw's keywords, assemble's keywords, decoding changes).
ABLATIONS = (
    ("shipped: the model fused with the classical prior", {}, {}, {}),
    ("the model alone (share 1)", {}, {"weight": 1.0}, {}),
    ("the classical prior alone (share 0)", {}, {"weight": 0.0}, {}),
    ("no co-visible fit: the smoother alone as the prior", {}, {}, {"covisible_scale": 1e12}),
    ("one sample per window (no spread)", {}, {}, {"samples": 1, "samples_end": 1}),
    ("no gate: the still view for every forecast", {"straight": 0.0}, {}, {}),
    ("the tracking view for every forecast", {"view": "tracking"}, {}, {}),
)


def ablate(predictor: Predictor, per_family: int) -> list[dict]:
    """Mean ADE % per task on the tuning split (``splits.tuning_split``) for each of ``ABLATIONS``."""
    import copy

    split = {task: tuning_split(per_family) for task in ("interpolate", "forecast")}
    split["occlude"] = body_split(per_family, seed=TUNING_SEED)
    tasks = tuple(split)
    masks = {task: [task_mask(task, t.n_frames, n_objects=t.n_objects) for _, t in split[task]] for task in tasks}
    base = {task: [predictor.draw(t, m, seed=0) for (_, t), m in zip(split[task], masks[task])] for task in tasks}
    rows = []
    for name, draw_kw, assemble_kw, changes in ABLATIONS:
        p = predictor
        if changes:
            p = copy.copy(predictor)
            p.decoding = replace(predictor.decoding, **changes)
        row = {"variant": name}
        for task in tasks:
            redraw = changes or (draw_kw and task == "forecast")
            draws = [p.draw(t, m, seed=0, **draw_kw) for (_, t), m in zip(split[task], masks[task])] if redraw else base[task]
            preds = [p.assemble(d, **assemble_kw) for d in draws]
            row[task] = float(np.mean([trajectory_metrics(q.trajectory.positions, q.positions, q.filled & ~q.trajectory.missing)["ade_pct"]
                                       for q in preds]))
        rows.append(row)
    return rows


def ablation_table(rows: list[dict], per_family: int) -> str:
    ship = rows[0]
    lines = [f"**Ablation** on the tuning split ({per_family} per family, each clean and noisy) — mean ADE %, and "
             "relative to the shipped decoding", "",
             "| decoding | interpolate | forecast | occlude (bodies) |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variant']} | " + " | ".join(f"{r[t]:.2f} ({r[t] / ship[t]:.2f}x)" if t in r else "—"
                                                        for t in ("interpolate", "forecast", "occlude")) + " |")
    return "\n".join(lines)


DOCS = Path(__file__).resolve().parents[2] / "docs"


def record(path: Path, predictor: Predictor, gen_rows: list[dict], text: str) -> None:
    """Store the held-out means in the checkpoint's record, then write docs/BENCHMARK.md and
    docs/MODEL_CARD.md from it."""
    from .card import model_card
    from ..videomodel.checkpoint import json_path, write_json

    meta = json.loads(json_path(path).read_text())
    meta["metrics"] = record_metrics(gen_rows)
    write_json(json_path(path), meta)
    DOCS.mkdir(exist_ok=True)
    if meta.get("decoding_ablation"):  # measured by ``bench --ablate``, stored in the record
        text += "\n\n" + ablation_table(meta["decoding_ablation"], ABLATE_PER_FAMILY)
    (DOCS / "BENCHMARK.md").write_text("# Benchmark\n\nWritten by `python -m kinviz bench --record`; do not edit by hand.\n\n"
                                       + text + "\n")
    (DOCS / "MODEL_CARD.md").write_text(model_card(meta, predictor.model.n_params()))


def record_ablation(path: Path, rows: list[dict]) -> None:
    """Store ``bench --ablate``'s rows in the checkpoint's record and put their table in
    docs/BENCHMARK.md in place of the one there."""
    from ..videomodel.checkpoint import json_path, write_json

    meta = json.loads(json_path(path).read_text())
    meta["decoding_ablation"] = rows
    write_json(json_path(path), meta)
    doc = DOCS / "BENCHMARK.md"
    if doc.exists():
        text = doc.read_text()
        text = text[: text.index("\n\n**Ablation**")] if "\n\n**Ablation**" in text else text.rstrip("\n")
        doc.write_text(text + "\n\n" + ablation_table(rows, ABLATE_PER_FAMILY) + "\n")


def run_bench(args) -> dict:
    from tools.format_examples import time_roundtrip  # the formats' generator writes the repository: tools/, in a checkout

    path = Path(args.checkpoint or default_path())
    device = resolve_device(args.device)
    predictor = Predictor.load(path, device=device)
    machine = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"
    if device == "cuda":
        machine += f", GPU {torch.cuda.get_device_name(0)}"
    out: dict = {"machine": machine, "device": device}
    if getattr(args, "folder", False):
        rows = folder_speed(path, device, args.quick)
        text = folder_table(rows)
        print(f"Machine: {machine}.\n\n{text}")
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).with_name("folder.json").write_text(json.dumps({"machine": machine, "folder": rows}, indent=1))
        if args.record:  # only this table changes in docs/BENCHMARK.md
            record_folder(text)
        return {"folder": rows}
    if getattr(args, "ablate", False):
        rows = ablate(predictor, ABLATE_PER_FAMILY)
        text = ablation_table(rows, ABLATE_PER_FAMILY)
        print(text)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).with_name("ablate.md").write_text(text + "\n")
        Path(args.out).with_name("ablate.json").write_text(json.dumps(rows, indent=1))
        if args.record:  # the record keeps it; docs/BENCHMARK.md shows it under the last benchmark
            record_ablation(path, rows)
        return {"ablation": rows}
    t0 = time.time()
    # Held out from the families the checkpoint was trained on: new parameters, families it has seen.
    families = predictor.meta.get("data", {}).get("families") or generate.FAMILIES
    gen_rows = quality(predictor, held_out(2 if args.quick else args.per_family, families=families))
    out["quality_generated"] = gen_rows
    md = [f"Machine: {machine}.", "", quality_table(gen_rows, "Held-out generated trajectories (48 frames)"),
          "", extras_table(gen_rows, "Held-out generated trajectories")]
    real = Path(args.real)
    if real.is_dir():
        items = [(p.source_name.split("-")[0], p) for p in load_many([real])]
        real_rows = quality(predictor, items)
        out["quality_real"] = real_rows
        md += ["", quality_table(real_rows, f"Real trajectories ({real.name})"),
               "", extras_table(real_rows, f"Real trajectories ({real.name})")]
    out["examples"] = examples_roughness(predictor)
    md += ["", examples_table(out["examples"])]
    # Bodies with one part lost while the others are seen: simulated, and real multi-part tracking.
    body_rows = quality(predictor, body_split(1 if args.quick else max(2, args.per_family // 2)), tasks=PART_TASKS)
    out["quality_bodies"] = body_rows
    md += ["", quality_table(body_rows, "Held-out simulated bodies, one part hidden (120 frames)"),
           "", extras_table(body_rows, "Held-out simulated bodies")]
    splits = {"held-out generated": gen_rows, "held-out bodies": body_rows}
    if "quality_real" in out:
        splits[f"real ({real.name})"] = out["quality_real"]
    multipart = Path(args.multipart)
    if multipart.is_dir():
        tracks = [load_track(p) for p in sorted(multipart.glob("*.csv"))]  # tracker files: DeepLabCut's
        items = segments(tracks, per_file=4 if args.quick else 12)
        mp_rows = quality(predictor, items, tasks=("interpolate",) + PART_TASKS)
        out["quality_multipart"] = mp_rows
        md += ["", quality_table(mp_rows, f"Real multi-part tracking ({multipart.name}, segments of 240 frames)"),
               "", extras_table(mp_rows, f"Real multi-part tracking ({multipart.name})")]
        splits[f"real multi-part ({multipart.name})"] = mp_rows
    out["paired"] = paired_all(splits)
    md += ["", paired_table(out["paired"]), "", calibration_table(splits)]
    out["quality_seconds"] = time.time() - t0
    out["speed"] = speed(path, device, args.quick)
    out["folder"] = folder_speed(path, device, args.quick)
    out["formats"] = time_roundtrip(2_000 if args.quick else 20_000)
    md += ["", speed_table(out["speed"]), "", folder_table(out["folder"]), "", formats_table(out["formats"]), "",
           training_table(predictor.meta)]
    text = "\n".join(md)
    print(text)
    if args.record:  # the app's landing page and the docs show what was just measured
        record(path, predictor, gen_rows + body_rows, text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, default=float))
    Path(args.out).with_suffix(".md").write_text(text + "\n")
    return out
