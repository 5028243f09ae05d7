"""Open the file a tracker wrote, and write it back filled, in the same format.

    traj = kinviz.load_track("video1DLC_resnet50.csv")              # format found from the content
    pred = kinviz.Predictor.load().predict(traj, kinviz.parse_mask("", traj.n_frames))
    open("filled.csv", "w").write(pred.to_csv())                    # DeepLabCut in, DeepLabCut out

`load_track` reads DeepLabCut, SLEAP, TrackMate, Tracker and MOTChallenge files (see `readers`;
DeepLabCut's and SLEAP's `.h5` through `hdf5`) and every layout `load_csv` reads. Points whose
confidence is under `min_confidence` (DeepLabCut's likelihood, SLEAP's node score) are missing, like
empty cells, and get filled; so are frames with no row at all (a TrackMate spot or a MOT box that is
not there). The trajectory remembers its format, and `write_csv` (so `Prediction.to_csv`) writes it
back in it: the same header lines, columns, line endings and number style, every observed cell's
original text, filled points written in place, rows that were missing added in frame order, and:

    DeepLabCut   filled points get an empty likelihood
    SLEAP        a column `predicted` (1 on rows with a filled node); filled nodes' score empty
    TrackMate    spots only inside each track's first-to-last frame; a column PREDICTED (Predicted,
                 Predicted, no unit); added spots: empty ID and QUALITY
    Tracker      a column `predicted` (before Tracker 6's trailing delimiter)
    MOTChallenge boxes only inside each id's first-to-last frame, their size interpolated; conf -1
                 where that field is a score (7 or 10 fields)

All but MOTChallenge also get `x_pred`, `y_pred` columns (the model's value for a point the file holds,
hidden on purpose) and `x_tracker`, `y_tracker`[, confidence] columns (the text a point written in
place replaced: the tracker's own guess under the cut), added after the file's columns per part.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from ..core.errors import CSVError
from .hdf5 import h5_rows, is_hdf5
from .readers import (LABELS, NEW_ROW, PRED_SUFFIX, PUT, READERS, TRACKER_SUFFIX, Table, _blank_row, _is_number,
                      put_columns)
from ..core.trajectory import (MAX_FRAMES, MAX_OBJECTS, MIN_FRAMES, Trajectory, _decimals, _decode, _parse, _read_rows,
                         _read_source, _round, _safe, _sniff, check_size)

DEFAULT_MIN_CONFIDENCE = 0.6  # DeepLabCut's default pcutoff
CONFIDENCE_NAMES = {"deeplabcut": "likelihood", "sleap": "node score"}
TWICE = {  # what to do about two rows of one track in one frame, where the format has a known cause
    "trackmate": "the track splits or merges there, and kinviz fills tracks of one spot per frame: "
                 "track again with splitting and merging off, or export each branch as its own track",
    "mot": "each id needs one box per frame (a detections file without ids cannot be filled)",
}
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

    def write(self, traj: Trajectory, positions: np.ndarray, filled: np.ndarray) -> str:
        return write_track(traj, positions, filled)


# ----------------------------------------------------------------------------- reading


def detect(text: str) -> tuple[str | None, str]:
    """(format, delimiter) of a file's text from its first lines; format None for `load_csv`'s layouts."""
    lines = [line for line in text.splitlines()[:50] if line.strip()][:3]
    if not lines:
        return None, ","
    delimiter = _sniff(lines[0])
    cells = [c.strip() for c in next(csv.reader([lines[0]], delimiter=delimiter))]
    low = [c.lower() for c in cells]
    if low[0] == "scorer":
        return "deeplabcut", delimiter
    if {"TRACK_ID", "POSITION_X", "POSITION_Y", "POSITION_T"} & set(cells):
        return "trackmate", delimiter
    if "frame_idx" in low:
        return "sleap", delimiter
    if low[0] == "#multi:" and len(lines) > 2:
        return "tracker", _sniff(lines[2])
    named = [c for c in cells if c]
    if len(named) == 1 and not _is_number(named[0]) and len(lines) > 1:
        second = _sniff(lines[1])
        columns = [c.strip().lower() for c in next(csv.reader([lines[1]], delimiter=second))]
        if len(columns) > 1 and {"t", "time", "x"} & set(columns):
            return "tracker", second
    if delimiter == "," and len(cells) >= 5 and all(_is_number(c) for c in cells):
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
    data, default_name = _read_source(source)
    name = name if name is not None else default_name
    if is_hdf5(data):  # DeepLabCut's or SLEAP's .h5: read as the CSV its tool writes, and written back as that CSV
        fmt, rows = h5_rows(data)
        return assemble(READERS[fmt](rows), ",", min_confidence=float(min_confidence), source_name=name)
    text = _decode(data)
    fmt, delimiter = detect(text)
    if fmt is None:
        return _parse(text, name)
    rows = _read_rows(text, delimiter)
    return assemble(READERS[fmt](rows), delimiter, min_confidence=float(min_confidence), source_name=name,
                    newline=_newline(text))


def _newline(text: str) -> str:
    """The line ending of the file's first line: CRLF is written back as CRLF."""
    end = text.find("\n")
    return "\r\n" if end > 0 and text[end - 1] == "\r" else "\n"


