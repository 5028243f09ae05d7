"""The files trackers write, one reader per format, and how to write a filled point back into each.

Each reader turns a tracker's rows into the same table: the header lines and data rows as text,
each row's frame and group (a track; one group for files with one row per frame), and per row one
(x, y, confidence) per slot (a body part, node or mass). An object is a (group, slot) pair.
`formats.py` picks the reader from the file's content and turns that table into a `Trajectory`.

    format      tool                 groups   slots                     confidence
    deeplabcut  DeepLabCut CSV       1        (individual, body part)   likelihood
    sleap       SLEAP analysis CSV   track    node                      <node>.score
    trackmate   TrackMate spots CSV  TRACK_ID 1                         none (QUALITY is detector-scaled)
    tracker     Tracker (OSP)        1        mass                      none
    mot         MOTChallenge txt     id       1                         none (conf is a flag in gt, a score in det)

A track has a life in MOTChallenge and TrackMate (first to last frame of its id): points are written
only inside it. Ids of -1 (detections no tracker linked) are kept as written and are no object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..core.errors import CSVError
from .text import MISSING_TOKENS, Row, is_number, numbers


@dataclass
class Table:
    """What a reader found; `formats.assemble` checks it and builds the Trajectory."""

    format: str  # a key of LABELS
    head: list[list[str]]  # (H, C) header lines' cells, written back as they were
    data: list[Row]  # (R,) data rows in file order
    row_time: np.ndarray  # (R,) float64 time stamp or frame number
    row_group: np.ndarray  # (R,) int64 group index; -1 for rows that belong to no object
    groups: list[str]  # (G,) group labels as written
    slot_cols: list[tuple[int, int, int]]  # (S,) x, y and confidence column (-1 if none) of each slot
    xy: np.ndarray  # (R, S, 2) float64 positions, NaN where empty
    conf: np.ndarray  # (R, S) float64 confidence, NaN where the file gives none
    names: list[str]  # (G * S,) object names, group-major
    integer_frames: bool  # frame numbers: every integer between the first and last is a frame
    time_col: int
    group_col: int | None
    predicted_col: int | None  # the file's own `predicted` column (a file kinviz wrote)
    predicted_head: list[str | None] | None  # per header line, the cell of an appended `predicted` column
    # (None: that line is left alone); None: the format has no room for one
    extra: dict = field(default_factory=dict)  # what a format's writer needs besides
    width: int | None = None  # columns the header names (None: all of head[-1]); an added column goes there
    notes: list[str] = field(default_factory=list)  # what the reader did that the user should hear


PRED_SUFFIX = "_pred"  # columns kinviz adds beside a point: the model's value for a point the file holds
TRACKER_SUFFIX = "_tracker"  # and the tracker's own text for a point kinviz wrote over (under the confidence cut)
FILLED_BY = "filled_by"  # and the name of the method that filled a point (kinviz.inference.prediction.method_of)
LABELS = {"deeplabcut": "DeepLabCut", "sleap": "SLEAP", "trackmate": "TrackMate", "tracker": "Tracker",
          "mot": "MOTChallenge"}


def _numbers_or_fail(label: str, data: list[Row], col: int, column: str, allow_missing: bool = True) -> np.ndarray:
    """text.numbers with the format's name in front of its message."""
    try:
        return numbers(data, col, column, allow_missing=allow_missing)
    except CSVError as e:
        raise CSVError(f"{label}: {e}") from None


def _check_width(label: str, data: list[Row], width: int, *, trailing: bool = False) -> None:
    """Every row `width` fields; with `trailing`, also any empty fields after them (a delimiter at the end)."""
    for line, cells in data:
        if len(cells) != width and not (trailing and len(cells) > width and not "".join(cells[width:]).strip()):
            raise CSVError(f"{label}: line {line} has {len(cells)} fields but the header has {width}")


def _kinviz_column(name: str) -> bool:
    """A column kinviz added to a file it wrote (`x_pred`, `nose.likelihood_tracker`, `filled_by`): no data of the
    tracker's."""
    return name.strip().lower().endswith((PRED_SUFFIX, TRACKER_SUFFIX, FILLED_BY))


