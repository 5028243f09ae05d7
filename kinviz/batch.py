"""Fill many files at once: `python -m kinviz predict FILES... --out-dir DIR [--jobs N]`.

Each file is read, filled and written to DIR under its own name (an `.h5` as the CSV its tool writes)
by one of N worker processes, each holding its own copy of the model. A file that fails is named in
the summary with its one-line reason; the others are still written.
"""

from __future__ import annotations

import glob
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .errors import KinvizError

SUFFIXES = (".csv", ".txt", ".tsv", ".h5")  # what a folder given as input contributes


@dataclass(frozen=True)
class Job:
    """One file's settings: what `predict` takes for a single file."""

    mask: str | None
    min_confidence: float
    seed: int
    steps: int | None
    checkpoint: str | None
    device: str


@dataclass(frozen=True)
class Done:
    source: Path
    out: Path | None
    summary: str  # what was written, or the one-line reason it failed
    ok: bool


def expand(inputs: list[str]) -> list[Path]:
    """Files named, matched by a glob (`runs/*.csv`, `**` too) or found in a folder, each once, in order."""
    files: list[Path] = []
    for item in inputs:
        if glob.has_magic(item):
            matched = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
            if not matched:
                raise KinvizError(f"no file matches '{item}'")
            files += matched
        elif Path(item).is_dir():
            files += sorted(p for p in Path(item).iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            files.append(Path(item))
    return list(dict.fromkeys(files))


def out_path(source: Path, out_dir: Path) -> Path:
    """Where a filled file goes: its own name in `out_dir`; an .h5 comes back as its tool's CSV."""
    return out_dir / (source.stem + ".csv" if source.suffix.lower() == ".h5" else source.name)


def plan(inputs: list[str], out_dir: str) -> list[tuple[Path, Path]]:
    """(source, destination) per file; two sources of one name, or a destination that is a source, are refused."""
    files = expand(inputs)
    if not files:
        raise KinvizError("no input files: name files, a folder or a pattern such as 'tracks/*.csv'")
    pairs = [(f, out_path(f, Path(out_dir))) for f in files]
    seen: dict[Path, Path] = {}
    for source, dest in pairs:
        if dest in seen:
            raise KinvizError(f"'{seen[dest]}' and '{source}' would both be written to '{dest}'; fill them in two runs")
        if dest.resolve() == source.resolve():
            raise KinvizError(f"--out-dir would overwrite '{source}'; choose another folder")
        seen[dest] = source
    return pairs


_PREDICTOR = None  # one model per worker process, loaded by its first file


def predict_file(source, job: Job, *, warn=None):
    """One file read and filled: the Prediction (`to_csv` gives the file). `warn(note)` hears the reader's notes."""
    global _PREDICTOR
    from .formats import load_track
    from .masks import parse_mask
    from .predict import Predictor

    traj = load_track(source, min_confidence=job.min_confidence)
    mask = parse_mask(job.mask, traj.n_frames, seed=job.seed, names=traj.names)
    for note in traj.warnings if warn else ():
        warn(note)
    if job.steps is not None and job.steps < 1:
        raise KinvizError(f"--steps must be at least 1, got {job.steps}")
    if _PREDICTOR is None:
        _PREDICTOR = Predictor.load(job.checkpoint, device=job.device)
    return _PREDICTOR.predict(traj, mask, seed=job.seed, steps=job.steps)


def fill_file(source: Path, dest: Path, job: Job) -> Done:
    """Read, fill and write one file; a KinvizError or OSError becomes a failed Done, not an exception."""
    from .formats import written_summary

    try:
        pred = predict_file(source, job)
        traj = pred.trajectory
        dest.write_text(pred.to_csv(), encoding="utf-8", newline="")
    except (KinvizError, OSError) as e:
        return Done(source, None, str(e) if isinstance(e, KinvizError) else f"{e.strerror or e}", False)
    return Done(source, dest, written_summary(traj, pred.filled), True)


def run(pairs: list[tuple[Path, Path]], job: Job, *, jobs: int = 1, progress=None) -> list[Done]:
    """Fill every (source, destination) pair with `jobs` worker processes; `progress(done)` after each file."""
    if jobs < 1:
        raise KinvizError(f"--jobs must be at least 1, got {jobs}")
    pairs[0][1].parent.mkdir(parents=True, exist_ok=True)
    results = []
    if jobs == 1:
        for source, dest in pairs:
            results.append(fill_file(source, dest, job))
            progress and progress(results[-1])
        return results
    with ProcessPoolExecutor(max_workers=min(jobs, len(pairs), os.cpu_count() or jobs)) as pool:
        futures = [pool.submit(fill_file, source, dest, job) for source, dest in pairs]
        for future in as_completed(futures):
            results.append(future.result())
            progress and progress(results[-1])
    order = {source: i for i, (source, _) in enumerate(pairs)}
    return sorted(results, key=lambda d: order[d.source])
