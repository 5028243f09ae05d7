"""``python -m kinviz convert EXAMPLES OUT --augment 4``: example CSVs -> training videos.

Each CSV becomes ``augment`` videos (the prototype turned 35 CSVs into 140 videos this way): the
trajectory is augmented (mirror, rotation, scale, offset: ``generate.augment``), framed from all
its observed cells and drawn at the model's 32x32 resolution, objects in groups of three per
video. Each video is written as an MP4 to look at and as a lossless ``.npz`` (frames and positions)
to train on, with a ``videos.csv`` manifest. The same seed writes the same files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from . import generate
from ..core.errors import KinvizError
from ..videomodel.render import MODEL_SIZE, Framing, object_groups, render
from ..io.csv import load_csv
from ..io.formats import collect_csvs

FPS = 10


def write_mp4(path: Path, frames: np.ndarray, fps: int = FPS, scale: int = 4) -> None:
    """(T, H, W, 3) uint8 RGB -> an MP4 file, upscaled ``scale``x with nearest neighbours."""
    T, H, W, _ = frames.shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (W * scale, H * scale))
    if not writer.isOpened():
        raise KinvizError(f"cannot write video {path}: OpenCV has no MP4 encoder here")
    for f in frames:
        big = cv2.resize(f, (W * scale, H * scale), interpolation=cv2.INTER_NEAREST)
        writer.write(cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    writer.release()


def convert(examples: str | Path, out: str | Path, *, augment: int = 4, seed: int = 0) -> list[Path]:
    """Write ``augment`` videos per CSV in ``examples`` (a folder) into ``out``; returns the .npz paths."""
    if augment < 1:
        raise KinvizError(f"--augment must be at least 1, got {augment}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written, manifest = [], []
    for path in tqdm(collect_csvs([examples]), desc="convert", unit="file", disable=None):  # stderr, terminals only
        traj = load_csv(path)
        for v in range(augment):
            pos = generate.augment(traj.positions, rng)
            for g, group in enumerate(object_groups(traj.n_objects)):
                sub = pos[:, group]
                observed = np.isfinite(sub).all(-1)
                frames = render(sub, Framing.from_observed(sub, observed, MODEL_SIZE))
                stem = f"{path.stem}-aug{v}" + (f"-g{g}" if traj.n_objects > 3 else "")
                np.savez_compressed(out / f"{stem}.npz", frames=frames, positions=sub, times=traj.times)
                write_mp4(out / f"{stem}.mp4", frames)
                written.append(out / f"{stem}.npz")
                manifest.append([stem, path.name, v, traj.n_frames, len(group)])
    with open(out / "videos.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["video", "source", "variant", "frames", "objects"])
        w.writerows(manifest)
    return written
