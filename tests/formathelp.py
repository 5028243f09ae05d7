"""Helpers shared by the tests of trackers' own files (tests/test_formats*.py): files made in each format,
and the read-fill-write-read round trip."""

import csv
import io
from pathlib import Path

import numpy as np

import kinviz
import tools.format_examples as fx
from kinviz.io.formats import detect

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "formats-dev"  # CI: shared/ beside the clone
LABEL = {"deeplabcut": "DeepLabCut", "deeplabcut_multi": "DeepLabCut", "sleap": "SLEAP", "trackmate": "TrackMate",
         "tracker": "Tracker", "tracker_sv": "Tracker", "mot": "MOTChallenge"}


def format_of(fmt: str) -> str:
    """The reader's name for a writer's variant: deeplabcut_multi -> deeplabcut, tracker_sv -> tracker."""
    return fmt.split("_")[0]


def make(fmt: str, T: int = 40, K: int = 4, seed: int = 0) -> str:
    """A file in `fmt` with K objects over T frames and a few runs of lost points."""
    rng = np.random.default_rng(seed)
    positions = 200 + np.cumsum(rng.normal(0, 3, (T, K, 2)), axis=0)
    names = [f"animal{k // 2}/part{k % 2}" for k in range(K)] if fmt in ("sleap", "deeplabcut_multi") \
        else [f"part{k}" for k in range(K)]
    return fx.write_format(fmt, positions, names, fx._lost(T, K, rng), rng=rng)


def cells(text: str) -> list[list[str]]:
    delimiter = detect(text)[1]
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if "".join(row).strip()]


def fill(traj: kinviz.Trajectory) -> np.ndarray:
    return kinviz.fill_baseline("linear", traj.times, traj.positions, np.zeros(traj.n_frames, bool))


def written_cells(traj: kinviz.Trajectory) -> set[tuple[int, int]]:
    """(source row, column) of every cell the writer may change: x, y, confidence of a missing point."""
    lay, out = traj.layout, set()
    for r, (t, g) in enumerate(zip(lay.row_frame, lay.row_group)):
        for s, k in enumerate(lay.obj_index[g] if g >= 0 else []):
            if k >= 0 and traj.missing[t, k]:
                out |= {(r, c) for c in lay.slot_cols[s] if c >= 0}
    return out


def assert_round_trip(text: str, **read) -> tuple[kinviz.Trajectory, kinviz.Trajectory, str]:
    """Read, fill, write, read again: observed text unchanged, filled points written, format kept."""
    traj = kinviz.load_track(text, **read)
    filled = fill(traj)
    out = kinviz.write_csv(traj, filled, traj.missing)
    again = kinviz.load_track(out, **read)
    assert again.layout.format == traj.layout.format and again.names == traj.names
    assert not again.missing.any(), "every missing point was written"
    # Observed points read back as the same numbers, filled ones as what the model gave.
    observed = ~traj.missing
    assert np.array_equal(again.positions[observed], traj.positions[observed])
    np.testing.assert_allclose(again.positions[traj.missing], filled[traj.missing], rtol=1e-6)  # rounded to the column's decimals + 3
    # The header lines come back as they were (a `predicted` cell may be added after the named columns).
    src, got = cells(text), cells(out)
    n_head, width = len(traj.layout.head), traj.layout.width
    for a, b in zip(src[:n_head], got[:n_head]):
        assert b[: len(a)] == a or b[:width] + b[width + 1:] == a
    # The file's rows come back in their order, every cell the same text but a missing point's.
    may_change = written_cells(traj)
    added = traj.layout.predicted_col is None and traj.layout.predicted_head is not None
    rows, j = [row[:width] + row[width + 1:] if added else row for row in got[n_head:]], 0
    for r, row in enumerate(src[n_head:]):
        while j < len(rows) and any(rows[j][c] != v for c, v in enumerate(row) if (r, c) not in may_change):
            j += 1  # an added row
        assert j < len(rows), f"source row {r} ({row}) lost or changed"
        j += 1
    assert len(rows) >= len(src) - n_head
    return traj, again, out