def _cell(cells: list[str], col: int) -> str:
    return cells[col].strip() if col < len(cells) else ""



# ----------------------------------------------------------------------------- DeepLabCut


def read_deeplabcut(rows: list[Row]) -> Table:
    """scorer / [individuals] / bodyparts / coords header lines, then one row per frame."""
    label = LABELS["deeplabcut"]
    first = [cells[0].strip().lower() if cells else "" for _, cells in rows[:4]]
    multi = len(first) > 1 and first[1] == "individuals"
    names_needed = ["scorer", "individuals", "bodyparts", "coords"] if multi else ["scorer", "bodyparts", "coords"]
    for i, want in enumerate(names_needed):
        if i >= len(rows) or first[i] != want:
            got = ",".join(rows[i][1])[:40] if i < len(rows) else "the end of the file"
            raise CSVError(f"{label}: header line {i + 1} should start with '{want}' "
                           f"({', '.join(names_needed)}), but it reads {got!r}; re-export the CSV from DeepLabCut")
    head = [cells for _, cells in rows[: len(names_needed)]]
    data = rows[len(names_needed):]
    width = len(head[-1])
    if any(len(h) != width for h in head):
        raise CSVError(f"{label}: the header lines have different numbers of fields")
    _check_width(label, data, width)
    if not data:
        raise CSVError(f"{label}: the file has its header lines but no data rows")

    # Slots: one x, y[, likelihood] triple per (individual, body part), in column order.
    coords = [c.strip().lower() for c in head[-1]]
    if "z" in coords:
        raise CSVError(f"{label}: this is a 3-D file (coords x, y, z, from triangulation); kinviz fills 2-D tracks: "
                       "give it one camera's 2-D file (x, y, likelihood)")
    parts = head[-2]
    who = head[1] if multi else [""] * width
    triples: dict[tuple[str, str], dict[str, int]] = {}
    repeated = []
    for c, axis in enumerate(coords):
        if axis in ("x", "y", "likelihood"):
            ind, part = who[c].strip(), parts[c].strip()
            key, n = (ind, part), 0
            while axis in triples.get(key, {}):  # a body part named twice: the second is 'nose.1', as pandas names it
                n += 1
                key = (ind, f"{part}.{n}")
            if n and key not in triples:
                repeated.append((part, key[1]))
            triples.setdefault(key, {})[axis] = c
    index_cols = [c for c in range(width) if coords[c] not in ("x", "y", "likelihood") and not _kinviz_column(coords[c])]
    if not triples:
        raise CSVError(f"{label}: the 'coords' line names no x or y column")
    for (ind, part), cols in triples.items():
        if "x" not in cols or "y" not in cols:
            raise CSVError(f"{label}: body part '{part}' has no {'x' if 'x' not in cols else 'y'} column")
    slot_cols = [(c["x"], c["y"], c.get("likelihood", -1)) for c in triples.values()]
    individuals = {ind for ind, _ in triples}
    names = [f"{ind}/{part}" if len(individuals) > 1 else part for ind, part in triples]

    # Frames: the index column's numbers when it holds whole numbers (video), else the row order (images).
    if len(index_cols) == 1 and all(cells[index_cols[0]].strip().isdigit() for _, cells in data):
        row_time = _numbers_or_fail(label, data, index_cols[0], "frame", allow_missing=False)
        time_col = index_cols[0]
    else:
        row_time, time_col = np.arange(len(data), dtype=np.float64), (index_cols[0] if index_cols else -1)
    xy, conf = _slots(label, data, slot_cols, [part for _, part in triples])
    notes = [f"{label}: body part '{part}' is named twice in the header; the second is kept as '{new}'"
             for part, new in repeated]
    return Table("deeplabcut", head, data, row_time, np.zeros(len(data), np.int64), [""], slot_cols, xy, conf,
                 names, integer_frames=True, time_col=time_col, group_col=None, predicted_col=None, predicted_head=None,
                 notes=notes)


