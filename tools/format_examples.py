"""Files in each tracker's format, made from kinviz's own generator: the bundled examples, test files
and the read/write timing. It writes the repository, so it lives outside the package.

    python -m tools.format_examples [OUT] [--seed N]    # rewrite kinviz/data/formats/
"""

from __future__ import annotations

import argparse
import csv
import io
import time
from pathlib import Path

import numpy as np

from kinviz.io.examples import EXAMPLES, FORMATS_DIR, TOOLS
from kinviz.training.generate import simulate


def to_pixels(positions: np.ndarray, size: float = 500.0) -> np.ndarray:
    """(T, K, 2) metres, y up -> image coordinates (y down) spanning about `size` pixels."""
    lo, hi = np.nanmin(positions, axis=(0, 1)), np.nanmax(positions, axis=(0, 1))
    scale = size / max(float(np.max(hi - lo)), 1e-9)
    out = (positions - lo) * scale + 40
    out[..., 1] = size + 80 - out[..., 1]
    return out


def write_format(fmt: str, positions: np.ndarray, names: list[str], lost: np.ndarray, *, rng: np.random.Generator,
                 dt: float = 0.04) -> str:
    """The text of one file in `fmt` (a key of TOOLS): positions (T, K, 2), K names, lost (T, K) bool.

    A lost point is what its tracker writes when it loses one: a jump with a low likelihood or score
    (DeepLabCut, SLEAP), empty cells (DeepLabCut multi-animal, SLEAP, Tracker), no row (TrackMate,
    MOT). Names 'group/part' give DeepLabCut individuals and SLEAP tracks.
    """
    T, K, _ = positions.shape
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", delimiter="\t" if fmt.startswith("tracker") else ",")
    num = lambda v, d=6: f"{v:.{d}f}"  # noqa: E731
    if fmt == "tracker_sv":  # Tracker writes the user's locale: Swedish has a decimal comma and U+2212 for minus
        num = lambda v, d=6: f"{v:.{d}f}".replace(".", ",").replace("-", "\u2212")  # noqa: E731
    conf = np.where(lost, rng.uniform(0.02, 0.5, (T, K)), rng.uniform(0.85, 1.0, (T, K)))
    jumped = positions + lost[..., None] * rng.normal(0, 40, positions.shape)
    split = [n.split("/", 1) if "/" in n else ["", n] for n in names]
    if fmt in ("deeplabcut", "deeplabcut_multi"):
        scorer = "DLC_resnet50_kinvizexampleshuffle1_100000"
        w.writerow(["scorer"] + [scorer] * 3 * K)
        if fmt == "deeplabcut_multi":
            w.writerow(["individuals"] + [g for g, _ in split for _ in range(3)])
        w.writerow(["bodyparts"] + [p for _, p in split for _ in range(3)])
        w.writerow(["coords"] + ["x", "y", "likelihood"] * K)
        for t in range(T):
            cells = [str(t)]
            for k in range(K):
                empty = fmt == "deeplabcut_multi" and lost[t, k]
                cells += ["", "", ""] if empty else [repr(float(jumped[t, k, 0])), repr(float(jumped[t, k, 1])),
                                                     repr(float(conf[t, k]))]
            w.writerow(cells)
    elif fmt == "sleap":
        tracks = list(dict.fromkeys(g for g, _ in split))
        nodes = list(dict.fromkeys(p for _, p in split))
        w.writerow(["track", "frame_idx", "instance.score"] + [f"{n}.{a}" for n in nodes for a in ("x", "y", "score")])
        for t in range(T):
            for g in tracks:
                ks = [names.index(f"{g}/{n}" if g else n) if (f"{g}/{n}" if g else n) in names else -1 for n in nodes]
                if all(k < 0 or lost[t, k] for k in ks):
                    continue  # the instance was not found in this frame: no row
                cells = [g, str(t), num(float(np.mean(conf[t, [k for k in ks if k >= 0]])), 4)]
                for k in ks:
                    empty = k < 0 or (lost[t, k] and t % 2)  # a lost node: empty cells or a low-score jump
                    cells += ["", "", ""] if empty else [num(jumped[t, k, 0], 3), num(jumped[t, k, 1], 3),
                                                         num(conf[t, k], 4)]
                w.writerow(cells)
    elif fmt == "trackmate":
        w.writerows([["LABEL", "ID", "TRACK_ID", "QUALITY", "POSITION_X", "POSITION_Y", "POSITION_Z", "POSITION_T",
                      "FRAME", "RADIUS", "VISIBILITY"],
                     ["Label", "Spot ID", "Track ID", "Quality", "X", "Y", "Z", "T", "Frame", "Radius", "Visibility"],
                     ["Label", "Spot ID", "Track ID", "Quality", "X", "Y", "Z", "T", "Frame", "R", "Visibility"],
                     ["", "", "", "(quality)", "(micron)", "(micron)", "(micron)", "(sec)", "", "(micron)", ""]])
        spot = 0
        for k in range(K):  # TrackMate writes spots track by track
            for t in np.flatnonzero(~lost[:, k]):
                w.writerow([f"ID{spot}", str(spot), str(k), num(rng.uniform(20, 90), 3), num(positions[t, k, 0], 3),
                            num(positions[t, k, 1], 3), "0.0", num(t * dt, 3), str(t), "0.5", "1"])
                spot += 1
    elif fmt.startswith("tracker"):  # Tracker 6: the name over its x column; both header lines end with a delimiter
        if K == 1:
            w.writerows([["", names[0], ""], ["t", "x", "y", ""]])
        else:
            w.writerows([["#multi:"], [""] + [c for n in names for c in (n, "")] + [""], ["t"] + ["x", "y"] * K + [""]])
        for t in range(T):
            w.writerow([num(t * dt, 4)] + [c for k in range(K) for c in
                                         (["", ""] if lost[t, k] else [num(positions[t, k, 0], 5), num(positions[t, k, 1], 5)])])
    elif fmt == "mot":
        size = np.abs(rng.normal([40, 100], [5, 10], (K, 2)))  # box width, height per id
        for t in range(T):
            for k in np.flatnonzero(~lost[t]):
                left, top = positions[t, k] - size[k] / 2
                w.writerow([str(t + 1), str(k + 1), num(left, 2), num(top, 2), num(size[k, 0], 2), num(size[k, 1], 2),
                            "1", "1", "1.0"])
    else:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(TOOLS)}")
    return buf.getvalue()


