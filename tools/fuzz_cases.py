"""Fuzzing kinviz's readers: random bytes and mutated real files through `kinviz.load_track`.

The one rule checked: a reader either reads the file or raises a `kinviz.KinvizError` with a one-line
message, within `LIMIT_S` seconds; never another exception. `tests/test_fuzz.py` runs a few hundred
cases with hypothesis; `scripts/fuzz.py --cases N` runs many and prints the figures.
"""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np

import kinviz
from kinviz.io.examples import FORMATS_DIR

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"  # beside the clone; CI may not have it
LIMIT_S = 10.0  # one case's time bound: the largest seed is ~1 MB of CSV, read in well under a second
CUT_LINES = 120  # real-train files are cut to their first lines: mutations, not size, are the point


def seeds() -> list[tuple[str, bytes]]:
    """(name, bytes) of the files to mutate: the bundled examples, formats-dev and cuts of real-train if present."""
    files = [(f"bundled/{p.name}", p.read_bytes()) for p in sorted(FORMATS_DIR.iterdir()) if p.is_file()]
    files += [(f"formats-dev/{p.name}", p.read_bytes()) for p in sorted((SHARED / "formats-dev").glob("*.csv"))]
    for p in sorted((SHARED / "real-train").glob("*/*.csv")):
        with open(p, "rb") as f:
            head = b"".join(line for _, line in zip(range(CUT_LINES), f))
        files.append((f"real-train/{p.parent.name}/{p.name}", head))
    return files


def mutate(data: bytes, rng: np.random.Generator, n: int) -> bytes:
    """`data` with `n` random edits: bytes flipped, inserted or deleted, lines dropped, repeated or swapped,
    a field emptied or turned to text, a delimiter or quote added, the file cut short."""
    b = bytearray(data)
    for _ in range(n):
        op = int(rng.integers(10))
        at = int(rng.integers(len(b) + 1))
        if op == 0 and b:
            b[min(at, len(b) - 1)] = int(rng.integers(256))
        elif op == 1:
            b[at:at] = rng.choice(list(b',;\t"\n\r -.0123456789eEnax\xe2\x88\x92'), int(rng.integers(1, 6))).tobytes()
        elif op == 2:
            del b[at:at + int(rng.integers(1, 40))]
        elif op == 3:
            b = b[:at]
        else:
            lines = bytes(b).split(b"\n")
            i, j = (int(x) for x in rng.integers(len(lines), size=2))
            if op == 4:
                del lines[i]
            elif op == 5:
                lines.insert(i, lines[j])
            elif op == 6:
                lines[i], lines[j] = lines[j], lines[i]
            else:
                cells = lines[i].split(b",")
                k = int(rng.integers(len(cells)))
                cells[k] = [b"", b"abc", b"nan", b"1e999", b"-0", b'"', b"=1+1", b"9" * 30][int(rng.integers(8))]
                lines[i] = b",".join(cells)
            b = bytearray(b"\n".join(lines))
    return bytes(b)


class TooSlow(Exception):
    pass


def _alarm(signum, frame):
    raise TooSlow(f"a case took over {LIMIT_S:g} s")


def check(data: bytes) -> str:
    """Read `data`; 'read' or 'refused' (a KinvizError with a one-line message). Anything else raises
    (AssertionError for a bad message or TooSlow past LIMIT_S)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, LIMIT_S)
    try:
        kinviz.load_track(data)
        return "read"
    except kinviz.KinvizError as e:
        message = str(e)
        assert message and "\n" not in message and "\r" not in message, f"not one line: {message!r}"
        return "refused"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
