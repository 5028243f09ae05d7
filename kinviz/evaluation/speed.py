"""The benchmark's speed figures: load time, cold and warm latency per size against the classical
fills on the same inputs, the largest request in a process of its own, and whole folders.

Timings depend on the machine and on what else runs on it: ``bench`` prints the machine with them.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import numpy as np

from ..classical.baselines import fill_all, fill_baseline
from ..core.masks import task_mask
from ..inference.predict import Predictor
from ..io.csv import from_arrays
from ..training import generate


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
    code = f"from kinviz.evaluation.speed import worst_case_child; worst_case_child({str(path)!r}, {device!r})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2])
    if done.returncode != 0:
        return {"frames": n, "objects": k, "task": task, "outcome": f"crashed: {done.stderr.strip().splitlines()[-1:]}"}
    return {"frames": n, "objects": k, "task": task} | json.loads(done.stdout.strip().splitlines()[-1])


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
