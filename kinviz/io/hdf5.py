"""DeepLabCut's and SLEAP's `.h5` files, read with h5py alone: no PyTables, no pandas, no code from the file.

    DeepLabCut  pandas' table format under 'df_with_missing': one row per frame, columns
                (scorer, [individuals,] bodyparts, coords) named in the table's attributes
    SLEAP       analysis h5: tracks (n_tracks, 2, n_nodes, n_frames), node_names, track_names,
                point_scores (n_tracks, n_nodes, n_frames), track_occupancy (n_frames, n_tracks)

Each becomes the rows of the CSV its tool writes beside it (DeepLabCut's `save_as_csv`, SLEAP's
analysis CSV) and is read by `readers` like that CSV; the filled file comes back as that CSV.
pandas keeps a table's column names as pickles of plain lists and strings: they are read by an
unpickler that refuses every class and function, so a file can name columns but cannot run code.
"""

from __future__ import annotations

import io
import pickle

import numpy as np

from ..core.errors import CSVError
from ..core.trajectory import MAX_CELLS
from .text import Row

SIGNATURE = b"\x89HDF\r\n\x1a\n"  # the first 8 bytes of every HDF5 file
DLC_KEY = "df_with_missing"  # the key DeepLabCut writes its table under
MAX_VALUES = MAX_CELLS * 8  # a SLEAP file: x, y and score per position, and room for its other datasets


def is_hdf5(data: bytes) -> bool:
    return data[:8] == SIGNATURE


def h5_rows(data: bytes) -> tuple[str, list[Row]]:
    """(format, rows of the CSV the tool writes) for the bytes of a DeepLabCut or SLEAP `.h5` file."""
    import h5py

    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            return _rows(f)
    except CSVError:
        raise
    except (OSError, KeyError, ValueError, TypeError, IndexError, RuntimeError, AttributeError, EOFError) as e:
        # h5py reports a damaged file from wherever it trips on it: as one line, whatever the call
        raise CSVError(f"the .h5 file cannot be read ({' '.join(str(e).split())[:120]}); export it again from "
                       "its tool") from None


def _read(ds) -> np.ndarray:
    """A dataset's values, refused before reading when it claims more values than a file kinviz reads can hold."""
    if ds.size > MAX_VALUES:
        raise CSVError(f"the .h5 dataset '{ds.name}' holds {ds.size:,} values; kinviz reads files of at most "
                       f"{MAX_CELLS:,} positions: export fewer frames")
    return ds[()]


def _rows(f) -> tuple[str, list[Row]]:
    """The format and rows of an open .h5 file."""
    if "tracks" in f and "node_names" in f:
        return "sleap", _sleap_rows(f)
    table = next((f[k] for k in [DLC_KEY, *f.keys()] if k in f and _attr(f[k], "pandas_type") == "frame_table"), None)
    if table is not None:
        return "deeplabcut", _dlc_rows(table)
    if any(_attr(f[k], "pandas_type") for k in f.keys()):
        raise CSVError("DeepLabCut: the .h5 table is in pandas' 'fixed' format; kinviz reads DeepLabCut's own "
                       "'table' format: export the CSV from DeepLabCut (save_as_csv=True) instead")
    raise CSVError(f"the .h5 file has neither DeepLabCut's '{DLC_KEY}' table nor SLEAP's 'tracks' and "
                   f"'node_names' (it holds: {', '.join(list(f.keys())[:6]) or 'nothing'})")


def _attr(node, name: str):
    value = node.attrs.get(name)
    return value.decode() if isinstance(value, bytes) else (bytes(value).decode() if isinstance(value, np.bytes_) else value)


class _Names(pickle.Unpickler):
    """Unpickles plain lists, tuples, dicts, strings and numbers only: anything naming a class or function is refused."""

    def find_class(self, module, name):
        raise CSVError(f"DeepLabCut: the .h5 table's column names refer to Python code ({module}.{name}); "
                       "kinviz reads only plain names: export the CSV from DeepLabCut instead")


def _names(node, attr: str):
    blob = node.attrs.get(attr)
    if blob is None:
        raise CSVError(f"DeepLabCut: the .h5 table has no '{attr}' attribute; export it again from DeepLabCut")
    try:
        return _Names(io.BytesIO(bytes(blob))).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
        raise CSVError(f"DeepLabCut: the .h5 table's '{attr}' cannot be read ({e}); export it again") from None


