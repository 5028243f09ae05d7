"""The real tracker files bundled beside the app (``examples/real/`` at the top of the checkout, outside the
``kinviz`` package: real recordings never ship inside it), read from that folder's ``index.csv``: each
with its source, licence, where it stands with respect to the motion model's training, and the per-part
mask it opens with in Predict. No Streamlit here; ``cache`` keeps what these return.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import kinviz

REAL_DIR = Path(__file__).resolve().parents[1] / "examples" / "real"
COLUMNS = ["name", "file", "tool", "frames", "parts", "fps", "preset", "licence", "source", "commit", "path",
           "trained_on", "description"]
FAMILY = "real tracker file"  # what the picker shows beside a real example's name, where a bundled one shows its family


def read_index(folder: Path = REAL_DIR) -> pd.DataFrame:
    """One row per real file, in COLUMNS; no rows when the folder is absent (an installed app without the
    checkout's ``examples/``)."""
    path = folder / "index.csv"
    if not path.is_file():
        return pd.DataFrame(columns=COLUMNS)
    index = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in index.columns]
    if missing:
        raise kinviz.KinvizError(f"{path} lacks the column(s) {', '.join(missing)}")
    return index[COLUMNS]


def load(row, folder: Path = REAL_DIR) -> kinviz.Trajectory:
    """A real file from its index row, read by kinviz's own reader (DeepLabCut's 0.6 likelihood cut)."""
    return kinviz.load_track(folder / row.file)


def attribution(row, *, described: bool = True) -> str:
    """What the file is, where it comes from and under which licence, and what that means for the scores
    (markdown; the index is the repository's own text, not a user's). ``described``: with what it shows."""
    return (f"Real {row.tool} output from [{row.source.removeprefix('https://github.com/')}]({row.source}) "
            f"at commit `{row.commit[:7]}`, `{row.path.rsplit('/', 1)[-1]}`; {row.licence}. "
            + (f"{row.description} " if described else "") + f"The motion model: {row.trained_on}.")
