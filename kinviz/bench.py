"""``python -m kinviz bench``: quality, speed, size and training figures, as Markdown tables.

Quality: for each motion family and task, the model against every baseline (ADE and FDE as % of
the scene diagonal) on a held-out generated split (parameters drawn from a seed training never
used) and on real trajectories; the tokenizer floor (``predict(..., oracle=True)``: the hidden
frames' own tokens decoded) beside it. Speed: cold and warm latency for several sizes, load time,
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

from . import generate
from .baselines import BASELINES, fill_all, fill_baseline
from .checkpoint import default_path, resolve_device
from .evaluate import load_many, score
from .masks import TASKS, task_mask
from .metrics import mean_over_examples, trajectory_metrics
from .predict import Predictor
from .trajectory import Trajectory, from_arrays

HELD_OUT_SEED = 777_001  # training pools draw from seeds 0 and 10_000; this one is never used there
LINE = "fitted_cv"  # constant velocity fitted to the checkpoint's ``fit`` frames: the forecast's line alone
COLUMNS = ("magvit", "floor") + BASELINES + (LINE,)


def held_out(per_family: int, n_frames: int = 48, seed: int = HELD_OUT_SEED,
             families=generate.FAMILIES) -> list[tuple[str, Trajectory]]:
    """(family, trajectory) pairs with fresh parameters, ``per_family`` of each family.

    Families are drawn in ``generate.FAMILIES`` order from one generator, so a subset keeps the
    trajectories it shares with the whole."""
    rng = np.random.default_rng(seed)
    out = []
    for family in generate.FAMILIES:
        for i in range(per_family):
            s = generate.simulate(family, rng, n_frames=n_frames)
            if family in families:
                out.append((family, from_arrays(s.times, s.positions, s.names)))
    return out


def quality(predictor: Predictor, items: list[tuple[str, Trajectory]], seed: int = 0) -> list[dict]:
    """One row per (group, task, trajectory): ade_pct and fde_pct per method, floor included."""
    rows = []
    for group, traj in items:
        for task in TASKS:
            mask = task_mask(task, traj.n_frames, seed=seed)
            result = score(predictor.predict(traj, mask, seed=seed), with_video=False)
            floor = predictor.predict(traj, mask, seed=seed, oracle=True)
            cells = floor.filled & ~traj.missing
            line = fill_baseline("constant_velocity", traj.times, traj.positions, mask, fit=predictor.fit)
            metrics = result.metrics | {"floor": trajectory_metrics(traj.positions, floor.positions, cells),
                                        LINE: trajectory_metrics(traj.positions, line, cells)}
            row = {"group": group, "task": task}
            for m in COLUMNS:
                row[f"{m}_ade"] = metrics[m]["ade_pct"]
                row[f"{m}_fde"] = metrics[m]["fde_pct"]
            row["fallback"] = float(result.prediction.fallback.sum() / max(1, result.prediction.filled.sum()))
            rows.append(row)
    return rows


def quality_table(rows: list[dict], title: str) -> str:
    """Markdown: group x task, ADE% (FDE%) per method, best baseline and whether the model beats it."""
    lines = [f"**{title}** — ADE % of scene diagonal (FDE % in brackets); lower is better", "",
             "| group | task | n | " + " | ".join(COLUMNS) + " | model vs best baseline |",
             "|---|---|---|" + "---|" * len(COLUMNS) + "---|"]
    groups = sorted({r["group"] for r in rows}) + ["all"]
    for task in TASKS:
        for g in groups:
            sub = [r for r in rows if r["task"] == task and (g == "all" or r["group"] == g)]
            if not sub:
                continue
            mean = mean_over_examples([{k: v for k, v in r.items() if k not in ("group", "task")} for r in sub])
            cells = [f"{mean[f'{m}_ade']:.2f} ({mean[f'{m}_fde']:.2f})" for m in COLUMNS]
            best = min(BASELINES + (LINE,), key=lambda b: mean[f"{b}_ade"])
            verdict = "wins" if mean["magvit_ade"] < mean[f"{best}_ade"] else "loses"
            name = f"**{g}**" if g == "all" else g
            lines.append(f"| {name} | {task} | {len(sub)} | " + " | ".join(cells) + f" | {verdict} vs {best} |")
    return "\n".join(lines)


REFERENCE = {"interpolate": "linear", "forecast": "constant_velocity", "random": "linear"}  # the targets
# Each task against its target; forecasts also against the line the model's forecast view starts from.
COMPARISONS = (("interpolate", "linear"), ("forecast", "constant_velocity"), ("forecast", LINE), ("random", "linear"))


def paired(rows: list[dict], task: str, reference: str) -> dict:
    """Model minus ``reference`` ADE %, trajectory by trajectory: mean, standard error, wins.

    The same trajectories and masks for both, so the spread of the differences, not of the errors,
    says whether a gap between the means is more than the luck of the draw."""
    d = np.array([r["magvit_ade"] - r[f"{reference}_ade"] for r in rows if r["task"] == task])
    mean = float(d.mean()) if len(d) else float("nan")
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("nan")
    return {"n": len(d), "mean": mean, "se": se, "wins": int((d < 0).sum())}


def paired_all(splits: dict[str, list[dict]]) -> dict:
    """``paired`` for every split and each of ``COMPARISONS``: {split: [{"task", "against", "n", ...}]}."""
    return {name: [{"task": task, "against": ref} | paired(rows, task, ref) for task, ref in COMPARISONS]
            for name, rows in splits.items()}


def paired_table(results: dict) -> str:
    """Markdown of ``paired_all``: per split and task, the model against the target's baseline."""
    lines = ["| split | task | against | n | model − baseline, mean ± s.e. (ADE %) | model better on |",
             "|---|---|---|---|---|---|"]
    for name, comparisons in results.items():
        for p in comparisons:
            if p["n"]:
                lines.append(f"| {name} | {p['task']} | {p['against']} | {p['n']} | {p['mean']:+.2f} ± {p['se']:.2f} | "
                             f"{p['wins']} of {p['n']} |")
    return "\n".join(lines)


