"""Write a tracker's file back, filled, in its own format: the layout `formats.assemble` keeps, and the writer.

    DeepLabCut   filled points get an empty likelihood
    SLEAP        a column `predicted` (1 on rows with a filled node); filled nodes' score empty
    TrackMate    spots only inside each track's first-to-last frame; a column PREDICTED (Predicted,
                 Predicted, no unit); added spots: empty ID and QUALITY
    Tracker      a column `predicted` (before Tracker 6's trailing delimiter)
    MOTChallenge boxes only inside each id's first-to-last frame, their size interpolated; conf -1
                 where that field is a score (7 or 10 fields)

All but MOTChallenge also get `x_pred`, `y_pred` columns (the model's value for a point the file holds,
hidden on purpose) and `x_tracker`, `y_tracker`[, confidence] columns (the text a point written in
place replaced: the tracker's own guess under the cut), added after the file's columns per part, and,
from a prediction, a `filled_by` column per part naming the method that filled each point.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from ..core.trajectory import Trajectory
from .readers import FILLED_BY, LABELS, PRED_SUFFIX, TRACKER_SUFFIX
from .text import decimals, round_text, safe_cell

ROOM = {"deeplabcut", "sleap", "trackmate", "tracker"}  # formats with room for added columns (not MOT's fixed fields)
CONF_COLUMN = {"deeplabcut": "likelihood", "sleap": "score"}  # the confidence's name in `_tracker` columns
NAME_LINE = {"trackmate": 0}  # the header line that names columns (others: the last)
SPANS = {"mot", "trackmate"}  # formats whose tracks begin and end: points are written only from a track's first frame to its last


@dataclass(frozen=True, eq=False)
class TrackLayout:
    """A tracker's file, kept to be written back: header lines and rows as text, where each object lives."""

    format: str  # a key of readers.LABELS
    delimiter: str
    head: list[list[str]]  # (H, C) header lines' cells
    rows: list[list[str]]  # (R, C) data rows' cells, original text, in the file's order
    row_frame: np.ndarray  # (R,) int64 frame index
    row_group: np.ndarray  # (R,) int64 group (track) index, -1 for rows of no object
    groups: list[str]  # (G,) group labels as written
    slot_cols: list[tuple[int, int, int]]  # (S,) x, y, confidence column per slot
    obj_index: np.ndarray  # (G, S) int64 object index, -1 for a slot never observed (left as written)
    time_col: int
    group_col: int | None
    frame_text: list[str]  # (T,) each frame's time stamp as written, for added rows
    predicted_col: int | None
    predicted_head: list[str | None] | None
    min_confidence: float
    extra: dict
    width: int  # columns the header names; an added column goes there (Tracker 6 ends its lines with a delimiter)
    newline: str  # the file's line ending, kept

    @property
    def label(self) -> str:
        return LABELS[self.format]

    def write(self, traj: Trajectory, positions: np.ndarray, filled: np.ndarray, method=None) -> str:
        return write_track(traj, positions, filled, method)


# ----------------------------------------------------------------------------- writing


