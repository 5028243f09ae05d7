"""The app's only caches: the model once per server, the examples and parsed uploads per input.

The Predictor guards its own decoding with a lock, so one instance serves every session. The model
and the landing page's fill are keyed on both checkpoint files (``checkpoint_stamp``): ``tune
--write`` and ``bench --record`` rewrite the JSON record alone, and a running app must not keep
decoding with the settings it replaced.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

import kinviz
from kinviz import default_path  # honours $KINVIZ_CHECKPOINT, as Predictor.load does
from kinviz_app import guard, media, real, results


def checkpoint_path() -> Path:
    return default_path()


def checkpoint_stamp(path: Path) -> tuple[tuple[int, int], ...]:
    """(mtime_ns, size) of the tensors and of the JSON record: a rewrite of either changes it."""
    stamp = []
    for file in (path, kinviz.videomodel.checkpoint.json_path(path)):
        try:
            stat = file.stat()
            stamp.append((stat.st_mtime_ns, stat.st_size))
        except OSError:  # missing: loading it raises CheckpointError with a sentence
            stamp.append((0, 0))
    return tuple(stamp)


@st.cache_resource(show_spinner="Loading the model…", max_entries=1)
def _predictor(path: str, stamp: tuple) -> kinviz.Predictor:  # stamp: a rewritten checkpoint file reloads
    predictor = kinviz.Predictor.load(path)
    # What a Run's scores import lazily (kinviz leaves it out of the command line's start-up) and the smoother's
    # compiled loop: here, the first Run on a server waits for neither (scipy.interpolate for the cubic baseline,
    # 0.9 s; the smoother compiled, about 8 s on a new install, its cache read from disk after, 0.5 s).
    import scipy.interpolate  # noqa: F401

    from kinviz.classical import kalman

    kalman.warm()
    guard.freeze_heap()
    return predictor


def predictor() -> kinviz.Predictor:
    """The model, loaded once per server (GPU when there is one). Raises CheckpointError."""
    path = checkpoint_path()
    return _predictor(str(path), checkpoint_stamp(path))


@st.cache_data(show_spinner=False)
def examples_index() -> pd.DataFrame:
    """The bundled examples' index with a ``name`` column (the file's stem, used in URLs)."""
    index = kinviz.load_index()
    return index.assign(name=index.file.str.removesuffix(".csv"))


@st.cache_data(show_spinner=False)
def real_index() -> pd.DataFrame:
    """The real tracker files bundled beside the app (``examples/real/index.csv``), with their presets."""
    return real.read_index()


def example(name: str) -> kinviz.Trajectory:
    """A bundled example, a real tracker file or a held-out recording (``held_out_key``) by its name;
    CSVError for any other name, before a path is built (names come from URLs)."""
    if name in set(examples_index().name):
        return _example(name)
    if name in set(real_index().name):
        return _real(name)
    traj = held_out_recording(name)
    if traj is None:
        raise kinviz.CSVError(f"there is no bundled example called {str(name)[:40]!r}")
    return traj


def preset(name: str) -> str | None:
    """The mask a real example opens with (``part:frames``); None for any other name."""
    rows = real_index()[real_index().name == name]
    return rows.preset.iloc[0] if len(rows) else None


@st.cache_data(show_spinner="Reading the file…", max_entries=4)
def _real(name: str) -> kinviz.Trajectory:  # a name from the real index
    return real.load(next(real_index().query("name == @name").itertuples()))


@st.cache_data(show_spinner=False, max_entries=64)
def _example(name: str) -> kinviz.Trajectory:  # a name from the index
    return kinviz.load_csv(kinviz.EXAMPLES_DIR / f"{name}.csv")


def upload(name: str, data: bytes, min_confidence: float = kinviz.DEFAULT_MIN_CONFIDENCE) -> kinviz.Trajectory:
    """An uploaded file, parsed once per content (SHA-256), name and confidence cut-off: a widget's rerun of
    the page finds it here instead of reading a 7,200-frame file again. CSVError for a bad file."""
    return parse(hashlib.sha256(data).hexdigest(), name, float(min_confidence), data)


@st.cache_data(show_spinner="Reading the file…", max_entries=16)
def parse(digest: str, name: str, min_confidence: float, _data: bytes) -> kinviz.Trajectory:  # _data: not hashed
    return results.read_upload(name, _data, min_confidence)


@st.cache_data(show_spinner=False)
def thumbnail(name: str) -> bytes:
    """A small PNG of an example's paths."""
    return media.thumbnail_png(example(name))


def held_out(task: str) -> list[kinviz.Trajectory] | None:
    """The held-out trajectories behind the model's recorded figure for ``task`` (the Overview's
    headline), drawn again as ``bench --record`` drew them; None when the record has no such task."""
    meta = predictor().meta
    entry = (meta.get("metrics") or {}).get(task)
    if not isinstance(entry, dict) or not entry.get("examples"):
        return None
    families = tuple(meta.get("data", {}).get("families") or kinviz.FAMILIES)
    return _held_out(task, int(entry["examples"]), families)


@st.cache_data(show_spinner=False, max_entries=8)
def _held_out(task: str, examples: int, families: tuple) -> list[kinviz.Trajectory]:
    from kinviz.training.splits import benchmark_split

    return benchmark_split(task, examples, families)


HELD_OUT_PREFIX = "held-out"


def held_out_key(task: str, name: str) -> str:
    """The name a held-out recording goes by in a link to Predict: ``held-out/<task>/<recording>``
    (``held-out/forecast/pendulum #2``); the recording is drawn again from the benchmark's seed."""
    return f"{HELD_OUT_PREFIX}/{task}/{name}"


def held_out_recording(key: str) -> kinviz.Trajectory | None:
    """The held-out recording a ``held_out_key`` names, drawn again as Evaluate drew it; None for any other text."""
    prefix, _, rest = str(key).partition("/")
    task, _, name = rest.partition("/")
    if prefix != HELD_OUT_PREFIX or task not in kinviz.TASKS + kinviz.PART_TASKS:
        return None
    return next((t for t in held_out(task) or [] if t.source_name == name), None)


DEMO = ("pendulum-01", "interpolate")  # the landing page's recording and task: a swing with its middle third hidden


@st.cache_resource(show_spinner="Filling a recording for the overview…", max_entries=1)
def _demo(path: str, stamp: tuple) -> results.Demo:  # stamp: a rewritten checkpoint file redraws it
    name, task = DEMO
    traj = example(name)
    mask = kinviz.task_mask(task, traj.n_frames)
    pred = predictor().predict(traj, mask, seed=0, compare=True)
    return results.demo(pred, name)


def demo() -> results.Demo:
    """The landing page's real fill: a bundled recording, frames hidden, truth beside the model's fill."""
    path = checkpoint_path()
    return _demo(str(path), checkpoint_stamp(path))