def _lost(T: int, K: int, rng: np.random.Generator, runs: int = 4) -> np.ndarray:
    """(T, K) bool: a few runs of 1-8 lost frames per object, never in the first two frames."""
    lost = np.zeros((T, K), dtype=bool)
    for k in range(K):
        for _ in range(runs):
            start = int(rng.integers(2, max(3, T - 10)))
            lost[start:start + int(rng.integers(1, 9)), k] = True
    return lost


def example(fmt: str, family: str, n_frames: int, rng: np.random.Generator) -> str:
    """One example file: a clip of `family` from kinviz.training.generate written as `fmt`."""
    # Several people or pucks where the family can have them: a tracker's file is about telling them apart.
    want = 2 if family in ("walker", "collision") else 1
    sample = next(s for s in (simulate(family, rng, n_frames=n_frames) for _ in range(50)) if len(s.names) >= want)
    positions, names = sample.positions, list(sample.names)
    if fmt.startswith("tracker"):  # Tracker calls its point masses mass_A, mass_B, ...
        names = [f"mass_{chr(65 + k)}" for k in range(len(names))]
    if family == "walker":  # people: a head above the hip; DeepLabCut individuals / SLEAP tracks
        people = [f"person{k + 1}" for k in range(len(names))]
        if fmt == "mot":
            positions[..., 1] += 0.9
        else:
            positions = np.concatenate([positions + [0, 1.6], positions + [0, 0.9]], axis=1)
            names = [f"{p}/{part}" for part in ("head", "hip") for p in people]
            order = sorted(range(len(names)), key=lambda k: names[k])
            positions, names = positions[:, order], [names[k] for k in order]
    if fmt == "trackmate":
        positions = to_pixels(positions, 40.0) / 10
    elif fmt == "tracker_sv":  # the axes' origin at the middle of the scene, as one places it in Tracker
        positions = positions - np.nanmean(positions, axis=(0, 1))
    elif fmt != "tracker":
        positions = to_pixels(positions)
    dt = float(sample.times[1] - sample.times[0])
    return write_format(fmt, positions, names, _lost(n_frames, positions.shape[1], rng), rng=rng, dt=dt)


def dlc_h5(csv_text: str, path: Path | str) -> Path:
    """DeepLabCut's .h5 beside its CSV, written as DeepLabCut writes it: the CSV's table through pandas'
    `to_hdf(key='df_with_missing', format='table')` (needs PyTables: requirements-dev.txt)."""
    import pandas as pd

    head = 4 if csv_text.split("\n", 2)[1].startswith("individuals") else 3
    table = pd.read_csv(io.StringIO(csv_text), header=list(range(head)), index_col=0)
    table.columns = table.columns.set_names(["scorer", "individuals", "bodyparts", "coords"][4 - head:])
    table.to_hdf(path, key="df_with_missing", format="table", mode="w")
    return Path(path)