def _slots(label, data, slot_cols, slot_names) -> tuple[np.ndarray, np.ndarray]:
    """(R, S, 2) positions and (R, S) confidence read from each slot's columns."""
    xy = np.full((len(data), len(slot_cols), 2), np.nan)
    conf = np.full((len(data), len(slot_cols)), np.nan)
    for s, ((cx, cy, cc), name) in enumerate(zip(slot_cols, slot_names)):
        xy[:, s, 0] = _numbers_or_fail(label, data, cx, f"{name} x")
        xy[:, s, 1] = _numbers_or_fail(label, data, cy, f"{name} y")
        if cc >= 0:
            conf[:, s] = _numbers_or_fail(label, data, cc, f"{name} confidence")
    return xy, conf


# ----------------------------------------------------------------------------- SLEAP


def read_sleap(rows: list[Row]) -> Table:
    """track,frame_idx,instance.score,<node>.x,<node>.y,<node>.score: one row per instance per frame."""
    label = LABELS["sleap"]
    (_, head), data = rows[0], rows[1:]
    low = [h.strip().lower() for h in head]
    if "track" not in low:
        raise CSVError(f"{label}: no 'track' column (an analysis CSV starts track,frame_idx,instance.score)")
    nodes: dict[str, dict[str, int]] = {}
    for c, h in enumerate(head):
        stem, dot, axis = h.strip().rpartition(".")
        if dot and stem and axis.lower() in ("x", "y", "score") and stem.lower() != "instance":
            nodes.setdefault(stem, {}).setdefault(axis.lower(), c)
    nodes = {n: c for n, c in nodes.items() if "x" in c or "y" in c}
    if not nodes:
        raise CSVError(f"{label}: no node columns such as 'nose.x', 'nose.y' after frame_idx")
    for n, c in nodes.items():
        if "x" not in c or "y" not in c:
            raise CSVError(f"{label}: node '{n}' has no {'x' if 'x' not in c else 'y'} column")
    _check_width(label, data, len(head))
    if not data:
        raise CSVError(f"{label}: the file has a header but no data rows")
    track_col, frame_col = low.index("track"), low.index("frame_idx")
    tracks = sorted({cells[track_col].strip() for _, cells in data})
    index = {t: g for g, t in enumerate(tracks)}
    slot_cols = [(c["x"], c["y"], c.get("score", -1)) for c in nodes.values()]
    xy, conf = _slots(label, data, slot_cols, list(nodes))
    names = [f"{t}/{n}" if len(tracks) > 1 else n for t in tracks for n in nodes]
    return Table("sleap", [head], data, _numbers_or_fail(label, data, frame_col, "frame_idx", allow_missing=False),
                 np.array([index[cells[track_col].strip()] for _, cells in data], np.int64), tracks, slot_cols,
                 xy, conf, names, integer_frames=True, time_col=frame_col, group_col=track_col,
                 predicted_col=low.index("predicted") if "predicted" in low else None, predicted_head=["predicted"])


# ----------------------------------------------------------------------------- TrackMate

TRACKMATE_NEEDS = ("TRACK_ID", "POSITION_X", "POSITION_Y", "FRAME")


def read_trackmate(rows: list[Row]) -> Table:
    """Spots table: feature names, then (TrackMate 7) labels, short labels and units; one row per spot."""
    label = LABELS["trackmate"]
    names = [h.strip().upper() for h in rows[0][1]]
    shown = ", ".join(names[:10])
    for need in TRACKMATE_NEEDS:
        if need not in names:
            raise CSVError(f"{label}: no {need} column (found {shown}); export the spots table with it")
    col = {n: names.index(n) for n in TRACKMATE_NEEDS + ("POSITION_T", "PREDICTED") if n in names}
    n_head = 1  # then the label, short-label and unit lines: as wide, with no number under FRAME
    while (n_head < min(4, len(rows)) and len(rows[n_head][1]) == len(names)
           and not is_number(_cell(rows[n_head][1], col["FRAME"]))):
        n_head += 1
    head, data = [cells for _, cells in rows[:n_head]], rows[n_head:]
    _check_width(label, data, len(names))
    if not data:
        raise CSVError(f"{label}: the file has its header lines but no spots")

    # Spots outside any track (empty or 'None' TRACK_ID) stay in the file but are no object.
    ids = [cells[col["TRACK_ID"]].strip() for _, cells in data]
    tracked = sorted({i for i in ids if i.lower() not in MISSING_TOKENS},
                     key=lambda i: (float(i), i) if is_number(i) else (float("inf"), i))
    index = {t: g for g, t in enumerate(tracked)}
    slot_cols = [(col["POSITION_X"], col["POSITION_Y"], -1)]
    xy, conf = _slots(label, data, slot_cols, ["POSITION"])
    frames = _numbers_or_fail(label, data, col["FRAME"], "FRAME", allow_missing=False)
    extra = {}
    if "POSITION_T" in col:  # added rows get T = a * FRAME + b, fitted to the spots
        t = _numbers_or_fail(label, data, col["POSITION_T"], "POSITION_T")
        ok = ~np.isnan(t)
        if len(np.unique(frames[ok])) >= 2:
            extra["t"] = (col["POSITION_T"], *np.polyfit(frames[ok], t[ok], 1))
    return Table("trackmate", head, data, frames, np.array([index.get(i, -1) for i in ids], np.int64), tracked,
                 slot_cols, xy, conf, [f"track {t}" for t in tracked], integer_frames=True, time_col=col["FRAME"],
                 group_col=col["TRACK_ID"], predicted_col=col.get("PREDICTED"),
                 predicted_head=["PREDICTED", "Predicted", "Predicted", ""][:n_head], extra=extra)



