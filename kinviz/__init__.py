"""kinviz: fill the gaps in tracked motion, and measure each fill on the file itself.

    import kinviz
    traj = kinviz.load_track("track.csv")  # or a DeepLabCut, SLEAP, TrackMate, Tracker, MOT file
    pred = kinviz.Predictor.load().predict(traj, kinviz.parse_mask("6-9", traj.n_frames))
    open("filled.csv", "w").write(pred.to_csv())
    frames = kinviz.video(pred, "pred")  # (T, 64, 64, 3) uint8: the video model's drawing, for people

The floors, bottom to top (each subpackage's docstring names its neighbours): ``core`` (trajectories,
masks, errors, metrics), ``io`` (files in and out), ``classical`` (smoother, baselines, co-visible fills),
``videomodel`` and ``motion`` (the two masked generative models), ``inference`` (the fill),
``training`` and ``evaluation``. This front door re-exports the public names; each is imported on first
use (PEP 562), so ``import kinviz`` costs no torch until a model is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.29.0"

# public name -> the module that defines it (relative to this package)
_HOME = {
    **dict.fromkeys(["CheckpointError", "CSVError", "KinvizError", "MaskError"], ".core.errors"),
    **dict.fromkeys(["PART_TASKS", "TASKS", "format_mask", "mask_runs", "parse_mask", "task_mask"], ".core.masks"),
    **dict.fromkeys(["MAX_BYTES", "Trajectory"], ".core.trajectory"),
    **dict.fromkeys(["scene_diagonal", "trajectory_metrics", "video_metrics"], ".core.metrics"),
    **dict.fromkeys(["from_arrays", "load_csv", "write_csv"], ".io.csv"),
    **dict.fromkeys(["DEFAULT_MIN_CONFIDENCE", "load_track"], ".io.formats"),
    **dict.fromkeys(["write_atomic"], ".io.atomic"),
    **dict.fromkeys(["EXAMPLES_DIR", "FORMATS_DIR", "load_index", "tracker_examples"], ".io.examples"),
    **dict.fromkeys(["FAMILIES"], ".training.generate"),
    **dict.fromkeys(["BASELINES", "fill_all", "fill_baseline"], ".classical.baselines"),
    **dict.fromkeys(["DEFAULT_PATH", "Decoding", "default_path", "load_checkpoint", "read_meta"],
                    ".videomodel.checkpoint"),
    **dict.fromkeys(["Framing", "readout", "render"], ".videomodel.render"),
    **dict.fromkeys(["Prediction", "Predictor"], ".inference.predict"),
    **dict.fromkeys(["PALETTE", "video"], ".inference.display"),
    **dict.fromkeys(["METHOD_NAMES", "METHODS", "Report", "SOURCE_NAMES", "evaluate", "load_many", "score"],
                   ".evaluation.evaluate"),
}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    """A public name, imported from its module the first time it is asked for."""
    if name not in _HOME:
        raise AttributeError(f"module 'kinviz' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name], __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, eagerly
    from .classical.baselines import BASELINES, fill_all, fill_baseline
    from .core.errors import CheckpointError, CSVError, KinvizError, MaskError
    from .core.masks import PART_TASKS, TASKS, format_mask, mask_runs, parse_mask, task_mask
    from .core.metrics import scene_diagonal, trajectory_metrics, video_metrics
    from .core.trajectory import MAX_BYTES, Trajectory
    from .evaluation.evaluate import METHOD_NAMES, METHODS, SOURCE_NAMES, Report, evaluate, load_many, score
    from .inference.display import PALETTE, video
    from .inference.predict import Prediction, Predictor
    from .io.atomic import write_atomic
    from .io.csv import from_arrays, load_csv, write_csv
    from .io.examples import EXAMPLES_DIR, FORMATS_DIR, load_index, tracker_examples
    from .io.formats import DEFAULT_MIN_CONFIDENCE, load_track
    from .training.generate import FAMILIES
    from .videomodel.checkpoint import DEFAULT_PATH, Decoding, default_path, load_checkpoint, read_meta
    from .videomodel.render import Framing, readout, render