def record_metrics(rows: list[dict]) -> dict:
    """Held-out means per task in ``Report.to_json`` form, keyed by task, for the checkpoint's record."""
    out = {}
    for task in TASKS:
        sub = [{k: v for k, v in r.items() if k not in ("group", "task")} for r in rows if r["task"] == task]
        mean = mean_over_examples(sub)
        cell = lambda m: {"ade_pct": round(mean[f"{m}_ade"], 4), "fde_pct": round(mean[f"{m}_fde"], 4)}  # noqa: E731
        out[task] = {"task": task, "examples": len(sub), "split": "held-out generated, 48 frames",
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
                    continue  # thousands of separate gaps: minutes on a CPU, see the README
                s = generate.simulate("collision" if k > 1 else "projectile", rng, n_frames=n)
                pos = s.positions
                if pos.shape[1] < k:  # collision has 2-3 pucks: add shifted copies to reach k objects
                    copies = [pos + 10.0 * (i + 1) for i in range(k // pos.shape[1])]
                    pos = np.concatenate([pos] + copies, axis=1)[:, :k]
                traj = from_arrays(s.times, pos[:, :k])
                mask = task_mask(task, n, seed=0)
                repeats = 1 if (quick or n >= 2000) else 9
                cold, warm = _timed(lambda: predictor.predict(traj, mask, seed=0), repeats)
                known = np.where(mask[:, None, None], np.nan, traj.positions)
                _, base = _timed(lambda: fill_all(traj.times, known, mask), 3)
                rows.append({
                    "frames": n, "objects": k, "task": task, "cold_s": cold,
                    "warm_median_s": float(np.median(warm)), "warm_p95_s": float(np.percentile(warm, 95)),
                    "baselines_s": float(np.median(base)),
                })
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"load_s_median": float(np.median(loads)), "load_s_max": float(max(loads)), "latency": rows,
            "peak_rss_mb": peak_mb, "checkpoint_mb": path.stat().st_size / 1e6}


def speed_table(sp: dict) -> str:
    lines = [f"Model load: median {sp['load_s_median']:.2f} s (max {sp['load_s_max']:.2f} s); "
             f"checkpoint {sp['checkpoint_mb']:.1f} MB; peak RSS of the benchmark process {sp['peak_rss_mb']:.0f} MB.", "",
             "| frames | objects | mask | cold (s) | warm median (s) | warm p95 (s) | all 4 baselines (s) |",
             "|---|---|---|---|---|---|---|"]
    for r in sp["latency"]:
        lines.append(f"| {r['frames']} | {r['objects']} | {r['task']} | {r['cold_s']:.3f} | {r['warm_median_s']:.3f} | "
                     f"{r['warm_p95_s']:.3f} | {r['baselines_s']:.4f} |")
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


def run_bench(args) -> dict:
    path = Path(args.checkpoint or default_path())
    device = resolve_device(args.device)
    predictor = Predictor.load(path, device=device)
    machine = f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"
    if device == "cuda":
        machine += f", GPU {torch.cuda.get_device_name(0)}"
    out: dict = {"machine": machine, "device": device}
    t0 = time.time()
    # Held out from the families the checkpoint was trained on: new parameters, families it has seen.
    families = predictor.meta.get("data", {}).get("families") or generate.FAMILIES
    gen_rows = quality(predictor, held_out(2 if args.quick else args.per_family, families=families))
    out["quality_generated"] = gen_rows
    md = [f"Machine: {machine}.", "", quality_table(gen_rows, "Held-out generated trajectories (48 frames)")]
    real = Path(args.real)
    if real.is_dir():
        items = [(p.source_name.split("-")[0], p) for p in load_many([real])]
        real_rows = quality(predictor, items)
        out["quality_real"] = real_rows
        md += ["", quality_table(real_rows, f"Real trajectories ({real.name})")]
    splits = {"held-out generated": gen_rows} | ({f"real ({real.name})": out["quality_real"]} if "quality_real" in out else {})
    out["paired"] = paired_all(splits)
    md += ["", paired_table(out["paired"])]
    out["quality_seconds"] = time.time() - t0
    if args.record:  # the app's landing page shows this headline; it is what was just measured
        from .checkpoint import json_path

        meta = json.loads(json_path(path).read_text())
        meta["metrics"] = record_metrics(gen_rows)
        json_path(path).write_text(json.dumps(meta, indent=1, default=float))
    out["speed"] = speed(path, device, args.quick)
    md += ["", speed_table(out["speed"]), "", training_table(predictor.meta)]
    text = "\n".join(md)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1, default=float))
    Path(args.out).with_suffix(".md").write_text(text + "\n")
    return out