# ----------------------------------------------------------------------------- Tracker (Open Source Physics)


def read_tracker(rows: list[Row]) -> Table:
    """A mass-name line, or `#multi:` and a line of names over their columns; then `t,x,y,...`.

    Tracker 6 starts the name line with a delimiter (the name sits over its x column), ends both
    header lines with one, and writes numbers in the user's locale (`0,25`, `−1,5`): all read here.
    """
    label = LABELS["tracker"]
    multi = rows[0][1][0].strip().lower() == "#multi:"
    n_head = 3 if multi else 2
    if len(rows) <= n_head:
        raise CSVError(f"{label}: the file ends after its header lines")
    head, data = [cells for _, cells in rows[:n_head]], rows[n_head:]
    width = _named_width(head[-1])
    columns = [c.strip().lower() for c in head[-1][:width]]
    if "t" not in columns and "time" not in columns:
        raise CSVError(f"{label}: the column line has no 't' column: {','.join(head[-1])[:60]!r}")
    # Which columns belong to which mass: a name sits above the first of its columns.
    starts = [(c, n.strip()) for c, n in enumerate(head[-2][:width]) if n.strip()]
    if not starts:
        raise CSVError(f"{label}: the line above the column names names no mass")
    if not multi:
        starts = starts[:1]
    slot_cols, names = [], []
    for i, (start, name) in enumerate(starts):
        stop = starts[i + 1][0] if i + 1 < len(starts) else len(columns)
        span = columns[start:stop]
        if "x" not in span or "y" not in span:
            if all(c == "predicted" or _kinviz_column(c) for c in span if c):
                continue  # over kinviz's own columns only (a file kinviz wrote)
            raise CSVError(f"{label}: mass '{name}' has no x and y columns; export its positions x and y")
        slot_cols.append((start + span.index("x"), start + span.index("y"), -1))
        names.append(name)
    if len(set(names)) != len(names):
        raise CSVError(f"{label}: two masses are called the same; rename one in Tracker")
    _check_width(label, data, width, trailing=True)
    plain, numeral = _plain_numerals(data)
    xy, conf = _slots(label, plain, slot_cols, names)
    time_col = columns.index("t" if "t" in columns else "time")
    return Table("tracker", head, data, _numbers_or_fail(label, plain, time_col, "t", allow_missing=False),
                 np.zeros(len(data), np.int64), [""], slot_cols, xy, conf, names, integer_frames=False,
                 time_col=time_col, group_col=None, predicted_col=columns.index("predicted") if "predicted" in columns else None,
                 predicted_head=[None] * (n_head - 1) + ["predicted"], extra={"numeral": numeral}, width=width)


def _named_width(header: list[str]) -> int:
    """How many columns a header line names: Tracker 6 ends its header lines with a delimiter."""
    width = len(header)
    while width > 1 and not header[width - 1].strip():
        width -= 1
    return width


