"""Plain CSV: read trajectory tables into a `Trajectory`, and write filled-in positions back in the user's own layout.

Three layouts are understood (column names in any case, delimiter `,` `;` or tab):

    wide, one object     time,x,y[,z]                   one row per time stamp
    wide, named objects  time,ball_x,ball_y,cart_x,...  one row per time stamp
    long                 time,object,x,y                one row per object per time stamp

The time column may be called time, timestamp, t or frame; the object column object, id, track or
name. Frames are the distinct time stamps in ascending order. Anything a person could hand us that
is not such a table raises `CSVError` with one line saying where the problem is and what to do;
no other exception escapes `load_csv` for any input bytes.

`write_csv` keeps the source's rows in their order, its columns, column order, delimiter and the
exact text of every measured cell. Empty cells are filled in place; the model's values for cells that
hold a measurement (hidden on purpose) go into added `<column>_pred` columns beside them; a last
column `predicted` flags the rows kinviz supplied a value on, and `filled_by` columns name the method
that filled each object's cell (the smoother, the co-visible regression, a model...).
"""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass

import numpy as np

from ..core.errors import CSVError
from ..core.trajectory import DEFAULT_NAME, MAX_FRAMES, MAX_OBJECTS, MIN_FRAMES, Trajectory, check_size
from .columns import Columns, read_header
from .readers import FILLED_BY
from .text import blank, decimals, decode, read_rows, read_source, round_text, safe_cell, shortest, sniff, numbers


@dataclass(frozen=True, eq=False)
class Layout:
    """Everything needed to write positions back in the shape the user gave us.

    `rows` are the source's data rows as text, in the source's order; `row_frame` and
    `row_object` say which frame and object each row holds (object is -1 in wide layout).
    """

    kind: str  # 'wide' or 'long'
    delimiter: str  # ',', ';' or '\t'
    header: list[str]  # (C,) column names as written in the source
    rows: list[list[str]]  # (R, C) source cells, original text
    row_frame: np.ndarray  # (R,) int64 frame index of each row
    row_object: np.ndarray  # (R,) int64 object index (long) or -1 (wide)
    time_col: int
    object_col: int | None  # long layout only
    xy_cols: list[tuple[int, int]]  # wide: one (x, y) column pair per object; long: one pair
    predicted_col: int | None  # an existing 'predicted' column, overwritten on write
    time_text: list[str]  # (T,) the source's text for each frame's time stamp



# ----------------------------------------------------------------------------- reading


def load_csv(source, *, name: str | None = None) -> Trajectory:
    """Read a trajectory CSV.

    `source` is a path (str or Path), CSV text (a str holding a line break, e.g. `write_csv`'s
    output), bytes, or a file-like object opened in text or binary mode. `name` labels the
    trajectory (default: the file's name). Raises `CSVError` for anything that is not a
    readable trajectory table.
    """
    data, default_name = read_source(source)
    text = decode(data)
    return parse_csv(text, name if name is not None else default_name)


