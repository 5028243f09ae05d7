"""Why kinviz's Kalman baseline is its own vectorised numpy RTS: pykalman's EM smoother, measured beside it.

    .venv/bin/pip install pykalman==0.11.2   # not a kinviz requirement: this comparison only
    python scripts/kalman_libraries.py ../shared/real-dev

For each file and task, both fill the hidden frames: kinviz's smoother (per axis, constant
velocity or acceleration and both noises chosen by likelihood, ``kinviz.classical.kalman``) and pykalman's
``KalmanFilter`` with a 2-D constant-velocity model whose noise covariances are fitted by EM
(``em(n_iter)``) on the observed points, then ``smooth``. Prints mean ADE % and seconds per file.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import kinviz
from kinviz.classical.baselines import fill_baseline
from kinviz.core.metrics import trajectory_metrics


def pykalman_fill(times: np.ndarray, known: np.ndarray, n_iter: int) -> np.ndarray:  # (T, K, 2)
    from pykalman import KalmanFilter

    dt = float(np.median(np.diff(times)))
    F = np.array([[1, 0, dt, 0], [0, 1, 0, dt], [0, 0, 1, 0], [0, 0, 0, 1]], float)
    H = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], float)
    out = known.copy()
    for k in range(known.shape[1]):
        obs = np.ma.masked_invalid(known[:, k])
        first = known[np.isfinite(known[:, k]).all(-1), k][0]
        kf = KalmanFilter(transition_matrices=F, observation_matrices=H, initial_state_mean=[*first, 0, 0],
                          em_vars=["transition_covariance", "observation_covariance", "initial_state_covariance"])
        kf = kf.em(obs, n_iter=n_iter)
        mean, _ = kf.smooth(obs)
        missing = ~np.isfinite(known[:, k]).all(-1)
        out[missing, k] = mean[missing, :2]
    return out


def main(paths: list[str]) -> None:
    trajs = kinviz.load_many(paths)
    print(f"{len(trajs)} files; ADE % of the scene diagonal (mean), seconds per file (mean)")
    for task in kinviz.TASKS:
        scores: dict[str, list] = {"kinviz kalman": [], "pykalman EM 10": [], "pykalman EM 50": []}
        seconds: dict[str, list] = {k: [] for k in scores}
        for traj in trajs:
            mask = kinviz.task_mask(task, traj.n_frames, seed=0)
            known = np.where(mask[:, None, None] | traj.missing[..., None], np.nan, traj.positions)
            cells = mask[:, None] & ~traj.missing
            for name, fn in (("kinviz kalman", lambda: fill_baseline("kalman", traj.times, known, mask)),
                             ("pykalman EM 10", lambda: pykalman_fill(traj.times, known, 10)),
                             ("pykalman EM 50", lambda: pykalman_fill(traj.times, known, 50))):
                t = time.perf_counter()
                filled = fn()
                seconds[name].append(time.perf_counter() - t)
                scores[name].append(trajectory_metrics(traj.positions, filled, cells)["ade_pct"])
        print(task + ": " + "; ".join(f"{k} {np.mean(v):.2f} % ({np.mean(seconds[k]):.3f} s)" for k, v in scores.items()))


if __name__ == "__main__":
    main(sys.argv[1:] or ["../shared/real-dev"])
