"""Open the file a tracker wrote, and write it back filled, in the same format.

    traj = kinviz.load_track("video1DLC_resnet50.csv")              # format found from the content

`load_track` reads DeepLabCut, SLEAP, TrackMate, Tracker and MOTChallenge files (see `readers`;
DeepLabCut's and SLEAP's `.h5` through `hdf5`) and every layout `load_csv` reads. Points whose
confidence is under `min_confidence` (DeepLabCut's likelihood, SLEAP's node score) are missing, like
empty cells, and get filled; so are frames with no row at all (a TrackMate spot or a MOT box that is
not there). The trajectory remembers its format in a `track_writer.TrackLayout`, and `write_csv` (so
`Prediction.to_csv`) writes it back in it: the same header lines, columns, line endings and number
style, every observed cell's original text, filled points written in place, rows that were missing
added in frame order (what each format gets besides: `track_writer`).
`collect_csvs` lists the tracker files named or found in folders (what `load_many` and
`convert` read).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..core.errors import CSVError
from ..core.trajectory import MAX_FRAMES, MAX_OBJECTS, MIN_FRAMES, Trajectory, check_size
from .csv import parse_csv
from .hdf5 import h5_rows, is_hdf5
from .readers import LABELS, READERS, Table
from .text import decode, is_number, read_rows, read_source, sniff
from .track_writer import TrackLayout

DEFAULT_MIN_CONFIDENCE = 0.6  # DeepLabCut's default pcutoff
CONFIDENCE_NAMES = {"deeplabcut": "likelihood", "sleap": "node score"}
TWICE = {  # what to do about two rows of one track in one frame, where the format has a known cause
    "trackmate": "the track splits or merges there, and kinviz fills tracks of one spot per frame: "
                 "track again with splitting and merging off, or export each branch as its own track",
    "mot": "each id needs one box per frame (a detections file without ids cannot be filled)",
}


# ----------------------------------------------------------------------------- reading


def detect(text: str) -> tuple[str | None, str]:
    """(format, delimiter) of a file's text from its first lines; format None for `load_csv`'s layouts."""
    lines = [line for line in text.splitlines()[:50] if line.strip()][:3]
    if not lines:
        return None, ","
    delimiter = sniff(lines[0])
    cells = [c.strip() for c in next(csv.reader([lines[0]], delimiter=delimiter))]
    low = [c.lower() for c in cells]
    if low[0] == "scorer":
        return "deeplabcut", delimiter
    if {"TRACK_ID", "POSITION_X", "POSITION_Y", "POSITION_T"} & set(cells):
        return "trackmate", delimiter
    if "frame_idx" in low and {"track", "instance.score"} & set(low):  # a plain frame_idx,a_x,a_y is load_csv's
        return "sleap", delimiter
    if low[0] == "#multi:" and len(lines) > 2:
        return "tracker", sniff(lines[2])
    named = [c for c in cells if c]
    if len(named) == 1 and not is_number(named[0]) and len(lines) > 1:
        second = sniff(lines[1])
        columns = [c.strip().lower() for c in next(csv.reader([lines[1]], delimiter=second))]
        if len(columns) > 1 and {"t", "time", "x"} & set(columns):
            return "tracker", second
    if delimiter == "," and len(cells) >= 5 and all(is_number(c) for c in cells):
        return "mot", delimiter
    return None, delimiter


def load_track(source, *, name: str | None = None, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> Trajectory:
    """Read a tracker's file, or any CSV `load_csv` reads; the format is found from the content.

    `source`: a path, text holding a line break, bytes or a file object (as `load_csv`).
    `min_confidence`: points whose likelihood (DeepLabCut) or node score (SLEAP) is under it count
    as missing; 0 keeps every point. Raises `CSVError` with one line naming the format and the fault.
    """
    if not (isinstance(min_confidence, (int, float)) and 0 <= min_confidence < float("inf")):
        raise CSVError(f"the minimum confidence must be a number of 0 or more, not {min_confidence!r}")
    data, default_name = read_source(source)
    name = name if name is not None else default_name
    if is_hdf5(data):  # DeepLabCut's or SLEAP's .h5: read as the CSV its tool writes, and written back as that CSV
        fmt, rows = h5_rows(data)
        return assemble(READERS[fmt](rows), ",", min_confidence=float(min_confidence), source_name=name)
    text = decode(data)
    fmt, delimiter = detect(text)
    if fmt is None:
        return parse_csv(text, name)
    rows = read_rows(text, delimiter)
    return assemble(READERS[fmt](rows), delimiter, min_confidence=float(min_confidence), source_name=name,
                    newline=_newline(text))


def collect_csvs(paths: Iterable[str | Path]) -> list[Path]:
    """Tracker files named directly or found (non-recursively) in folders; index.csv files are skipped."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.suffix.lower() in (".csv", ".h5", ".txt", ".tsv")
                          and f.name != "index.csv")
        elif p.exists():
            out.append(p)
        else:
            raise CSVError(f"file not found: '{p}'")
    if not out:
        raise CSVError("no CSV files found in the given paths")
    return out


