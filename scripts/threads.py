"""The server's share of the load test, without browsers: N threads in one process each do what the
Predict page does per press of Run (a fill with the page's live preview, its figure built at each stage inside
the model's lock, then the results: scores, drawings), all at once, as Streamlit runs each session's page in a
thread of one process.

    python scripts/threads.py                    # 10 sessions x 2 runs, 48 frames, frames 16-31 hidden

Prints the wall time and the time per run (median, p95). docs/LOAD.md keeps its figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import kinviz  # noqa: E402
from appserver import projectile_csv  # noqa: E402
from kinviz_app import results, views  # noqa: E402
from load import percentile  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--mask", default="16-31")
    args = ap.parse_args(argv)

    predictor = kinviz.Predictor.load()
    traj = kinviz.load_csv(projectile_csv(args.frames), name="throw.csv")
    mask = kinviz.parse_mask(args.mask, traj.n_frames)

    seen = ~traj.missing & ~mask[:, None]

    def live(step, total, frame_indices, frames, estimate):  # what pages/predict.py draws at each stage
        views.fill_figure(traj, seen, estimate).to_json()

    def press_run(seed: int) -> None:
        pred = predictor.predict(traj, mask, seed=seed, on_step=live, compare=True)
        results.build_run(pred, source="threads", spec=args.mask, meta=predictor.meta, device=predictor.device)

    press_run(0)  # warm
    times: list[float] = []

    def session(i: int) -> None:
        for _ in range(args.runs):
            start = time.perf_counter()
            press_run(i)
            times.append(time.perf_counter() - start)

    start = time.perf_counter()
    threads = [threading.Thread(target=session, args=(i,)) for i in range(args.sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{args.sessions} sessions x {args.runs} runs in one process: wall {time.perf_counter() - start:.1f} s; "
          f"per run median {statistics.median(times):.2f} s, p95 {percentile(times, 95):.2f} s, "
          f"fastest {min(times):.2f} s")
    return 0

if __name__ == "__main__":
    sys.exit(main())
