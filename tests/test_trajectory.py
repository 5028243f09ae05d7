"""Reading trajectory CSVs: layouts and refusals. Writing, round trips and fuzzing: test_trajectory_write.py;
shared helpers: trajhelp.py."""

import io

import numpy as np
import pytest

from kinviz.core.trajectory import MAX_BYTES, MAX_OBJECTS
from kinviz.io.csv import load_csv, write_csv
from trajhelp import output_rows, refuse


# ----------------------------------------------------------------------------- layouts

WIDE_SINGLE = "time,x,y\n0,1,2\n1,2,3\n2,,\n3,4,5\n"
WIDE_NAMED = "time,ball_x,ball_y,cart_x,cart_y\n0,1,2,10,20\n1,2,3,,\n2,3,4,12,22\n3,4,5,13,23\n"
LONG = "time,object,x,y\n0,ball,1,2\n0,cart,10,20\n1,ball,2,3\n2,ball,3,4\n2,cart,12,22\n3,ball,4,5\n3,cart,13,23\n"
EXPECTED_NAMED = np.array(
    [[[1, 2], [10, 20]], [[2, 3], [np.nan, np.nan]], [[3, 4], [12, 22]], [[4, 5], [13, 23]]], dtype=float
)


def test_wide_single_object():
    t = load_csv(WIDE_SINGLE.encode())
    assert t.names == ["object"] and t.layout.kind == "wide"
    np.testing.assert_array_equal(t.times, [0, 1, 2, 3])
    np.testing.assert_array_equal(t.missing[:, 0], [False, False, True, False])
    assert t.warnings == []


@pytest.mark.parametrize("text", [WIDE_NAMED, LONG])
def test_named_and_long_layouts_agree(text):
    t = load_csv(text)
    assert t.names == ["ball", "cart"]
    np.testing.assert_array_equal(t.positions, EXPECTED_NAMED)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_delimiter_bom_crlf_spaces(delimiter, bom, newline):
    lines = [" time , ball_x , ball_y , cart_x , cart_y "] + [
        " " + f" {delimiter} ".join(row.split(",")) + " " for row in WIDE_NAMED.splitlines()[1:]
    ]
    text = newline.join(lines).replace(",", delimiter) + newline
    t = load_csv(bom + text.encode())
    assert t.layout.delimiter == delimiter and t.names == ["ball", "cart"]
    np.testing.assert_array_equal(t.positions, EXPECTED_NAMED)


@pytest.mark.parametrize("time_name", ["time", "T", "Timestamp", "FRAME"])
@pytest.mark.parametrize("object_name", ["object", "ID", "Track", "name"])
def test_column_name_variants(time_name, object_name):
    t = load_csv(LONG.replace("time", time_name).replace("object", object_name).replace(",x,y", ",X,Y"))
    np.testing.assert_array_equal(t.positions, EXPECTED_NAMED)


def test_unsorted_rows_are_sorted_with_a_warning():
    lines = LONG.splitlines()
    t = load_csv("\n".join([lines[0]] + lines[:0:-1]))
    np.testing.assert_array_equal(t.positions, EXPECTED_NAMED)
    assert any("sorted" in w for w in t.warnings)


@pytest.mark.parametrize("token", ["", "nan", "NaN", "NA"])
def test_missing_tokens(token):
    t = load_csv(f"t,x,y\n0,1,2\n1,{token},{token}\n2,3,4\n3,5,6\n")
    assert t.missing[:, 0].tolist() == [False, True, False, False]


def test_extra_and_z_columns_are_ignored_with_warnings_and_kept_on_write():
    t = load_csv("note,time,x,y,z\nhello,0,1,2,9\n,1,,,9\nbye,2,3,4,9\nok,3,5,6,\n")
    assert any("'z'" in w and "2-D" in w for w in t.warnings)
    assert any("'note'" in w for w in t.warnings)
    out = write_csv(t, np.nan_to_num(t.positions, nan=7.5), t.missing)
    rows = output_rows(out, ",")
    assert rows[0] == ["note", "time", "x", "y", "z", "predicted"]
    assert rows[2] == ["", "1", "7.5", "7.5", "9", "1"]
    assert [r[0] for r in rows[1:]] == ["hello", "", "bye", "ok"]


