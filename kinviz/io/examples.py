"""The example files bundled with kinviz, where they are and what each shows: lab-style recordings of the
physics families (`kinviz/data/examples/`, listed in its index.csv) and one tracker file per format
(`kinviz/data/formats/`). `tools/physics_examples.py` and `tools/format_examples.py` write them from
kinviz's own generator; this module only reads.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.errors import KinvizError

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "data" / "examples"
INDEX_COLUMNS = ["file", "family", "objects", "frames", "layout", "missing_cells", "description"]
FORMATS_DIR = Path(__file__).resolve().parents[1] / "data" / "formats"
# (file, format, family, frames, what it shows); the family comes from kinviz.training.generate.
EXAMPLES = [
    ("deeplabcut-pucks.csv", "deeplabcut", "collision", 90,
     "DeepLabCut, one animal's worth of body parts (pucks colliding): low-likelihood points where tracking slipped"),
    ("deeplabcut-walkers.csv", "deeplabcut_multi", "walker", 80,
     "DeepLabCut multi-animal: individuals with head and hip, empty cells where an individual was lost"),
    ("sleap-walkers.csv", "sleap", "walker", 80,
     "SLEAP analysis CSV: tracks with head and hip nodes, missing instances and low node scores"),
    ("trackmate-particles.csv", "trackmate", "collision", 100,
     "TrackMate spots table (Fiji): particle tracks in microns, spots missing where detection failed"),
    ("tracker-projectile.txt", "tracker", "projectile", 60,
     "Tracker 6 (Open Source Physics) data export of mass_A: t, x, y in metres with dropped points"),
    ("mot-pedestrians.txt", "mot", "walker", 80,
     "MOTChallenge gt.txt: pedestrian boxes per id (MOT17 columns), boxes missing where people were occluded"),
    ("tracker-pucks-sv.txt", "tracker_sv", "collision", 60,
     "Tracker 6 export of two masses in a Swedish locale: decimal commas, Unicode minus signs, dropped points"),
]
TOOLS = {"deeplabcut": "DeepLabCut", "deeplabcut_multi": "DeepLabCut", "sleap": "SLEAP", "trackmate": "TrackMate",
         "tracker": "Tracker", "tracker_sv": "Tracker", "mot": "MOTChallenge"}


def tracker_examples() -> list[dict]:
    """The bundled examples: file (a Path), tool and description, in the order of EXAMPLES."""
    return [{"file": FORMATS_DIR / f, "tool": TOOLS[fmt], "description": d} for f, fmt, _, _, d in EXAMPLES]


def load_index(examples_dir: Path | str = EXAMPLES_DIR) -> pd.DataFrame:
    """The examples' index.csv: one row per recording with the columns in INDEX_COLUMNS."""
    path = Path(examples_dir) / "index.csv"
    if not path.is_file():
        raise KinvizError(f"no example index at {path}; run `python -m tools.physics_examples {examples_dir}`")
    index = pd.read_csv(path, dtype={"file": str, "family": str, "layout": str, "description": str})
    missing = [c for c in INDEX_COLUMNS if c not in index.columns]
    if missing:
        raise KinvizError(f"{path} lacks the column(s) {', '.join(missing)}; regenerate it")
    return index[INDEX_COLUMNS]
