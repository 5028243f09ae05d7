"""Which columns of a plain CSV's header hold the time, the object and each object's x/y pair."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import CSVError
from ..core.trajectory import DEFAULT_NAME, MAX_OBJECTS

# The time column: the first of these names in the header wins; frame numbers are times like any other.
TIME_NAMES = ("time", "timestamp", "t", "frame", "frame_index", "frame_idx", "frame_number", "frame_no", "frame_id")
FIRST_TIME_NAMES = ("index",)  # a time column only as the first column (pandas' to_csv(index_label="index"))
TIME_WORDS = "time, t, timestamp, frame or frame_index"
OBJECT_NAMES = ("object", "id", "track", "name")
NAMED_AXIS = re.compile(r"(.*\S)_([xyz])", re.IGNORECASE)


@dataclass
class Columns:
    kind: str
    time_col: int
    object_col: int | None
    pairs: list[tuple[str, int, int]]  # (object name, x column, y column)
    predicted_col: int | None
    ignored: list[str]  # columns that are none of these, kept in the output
    z_cols: list[str]
    stray: list[str]  # an x or y column with no partner (`frame_x` alone): no position, kept in the output


def read_header(header: list[str]) -> Columns:
    """Work out the layout from the header's column names."""
    names = [h.strip() for h in header]
    low = [n.lower() for n in names]
    shown = ", ".join(repr(n) for n in names[:8]) + (", ..." if len(names) > 8 else "")

    def first(cands):
        return next((low.index(c) for c in cands if c in low), None)

    time_col = first(TIME_NAMES)
    if time_col is None and low and low[0] in FIRST_TIME_NAMES:
        time_col = 0
    object_col = first(OBJECT_NAMES)
    plain = {a: low.index(a) for a in "xyz" if a in low}
    named: dict[str, dict[str, int]] = {}  # prefix, exactly as written (Ant and ant are two objects) -> axis -> column
    for i, n in enumerate(names):
        m = NAMED_AXIS.fullmatch(n)
        if m:
            named.setdefault(m.group(1), {}).setdefault(m.group(2).lower(), i)
    has_xy = any(a in plain for a in "xy") or any(("x" in d or "y" in d) for d in named.values())

    if time_col is None and not has_xy:
        first_line = " ".join(header)[:60]
        raise CSVError(
            "this is not a trajectory table: the first line should name a time column "
            f"({TIME_WORDS}) and x/y columns (x,y or ball_x,ball_y), but it reads: {first_line!r}"
        )
    if time_col is None:
        raise CSVError(f"no time column: name one column {TIME_WORDS} (columns found: {shown})")
    if not has_xy:
        raise CSVError(f"no position columns: expected x and y, or pairs like ball_x, ball_y (columns found: {shown})")

    stray: list[tuple[str, str]] = []  # (column, the partner it lacks)

    def pair(label: str, cols: dict[str, int]) -> tuple[str, int, int] | None:
        for have, want in (("x", "y"), ("y", "x")):
            if have in cols and want not in cols:
                col = names[cols[have]]
                stray.append((col, col[:-1] + (want.upper() if col[-1].isupper() else want)))
                return None
        return (label, cols["x"], cols["y"]) if "x" in cols else None

    plain_pair = pair(DEFAULT_NAME, plain)
    kind = "long" if plain_pair is not None and object_col is not None else "wide"
    pairs = [plain_pair] if plain_pair else []
    z_cols = [names[plain["z"]]] if "z" in plain and plain_pair else []
    if kind == "wide":
        for cols in named.values():
            p = pair(names[cols.get("x", cols.get("y", 0))][:-2], cols)
            if p is not None:
                pairs.append(p)
                if "z" in cols:
                    z_cols.append(names[cols["z"]])
        pairs.sort(key=lambda p: p[1])
    if not pairs:  # nothing but unpaired columns: no position at all
        col, partner = stray[0]
        raise CSVError(f"column '{col}' has no matching '{partner}' column; add it or remove '{col}'")
    if len(pairs) > MAX_OBJECTS:
        raise CSVError(f"the file has {len(pairs)} objects; kinviz handles at most {MAX_OBJECTS}: drop some")

    predicted_col = low.index("predicted") if "predicted" in low else None
    used = {time_col, predicted_col, *(c for _, x, y in pairs for c in (x, y))}
    used |= {low.index(z.lower()) for z in z_cols}
    if kind == "long":
        used.add(object_col)
    named_cols = {c for p in pairs if p is not plain_pair for c in p[1:]}
    for i in sorted(used - {None}):  # a named pair's columns as written; time, object, x, y in any case
        count = names.count(names[i]) if i in named_cols else low.count(low[i])
        if count > 1:
            raise CSVError(f"column '{names[i]}' appears {count} times in the header; keep one")
    strays = [col for col, _ in stray]
    ignored = [names[i] for i in range(len(names)) if i not in used and names[i] not in strays]
    return Columns(kind, time_col, object_col if kind == "long" else None, pairs, predicted_col, ignored, z_cols,
                   [f"'{col}' (no '{partner}')" for col, partner in stray])

