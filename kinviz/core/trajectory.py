"""The data every floor works on: `Trajectory`, K objects' 2-D positions over T frames, and the size of
file kinviz takes on (frames, objects, bytes). Files are read into it by `kinviz.io` (`load_csv`,
`load_track`) and written back from it through its `layout`, which that reader supplies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import CSVError

MAX_BYTES = 250_000_000  # an hour at 30 fps of an 8-part DeepLabCut CSV is about 90 MB
MAX_FRAMES = 250_000  # over two hours at 30 fps; the predictor fills long files in pieces (``Predictor.predict``)
MAX_OBJECTS = 256
MAX_CELLS = 2_000_000  # frames x objects per file: 250,000 x 8, or 20,000 x 100
MIN_FRAMES = 4
DEFAULT_NAME = "object"


@dataclass(frozen=True, eq=False)
class Trajectory:
    """K objects' 2-D positions over T frames, read from a file."""

    times: np.ndarray  # (T,) float64, ascending distinct time stamps
    positions: np.ndarray  # (T, K, 2) float64, NaN where missing
    names: list[str]  # (K,) object names
    layout: object  # how to write the file back: kinviz.io.csv.Layout or kinviz.io.track_writer.TrackLayout
    warnings: list[str] = field(default_factory=list)  # one-line notes for the user
    source_name: str = ""
    unseen: list[str] = field(default_factory=list)  # parts the file names but never observes: left as written

    @property
    def n_frames(self) -> int:
        return int(self.positions.shape[0])

    @property
    def n_objects(self) -> int:
        return int(self.positions.shape[1])

    @property
    def missing(self) -> np.ndarray:
        """(T, K) bool: True where the source has no position (x or y empty or NaN)."""
        return np.isnan(self.positions).any(axis=-1)


def check_size(n_frames: int, n_objects: int, label: str = "") -> None:
    """Refuse a file whose frames x objects exceed what one request may cost (MAX_CELLS)."""
    if n_frames * n_objects > MAX_CELLS:
        raise CSVError(f"{label}{': ' if label else ''}the file has {n_frames} frames x {n_objects} objects; kinviz fills "
                       f"at most {MAX_CELLS:,} positions per file: split it into shorter files or fewer objects")