def sleap_h5(csv_text: str, path: Path | str) -> Path:
    """SLEAP's analysis .h5 holding what its analysis CSV holds, in SLEAP's layout: tracks (n_tracks, 2, n_nodes,
    n_frames), point_scores (n_tracks, n_nodes, n_frames), instance_scores (n_tracks, n_frames),
    track_occupancy (n_frames, n_tracks), node_names, track_names."""
    import h5py

    rows = list(csv.reader(io.StringIO(csv_text)))
    head, data = rows[0], rows[1:]
    nodes = [h[:-2] for h in head[3:] if h.endswith(".x")]
    names = list(dict.fromkeys(r[0] for r in data))
    n_frames = max(int(r[1]) for r in data) + 1
    value = lambda c: float(c) if c else np.nan  # noqa: E731
    tracks = np.full((len(names), 2, len(nodes), n_frames), np.nan)
    scores = np.full((len(names), len(nodes), n_frames), np.nan)
    instance = np.full((len(names), n_frames), np.nan)
    occupancy = np.zeros((n_frames, len(names)), np.uint8)
    for r in data:
        t, f = names.index(r[0]), int(r[1])
        occupancy[f, t], instance[t, f] = 1, value(r[2])
        for n in range(len(nodes)):
            x, y, score = (value(c) for c in r[3 + 3 * n: 6 + 3 * n])
            tracks[t, :, n, f], scores[t, n, f] = (x, y), score
    with h5py.File(path, "w", track_order=True) as f:
        for key, array in [("tracks", tracks), ("point_scores", scores), ("instance_scores", instance),
                           ("track_occupancy", occupancy)]:
            f.create_dataset(key, data=array, compression="gzip", track_times=False)
        f.create_dataset("node_names", data=np.array([n.encode() for n in nodes], dtype="S"), track_times=False)
        f.create_dataset("track_names", data=np.array([n.encode() for n in names], dtype="S"), track_times=False)
    return Path(path)


# .h5 examples: (file, the bundled CSV they hold, writer). Binary, so not among the text examples the Examples page shows.
H5_EXAMPLES = [("deeplabcut-walkers.h5", "deeplabcut-walkers.csv", dlc_h5), ("sleap-walkers.h5", "sleap-walkers.csv", sleap_h5)]


def write_h5_examples(out_dir: Path | str = FORMATS_DIR) -> list[Path]:
    """Write each .h5 example from the bundled CSV it holds (DeepLabCut and SLEAP write both)."""
    out_dir = Path(out_dir)
    return [writer((FORMATS_DIR / source).read_text(encoding="utf-8"), out_dir / file) for file, source, writer in H5_EXAMPLES]


def write_examples(out_dir: Path | str = FORMATS_DIR, *, seed: int = 2024) -> list[Path]:
    """Write one example per format; the same seed gives byte-identical files."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (file, fmt, family, n_frames, _) in enumerate(EXAMPLES):
        path = out_dir / file
        path.write_text(example(fmt, family, n_frames, np.random.default_rng([seed, i])), encoding="utf-8", newline="")
        paths.append(path)
    return paths


def time_roundtrip(n_frames: int = 20_000, *, objects: int = 4, seed: int = 0) -> list[dict]:
    """Seconds to read and to write back an `n_frames`-frame file in each format, `objects` objects each.

    One dict per format: format, frames, objects, bytes, read_s, write_s. The fill between reading
    and writing (linear interpolation) is not timed.
    """
    from kinviz.classical.baselines import fill_baseline
    from kinviz.io.csv import write_csv
    from kinviz.io.formats import load_track

    rng = np.random.default_rng(seed)
    positions = 300 + np.cumsum(rng.normal(0, 2, (n_frames, objects, 2)), axis=0)
    rows = []
    for fmt in TOOLS:
        names = [f"animal{k // 2}/part{k % 2}" for k in range(objects)] if fmt in ("sleap", "deeplabcut_multi") \
            else [f"part{k}" for k in range(objects)]
        text = write_format(fmt, positions, names, _lost(n_frames, objects, rng, runs=n_frames // 200), rng=rng)
        start = time.perf_counter()
        traj = load_track(text)
        read_s = time.perf_counter() - start
        filled = fill_baseline("linear", traj.times, traj.positions, np.zeros(traj.n_frames, bool))
        start = time.perf_counter()
        write_csv(traj, filled, traj.missing)
        rows.append({"format": fmt, "frames": traj.n_frames, "objects": traj.n_objects, "bytes": len(text.encode()),
                     "read_s": read_s, "write_s": time.perf_counter() - start})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write kinviz's bundled tracker-format examples.")
    parser.add_argument("out", nargs="?", default=str(FORMATS_DIR), help="output folder")
    parser.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    args = parser.parse_args(argv)
    paths = write_examples(args.out, seed=args.seed) + write_h5_examples(args.out)
    print(f"wrote {len(paths)} examples to {args.out}")


if __name__ == "__main__":
    main()
