"""Helpers shared by the tests of trajectory CSVs (tests/test_trajectory*.py): refusals, the reader's
invariants, rows written, and the fuzzing budgets."""

import csv
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from kinviz.core.errors import CSVError
from kinviz.core.trajectory import MAX_FRAMES, MAX_OBJECTS, Trajectory
from kinviz.io.csv import load_csv


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def refuse(source, *fragments):
    """Assert `load_csv(source)` raises a one-line CSVError containing every fragment."""
    with pytest.raises(CSVError) as info:
        load_csv(source)
    message = str(info.value)
    assert "\n" not in message and message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def assert_valid(t: Trajectory):
    """Invariants every trajectory the reader returns must hold."""
    T, K = t.n_frames, t.n_objects
    assert t.times.shape == (T,) and t.positions.shape == (T, K, 2) and len(t.names) == K
    assert 4 <= T <= MAX_FRAMES and 1 <= K <= MAX_OBJECTS
    assert np.all(np.diff(t.times) > 0) and np.isfinite(t.times).all()
    assert not np.isinf(t.positions).any()
    assert (~t.missing).any(axis=0).all(), "every object has an observation"
    assert (np.isnan(t.positions[..., 0]) == np.isnan(t.positions[..., 1])).all()
    assert all(isinstance(w, str) and "\n" not in w for w in t.warnings)


def output_rows(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