def test_named_z_column_is_ignored():
    t = load_csv("time,a_x,a_y,a_z\n0,1,2,3\n1,1,2,3\n2,1,2,3\n3,1,2,3\n")
    assert t.names == ["a"] and any("'a_z'" in w for w in t.warnings)


def test_uneven_steps_warn():
    t = load_csv("time,x,y\n0,1,2\n1,1,2\n2,1,2\n5,1,2\n")
    assert any(w.startswith("time steps are uneven (min 1, max 3)") for w in t.warnings)


def test_rounded_time_stamps_are_even():
    t = load_csv("time,x,y\n0.399166667,1,2\n0.4,1,2\n0.400833333,1,2\n0.401666667,1,2\n")
    assert not any("uneven" in w for w in t.warnings), t.warnings


@pytest.mark.parametrize("hz, decimals", [(30, 4), (30, 3), (25, 2), (120, 4)])
def test_time_stamps_rounded_to_a_few_decimals_are_even(hz, decimals):
    """30 Hz written to 4 decimals steps 0.0333 and 0.0334: rounding, not uneven sampling."""
    times = [f"{i / hz:.{decimals}f}" for i in range(60)]
    t = load_csv("time,x,y\n" + "".join(f"{s},{i},2\n" for i, s in enumerate(times)))
    assert not any("uneven" in w for w in t.warnings), t.warnings


@pytest.mark.parametrize("fmt", ["{:.4f}", "{:.0f}"])
def test_a_dropped_frame_in_rounded_times_still_warns(fmt):
    times = [fmt.format(i / 30 if "4" in fmt else i) for i in range(60) if i != 30]
    t = load_csv("time,x,y\n" + "".join(f"{s},{i},2\n" for i, s in enumerate(times)))
    assert any("uneven" in w for w in t.warnings), t.warnings


def test_one_coordinate_alone_is_missing():
    t = load_csv("time,x,y\n0,1,2\n1,1,\n2,1,2\n3,1,2\n")
    assert t.missing[1, 0] and np.isnan(t.positions[1, 0]).all()
    assert any("only one of x and y" in w for w in t.warnings)


def test_long_layout_absent_rows_are_missing_and_added_on_write():
    t = load_csv(LONG)
    assert t.missing[1, 1]
    out = write_csv(t, np.nan_to_num(t.positions, nan=-3.5), t.missing)
    rows = output_rows(out, ",")
    assert ["1", "cart", "-3.5", "-3.5", "1"] in rows and len(rows) == 1 + 8
    assert [r[-1] for r in rows[1:]].count("1") == 1


def test_path_file_objects_and_name(tmp_path):
    path = tmp_path / "walk.csv"
    path.write_text(WIDE_SINGLE)
    assert load_csv(path).source_name == "walk.csv"
    assert load_csv(str(path), name="mine").source_name == "mine"
    with open(path, "rb") as f:
        assert load_csv(f).n_frames == 4
    with open(path, encoding="utf-8") as f:
        assert load_csv(f).n_frames == 4
    assert load_csv(io.StringIO(WIDE_SINGLE)).n_frames == 4


# ----------------------------------------------------------------------------- refusals