def from_arrays(times, positions, names=None) -> Trajectory:
    """Build a trajectory in memory, in wide layout.

    times: (T,) finite, distinct; positions: (T, K, 2) with NaN where missing; names: K
    distinct object names (default 'object' for K=1, 'object1', ... otherwise). The layout is
    `time,x,y` for one object and `time,<name>_x,<name>_y,...` for more.
    """
    times = np.asarray(times, dtype=np.float64)
    positions = np.asarray(positions, dtype=np.float64)
    if times.ndim != 1 or positions.ndim != 3 or positions.shape[-1] != 2:
        raise CSVError(
            f"from_arrays needs times of shape (T,) and positions of shape (T, K, 2); "
            f"got {times.shape} and {positions.shape}"
        )
    if positions.shape[0] != times.shape[0]:
        raise CSVError(f"{times.shape[0]} time stamps but {positions.shape[0]} frames of positions")
    n_objects = positions.shape[1]
    if names is None:
        names = [DEFAULT_NAME] if n_objects == 1 else [f"object{k + 1}" for k in range(n_objects)]
    names = [str(n) for n in names]
    if len(names) != n_objects:
        raise CSVError(f"{len(names)} names given for {n_objects} objects")
    if any(n != n.strip() or not n or "\n" in n or "\r" in n for n in names):
        raise CSVError(f"object names must be non-empty one-line text without surrounding spaces: {names}")
    if len(set(names)) != len(names):
        raise CSVError(f"object names must be distinct: {names}")

    # Go through the reader so in-memory and file trajectories obey exactly the same checks.
    header = ["time", "x", "y"] if n_objects == 1 else ["time"] + [f"{n}_{a}" for n in names for a in "xy"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for t, row in zip(times, positions.reshape(len(times), -1)):
        writer.writerow([shortest(t)] + ["" if np.isnan(v) else shortest(v) for v in row])
    traj = parse_csv(buf.getvalue(), "arrays")
    return dataclasses.replace(traj, names=names) if n_objects == 1 else traj


def _duplicate(data, keys: np.ndarray, cols: Columns, obj_names: list[str], row_object: np.ndarray):
    """Raise the error naming the first repeated time stamp (per object in long layout)."""
    seen: dict[int, int] = {}
    for r, key in enumerate(keys.tolist()):
        if key in seen:
            who = f" for object '{obj_names[row_object[r]]}'" if cols.kind == "long" else ""
            raise CSVError(
                f"time {data[r][1][cols.time_col].strip()} appears twice{who} (lines {data[seen[key]][0]} "
                f"and {data[r][0]}); each time stamp needs one row"
            )
        seen[key] = r
    raise AssertionError("no duplicate found")


def parse_csv(text: str, source_name: str) -> Trajectory:
    """Text of a CSV file -> Trajectory (the reading rules live here)."""
    if not text.strip():
        raise CSVError("the file is empty: expected a header line such as 'time,x,y' and data rows")
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = sniff(first_line)
    rows = read_rows(text, delimiter)
    if not rows:
        raise CSVError("the file is empty: expected a header line such as 'time,x,y' and data rows")
    (_, header), data = rows[0], rows[1:]
    cols = read_header(header)
    names = [h.strip() for h in header]
    if not data:
        raise CSVError(f"the file has a header ({', '.join(names)[:60]}) but no data rows")

    # Check every row's shape before looking inside.
    for line, cells in data:
        if len(cells) != len(header):
            raise CSVError(
                f"line {line} has {len(cells)} fields but the header has {len(header)}; "
                f"every row needs one value per column (delimiter {delimiter!r})"
            )

    # Times, objects (long layout) and frames; one row per time stamp (per object).
    warnings: list[str] = []
    times = numbers(data, cols.time_col, names[cols.time_col], allow_missing=False)
    frames, row_frame = np.unique(times, return_inverse=True)
    row_frame = row_frame.reshape(-1).astype(np.int64)
    if cols.kind == "long":
        objects = [cells[cols.object_col].strip() for _, cells in data]
        if "" in objects:
            r = objects.index("")
            raise CSVError(
                f"column '{names[cols.object_col]}', row {r + 1} (line {data[r][0]}): the object name is empty"
            )
        obj_names = sorted(set(objects))  # sorted, so writing then reading keeps the order
        index = {n: k for k, n in enumerate(obj_names)}
        row_object = np.array([index[o] for o in objects], dtype=np.int64)
    else:
        obj_names = [p[0] for p in cols.pairs]
        row_object = np.full(len(data), -1, dtype=np.int64)
    keys = row_frame * (len(obj_names) + 1) + row_object
    if len(np.unique(keys)) != len(keys):
        _duplicate(data, keys, cols, obj_names, row_object)
    if len(frames) < MIN_FRAMES:
        raise CSVError(f"the file has {len(frames)} time stamp(s); kinviz needs at least {MIN_FRAMES}")
    if len(frames) > MAX_FRAMES:
        raise CSVError(f"the file has {len(frames)} time stamps; kinviz reads at most {MAX_FRAMES}: trim it")
    if len(obj_names) > MAX_OBJECTS:
        raise CSVError(f"the file has {len(obj_names)} objects; kinviz handles at most {MAX_OBJECTS}")
    check_size(len(frames), len(obj_names))

    # Positions: one (x, y) pair per object per row (wide) or one per row (long).
    positions = np.full((len(frames), len(obj_names), 2), np.nan)
    for k, (_, cx, cy) in enumerate(cols.pairs):
        obj = row_object if cols.kind == "long" else k
        for a, c in enumerate((cx, cy)):
            positions[row_frame, obj, a] = numbers(data, c, names[c])

    # One coordinate alone is not a position.
    half = np.isnan(positions).any(-1) & ~np.isnan(positions).all(-1)
    if half.any():
        positions[half] = np.nan
        warnings.append(f"{int(half.sum())} position(s) had only one of x and y; they are treated as missing")
    for k, n in enumerate(obj_names):
        if np.isnan(positions[:, k]).all():
            _, cx, cy = cols.pairs[0 if cols.kind == "long" else k]
            raise CSVError(
                f"object '{n}' has no observed positions (its '{names[cx]}', '{names[cy]}' cells are all empty); "
                "give it at least one x,y or remove it"
            )

    # Notes for the user.
    if cols.z_cols:
        warnings.append(f"column(s) {', '.join(map(repr, cols.z_cols))} ignored: kinviz works in 2-D")
    if cols.stray:
        warnings.append(f"column(s) {', '.join(cols.stray)} are no x/y pair, so no position: kept in the output")
    if cols.ignored:
        warnings.append(f"column(s) {', '.join(map(repr, cols.ignored))} ignored by the model (kept in the output)")
    if np.any(np.diff(times) < 0):
        warnings.append("rows were not in time order; they were sorted")
    steps = np.diff(frames)
    # Slack for time stamps written to a few digits: 0.1 % (1/120 s as 0.008333333), and one unit in the
    # last written decimal, as much as rounding both ends of a step moves it (30 Hz to 4 places: 0.0333, 0.0334),
    # while that is under a tenth of a step (whole frame numbers 0, 1, 2, 4 still skip one).
    rounding = 1.01 * 10.0 ** -decimals([cells[cols.time_col] for _, cells in data])
    if steps.max() - steps.min() > max(1e-3 * abs(steps.max()), min(rounding, 0.1 * np.median(steps)), 1e-12):
        warnings.append(
            f"time steps are uneven (min {steps.min():.6g}, max {steps.max():.6g}); the model assumes even steps"
        )

    # Keep the source rows in their order for writing back.
    time_text = [""] * len(frames)
    for r in range(len(data) - 1, -1, -1):  # each frame's first row writes its time last
        time_text[row_frame[r]] = data[r][1][cols.time_col].strip()
    layout = Layout(
        kind=cols.kind,
        delimiter=delimiter,
        header=list(header),
        rows=[cells for _, cells in data],
        row_frame=row_frame.astype(np.int64),
        row_object=row_object,
        time_col=cols.time_col,
        object_col=cols.object_col,
        xy_cols=[(cx, cy) for _, cx, cy in cols.pairs],
        predicted_col=cols.predicted_col,
        time_text=time_text,
    )
    return Trajectory(frames, positions, list(obj_names), layout, warnings, source_name)


# ----------------------------------------------------------------------------- writing


def write_csv(traj: Trajectory, positions: np.ndarray, filled: np.ndarray, method: np.ndarray | None = None) -> str:
    """Write `traj`'s table back with filled-in positions, as CSV text in the source's layout.

    positions: (T, K, 2) float, finite wherever `filled`; filled: (T, K) bool, the cells that were
    predicted. No measurement is lost:

    - every cell that holds a number in the source keeps its original text;
    - an empty (or NaN) position cell that was filled gets the model's value in place;
    - a filled cell that holds a measurement (hidden on purpose) gets the model's value in an added
      column ``<column>_pred`` right after its object's y column (``x_pred``, ``ball_y_pred``; long
      layout: one ``x_pred``, ``y_pred`` pair), empty on other rows; a source column of that name is
      overwritten;
    - a column ``predicted`` (or the source's own) is 1 on rows where kinviz supplied a value;
    - with ``method`` ((T, K) str, the method that filled each cell, ``Prediction.method_of``), a column
      ``filled_by`` per object after it (``ball_filled_by``; one ``filled_by`` in long layout or for one
      unnamed object) names that method on rows where it filled the object, empty elsewhere;
    - rows keep the source's order; long layout gains a row for each filled (time, object) pair the
      source lacked, after that time stamp's last row;
    - filled numbers are rounded to three decimals more than the column's own (``text.decimals``).

    Text cells that a spreadsheet would run as a formula get a leading quote.
    """
    if not isinstance(traj.layout, Layout):  # a tracker's own file (kinviz.io.formats) writes itself back
        return traj.layout.write(traj, positions, filled, method)
    positions = np.asarray(positions, dtype=np.float64)
    filled = np.asarray(filled, dtype=bool)
    shape = (traj.n_frames, traj.n_objects)
    if positions.shape != shape + (2,) or filled.shape != shape:
        raise ValueError(f"expected positions {shape + (2,)} and filled {shape}; got {positions.shape}, {filled.shape}")
    if not np.isfinite(positions[filled]).all():
        raise ValueError("positions must be finite wherever filled is True")
    lay = traj.layout
    long = lay.kind == "long"
    filled_list = filled.tolist()  # plain lists: indexing numpy per cell is slow

    # Output rows (frame, object, cells) in source order; long layout adds rows for absent filled
    # pairs after the last source row of their time stamp.
    added: dict[int, list] = {}
    if long:
        present = np.zeros(shape, dtype=bool)
        present[lay.row_frame, lay.row_object] = True
        last = np.full(traj.n_frames, -1)
        np.maximum.at(last, lay.row_frame, np.arange(len(lay.rows)))
        for t, k in np.argwhere(filled & ~present).tolist():
            cells = [""] * len(lay.header)
            cells[lay.time_col] = lay.time_text[t]
            cells[lay.object_col] = traj.names[k]
            added.setdefault(int(last[t]), []).append((t, k, cells))
    out = []
    for r, (t, k, cells) in enumerate(zip(lay.row_frame.tolist(), lay.row_object.tolist(), lay.rows)):
        out.append((t, k, cells))
        out += added.get(r, [])

    # Which filled cells hold a measurement: their pair gets `_pred` columns.
    def pairs_of(k):  # (pair index, object) for each x, y column pair on a row
        return [(0, k)] if long else list(enumerate(range(traj.n_objects)))

    needs_pred = set()
    for t, k, cells in out:
        for p, obj in pairs_of(k):
            if filled_list[t][obj] and any(not blank(cells[c]) for c in lay.xy_cols[p]):
                needs_pred.add(p)

    # Columns: the source's, each `_pred` pair after its y column, then `predicted` unless present.
    own = [h.strip() for h in lay.header]  # names as written: Ant_x_pred and ant_x_pred are two columns
    pred_cols: dict[int, tuple[int, int]] = {}  # pair -> (x_pred, y_pred) output column
    columns: list = list(range(len(lay.header)))  # an int: that source column; a str: an added one
    for p in sorted(needs_pred, key=lambda p: -lay.xy_cols[p][1]):  # right to left keeps positions valid
        names = [lay.header[c].strip() + "_pred" for c in lay.xy_cols[p]]
        new = [n for n in names if n not in own]
        at = columns.index(lay.xy_cols[p][1]) + 1
        columns[at:at] = new
    header = [safe_cell(lay.header[c] if isinstance(c, int) else c) for c in columns]
    for p in needs_pred:
        names = [lay.header[c].strip() + "_pred" for c in lay.xy_cols[p]]
        pred_cols[p] = tuple(next(i for i, c in enumerate(columns)
                                  if (own[c] if isinstance(c, int) else c) == n) for n in names)
    owned = {i for pair in pred_cols.values() for i in pair}  # `_pred` columns taken over from the source
    pred_col = columns.index(lay.predicted_col) if lay.predicted_col is not None else None
    if pred_col is None:
        header.append("predicted")
        pred_col = len(header) - 1
    by_col = {}  # pair -> its `filled_by` output column (the source's own, from an earlier write, reused)
    if method is not None:
        for p in range(1 if long else len(lay.xy_cols)):
            name = FILLED_BY if long or traj.names[p] == DEFAULT_NAME else f"{traj.names[p]}_{FILLED_BY}"
            mine = [i for i, c in enumerate(columns) if isinstance(c, int) and own[c] == name]
            if mine:
                by_col[p] = mine[0]
                owned.add(mine[0])
            else:
                header.append(name)
                by_col[p] = len(header) - 1
    source_at = {c: i for i, c in enumerate(columns) if isinstance(c, int)}
    numeric = {lay.time_col, *(c for pair in lay.xy_cols for c in pair)}
    digits = {c: decimals([cells[c] for _, _, cells in out]) + 3 for pair in lay.xy_cols for c in pair}

    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=lay.delimiter, lineterminator="\n")
    writer.writerow(header)
    for t, k, cells in out:
        row = [""] * len(header)
        for c, i in source_at.items():
            row[i] = cells[c] if c in numeric else safe_cell(cells[c])
        for i in owned:
            row[i] = ""
        supplied = False
        for p, obj in pairs_of(k):
            if not filled_list[t][obj]:
                continue
            supplied = True
            if p in by_col:
                row[by_col[p]] = safe_cell(str(method[t, obj]))
            for a, c in enumerate(lay.xy_cols[p]):
                text = round_text(positions[t, obj, a], digits[c])
                if blank(cells[c]):
                    row[source_at[c]] = text
                else:  # a measurement: it stays, the model's value goes beside it
                    row[pred_cols[p][a]] = text
        row[pred_col] = "1" if supplied else "0"
        writer.writerow(row)
    return buf.getvalue()

