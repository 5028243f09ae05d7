"""Where the model adds to the Kalman smoother, by the length of an inner gap.

    PYTHONPATH=. python scripts/gap_length.py --json runs/gap_length.json

On the tuning split (``kinviz.training.splits.tuning_split``: neither training nor the benchmark uses it),
each trajectory gets one inner gap of L frames at a position drawn per trajectory, for each L, and
the random task's scattered dropouts. Each is decoded once and read back twice: fused with the
smoother as shipped, and the smoother alone (``assemble(weight=0)``). Reported: mean ADE % of each
and their paired difference with its standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kinviz.core.masks import task_mask  # noqa: E402
from kinviz.inference.predict import Predictor  # noqa: E402
from kinviz.training.splits import TUNING_SEED, tuning_split  # noqa: E402
from kinviz.training.tune import fill_ade  # noqa: E402

LENGTHS = (1, 2, 3, 4, 6, 8, 12, 16)


def gap_mask(n: int, length: int, rng) -> np.ndarray:
    start = int(rng.integers(4, n - 4 - length + 1))  # at least 4 observed frames on each side
    mask = np.zeros(n, bool)
    mask[start : start + length] = True
    return mask


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-family", type=int, default=4)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    predictor = Predictor.load(device="cpu")
    items = tuning_split(args.per_family)
    rng = np.random.default_rng(TUNING_SEED)
    cases = {f"one gap of {L}": [gap_mask(t.n_frames, L, rng) for _, t in items] for L in LENGTHS}
    cases["random (30 % of frames)"] = [task_mask("random", t.n_frames, seed=i) for i, (_, t) in enumerate(items)]
    out, lines = {}, ["| inner gap | fused ADE % | smoother alone ADE % | fused minus smoother |", "|---|---|---|---|"]
    for name, masks in cases.items():
        draws = [predictor.draw(t, m, seed=0) for (_, t), m in zip(items, masks)]
        fused = np.array([fill_ade(predictor.assemble(d)) for d in draws])
        alone = np.array([fill_ade(predictor.assemble(d, weight=0.0)) for d in draws])
        d = fused - alone
        out[name] = {"fused": fused.tolist(), "smoother": alone.tolist()}
        lines.append(f"| {name} | {fused.mean():.3f} | {alone.mean():.3f} | {d.mean():+.3f} ± {d.std(ddof=1) / np.sqrt(len(d)):.3f} |")
        print(lines[-1], flush=True)
    print("\n".join(lines))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"table": lines, "cases": out, "trajectories": len(items)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
