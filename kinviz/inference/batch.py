"""Fill many files at once: `python -m kinviz predict FILES... --out-dir DIR [--jobs N] [--scheduler ADDR]`.

Each file is read, filled and written to DIR under its own name (an `.h5` as the CSV its tool writes)
by one of N worker processes, each holding its own copy of the model, or by the workers of a Dask
cluster (`--scheduler`), which run the same per-file job, `fill_file`. A file that fails is named in
the summary with its one-line reason; the others are still written. Every file is written whole or
not at all (`io.atomic.write_atomic`); a worker process that dies (killed, out of memory) loses only
the file it held, which a fresh worker tries once more.
"""

from __future__ import annotations

import glob
import multiprocessing
import os
import threading
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

from ..core.errors import KinvizError
from ..io.atomic import remove_leftovers, write_atomic

SUFFIXES = (".csv", ".txt", ".tsv", ".h5")  # what a folder given as input contributes
TRIES = 2  # a file whose worker process died is tried once more, in a fresh process


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


_PREDICTORS: dict = {}  # (checkpoint, device) -> Predictor: one model per worker process, loaded by its first file
_MODEL_LOCK = threading.Lock()  # a Dask worker may run several files at once in threads; they share its model


def predict_file(source, job: Job, *, warn=None):
    """One file read and filled: the Prediction (`to_csv` gives the file). `warn(note)` hears the reader's notes."""
    from ..io.formats import load_track
    from ..core.masks import parse_mask

    traj = load_track(source, min_confidence=job.min_confidence)
    mask = parse_mask(job.mask, traj.n_frames, seed=job.seed, names=traj.names, unseen=traj.unseen)
    for note in traj.warnings if warn else ():
        warn(note)
    if job.steps is not None and job.steps < 1:
        raise KinvizError(f"--steps must be at least 1, got {job.steps}")
    # The model (torch, seconds to import and load) only now: a bad file, mask or setting is refused at once.
    from ..videomodel.checkpoint import default_path
    from .predict import Predictor

    with _MODEL_LOCK:
        key = (str(job.checkpoint or default_path()), job.device)  # a long-lived Dask worker serves many runs
        if key not in _PREDICTORS:
            _PREDICTORS[key] = Predictor.load(key[0], device=job.device)
        return _PREDICTORS[key].predict(traj, mask, seed=job.seed, steps=job.steps)  # the filled file alone


def fill_file(source: Path, dest: Path, job: Job) -> Done:
    """Read, fill and write one file; a KinvizError or OSError becomes a failed Done, not an exception."""
    from ..io.track_writer import written_summary

    try:
        pred = predict_file(source, job)
        traj = pred.trajectory
        write_atomic(dest, pred.to_csv())
    except (KinvizError, OSError) as e:
        return Done(source, None, str(e) if isinstance(e, KinvizError) else f"{e.strerror or e}", False)
    return Done(source, dest, written_summary(traj, pred.filled), True)


def run(pairs: list[tuple[Path, Path]], job: Job, *, jobs: int = 1, scheduler: str | None = None,
        progress=None) -> list[Done]:
    """Fill every (source, destination) pair, in the pairs' order: in this process (`jobs` 1), in `jobs`
    worker processes, or on a Dask cluster (`scheduler`, see `on_dask`). `progress(done)` after each file."""
    if jobs < 1:
        raise KinvizError(f"--jobs must be at least 1, got {jobs}")
    pairs[0][1].parent.mkdir(parents=True, exist_ok=True)
    if scheduler is not None:
        return on_dask(pairs, job, scheduler, jobs=jobs, progress=progress)
    results = []
    if jobs == 1:
        for source, dest in pairs:
            results.append(fill_file(source, dest, job))
            progress and progress(results[-1])
        return results
    return in_processes(pairs, job, min(jobs, len(pairs), os.cpu_count() or jobs), progress=progress)


class _Worker:
    """One spawned worker process, the pipe to it, and the file it holds (an index into the pairs, or None)."""

    def __init__(self, ctx, job: Job, threads: int):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, job, threads), daemon=True)
        self.process.start()
        child.close()
        self.holds: int | None = None


