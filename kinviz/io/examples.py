"""The tracker files bundled with kinviz (one per format, in `kinviz/data/formats/`): where they are and
what each shows. `tools/format_examples.py` writes them from kinviz's own generator.
"""

from __future__ import annotations

from pathlib import Path

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