_LOCAL_NUMBER = re.compile(r"\s*[-\u2212+]?\d*,\d+(?:[eE][-\u2212+]?\d+)?\s*")


def _plain_numerals(data: list[Row]) -> tuple[list[Row], tuple[str, str]]:
    """Rows with locale numbers as Python reads them (`−1,5` -> `-1.5`), and the file's (decimal mark, minus sign).

    Tracker writes numbers as the user's locale does: a decimal comma (with a tab or semicolon
    between fields) and the Unicode minus sign in some locales.
    """
    cells = [c for _, row in data for c in row]
    comma = any(_LOCAL_NUMBER.fullmatch(c) for c in cells)
    minus = any("\u2212" in c for c in cells)
    if not (comma or minus):
        return data, (".", "-")

    def plain(c: str) -> str:
        c = c.replace("\u2212", "-")
        return c.replace(",", ".") if comma and _LOCAL_NUMBER.fullmatch(c) else c

    return [(line, [plain(c) for c in row]) for line, row in data], ("," if comma else ".", "\u2212" if minus else "-")


# ----------------------------------------------------------------------------- MOTChallenge

MOT_FIELDS = "frame,id,bb_left,bb_top,bb_width,bb_height[,conf,x,y,z]"


def read_mot(rows: list[Row]) -> Table:
    """Headerless frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z; position = box centre or world x,y."""
    label = LABELS["mot"]
    width = len(rows[0][1])
    for line, cells in rows:
        if not 6 <= len(cells) <= 10 or len(cells) != width:
            raise CSVError(f"{label}: line {line} has {len(cells)} fields; each line needs {MOT_FIELDS}, "
                           f"6 to 10 numbers, the same count on every line")
    data = rows
    num = {c: _numbers_or_fail(label, data, c, f"field {c + 1}") for c in range(width)}
    for c, values in num.items():
        if np.isnan(values).any():
            raise CSVError(f"{label}: line {data[int(np.argmax(np.isnan(values)))][0]} has an empty field {c + 1}; "
                           f"every line needs {MOT_FIELDS}")
    whole = num[1] == np.round(num[1])  # ids are whole numbers: numbers with decimals are some other table's columns
    if not whole.all():
        line, cells = data[int(np.argmax(~whole))]
        raise CSVError(f"{label}: line {line} has the id {cells[1].strip()}; ids are whole numbers (field 2 of "
                       f"{MOT_FIELDS}): is a header missing?")
    # Boxes with id -1 are detections no tracker linked (det.txt): kept as written, no object.
    ids = [cells[1].strip() for _, cells in data]
    tracks = sorted({i for i in ids if float(i) != -1}, key=lambda i: (float(i), i))
    if not tracks:
        raise CSVError(f"{label}: every box has id -1, so this is a detections file (det.txt) with no tracks; "
                       "kinviz fills tracks: give it a tracker's output (one id per person)")
    index = {t: g for g, t in enumerate(tracks)}
    row_group = np.array([index.get(i, -1) for i in ids], np.int64)
    # World coordinates when every line gives them (MOT15 3-D files); -1 means "not given".
    world = width == 10 and bool(np.all((num[7] != -1) | (num[8] != -1)))
    box = np.stack([num[2], num[3], num[4], num[5]], -1)  # (R, 4) left, top, width, height
    xy = np.stack([num[7], num[8]], -1) if world else box[:, :2] + box[:, 2:] / 2
    # Per track: its frames and boxes in frame order, for the boxes of added rows.
    order = np.lexsort((num[0], row_group))
    per_track = {g: order[row_group[order] == g] for g in range(len(tracks))}
    extra = {"world": world, "box": box, "frames": num[0], "per_track": per_track, "cells": [c for _, c in data]}
    return Table("mot", [], data, num[0], row_group, tracks, [(7, 8, -1) if world else (2, 3, -1)],
                 xy[:, None, :], np.full((len(data), 1), np.nan), [f"id {t}" for t in tracks], integer_frames=True,
                 time_col=0, group_col=1, predicted_col=None, predicted_head=None, extra=extra)



READERS = {"deeplabcut": read_deeplabcut, "sleap": read_sleap, "trackmate": read_trackmate,
           "tracker": read_tracker, "mot": read_mot}