def assemble(table: Table, delimiter: str, *, min_confidence: float, source_name: str = "",
             newline: str = "\n") -> Trajectory:
    """A reader's table -> Trajectory: confidence cut, frames, one row per frame and group, objects."""
    label, data = LABELS[table.format], table.data
    G, S = len(table.groups), len(table.slot_cols)
    warnings: list[str] = []

    # Points: half a position is none; under the confidence cut is none.
    xy = table.xy.copy()
    half = np.isnan(xy).any(-1) & ~np.isnan(xy).all(-1)
    with np.errstate(invalid="ignore"):
        low = (table.conf < min_confidence) & ~np.isnan(xy).any(-1)
    xy[half | low] = np.nan
    if half.any():
        warnings.append(f"{int(half.sum())} point(s) had only one of x and y; they are treated as missing")
    if low.any():
        warnings.append(f"{int(low.sum())} point(s) with {CONFIDENCE_NAMES[table.format]} under {min_confidence:g} "
                        "are treated as missing and filled")

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
    if (~seen).any():
        unseen = [n for n, ok in zip(table.names, seen) if not ok]
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
    return Trajectory(times, positions[:, seen], names, layout, warnings, source_name)


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


def write_track(traj: Trajectory, positions: np.ndarray, filled: np.ndarray) -> str:
    """`traj`'s file in its own format with the filled points written (see the module's table).

    positions: (T, K, 2), finite wherever `filled`; filled: (T, K) bool. Points the file lacks (or
    had under the confidence cut) are written in place, the text they replace kept in `_tracker`
    columns; points the file holds keep their text, the model's value beside them in `_pred` columns.
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

    new_row = NEW_ROW.get(lay.format, lambda n, lay, t, g, number: _blank_row(n, lay, t, g))
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
        cells = [_safe(c) for c in cells]
        writer.writerow(_insert(cells, width, new) if flag is not None or (len(cells) >= width and any(new)) else cells)

    text_cols = _text_columns(lay, width)
    for (t, g, cells, _), values, flag in zip(out, extra, flags):
        for key, c in columns[0].items():  # the file's own kinviz columns: `_pred` cleared, `_tracker` kept
            if key in values or key[1].endswith(PRED_SUFFIX):
                cells += [""] * (c + 1 - len(cells))
                cells[c] = values.get(key, "")
        for c in text_cols:
            cells[c] = _safe(cells[c])
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
                                         [a + TRACKER_SUFFIX for a in ("x", "y", "likelihood", "score", "confidence")])}
    own, new = {}, {}
    for slot, name in sorted(keys, key=lambda k: (k[0], order[k[1]])):
        axis, _, suffix = name.rpartition("_")
        cx, cy, cc = lay.slot_cols[slot]
        src = {"x": cx, "y": cy}.get(axis, cc)
        head = [cells[src] if src < len(cells) else "" for cells in lay.head]
        at = NAME_LINE.get(lay.format, -1)
        tail = "_" + suffix
        head[at] = head[at].strip() + (tail.upper() if lay.format == "trackmate" else tail)  # TrackMate's names are upper case
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
            digits[col] = _decimals([row[col].replace(decimal, ".").replace(minus, "-") for row in lay.rows
                                     if col < len(row)]) + 3
        return _round(v, digits[col]).replace(".", decimal).replace("-", minus)

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
