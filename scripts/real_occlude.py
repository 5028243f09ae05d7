"""Hide 10-60 frames of one confidently tracked part in real pose-tracker files and score the fills.

Every fill sees the whole file with only the stretch's cells hidden (the other parts, and the
tracker's own dropouts, stay as they are). Error: mean distance on the hidden cells in % of the
scene diagonal of the 240 frames around the gap. Calibration: share of hidden coordinates with
|error| < 2 predicted s.d., and mean predicted s.d. / RMS error. A method with no answer at a cell is
scored with the smoother's answer there (its count is printed). Stretches are drawn as the benchmark's
real-occlude task draws them (``kinviz.evaluation.real.draw_stretches``: the part seen 5 frames each side,
another part seen throughout); runs before 2026-12-07 used a copy without the second condition.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/real_occlude.py [--per-group 48] [--seed 0]
"""

from __future__ import annotations

import argparse
import glob
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # 2 shared cores: threads only fight

import numpy as np  # noqa: E402

import kinviz  # noqa: E402
from kinviz.classical import covisible, kalman, pca, regression  # noqa: E402
from kinviz.classical.pooling import pool  # noqa: E402
from kinviz.core.metrics import scene_diagonal  # noqa: E402
from kinviz.evaluation.real import draw_stretches  # noqa: E402
from kinviz.inference.predict import linear_fill  # noqa: E402

SHARED = "/work/shared"
GROUPS = {
    "multipart": f"{SHARED}/real-multipart/*.csv",
    "eks-fly": f"{SHARED}/real-train/eks-fly/*.csv",
    "vame": f"{SHARED}/real-train/vame/cropped_video.csv",
    "autogaita": f"{SHARED}/real-train/autogaita/*.csv",
}
WINDOW = 240  # frames around the gap whose diagonal scales the error


def methods(times, known, k, frames):
    """Each method's (mean (L, 2), var (L, 2) or None) at part k's hidden frames."""
    out = {}
    km, kv, _ = kalman.fill(times, known[:, k : k + 1])
    out["kalman"] = km[frames, 0], kv[frames, 0]
    out["linear"] = linear_fill(times, known[:, k : k + 1])[0][frames, 0], None
    cm, cv = covisible.fill(known)
    out["covisible"] = cm[frames, k], cv[frames, k]
    # rotate given explicitly everywhere, so each row means the same whatever the defaults become.
    variants = (("reg-plain", dict(bridge=False, rotate=False)), ("reg", dict(rotate=False)),
                ("reg-rotate", dict(rotate=True)), ("reg-insample-var", dict(folds=0, rotate=False)),
                ("reg-ridge-0.1", dict(ridge=0.1, rotate=False)))
    for name, kw in variants:
        m, v = regression.fill(known, **kw)
        out[name] = m[frames, k], v[frames, k]
    pm, pv = pca.fill(known)
    out["pca"] = pm[frames, k], pv[frames, k]
    # Inverse-variance pooled with the smoother, which stands alone where the fit has no answer.
    out["reg+kalman"] = pool(*out["kalman"], *out["reg"])
    out["pca+kalman"] = pool(*out["kalman"], *out["pca"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-group", type=int, default=48)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rows = {}  # (group, method) -> lists
    for group, pattern in GROUPS.items():
        rng = np.random.default_rng(args.seed)
        tracks = [kinviz.load_track(p) for p in sorted(glob.glob(pattern))]
        for tr in tracks:
            t0 = time.perf_counter()
            regression.fill(tr.positions)
            t1 = time.perf_counter()
            pca.fill(tr.positions)
            t2 = time.perf_counter()
            print(f"{tr.source_name[:48]:48s} {tr.positions.shape}  reg {t1 - t0:.2f} s  pca {t2 - t1:.2f} s")
        for n in range(args.per_group):
            tr = tracks[n % len(tracks)]
            seen = np.isfinite(tr.positions).all(-1)
            got = draw_stretches(seen, 1, rng)  # the benchmark's draw: seen 5 frames each side, others seen
            if not got:
                continue
            k, s, L = got[0]
            frames = np.arange(s, s + L)
            known = tr.positions.copy()
            known[frames, k] = np.nan
            truth = tr.positions[frames, k]
            lo = max(0, s + L // 2 - WINDOW // 2)
            diag = scene_diagonal(tr.positions[lo : lo + WINDOW])
            for name, (m, v) in methods(tr.times, known, k, frames).items():
                kal = rows.setdefault((group, "_kalman"), {})
                none = ~np.isfinite(m).all(-1)
                r = rows.setdefault((group, name), dict(ade=[], none=0, cover=[], sd=[], err=[]))
                r["none"] += int(none.sum())
                if name == "kalman":
                    kal["m"] = m
                m = np.where(none[:, None], kal["m"], m)
                err = m - truth
                r["ade"].append(100 * np.linalg.norm(err, axis=-1).mean() / diag)
                if v is not None and not none.any():
                    sd = np.sqrt(v)
                    r["cover"].extend((np.abs(err) < 2 * sd).ravel())
                    r["sd"].extend(sd.ravel() / diag)
                    r["err"].extend(err.ravel() / diag)
    report(rows)


def report(rows):
    names = [n for g, n in rows if g == "multipart" and not n.startswith("_")]
    groups = list(GROUPS) + ["all"]
    table("ADE in % of the scene diagonal (mean ± s.e.), n stretches:", rows, names, groups, ade_cell)
    table("Calibration: share |error| < 2 s.d. / mean s.d. ÷ RMS error / cells without answer:", rows, names, groups,
          calibration_cell)


def table(title, rows, names, groups, cell):
    """A markdown table, a row per method and a column per group ("all" pools them); cell(rows) -> text."""
    print(f"\n{title}")
    print("| method | " + " | ".join(groups) + " |")
    print("|---" * (len(groups) + 1) + "|")
    for name in names:
        cells = [cell([rows[(h, name)] for h in GROUPS if g in ("all", h)]) for g in groups]
        print(f"| {name} | " + " | ".join(cells) + " |")


def ade_cell(rs):
    ade = np.concatenate([r["ade"] for r in rs])
    return f"{ade.mean():.2f} ± {ade.std(ddof=1) / np.sqrt(len(ade)):.2f} (n={len(ade)})"


def calibration_cell(rs):
    cover = np.concatenate([r["cover"] for r in rs]) if any(r["cover"] for r in rs) else np.array([])
    none = sum(r["none"] for r in rs)
    if not len(cover):
        return f"- / - / {none}"
    sd, err = np.concatenate([r["sd"] for r in rs]), np.concatenate([r["err"] for r in rs])
    return f"{100 * cover.mean():.0f} % / {sd.mean() / np.sqrt((err**2).mean()):.2f} / {none}"


if __name__ == "__main__":
    main()
