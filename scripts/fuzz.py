"""Fuzz kinviz's readers for a long run: random bytes, CSV-like text and mutated real files through
`kinviz.load_track`; every case must be read or refused with a one-line KinvizError within the time bound.

    python scripts/fuzz.py --cases 2000 [--seed 0]

Prints cases, how many each reader got (the format found, or refused), seconds and peak memory; exits 1
and prints the case's bytes when one breaks the rule. The cases come from tools/fuzz_cases.py, as
tests/test_fuzz.py's do.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from kinviz.io.formats import detect  # noqa: E402
from kinviz.io.hdf5 import is_hdf5  # noqa: E402
from tools.fuzz_cases import LIMIT_S, check, mutate, seeds  # noqa: E402

ALPHABET = list(b"0123456789.,;\t\n\r -+eExyXYtime_framescorerbodypartscoords\"")


def case(rng: np.random.Generator, files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    """(kind, bytes): a third random bytes or CSV-like text, the rest a seed file with 1-8 edits."""
    kind = int(rng.integers(6))
    if kind == 0:
        return "random bytes", rng.integers(256, size=int(rng.integers(0, 400))).astype(np.uint8).tobytes()
    if kind == 1:
        return "csv-like text", bytes(rng.choice(ALPHABET, size=int(rng.integers(0, 300))).astype(np.uint8))
    name, data = files[int(rng.integers(len(files)))]
    return "mutated " + name.split("/")[0], mutate(data, rng, int(rng.integers(1, 9)))


def reader(data: bytes) -> str:
    """The reader a file goes to: the format detect() finds, h5, or plain CSV (what refused cases were tried as)."""
    if is_hdf5(data):
        return "h5"
    try:
        return detect(data.decode("utf-8-sig"))[0] or "plain csv"
    except (UnicodeDecodeError, ValueError, IndexError):
        return "not text"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    files = seeds()
    rng = np.random.default_rng(args.seed)
    kinds, readers, outcomes = Counter(), Counter(), Counter()
    slowest = 0.0
    start = time.perf_counter()
    for i in range(args.cases):
        kind, data = case(rng, files)
        t0 = time.perf_counter()
        try:
            outcome = check(data)
        except Exception as e:  # noqa: BLE001 - the rule broken: report the case
            print(f"case {i} ({kind}) broke the rule: {type(e).__name__}: {e}\nbytes: {data[:2000]!r}", file=sys.stderr)
            return 1
        slowest = max(slowest, time.perf_counter() - t0)
        kinds[kind] += 1
        readers[reader(data)] += 1
        outcomes[outcome] += 1
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(f"cases {args.cases} (seed {args.seed}, {len(files)} seed files), every one read or refused in one line")
    print(f"outcomes: {dict(outcomes)}")
    print(f"cases by kind: {dict(sorted(kinds.items()))}")
    print(f"readers: {dict(sorted(readers.items()))}")
    print(f"seconds {seconds:.1f} (slowest case {slowest:.2f} s, bound {LIMIT_S:g} s), peak memory {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