def in_processes(pairs: list[tuple[Path, Path]], job: Job, workers: int, *, progress=None) -> list[Done]:
    """`fill_file` for every pair in `workers` spawned processes, one file at a time each; results in the pairs'
    order. A process that dies loses only the file it holds: its leftovers are removed, and a fresh process
    tries it again, up to TRIES times in all; then it is a failed Done saying so."""
    # Spawned, not forked: a fork of a process that has run torch's thread pool can hang in the child.
    # The cores are shared out: N workers of torch's default (every core) each ran 4x slower on 2 cores.
    ctx = multiprocessing.get_context("spawn")
    threads = max(1, (os.cpu_count() or 1) // workers)
    todo, tries = deque(range(len(pairs))), [0] * len(pairs)
    results: list[Done | None] = [None] * len(pairs)
    pool = [_Worker(ctx, job, threads) for _ in range(workers)]

    def give(w: _Worker) -> None:
        w.holds = todo.popleft() if todo else None
        if w.holds is not None:
            tries[w.holds] += 1
            w.conn.send(pairs[w.holds])

    def finish(i: int, done: Done) -> None:
        results[i] = done
        progress and progress(done)

    try:
        for w in pool:
            give(w)
        while busy := [w for w in pool if w.holds is not None]:
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for w in busy:
                if w.conn not in ready and w.process.sentinel not in ready:
                    continue
                try:
                    finish(w.holds, w.conn.recv())
                    give(w)
                    continue
                except (EOFError, OSError):  # the process died holding this file
                    pass
                i = w.holds
                w.process.join()
                remove_leftovers(pairs[i][1])
                if tries[i] < TRIES:
                    todo.appendleft(i)
                else:
                    finish(i, Done(pairs[i][0], None, f"the worker process filling it died {tries[i]} times "
                                   f"(exit code {w.process.exitcode}: killed, or out of memory)", False))
                pool[pool.index(w)] = w = _Worker(ctx, job, threads)
                give(w)
    finally:
        for w in pool:
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in pool:
            w.process.join(timeout=10)
            if w.process.is_alive():
                w.process.kill()
    return results


def _serve(conn, job: Job, threads: int) -> None:
    """A worker process: fill each (source, destination) it is sent, answer with the Done, until sent None."""
    import torch

    torch.set_num_threads(threads)  # this worker's share of the machine's cores
    while (pair := conn.recv()) is not None:
        try:
            done = fill_file(*pair, job)
        except Exception as e:  # noqa: BLE001 - an error kinviz did not foresee fails this file, not the worker
            done = Done(pair[0], None, f"{type(e).__name__}: {' '.join(str(e).split())}", False)
        conn.send(done)


def on_dask(pairs: list[tuple[Path, Path]], job: Job, scheduler: str, *, jobs: int = 1, progress=None) -> list[Done]:
    """`fill_file` for every pair on the workers of a Dask cluster, results in the pairs' order.

    scheduler: a running scheduler's address (`tcp://host:8786`) or its scheduler file (`.json`); the
    scheduler and its workers need kinviz importable (it unpickles the tasks), the workers also the
    checkpoint (`--checkpoint` or `$KINVIZ_CHECKPOINT` naming the same file there) and these paths (a
    shared file system). Or `local`: a cluster of `jobs` one-thread worker processes on this machine,
    closed afterwards. A file whose task fails on a worker (the worker died,
    an error kinviz did not foresee) is a failed Done with the reason; the others go on.
    """
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as completed
    except ImportError:
        raise KinvizError("--scheduler needs Dask: pip install 'dask[distributed]' (requirements.txt pins it)") from None

    # Workers may run in another folder, or on another machine that mounts the same files.
    absolute = [(source.resolve(), dest.resolve()) for source, dest in pairs]
    try:
        if scheduler == "local":
            cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, dashboard_address=None)
            client = Client(cluster)
        else:
            cluster = None
            if scheduler.endswith(".json") and not Path(scheduler).is_file():  # Client would wait for it forever
                raise FileNotFoundError(f"no scheduler file {scheduler}")
            where = {"scheduler_file": scheduler} if scheduler.endswith(".json") else {"address": scheduler}
            client = Client(**where, timeout="20s")
    except OSError as e:
        raise KinvizError(f"no Dask scheduler answers at '{scheduler}' ({e}); start one with `dask scheduler` and "
                          "workers with `dask worker ADDRESS`, or give --scheduler local") from None
    results: list[Done | None] = [None] * len(pairs)
    try:
        futures = {client.submit(fill_file, source, dest, job, pure=False): i for i, (source, dest) in enumerate(absolute)}
        for future in completed(futures):
            i = futures[future]
            try:
                done = future.result()
                done = Done(pairs[i][0], pairs[i][1] if done.ok else None, done.summary, done.ok)  # the paths as given
            except Exception as e:  # noqa: BLE001 - one file's task lost on a worker is reported, the rest go on
                done = Done(pairs[i][0], None, f"{type(e).__name__}: {' '.join(str(e).split())}", False)  # one line
            results[i] = done
            progress and progress(done)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results
