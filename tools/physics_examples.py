"""The bundled example recordings (``kinviz/data/examples/``): 5 lab-style CSV files per physics family
and their index.csv, written from kinviz's own generator. It writes the repository, so it lives outside
the package; ``kinviz.io.examples`` reads what it writes (``EXAMPLES_DIR``, ``load_index``).

    python -m tools.physics_examples [OUT] [--seed N]    # rewrite kinviz/data/examples/
"""
from __future__ import annotations

import argparse
import csv
import io
import math
from pathlib import Path

import numpy as np

from kinviz.io.examples import EXAMPLES_DIR, INDEX_COLUMNS
from kinviz.training.generate import PHYSICS_FAMILIES, add_tracker_noise, describe, plural, simulate
from kinviz.training.sampling import extent


def _dropouts(positions: np.ndarray, rng) -> int:
    """Blank short tracker dropouts (1-6 frames, or a single x,y pair) in place; returns count."""
    n_frames, n_objects, _ = positions.shape
    count = int(rng.integers(1, 4))
    for _ in range(count):
        length = 1 if rng.random() < 0.3 else int(rng.integers(1, 7))
        start = int(rng.integers(1, max(2, n_frames - length - 1)))
        positions[start:start + length, int(rng.integers(n_objects))] = np.nan
    return count


def _csv_text(times, positions, names, *, layout, extra, delimiter, rng) -> str:
    """The CSV text of one recording; NaN becomes an empty cell."""
    n_frames, n_objects, _ = positions.shape
    # Fixed decimals per file, about 6 significant digits of the motion's extent.
    decimals = max(0, 5 - math.floor(math.log10(extent(positions))))
    cell = lambda v: "" if np.isnan(v) else f"{round(float(v), decimals) + 0.0:.{decimals}f}"
    # Times to ~6 significant digits of the frame interval, trailing zeros dropped.
    places = max(0, 5 - math.floor(math.log10(times[1] - times[0])))
    stamp = lambda t: f"{t:.{places}f}".rstrip("0").rstrip(".")
    axes = ["x", "y", "z"] if "z" in extra else ["x", "y"]
    if "z" in extra:  # a 3-D tracker looking straight at the plane: zeros or a little depth jitter
        z = np.zeros((n_frames, n_objects, 1)) if extra["z"] == 0 else (
            rng.normal(size=(n_frames, n_objects, 1)) * extra["z"] * extent(positions))
        z = np.where(np.isnan(positions[..., :1]), np.nan, z)
        positions = np.concatenate([positions, z], -1)
    extra_name = next((k for k in extra if k != "z"), None)
    extra_values = {"label": [f"trial {int(rng.integers(1, 9))}"] * n_frames,
                    "temperature": [f"{v:.1f}" for v in 21 + rng.uniform(-2, 2) +
                                    np.cumsum(rng.normal(size=n_frames) * 0.02)]}.get(extra_name)
    header, rows = ["time"], []
    if layout == "long":
        header += ["object", *axes]
        for i, t in enumerate(times):
            rows += [[stamp(t), name, *map(cell, positions[i, k])] for k, name in enumerate(names)]
    else:
        header += [f"{n}_{a}" if layout == "wide_named" else a for n in names for a in axes]
        rows = [[stamp(t), *map(cell, positions[i].ravel())] for i, t in enumerate(times)]
    if extra_name:
        per_row = len(rows) // n_frames
        header.append(extra_name)
        rows = [row + [extra_values[r // per_row]] for r, row in enumerate(rows)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerows([header, *rows])
    return buffer.getvalue()


def write_examples(out_dir: Path | str = EXAMPLES_DIR, *, seed: int = 2023) -> list[Path]:
    """Write 5 lab-style recordings per family and index.csv; same seed -> byte-identical files.

    Returns the paths written (the recordings, then index.csv).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    per_family = 5
    n_files = per_family * len(PHYSICS_FAMILIES)
    # Which files get the rarer traits: spread over families by one shuffled plan.
    plan = np.random.default_rng([seed, 0]).permutation(n_files)
    traits = {int(i): t for i, t in zip(plan, [{"z": 0}, {"z": 0.002}, {"label": 1},
                                                {"temperature": 1}, {"semicolon": 1}])}
    missing = set(np.random.default_rng([seed, 1]).permutation(n_files)[: n_files // 4].tolist())
    paths, index = [], []
    for f, family in enumerate(PHYSICS_FAMILIES):
        for j in range(per_family):
            number = f * per_family + j
            rng = np.random.default_rng([seed, 2, f, j])
            n_frames = 48 if rng.random() < 0.2 else int(rng.integers(24, 121))
            sample = simulate(family, rng, n_frames=n_frames)
            positions = sample.positions.copy()
            description = describe(sample)
            if rng.random() < 0.35:
                positions = add_tracker_noise(positions, rng, level=rng.uniform(0.001, 0.005))
                description += ", mild tracker noise"
            if number in missing:
                count = _dropouts(positions, rng)
                description += f", {plural(count, 'dropout')}"
            if len(sample.names) == 1:
                layout = str(rng.choice(["wide", "wide_named", "long"], p=[0.45, 0.3, 0.25]))
            else:
                layout = str(rng.choice(["wide_named", "long"], p=[0.6, 0.4]))
            extra = dict(traits.get(number, {}))
            delimiter = ";" if extra.pop("semicolon", None) else ","
            text = _csv_text(sample.times, positions, sample.names, layout=layout, extra=extra,
                             delimiter=delimiter, rng=rng)
            path = out_dir / f"{family}-{j + 1:02d}.csv"
            path.write_text(text, encoding="utf-8", newline="")
            paths.append(path)
            tags = [*extra, *(["semicolon"] if delimiter == ";" else [])]
            index.append([path.name, family, len(sample.names), n_frames, "+".join([layout, *tags]),
                          int(np.isnan(positions).sum() // 2 * (2 + ("z" in extra))),
                          description + "."])
    index_path = out_dir / "index.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([INDEX_COLUMNS, *index])
    index_path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return [*paths, index_path]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write kinviz's bundled example recordings.")
    parser.add_argument("out", nargs="?", default=str(EXAMPLES_DIR), help="output folder")
    parser.add_argument("--seed", type=int, default=2023, help="random seed (default 2023)")
    args = parser.parse_args(argv)
    paths = write_examples(args.out, seed=args.seed)
    print(f"wrote {len(paths) - 1} examples and index.csv to {args.out}")


if __name__ == "__main__":
    main()
