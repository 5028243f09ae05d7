"""The text of a tracker's file, cell by cell: every reader and writer in ``io`` goes through these.

Bytes to text (``read_source``, ``decode``), text to rows (``sniff``, ``read_rows``), cells to numbers
(``numbers``, ``is_number``, ``blank``), and numbers back to text as the column writes them
(``decimals``, ``round_text``, ``shortest``), with text cells made safe to open in a spreadsheet
(``safe_cell``). Each raises ``CSVError`` with one line a person can act on.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np

from ..core.errors import CSVError
from ..core.trajectory import MAX_BYTES, MAX_CELLS

MISSING_TOKENS = frozenset({"", "nan", "-nan", "+nan", "na", "n/a", "null", "none"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's CSV-injection list
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

Row = tuple[int, list[str]]  # (line of the file, cells)


def read_source(source) -> tuple[bytes, str]:
    """The raw bytes of a path, text holding a line break, bytes or a file object (at most MAX_BYTES + 1 of
    them), and a default name (the file's)."""
    too_big = "the file is {} MB; kinviz reads files up to {:.0f} MB: trim or split it"
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = ""
    elif isinstance(source, str) and ("\n" in source or "\r" in source):
        data = source.encode("utf-8", errors="surrogatepass")
        name = ""
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = path.name
        try:
            size = os.stat(path).st_size
            if size > MAX_BYTES:
                raise CSVError(too_big.format(f"{size / 1e6:.1f}", MAX_BYTES / 1e6))
            with open(path, "rb") as f:
                data = f.read(MAX_BYTES + 1)
        except FileNotFoundError:
            raise CSVError(f"file not found: '{path}'") from None
        except IsADirectoryError:
            raise CSVError(f"'{path}' is a folder, not a CSV file") from None
        except (OSError, ValueError) as e:
            raise CSVError(f"cannot open '{path}': {e}") from None
    elif hasattr(source, "read"):
        name = os.path.basename(str(getattr(source, "name", "") or ""))
        try:
            data = source.read(MAX_BYTES + 1)
        except UnicodeDecodeError:
            raise CSVError("the file is not UTF-8 text: save it as a UTF-8 CSV") from None
        except (OSError, ValueError) as e:
            raise CSVError(f"cannot read the file: {e}") from None
        if isinstance(data, str):
            data = data.encode("utf-8", errors="surrogatepass")
        elif not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"source.read() returned {type(data).__name__}, not str or bytes")
        data = bytes(data)
    else:
        raise TypeError(f"kinviz reads a path, CSV text, bytes or a file object, not {type(source).__name__}")
    if len(data) > MAX_BYTES:  # streams are read only to MAX_BYTES + 1, so their size is a bound
        size = f"over {MAX_BYTES / 1e6:.0f}" if hasattr(source, "read") else f"{len(data) / 1e6:.1f}"
        raise CSVError(too_big.format(size, MAX_BYTES / 1e6))
    return data, name


def decode(data: bytes) -> str:
    """UTF-8 (BOM optional) to text; binary content is refused."""
    if b"\x00" in data:
        raise CSVError("the file contains NUL bytes, so it is binary (e.g. .xlsx), not a CSV: export it as CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise CSVError(
            f"the file is not UTF-8 text (byte 0x{data[e.start]:02x} at position {e.start}): "
            "save it as a UTF-8 CSV"
        ) from None


def sniff(line: str) -> str:
    """The delimiter used most in the header line; ties prefer comma, then semicolon."""
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ",", d == ";"))


def read_rows(text: str, delimiter: str) -> list[Row]:
    """Split text into (file line, cells) rows, skipping blank lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            if "".join(cells).strip():
                rows.append((reader.line_num, cells))
            if len(rows) > MAX_CELLS + 4:  # header lines + the most rows we could use
                raise CSVError(f"the file has over {MAX_CELLS} rows; kinviz reads at most that many: split it")
    except csv.Error as e:
        raise CSVError(f"line {reader.line_num + 1}: cannot split it into fields ({e}); check its quotes") from None
    return rows


def numbers(data: list[Row], col: int, column: str, *, allow_missing: bool = True) -> np.ndarray:  # (R,) float64
    """One column's cells as numbers, NaN where missing (a time column: `allow_missing` False).

    The fast path lets NumPy parse the whole column (it reads numbers as Python's float() does);
    only when that fails do we walk the cells to name the first bad one.
    """
    cells = [cells[col] if col < len(cells) else "" for _, cells in data]
    try:
        values = np.array([c if c.strip() else "nan" for c in cells], dtype=np.float64)
    except ValueError:
        values = None
    if values is not None and not np.isinf(values).any() and (allow_missing or not np.isnan(values).any()):
        return values
    return np.array(
        [number(c, column, r + 1, line, allow_missing) for r, ((line, _), c) in enumerate(zip(data, cells))]
    )


def number(cell: str, column: str, row: int, line: int, allow_missing: bool) -> float:
    """Parse one numeric cell, or raise the error a person can act on. `row` is the 1-based data row."""
    s = cell.strip()
    where = f"column '{column}', row {row} (line {line} of the file)"
    if s.lower() in MISSING_TOKENS:
        if allow_missing:
            return float("nan")
        raise CSVError(f"{where}: the time stamp is missing; every row needs a time")
    try:
        v = float(s)
    except ValueError:
        hint = " (use a dot as the decimal mark)" if "," in s and NUMBER.fullmatch(s.replace(",", ".", 1)) else ""
        raise CSVError(f"{where}: {s[:40]!r} is not a number{hint}; fix or empty that cell") from None
    if np.isinf(v):
        raise CSVError(f"{where}: {s[:40]!r} is infinite; use a finite number or leave the cell empty")
    if np.isnan(v) and not allow_missing:  # e.g. '-nan(ind)' is not a token but float() reads it
        raise CSVError(f"{where}: the time stamp is missing; every row needs a time")
    return v


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def blank(cell: str) -> bool:
    """True for a cell the reader takes as missing (empty, a missing token, or text float() reads as NaN)."""
    s = cell.strip()
    if s.lower() in MISSING_TOKENS:
        return True
    try:
        return bool(np.isnan(float(s)))
    except ValueError:
        return False


def decimals(cells: list[str]) -> int:
    """The most decimal places among a column's numbers: '1.50' 2, '2e0' 0, '1.5e-3' 4 (at most 12)."""
    most = 0
    for cell in cells:
        m = NUMBER.fullmatch(cell.strip())
        if m is None:
            continue
        mantissa, _, exponent = m.group(0).lower().partition("e")
        places = len(mantissa.partition(".")[2]) - (int(exponent) if exponent else 0)
        most = max(most, min(places, 12))
    return most


def round_text(v: float, places: int) -> str:
    """`v` with at most `places` decimals and no more digits than read back as the same float, trailing
    zeros dropped: no float noise (0.8450000000000001 -> 0.845; 1086.9524238334902 at 18 places as is)."""
    text = np.format_float_positional(float(v), precision=places, unique=True, trim="-")
    return "0" if text == "-0" else text


def shortest(v: float) -> str:
    """Shortest text that reads back as exactly the same float."""
    return repr(float(v))


def safe_cell(cell: str) -> str:
    """Neutralise a text cell a spreadsheet would run ('=cmd()' -> "'=cmd()"); numbers like -3.5 stay."""
    s = cell.strip()
    if (s.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(s)) or cell.startswith(("\t", "\r")):
        return "'" + cell
    return cell
