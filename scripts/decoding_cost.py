"""What fewer decoding passes cost in accuracy: MaskGIT steps x samples per window, on the tuning split.

    PYTHONPATH=. python scripts/decoding_cost.py --json runs/decoding_cost.json

A setting's steps apply to every window and its samples to the kind of gap its task is made of:
inner gaps for interpolation, gaps at either end for forecasts (``Decoding.samples_for``). Every
setting decodes the tuning split (``kinviz.training.splits.tuning_split``, the split ``tune`` calibrates on;
neither training nor the benchmark uses it), fused with the Kalman smoother under the checkpoint's
calibration, and under the calibration re-tuned for that setting (``tune``'s grid, read-backs
only). Reported: mean ADE % per task, the paired difference from the first setting with its
standard error, the forward passes per window (steps x samples, less the first step that all
samples share) and the seconds per draw.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kinviz.core.masks import task_mask  # noqa: E402
from kinviz.inference.predict import Predictor  # noqa: E402
from kinviz.training.splits import tuning_split  # noqa: E402
from kinviz.training.tune import FLOORS, KINDS, SCALES, fill_ade  # noqa: E402

SETTINGS = ((12, 8), (12, 4), (8, 8), (8, 4), (6, 8), (6, 4))  # (steps, samples)


def scores(predictor: Predictor, items, task: str) -> dict:
    """Per-trajectory ADE % under the shipped calibration and the best re-tuned one, and seconds per draw."""
    t = time.perf_counter()
    draws = [predictor.draw(traj, task_mask(task, traj.n_frames), seed=0) for _, traj in items]
    seconds = (time.perf_counter() - t) / len(items)
    shipped = [fill_ade(predictor.assemble(d)) for d in draws]
    scale_key, floor_key = KINDS[task]
    best = None
    for scale in SCALES:
        for floor in FLOORS:
            dec = replace(predictor.decoding, **{scale_key: scale, floor_key: floor})
            ade = [fill_ade(predictor.assemble(d, dec)) for d in draws]
            if best is None or np.mean(ade) < np.mean(best[0]):
                best = (ade, scale, floor)
    return {"shipped": shipped, "retuned": best[0], "retuned_at": best[1:], "seconds_per_draw": seconds}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-family", type=int, default=4)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--tasks", nargs="+", default=["interpolate", "forecast"], choices=["interpolate", "forecast"])
    ap.add_argument("--settings", nargs="+", help="STEPSxSAMPLES, e.g. 12x8 6x4 (default: a fixed grid); the first is "
                                                   "the reference the others are paired with")
    args = ap.parse_args(argv)
    settings = [tuple(map(int, x.split("x"))) for x in args.settings] if args.settings else SETTINGS
    tasks = args.tasks
    base = Predictor.load(device="cpu")
    items = tuning_split(args.per_family)
    out = {}
    for steps, samples in settings:
        p = copy.copy(base)
        p.decoding = replace(base.decoding, steps=steps, samples=samples, samples_end=samples)
        out[f"{steps}x{samples}"] = {task: scores(p, items, task) for task in tasks}
        row = out[f"{steps}x{samples}"]
        print(f"{steps} steps x {samples} samples: " + "; ".join(
            f"{task} {np.mean(r['shipped']):.3f} (re-tuned {np.mean(r['retuned']):.3f} at {r['retuned_at']}), "
            f"{r['seconds_per_draw']:.3f} s" for task, r in row.items()), flush=True)
    ref = "x".join(map(str, settings[0]))
    ship = out[ref]
    lines = ["| steps x samples | passes per window | " + " | ".join(f"{t} ADE % (vs {ref})" for t in tasks)
             + " | re-tuned: " + " / ".join(tasks) + " | s per 48-frame draw |", "|---|---|" + "---|" * len(tasks) + "---|---|"]
    for (steps, samples), (key, row) in zip(settings, out.items()):
        cells = []
        for task in tasks:
            d = np.array(row[task]["shipped"]) - np.array(ship[task]["shipped"])
            cells.append(f"{np.mean(row[task]['shipped']):.2f} ({d.mean():+.2f} ± {d.std(ddof=1) / np.sqrt(len(d)):.2f})")
        retuned = " / ".join(f"{np.mean(row[t]['retuned']):.2f}" for t in tasks)
        secs = np.mean([row[t]["seconds_per_draw"] for t in row])
        lines.append(f"| {steps} x {samples} | {1 + (steps - 1) * samples} | " + " | ".join(cells) + f" | {retuned} | {secs:.3f} |")
    print("\n".join(lines))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"table": lines, "settings": out, "trajectories": len(items)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