REFUSALS = [
    (b"", ["empty"]),
    (b"  \n\r\n \n", ["empty"]),
    (b"time,x,y\n", ["no data rows"]),
    (b"time,x,y\n0,1,2\n1,1,2\n2,1,2\n", ["3 time stamp", "at least 4"]),
    (b"<!DOCTYPE html><html><body>hi</body></html>", ["not a trajectory table"]),
    (b'{"time": [0, 1], "x": [1, 2]}', ["not a trajectory table"]),
    (b"a,b,c\n1,2,3\n", ["not a trajectory table"]),
    (b"x,y\n1,2\n", ["no time column"]),
    (b"time,speed\n1,2\n", ["no position columns"]),
    (b"time,x\n0,1\n", ["'x' has no matching 'y'"]),
    (b"time,x,y,x\n0,1,2,3\n", ["'x' appears 2 times"]),
    (b"time,x,y\n0,1,2\n1,abc,2\n2,1,2\n3,1,2\n", ["column 'x', row 2 (line 3 of the file): 'abc' is not a number"]),
    (b"time;x;y\n0;1;2\n1;1,5;2\n2;1;2\n3;1;2\n", ["'1,5' is not a number (use a dot as the decimal mark)"]),
    (b"time,x,y\n0,1,2\n1,inf,2\n2,1,2\n3,1,2\n", ["'inf' is infinite"]),
    (b"time,x,y\n0,1,2\n1,1,-1e999\n2,1,2\n3,1,2\n", ["column 'y'", "infinite"]),
    (b"time,x,y\n0,1,2\nnan,1,2\n2,1,2\n3,1,2\n", ["column 'time', row 2", "time stamp is missing"]),
    (b"time,x,y\n0,1,2\n,1,2\n2,1,2\n3,1,2\n", ["time stamp is missing"]),
    (b"time,x,y\n0,1,2\nnoon,1,2\n2,1,2\n3,1,2\n", ["'noon' is not a number"]),
    (b"time,x,y\n0,1,2\n1,1,2\n1.0,1,2\n3,1,2\n4,1,2\n", ["time 1.0 appears twice (lines 3 and 4)"]),
    (b"t,id,x,y\n0,a,1,2\n0,a,1,2\n1,a,1,2\n2,a,1,2\n3,a,1,2\n", ["for object 'a'", "lines 2 and 3"]),
    (b"time,x,y\n0,1,2\n1,1,2,3\n2,1,2\n3,1,2\n", ["line 3 has 4 fields but the header has 3"]),
    (b"time,x,y\n0,1,2\n1,1\n2,1,2\n3,1,2\n", ["line 3 has 2 fields"]),
    (b"time,x,y\n0,1\x002\n", ["NUL bytes"]),
    (b"time,x,y\n0,1,\xff\n", ["not UTF-8", "0xff"]),
    (b"PK\x03\x04\x14\x00\x06\x00", ["NUL bytes"]),
    (b"time,a_x,a_y,b_x,b_y\n0,1,2,,\n1,1,2,,\n2,1,2,nan,NA\n3,1,2,,\n", ["object 'b' has no observed positions"]),
    (b"t,id,x,y\n0,a,1,2\n1,a,1,2\n2,a,1,2\n3,a,1,2\n3,b,,\n", ["object 'b' has no observed positions"]),
    (b"t,id,x,y\n0,a,1,2\n1, ,1,2\n2,a,1,2\n3,a,1,2\n", ["object name is empty"]),
    (b'time,x,y\n0,"1,2\n1,1,2\n', ["line"]),
]


@pytest.mark.parametrize("data,fragments", REFUSALS)
def test_refusals(data, fragments):
    refuse(data, *fragments)


def test_too_many_bytes_is_refused_before_parsing(tmp_path, monkeypatch):
    import kinviz.io.text

    monkeypatch.setattr(kinviz.io.text, "MAX_BYTES", 10_000_000)  # the cap's logic, at a size a test can afford
    refuse(b"a" * (10_000_000 + 1), "10 MB")
    refuse(io.BytesIO(b"a" * (10_000_000 + 1)), "10 MB")
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:
        f.truncate(MAX_BYTES + 1000)  # sparse, and full of NULs: only the size check can explain it
    refuse(path, "10 MB")


def test_too_many_frames_and_objects(monkeypatch):
    import kinviz.io.csv

    monkeypatch.setattr(kinviz.io.csv, "MAX_FRAMES", 20_000)  # the cap's logic, at a size a test affords
    rows = "\n".join(f"{i},1,2" for i in range(20_000 + 1))
    refuse(f"time,x,y\n{rows}\n", "20001 time stamps")
    n = MAX_OBJECTS + 1
    header = "time," + ",".join(f"o{k}_x,o{k}_y" for k in range(n))
    refuse(header + "\n" + "0," + ",".join(["1"] * 2 * n) + "\n", f"{n} objects")
    long = "\n".join(f"{t},o{k},1,2" for t in range(4) for k in range(n))
    refuse("time,object,x,y\n" + long + "\n", f"{n} objects")


def test_missing_path_is_a_csv_error(tmp_path):
    refuse(tmp_path / "nope.csv", "file not found")
    refuse(tmp_path, "folder")
