"""``python -m kinviz tune``: calibrate the fusion of the model with the Kalman smoother.

The predictor weighs the model's sampled fill against the smoother's by their variances
(``fusion.fuse``). The smoother's variance comes from its own likelihood fit; the model's is its
samples' spread, which says how much the samples disagree but not how far their mean is from the
truth. Two numbers put it on the smoother's scale: ``model_scale`` multiplies the spread and
``pixel_floor`` adds the least error of a blob read back from the model's 32-pixel view. Inner
gaps and gaps at either end get a pair each (``_end``): between two observed stretches the
smoother interpolates well and the model should add little; past the last one the smoother only
extrapolates its motion model, and the model, which has seen motion turn back, should count more.

All four are picked here on generated trajectories drawn from a seed that neither training nor
the benchmark uses, each twice: as simulated, and with tracker noise (``splits.tuning_split``).
Inner gaps are scored on the interpolate task, end gaps on the forecast task. Every trajectory is
decoded once per task (``Predictor.draw``) and read back under every setting
(``Predictor.assemble``): the grid costs read-backs, not decodes, and every setting sees the
same samples. Training runs this as its last stage; the command re-runs it on any checkpoint.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .checkpoint import default_path, json_path, resolve_device, write_json
from .masks import task_mask
from .metrics import trajectory_metrics
from .predict import Predictor
from .splits import TUNING_SEED, tuning_split

SCALES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # model_scale
FLOORS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # pixel_floor, pixels
# Each kind of gap is calibrated on the task made of it: inner gaps on interpolation, end gaps on forecasts.
KINDS = {"interpolate": ("model_scale", "pixel_floor"), "forecast": ("model_scale_end", "pixel_floor_end")}
SETTINGS = tuple(k for pair in KINDS.values() for k in pair)


def _ade(prediction) -> float:
    traj = prediction.trajectory
    return trajectory_metrics(traj.positions, prediction.positions, prediction.filled & ~traj.missing)["ade_pct"]


def tune_decoding(predictor: Predictor, *, per_family: int = 4, scales=SCALES, floors=FLOORS, log=print) -> dict:
    """Score every (model_scale, pixel_floor) per kind of gap; returns the best, the grids and the smoother's scores."""
    items = tuning_split(per_family)
    result, grids, smoother = {}, {}, {}
    for task, (scale_key, floor_key) in KINDS.items():
        draws = [predictor.draw(traj, task_mask(task, traj.n_frames), seed=0)
                 for _, traj in tqdm(items, desc=f"tune: decode {task}", unit="trajectory", disable=None)]
        smoother[task] = round(float(np.mean([_ade(predictor.assemble(d, weight=0.0)) for d in draws])), 4)
        rows = []
        for scale in scales:
            for floor in floors:
                dec = replace(predictor.decoding, **{scale_key: float(scale), floor_key: float(floor)})
                ade = float(np.mean([_ade(predictor.assemble(d, dec)) for d in draws]))
                rows.append({scale_key: float(scale), floor_key: float(floor), "magvit": round(ade, 4)})
                log(f"{task}: {scale_key} {scale:g}, {floor_key} {floor:g}: {ade:.3f} (Kalman smoother {smoother[task]:.3f})")
        best = min(rows, key=lambda r: r["magvit"])
        result |= {scale_key: best[scale_key], floor_key: best[floor_key]}
        grids[task] = rows
    return result | {
        "scores": {t: min(r["magvit"] for r in rows) for t, rows in grids.items()}, "kalman": smoother, "grid": grids,
        "split": f"generated, seed {TUNING_SEED}, {per_family} per family, each as simulated and with tracker "
                 f"noise ({len(items)} trajectories), 48 frames",
    }


def write_decoding(path: Path, result: dict) -> None:
    """Store the chosen settings (and how they were chosen) in the checkpoint's JSON record."""
    jp = json_path(path)
    meta = json.loads(jp.read_text())
    decoding = meta.setdefault("decoding", {})
    for old in ("shrink", "shrink_end"):  # the pulls toward a line that the fusion replaced
        decoding.pop(old, None)
    decoding.update({k: result[k] for k in SETTINGS})
    meta["decoding_tuning"] = result
    write_json(jp, meta)


def run_tune(args) -> dict:
    path = Path(args.checkpoint or default_path())
    predictor = Predictor.load(path, device=resolve_device(args.device))
    t0 = time.time()
    result = tune_decoding(predictor, per_family=args.per_family)
    result["seconds"] = round(time.time() - t0, 1)
    print(f"best: " + ", ".join(f"{k} {result[k]:g}" for k in SETTINGS) + f" ({result['seconds']:.0f} s)")
    if args.write:
        write_decoding(path, result)
        print(f"written to {json_path(path)}")
    return result
