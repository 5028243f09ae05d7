"""Time and memory of `kinviz predict` on one long file: a synthetic walk of K parts, 5 % of cells dropped.

Writes the file (a kinviz CSV) to a temporary folder, runs the command line on it in a process of its own
(every dropped cell filled, self-check included, the bundled models) and prints the wall time and the peak
resident memory of that process. docs/RELIABILITY.md's "Long files" table comes from here.

    .venv/bin/python scripts/long_file.py --frames 200000 --parts 8
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def walk(frames: int, parts: int, seed: int = 0, drop: float = 0.05) -> str:
    """A CSV of ``parts`` bodies on a shared random walk at 30 Hz, each on its own circle, ``drop`` of cells empty."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / 30
    centre = 500 + np.cumsum(rng.normal(0, 0.5, (frames, 2)), 0)
    angle = t[:, None] * (0.5 + 0.1 * np.arange(parts))
    pos = centre[:, None] + 40 * np.stack([np.cos(angle), np.sin(angle)], -1) + rng.normal(0, 0.3, (frames, parts, 2))
    pos[rng.random((frames, parts)) < drop] = np.nan
    cols = np.column_stack([t, pos.reshape(frames, -1)])
    header = "time," + ",".join(f"p{k}_x,p{k}_y" for k in range(parts))
    body = "\n".join(",".join("" if np.isnan(v) else f"{v:.3f}" for v in row) for row in cols)
    return header + "\n" + body + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=20_000)
    ap.add_argument("--parts", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "long.csv", Path(tmp) / "long-filled.csv"
        src.write_text(walk(args.frames, args.parts))
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kinviz", "predict", str(src), "--out", str(out)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
        print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-500:])
        print(f"{args.frames:,} frames x {args.parts} parts: {seconds:.0f} s, peak memory {peak:,.0f} MB, "
              f"exit {done.returncode}")
        sys.exit(done.returncode)


if __name__ == "__main__":
    main()
