"""Which header names a plain CSV's time column may have (kinviz/io/columns.py)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

import kinviz
from kinviz.io.columns import read_header

FISH = Path(__file__).resolve().parents[2] / "shared" / "real-train" / "disk" / "fish_fighting_interpolated_head_2D.csv"


@pytest.mark.parametrize("name", ["frame", "frame_index", "Frame_Index", "frame_idx", "frame_number", "frame_no",
                                  "frame_id", "index"])
def test_frame_numbers_read_as_the_time_column(name):
    text = f"{name},fish1_head_x,fish1_head_y,fish2_head_x,fish2_head_y\n0,1,2,3,4\n1,1.5,2.5,,\n2,2,3,3.5,4.5\n3,2,3,4,5\n"
    traj = kinviz.load_track(io.StringIO(text))
    assert traj.names == ["fish1_head", "fish2_head"]
    np.testing.assert_array_equal(traj.times, [0, 1, 2, 3])
    assert traj.missing.tolist() == [[False, False], [False, True], [False, False], [False, False]]
    assert read_header(text.splitlines()[0].split(",")).ignored == []  # the time column is not kept as an extra


def test_index_is_the_time_only_as_the_first_column():
    assert read_header(["index", "x", "y"]).time_col == 0
    with pytest.raises(kinviz.CSVError, match="no time column"):
        read_header(["x", "y", "index"])
    assert read_header(["index", "time", "x", "y"]).time_col == 1, "a named time column wins over a leading index"


def test_a_header_without_a_time_column_names_the_accepted_ones():
    with pytest.raises(kinviz.CSVError, match="frame_index"):
        read_header(["step", "x", "y"])


@pytest.mark.skipif(not FISH.is_file(), reason="the shared real files are not beside this checkout")
def test_the_fish_file_reads_and_fills_in_its_own_layout():
    """DISK's fish file (`frame_index,fish1_head_x,...`), refused before: 999 frames x 6 parts, filled back with
    its own header."""
    traj = kinviz.load_track(FISH)
    assert (traj.n_frames, traj.n_objects) == (999, 6) and not traj.missing.any()
    np.testing.assert_array_equal(traj.times, np.arange(999))
    mask = kinviz.parse_mask("fish1_head:100-129", traj.n_frames, names=traj.names)
    assert mask.sum() == 30 and mask[:, traj.names.index("fish1_head")].sum() == 30
    assert kinviz.load_csv(FISH.read_text(encoding="utf-8")).n_frames == 999
