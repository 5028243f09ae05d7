"""Measure the motion model on the validation split's occlude stretches, against linear interpolation.

A stretch is 240 frames of one validation file in which one confidently tracked part is hidden for
10-60 frames while the others are as the tracker gave them. The error is the mean distance at the
hidden frames, in % of the stretch's scene diagonal (`kinviz.scene_diagonal`).
"""

from __future__ import annotations

import time

import numpy as np

from ..core.metrics import scene_diagonal
from . import data
from .decode import MotionModel

STRETCH = 240
MARGIN = 10  # seen frames kept on each side of the gap inside the stretch


def occlude_stretches(tracks: list[data.Track], n: int, *, seed: int = 0) -> list[dict]:
    """`n` seeded occlude stretches: truth (240, K, 2), the hidden part and its gap [a, b)."""
    rng = np.random.default_rng(seed)
    out = []
    usable = [t for t in tracks if len(t.positions) >= STRETCH]
    for _ in range(200 * n):
        if len(out) == n:
            break
        track = usable[int(rng.integers(len(usable)))]
        s = int(rng.integers(0, len(track.positions) - STRETCH + 1))
        truth = track.positions[s : s + STRETCH]
        seen = track.seen[s : s + STRETCH]
        length = int(rng.integers(10, 61))
        a = int(rng.integers(MARGIN, STRETCH - MARGIN - length + 1))
        # Confidently tracked: seen through the gap and its margins, and in 90 % of the stretch.
        ok = seen[a - MARGIN : a + length + MARGIN].all(0) & (seen.mean(0) >= 0.9)
        if not ok.any():
            continue
        part = int(rng.choice(np.flatnonzero(ok)))
        out.append({"file": track.name, "start": s, "part": part, "a": a, "b": a + length, "truth": truth})
    assert len(out) == n, f"only {len(out)} of {n} occlude stretches found in the validation files"
    return out


def linear_fill(known: np.ndarray, part: int) -> np.ndarray:  # (T, K, 2) -> (T, 2)
    """The part's seen frames joined by straight lines (held at the ends)."""
    t = np.arange(len(known))
    seen = np.isfinite(known[:, part]).all(-1)
    return np.stack([np.interp(t, t[seen], known[seen, part, c]) for c in range(2)], -1)


def evaluate(checkpoint=None, *, n_stretches: int = 60, seed: int = 0, samples: int = 8) -> dict:
    """Occlude-stretch errors (% of scene diagonal) of the model's sample mean and of linear interpolation."""
    model = MotionModel.load(checkpoint)
    tracks = data.load_split("val")
    rows, t0 = [], time.time()
    for i, st in enumerate(occlude_stretches(tracks, n_stretches, seed=seed)):
        truth, part, a, b = st["truth"], st["part"], st["a"], st["b"]
        known = truth.copy()
        known[a:b, part] = np.nan
        mean, _ = model.fill(np.arange(len(known)), known, samples=samples, seed=seed + i, parts=[part])
        diag = scene_diagonal(truth)
        err = lambda guess: float(np.linalg.norm(guess[a:b] - truth[a:b, part], axis=-1).mean() / diag * 100)
        rows.append({"file": st["file"], "gap": b - a, "model": err(mean[:, part]),
                     "linear": err(linear_fill(known, part))})
    model_err, linear_err = np.array([r["model"] for r in rows]), np.array([r["linear"] for r in rows])
    return {"n": len(rows), "seed": seed, "samples": samples, "seconds": round(time.time() - t0, 1),
            "model_ade_pct": float(model_err.mean()), "linear_ade_pct": float(linear_err.mean()),
            "model_median_pct": float(np.median(model_err)), "linear_median_pct": float(np.median(linear_err)),
            "model_wins": int((model_err < linear_err).sum()),
            "files": sorted({r["file"] for r in rows}), "rows": rows}


def print_report(report: dict) -> None:
    print(f"occlude stretches on the validation split: n={report['n']} (seed {report['seed']}, "
          f"{report['samples']} samples, {report['seconds']} s)")
    print(f"  motion model (samples' mean): ADE {report['model_ade_pct']:.2f} % of diagonal "
          f"(median {report['model_median_pct']:.2f} %)")
    print(f"  linear interpolation:         ADE {report['linear_ade_pct']:.2f} % of diagonal "
          f"(median {report['linear_median_pct']:.2f} %)")
    print(f"  model better on {report['model_wins']} of {report['n']}")
    for name in report["files"]:
        sub = [r for r in report["rows"] if r["file"] == name]
        print(f"  {name}: n={len(sub)} model {np.mean([r['model'] for r in sub]):.2f} %, "
              f"linear {np.mean([r['linear'] for r in sub]):.2f} %")
