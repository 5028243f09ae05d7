"""Fuzzed readers (issue 30 §4): random bytes and mutated real files through `kinviz.load_track` are read or
refused with one line (a KinvizError), within a time bound, and never raise anything else.

A few hundred cases here; `scripts/fuzz.py --cases N` runs long ones (docs/RELIABILITY.md)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.fuzz_cases import check, mutate, seeds

SEEDS = seeds()
def fast(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@fast(100)
@given(st.binary(max_size=400))
def test_random_bytes_are_read_or_refused_in_one_line(data):
    check(data)


@fast(100)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,;\t\n\r -+eExyXYtime_framescorerbodypartscoords\"")),
               max_size=300))
def test_random_csv_like_text_is_read_or_refused_in_one_line(text):
    check(text.encode())


@fast(200)
@given(st.integers(0, len(SEEDS) - 1), st.integers(0, 2**32 - 1), st.integers(1, 8))
def test_mutated_real_files_are_read_or_refused_in_one_line(which, seed, edits):
    name, data = SEEDS[which]
    check(mutate(data, np.random.default_rng(seed), edits))


@pytest.mark.parametrize("name, data", SEEDS, ids=[n for n, _ in SEEDS])
def test_every_seed_file_is_read_as_it_is(name, data):
    assert check(data) in ("read", "refused")


def test_found_by_fuzzing_a_quote_in_a_header_and_a_damaged_h5_get_one_line():
    from kinviz.io.examples import FORMATS_DIR

    text = (FORMATS_DIR / "trackmate-particles.csv").read_bytes().replace(b"POSITION_T,", b'",', 1)
    assert check(text) == "refused"
    h5 = (FORMATS_DIR / "deeplabcut-walkers.h5").read_bytes()
    assert check(mutate(h5, np.random.default_rng(0), 1)) == "refused"  # h5py raised KeyError here