def placement(traj: Trajectory, filled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each filled point goes in the file: (in_place, beside), both (T, K) bool.

    In place: a point the file lacks or holds under the confidence cut (MOT, TrackMate: inside its track's life).
    Beside, in `_pred` columns: a point the file holds that was hidden on purpose, where the format
    has room for columns (all but MOTChallenge). A plain CSV puts every filled cell in one or the other.
    """
    filled = np.asarray(filled, dtype=bool)
    if not isinstance(traj.layout, TrackLayout):
        return filled & traj.missing, filled & ~traj.missing
    in_place = filled & traj.missing
    if traj.layout.format in SPANS:
        in_place &= inside_spans(traj)
    beside = filled & ~traj.missing if traj.layout.format in ROOM else np.zeros_like(filled)
    return in_place, beside


def written_summary(traj: Trajectory, filled: np.ndarray) -> str:
    """One line on what a filled file holds: points in place, values beside measurements, points left out."""
    in_place, beside = placement(traj, filled)
    frames = int((in_place | beside).any(axis=1).sum())
    line = f"filled {int(in_place.sum())} points in place"
    if beside.any():
        line += f", {int(beside.sum())} measured points' values in _pred columns"
    if (left := int((np.asarray(filled, dtype=bool) & ~in_place & ~beside).sum())):
        line += f"; {left} not written (outside their track's life, or a measured box: MOT has no room for them)"
    return line + f", on {frames} frames"


def write_track(traj: Trajectory, positions: np.ndarray, filled: np.ndarray, method: np.ndarray | None = None) -> str:
    """`traj`'s file in its own format with the filled points written (see the module's table).

    positions: (T, K, 2), finite wherever `filled`; filled: (T, K) bool. Points the file lacks (or
    had under the confidence cut) are written in place, the text they replace kept in `_tracker`
    columns; points the file holds keep their text, the model's value beside them in `_pred` columns.
    method: (T, K) str, the name of the method that filled each cell: each part with a filled point gets a
    `filled_by` column beside it, named in the header lines as the part's x column is.
    """
    lay: TrackLayout = traj.layout
    positions, filled = np.asarray(positions, dtype=np.float64), np.asarray(filled, dtype=bool)
    T, K = traj.n_frames, traj.n_objects
    if positions.shape != (T, K, 2) or filled.shape != (T, K):
        raise ValueError(f"expected positions {(T, K, 2)} and filled {(T, K)}; got {positions.shape}, {filled.shape}")
    write, beside = placement(traj, filled)
    if not np.isfinite(positions[write | beside]).all():
        raise ValueError("positions must be finite wherever a point is filled")

    # Rows: the file's, plus one per (frame, group) with a filled point and no row, in frame order.
    G, S = lay.obj_index.shape
    width = lay.width
    need = np.zeros((T, G), dtype=bool)
    for g, s in np.argwhere(lay.obj_index >= 0):
        need[:, g] |= write[:, lay.obj_index[g, s]]
    present = np.zeros((T, G), dtype=bool)
    tracked = lay.row_group >= 0
    present[lay.row_frame[tracked], lay.row_group[tracked]] = True
    number = _numberer(lay)

    new_row = NEW_ROW.get(lay.format, lambda n, lay, t, g, number: blank_row(n, lay, t, g))
    out = [(t, g, list(cells), True) for t, g, cells in zip(lay.row_frame.tolist(), lay.row_group.tolist(), lay.rows)]
    added = [(t, g, new_row(width, lay, t, g, number), False) for t, g in np.argwhere(need & ~present).tolist()]
    out = _merge(out, added)  # (frame, group, cells, from the file)

    # Each row's values: filled points in place (the text they replace kept), hidden points' values beside.
    put = PUT.get(lay.format, put_columns)
    slots = [[(s, int(k)) for s, k in enumerate(lay.obj_index[g]) if k >= 0] for g in range(G)]
    write_list, beside_list = write.tolist(), beside.tolist()
    extra: list[dict[tuple[int, str], str]] = []  # per row: (slot, column name) -> text for an added column
    flags = []
    keep = lay.format in ROOM
    for t, g, cells, from_file in out:
        values, any_filled = {}, False
        for s, k in slots[g] if g >= 0 else ():
            x, y = float(positions[t, k, 0]), float(positions[t, k, 1])
            if write_list[t][k]:
                values |= _kept(lay, cells, s) if keep and from_file else {}
                put(lay, cells, s, x, y, number)
            elif beside_list[t][k]:
                cx, cy, _ = lay.slot_cols[s]
                values |= {(s, "x" + PRED_SUFFIX): number(cx, x), (s, "y" + PRED_SUFFIX): number(cy, y)}
            if method is not None and lay.head and (write_list[t][k] or beside_list[t][k]):  # MOT: no header
                values[(s, FILLED_BY)] = str(method[t, k])
            any_filled |= write_list[t][k] or beside_list[t][k]
        extra.append(values)
        flags.append("1" if any_filled else "0")

    # Columns: the file's, then the added ones (a column of that name in the file is reused), then `predicted`.
    columns = _added_columns(lay, {key for values in extra for key in values})
    append = lay.predicted_col is None and lay.predicted_head is not None
    pred_col = lay.predicted_col if lay.predicted_col is not None else (width + len(columns[1]) if append else None)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=lay.delimiter, lineterminator=lay.newline)
    for i, cells in enumerate(lay.head):  # a line shorter than the columns (`#multi:`) is left alone
        flag = lay.predicted_head[i] if append else None
        new = [head[i] for head in columns[1].values()] + ([flag or ""] if append else [])
        cells = [safe_cell(c) for c in cells]
        writer.writerow(_insert(cells, width, new) if flag is not None or (len(cells) >= width and any(new)) else cells)

    text_cols = _text_columns(lay, width)
    for (t, g, cells, _), values, flag in zip(out, extra, flags):
        for key, c in columns[0].items():  # the file's own kinviz columns: `_pred` cleared, `_tracker` kept
            if key in values or key[1].endswith((PRED_SUFFIX, FILLED_BY)):
                cells += [""] * (c + 1 - len(cells))
                cells[c] = values.get(key, "")
        for c in text_cols:
            cells[c] = safe_cell(cells[c])
        new = [values.get(key, "") for key in columns[1]] + ([flag] if append else [])
        if new:
            cells = _insert(cells, width, new)
        elif pred_col is not None:
            cells += [""] * (pred_col + 1 - len(cells))
            cells[pred_col] = flag
        writer.writerow(cells)
    return buf.getvalue()


def _kept(lay: TrackLayout, cells: list[str], slot: int) -> dict[tuple[int, str], str]:
    """The text a point written in place replaces (the tracker's own guess), for its `_tracker` columns."""
    cx, cy, cc = lay.slot_cols[slot]
    held = {a: cells[c] for a, c in (("x", cx), ("y", cy), ("c", cc)) if 0 <= c < len(cells) and cells[c].strip()}
    if not ({"x", "y"} & held.keys()):
        return {}
    return {(slot, _axis_name(lay, a) + TRACKER_SUFFIX): held.get(a, "") for a in ("x", "y", "c") if a != "c" or cc >= 0}


def _axis_name(lay: TrackLayout, axis: str) -> str:
    """'x', 'y', or the confidence's own name in the format (likelihood, score)."""
    return CONF_COLUMN.get(lay.format, "confidence") if axis == "c" else axis


def _added_columns(lay: TrackLayout, keys: set[tuple[int, str]]):
    """({key: column} of the file's own kinviz columns, {key: header cells} of the columns to add), keys by slot.

    key: (slot, name) with name like 'x_pred' or 'likelihood_tracker'. A column is named in each header
    line as its slot's x (or y, or confidence) column is, with the name's suffix on the line that names columns.
    """
    order = {n: i for i, n in enumerate(["x" + PRED_SUFFIX, "y" + PRED_SUFFIX] +
                                         [a + TRACKER_SUFFIX for a in ("x", "y", "likelihood", "score", "confidence")]
                                         + [FILLED_BY])}
    own, new = {}, {}
    for slot, name in sorted(keys, key=lambda k: (k[0], order[k[1]])):
        axis, _, suffix = name.rpartition("_")
        cx, cy, cc = lay.slot_cols[slot]
        src = cx if name == FILLED_BY else {"x": cx, "y": cy}.get(axis, cc)
        head = [cells[src] if src < len(cells) else "" for cells in lay.head]
        at = NAME_LINE.get(lay.format, -1)
        upper = lay.format == "trackmate"  # TrackMate's names are upper case
        if name == FILLED_BY:  # a name of its own on the line that names columns ('nose, filled_by' in DeepLabCut)
            x_name = head[at].strip()
            head[at] = (x_name[:-1] if x_name[-1:].lower() == "x" else x_name + "_") + FILLED_BY if x_name else FILLED_BY
            head[at] = head[at].upper() if upper else head[at]
        else:
            tail = "_" + suffix
            head[at] = head[at].strip() + (tail.upper() if upper else tail)
        found = [c for c in range(lay.width) if [cells[c] if c < len(cells) else "" for cells in lay.head] == head]
        if found:
            own[(slot, name)] = found[0]
        else:
            new[(slot, name)] = head
    return own, new


def _insert(cells: list[str], at: int, new: list[str]) -> list[str]:
    """`new` cells at column `at`, padding a short row; cells past it (a trailing delimiter's) move right."""
    return cells[:at] + [""] * (at - len(cells)) + new + cells[at:]


def _numberer(lay: TrackLayout):
    """number(col, v): a filled number as the column writes its own: its decimals + 3 at most, the file's
    decimal mark and minus sign (Tracker writes the user's locale)."""
    decimal, minus = lay.extra.get("numeral", (".", "-"))
    digits: dict[int, int] = {}

    def number(col: int, v: float) -> str:
        if col not in digits:
            digits[col] = decimals([row[col].replace(decimal, ".").replace(minus, "-") for row in lay.rows
                                     if col < len(row)]) + 3
        return round_text(v, digits[col]).replace(".", decimal).replace("-", minus)

    return number


def inside_spans(traj: Trajectory) -> np.ndarray:
    """(T, K) bool: frames from each object's first observed frame to its last (a track's life)."""
    seen = ~traj.missing
    frames = np.arange(traj.n_frames)[:, None]
    first = np.argmax(seen, axis=0)
    last = traj.n_frames - 1 - np.argmax(seen[::-1], axis=0)
    return (frames >= first) & (frames <= last)


def _merge(rows: list, added: list) -> list:
    """The file's rows in their order with the added (frame, group, cells) rows among them.

    A file sorted by frame (or by track, then frame, as TrackMate writes) gets each added row where
    that order puts it; a file in no such order keeps its rows and gets the added ones at the end.
    """
    for key in (lambda r: (r[0], r[1]), lambda r: (r[1], r[0])):
        keys = [key(r) for r in rows]
        if all(a <= b for a, b in zip(keys, keys[1:])):
            return sorted(rows + added, key=key)  # stable: the file's rows keep their order
    return rows + sorted(added, key=lambda r: (r[0], r[1]))


def _text_columns(lay: TrackLayout, width: int) -> list[int]:
    """Columns that may hold text a spreadsheet would run as a formula (never the numeric ones)."""
    if lay.format == "mot":
        return []
    numeric = {lay.time_col, lay.predicted_col, *(c for cols in lay.slot_cols for c in cols)}
    return [c for c in range(width) if c not in numeric]


# ----------------------------------------------------------------------------- each format's rows and points


def blank_row(n_cols: int, lay, t: int, g: int) -> list[str]:
    cells = [""] * n_cols
    if lay.time_col >= 0:
        cells[lay.time_col] = lay.frame_text[t]
    if lay.group_col is not None:
        cells[lay.group_col] = lay.groups[g]
    return cells


def put_columns(lay, cells: list[str], slot: int, x: float, y: float, number) -> None:
    """A filled point written in place: x and y, and its confidence emptied (the model gives none)."""
    cx, cy, cc = lay.slot_cols[slot]
    cells[cx], cells[cy] = number(cx, x), number(cy, y)
    if cc >= 0:
        cells[cc] = ""


def new_row_trackmate(n_cols: int, lay, t: int, g: int, number) -> list[str]:
    """An added spot: TRACK_ID, FRAME, POSITION_T from the spots' own T per frame; no ID, LABEL or QUALITY."""
    cells = blank_row(n_cols, lay, t, g)
    if "t" in lay.extra:
        c, a, b = lay.extra["t"]
        cells[c] = number(c, a * float(lay.frame_text[t]) + b)
    return cells


def new_row_mot(n_cols: int, lay, t: int, g: int, number) -> list[str]:
    """An added box: interpolated size (and corner, for world positions), conf -1, the rest from the nearest box."""
    rows = lay.extra["per_track"][g]
    frames, box = lay.extra["frames"][rows], lay.extra["box"][rows]
    frame = float(lay.frame_text[t])
    nearest = lay.extra["cells"][rows[int(np.argmin(np.abs(frames - frame)))]]
    cells = list(nearest)
    cells[0], cells[1] = lay.frame_text[t], lay.groups[g]
    cells[2:6] = [number(2 + i, float(np.interp(frame, frames, box[:, i]))) for i in range(4)]
    if len(cells) in (7, 10):
        cells[6] = "-1"  # conf: MOT's "not given"; marks the box as kinviz's
    # A 9-field gt.txt (MOT16/17) has consider, class, visibility there: the nearest box's, kept in their meaning.
    return cells


def put_mot(lay, cells: list[str], slot: int, x: float, y: float, number) -> None:
    if lay.extra["world"]:
        cells[7], cells[8] = number(7, x), number(8, y)
    else:
        w, h = float(cells[4]), float(cells[5])
        cells[2], cells[3] = number(2, x - w / 2), number(3, y - h / 2)


NEW_ROW = {"trackmate": new_row_trackmate, "mot": new_row_mot}  # others: frame and group, the rest empty
PUT = {"mot": put_mot}  # others: put_columns