def _newline(text: str) -> str:
    """The line ending of the file's first line: CRLF is written back as CRLF."""
    end = text.find("\n")
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def assemble(table: Table, delimiter: str, *, min_confidence: float, source_name: str = "",
             newline: str = "\n") -> Trajectory:
    """A reader's table -> Trajectory: confidence cut, frames, one row per frame and group, objects."""
    label, data = LABELS[table.format], table.data
    G, S = len(table.groups), len(table.slot_cols)
    warnings: list[str] = list(table.notes)

    # Points: half a position is none; under the confidence cut is none.
    xy = table.xy.copy()
    half = np.isnan(xy).any(-1) & ~np.isnan(xy).all(-1)
    with np.errstate(invalid="ignore"):
        low = (table.conf < min_confidence) & ~np.isnan(xy).any(-1)
    xy[half | low] = np.nan
    if half.any():
        warnings.append(f"{int(half.sum())} point(s) had only one of x and y; they are treated as missing")

    # Frames: every whole number from the first to the last (gaps are frames with no row), or the time stamps.
    if table.integer_frames:
        whole = np.round(table.row_time)
        if (bad := np.flatnonzero(whole != table.row_time)).size:
            r = int(bad[0])
            raise CSVError(f"{label}: line {data[r][0]}: frame number {data[r][1][table.time_col]!r} is not a whole number")
        first, last = int(whole.min()), int(whole.max())
        if last - first + 1 > MAX_FRAMES:
            raise CSVError(f"{label}: frames {first} to {last} are {last - first + 1} frames; kinviz reads at most {MAX_FRAMES}")
        times = np.arange(first, last + 1, dtype=np.float64)
        row_frame = (whole - first).astype(np.int64)
        frame_text = [str(f) for f in range(first, last + 1)]
    else:
        times, row_frame = np.unique(table.row_time, return_inverse=True)
        row_frame = row_frame.reshape(-1).astype(np.int64)
        frame_text = [""] * len(times)
        for r in range(len(data) - 1, -1, -1):
            frame_text[row_frame[r]] = data[r][1][table.time_col].strip()

    # One row per frame and group.
    tracked = table.row_group >= 0
    keys = row_frame * G + table.row_group
    _, first_row, counts = np.unique(keys[tracked], return_index=True, return_counts=True)
    if (counts > 1).any():
        key = np.unique(keys[tracked])[np.argmax(counts > 1)]
        a, b = np.flatnonzero(tracked & (keys == key))[:2]
        who = f" for {table.groups[table.row_group[a]]!r}" if G > 1 or table.groups[0] else ""
        where = f"frame {frame_text[row_frame[a]]} appears twice{who} (lines {data[a][0]} and {data[b][0]})"
        raise CSVError(f"{label}: {where}; " + TWICE.get(table.format, "each frame needs one row per track"))
    if len(times) < MIN_FRAMES:
        raise CSVError(f"{label}: the file has {len(times)} frame(s); kinviz needs at least {MIN_FRAMES}")

    # Objects: (group, slot) pairs, group-major; a slot never observed is left as the file has it.
    positions = np.full((len(times), G * S, 2), np.nan)
    for s in range(S):
        positions[row_frame[tracked], table.row_group[tracked] * S + s] = xy[tracked, s]
    seen = (~np.isnan(positions).any(-1)).any(0)  # (G*S,) objects with a point
    if not seen.any():
        cut = f" with {CONFIDENCE_NAMES[table.format]} of {min_confidence:g} or more" if low.any() else ""
        raise CSVError(f"{label}: no point{cut} in the file" + ("; lower the minimum confidence" if cut else ""))
    if low.any():  # counted where they are filled: a part with no point above the cut is left as written
        tracked_low = low & tracked[:, None]
        objects = np.where(tracked, table.row_group, 0)[:, None] * S + np.arange(S)  # (R, S)
        filled_low = int((tracked_low & seen[objects]).sum())
        left_low = int(tracked_low.sum()) - filled_low
        line = (f"{filled_low} point(s) with {CONFIDENCE_NAMES[table.format]} under {min_confidence:g} "
                "are treated as missing and filled")
        if left_low:
            line += f"; {left_low} more, in parts with no point above it, are left as in the file"
        warnings.append(line)
    unseen = [n for n, ok in zip(table.names, seen) if not ok]
    if unseen:
        why = f" with {CONFIDENCE_NAMES[table.format]} of {min_confidence:g} or more" if low.any() else ""
        warnings.append(f"{', '.join(unseen[:6])}{' ...' if len(unseen) > 6 else ''}: no point{why}; "
                        "left as in the file")
    if seen.sum() > MAX_OBJECTS:
        raise CSVError(f"{label}: the file has {int(seen.sum())} objects ({', '.join(table.names[:3])}, ...); "
                       f"kinviz handles at most {MAX_OBJECTS}: export fewer body parts or tracks")
    check_size(len(times), int(seen.sum()), label)
    obj_index = np.full(G * S, -1, np.int64)
    obj_index[seen] = np.arange(int(seen.sum()))
    if table.integer_frames and (n_empty := len(times) - len(np.unique(row_frame[tracked]))):
        warnings.append(f"{n_empty} frame(s) have no row; they are gaps to fill")

    layout = TrackLayout(
        format=table.format, delimiter=delimiter, head=table.head, rows=[cells for _, cells in data],
        row_frame=row_frame, row_group=table.row_group, groups=table.groups,
        slot_cols=table.slot_cols, obj_index=obj_index.reshape(G, S), time_col=table.time_col,
        group_col=table.group_col, frame_text=frame_text, predicted_col=table.predicted_col,
        predicted_head=table.predicted_head, min_confidence=min_confidence, extra=table.extra,
        width=table.width or len(table.head[-1] if table.head else data[0][1]), newline=newline,
    )
    names = [n for n, ok in zip(table.names, seen) if ok]
    return Trajectory(times, positions[:, seen], names, layout, warnings, source_name, unseen=unseen)

