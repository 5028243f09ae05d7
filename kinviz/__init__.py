"""kinviz: fill gaps in kinematics trajectories with a MAGVIT-style masked generative video model.

    import kinviz
    traj = kinviz.load_track("track.csv")  # or a DeepLabCut, SLEAP, TrackMate, Tracker, MOT file
    pred = kinviz.Predictor.load().predict(traj, kinviz.parse_mask("6-9", traj.n_frames))
    open("filled.csv", "w").write(pred.to_csv())
    frames = kinviz.video(pred, "pred")  # (T, 64, 64, 3) uint8: what the model drew, for people
"""

from .classical.baselines import BASELINES, fill_all, fill_baseline
from .videomodel.checkpoint import DEFAULT_PATH, Decoding, default_path, load_checkpoint, read_meta
from .videomodel.display import PALETTE, video
from .core.errors import CheckpointError, CSVError, KinvizError, MaskError
from .evaluation.evaluate import METHOD_NAMES, METHODS, Report, evaluate, load_many, score
from .io.format_examples import FORMATS_DIR, tracker_examples
from .io.formats import DEFAULT_MIN_CONFIDENCE, load_track
from .training.generate import EXAMPLES_DIR, FAMILIES, load_index
from .core.masks import PART_TASKS, TASKS, format_mask, mask_runs, parse_mask, task_mask
from .evaluation.metrics import scene_diagonal, trajectory_metrics, video_metrics
from .inference.predict import Prediction, Predictor
from .videomodel.render import Framing, readout, render
from .core.trajectory import MAX_BYTES, Trajectory, from_arrays, load_csv, write_csv

__all__ = [
    "BASELINES", "DEFAULT_MIN_CONFIDENCE", "DEFAULT_PATH", "EXAMPLES_DIR", "FAMILIES", "FORMATS_DIR", "MAX_BYTES",
    "METHOD_NAMES", "METHODS", "PALETTE", "PART_TASKS", "TASKS",
    "CheckpointError", "CSVError", "Decoding", "Framing", "KinvizError", "MaskError", "Prediction", "Predictor",
    "Report", "Trajectory", "default_path", "evaluate", "fill_all", "fill_baseline", "format_mask", "from_arrays",
    "load_checkpoint", "load_csv", "load_index", "load_many", "load_track", "mask_runs", "parse_mask", "read_meta",
    "readout", "render", "scene_diagonal", "score", "task_mask", "tracker_examples", "trajectory_metrics", "video",
    "video_metrics", "write_csv",
]