def _dlc_rows(group) -> list[Row]:
    """The rows of DeepLabCut's CSV: scorer, [individuals,] bodyparts, coords lines, then index and values."""
    if "table" not in group:
        raise CSVError("DeepLabCut: the .h5 group has no 'table'; export it again from DeepLabCut")
    table = group["table"]
    blocks = sorted(n for n in (table.dtype.names or ()) if n.startswith("values_block_"))
    if not blocks or "index" not in table.dtype.names:
        raise CSVError("DeepLabCut: the .h5 table has no values or no index; export it again from DeepLabCut")
    records = _read(table)
    columns = [c for b in blocks for c in _names(table, f"{b}_kind")]
    values = np.concatenate([np.asarray(records[b], dtype=np.float64).reshape(len(records), -1) for b in blocks], 1)
    if not columns or not all(isinstance(c, tuple) and len(c) in (3, 4) for c in columns) or len(columns) != values.shape[1]:
        raise CSVError("DeepLabCut: the .h5 table's columns are not (scorer, [individuals,] bodyparts, coords)")
    levels = ["scorer", "individuals", "bodyparts", "coords"] if len(columns[0]) == 4 else ["scorer", "bodyparts", "coords"]
    head = [[name] + [str(c[i]) for c in columns] for i, name in enumerate(levels)]
    index = records["index"]
    frames = [str(int(i)) for i in index] if np.issubdtype(index.dtype, np.integer) else [str(r) for r in range(len(index))]
    data = [[frame] + _texts(row) for frame, row in zip(frames, values)]
    return [(line + 1, cells) for line, cells in enumerate(head + data)]


def _sleap_rows(f) -> list[Row]:
    """The rows of SLEAP's analysis CSV: track,frame_idx,instance.score,<node>.x,<node>.y,<node>.score."""
    tracks = np.asarray(_read(f["tracks"]), dtype=np.float64)
    if tracks.ndim != 4 or tracks.shape[1] != 2:
        raise CSVError(f"SLEAP: 'tracks' has shape {tracks.shape}; an analysis h5 has (tracks, 2, nodes, frames)")
    n_tracks, _, n_nodes, n_frames = tracks.shape
    nodes = [_text(n) for n in _read(f["node_names"])]
    names = [_text(n) for n in _read(f["track_names"])] if "track_names" in f else []
    names = names if len(names) == n_tracks else [f"track_{i}" if n_tracks > 1 else "" for i in range(n_tracks)]
    if len(nodes) != n_nodes:
        raise CSVError(f"SLEAP: 'node_names' names {len(nodes)} nodes but 'tracks' holds {n_nodes}")
    scores = _shaped(f, "point_scores", (n_tracks, n_nodes, n_frames))
    instance = _shaped(f, "instance_scores", (n_tracks, n_frames))
    occupied = _shaped(f, "track_occupancy", (n_frames, n_tracks))
    occupied = (occupied.T > 0) if occupied is not None else np.isfinite(tracks).any(axis=(1, 2))  # (tracks, frames)
    head = ["track", "frame_idx", "instance.score"] + [f"{n}.{a}" for n in nodes for a in ("x", "y", "score")]
    rows = [(1, head)]
    for frame in range(n_frames):
        for t in np.flatnonzero(occupied[:, frame]):
            cells = [names[t], str(frame), _texts([instance[t, frame]])[0] if instance is not None else ""]
            for n in range(n_nodes):
                score = scores[t, n, frame] if scores is not None else np.nan
                cells += _texts([tracks[t, 0, n, frame], tracks[t, 1, n, frame], score])
            rows.append((len(rows) + 1, cells))
    return rows


def _shaped(f, name: str, shape: tuple[int, ...]) -> np.ndarray | None:
    """An optional dataset in `shape`, transposed if written the other way round (SLEAP versions differ)."""
    if name not in f:
        return None
    a = np.asarray(_read(f[name]), dtype=np.float64)
    if a.shape == shape:
        return a
    if a.shape == shape[::-1]:
        return a.T
    raise CSVError(f"SLEAP: '{name}' has shape {a.shape}; expected {shape} for these tracks, nodes and frames")


def _text(name) -> str:
    return name.decode() if isinstance(name, bytes) else str(name)


def _texts(values) -> list[str]:
    """Numbers as DeepLabCut's and SLEAP's CSVs write them: the shortest text that reads back the same, NaN empty."""
    return [repr(float(v)) if np.isfinite(v) else "" for v in values]
