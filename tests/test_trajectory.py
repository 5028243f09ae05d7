"""Reading and writing trajectory CSVs: layouts, refusals, round trips and fuzzing."""

import csv
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinviz.core.errors import CSVError
from kinviz.core.trajectory import MAX_BYTES, MAX_FRAMES, MAX_OBJECTS, Trajectory
from kinviz.io.csv import from_arrays, load_csv, write_csv

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


# ----------------------------------------------------------------------------- writing


def test_write_keeps_observed_text_and_marks_predicted():
    src = "Time;X;Y;note\n2;1.50;2e0;b\n0;1.000;2;a\n1;;;\n3;4;5;c\n"
    t = load_csv(src)
    out = write_csv(t, np.nan_to_num(t.positions, nan=0.1), t.missing)
    assert out.splitlines() == [  # the source's row order, not time order
        "Time;X;Y;note;predicted", "2;1.50;2e0;b;0", "0;1.000;2;a;0", "1;0.1;0.1;;1", "3;4;5;c;0"
    ]


@pytest.mark.parametrize("src, hidden, header, pred_cells", [
    # one object: hide frames 1-2 of 0-3 (row order in the file: 0, 1, 2, 3)
    ("time,x,y\n0,1.5,2\n1,209.2,3\n2,3,4\n3,4,5\n", [1, 2],
     ["time", "x", "y", "x_pred", "y_pred", "predicted"], {2: ["0.8", "0.845"], 3: ["0.8", "0.845"]}),
    # named objects: only the pair that held measurements gets `_pred` columns, beside it
    ("time,ball_x,ball_y,cart_x,cart_y\n0,1,2,10,20\n1,2,3,,\n2,3,4,12,22\n3,4,5,13,23\n", [2],
     ["time", "ball_x", "ball_y", "ball_x_pred", "ball_y_pred", "cart_x", "cart_y", "cart_x_pred", "cart_y_pred",
      "predicted"], {3: ["0.8", "0.845", "0.8", "0.845"]}),
    # long: one pair, rows in the file's order (cart before ball)
    ("time,object,x,y\n0,cart,10,20\n0,ball,1,2\n1,cart,11,21\n1,ball,2,3\n2,cart,12,22\n2,ball,3,4\n"
     "3,cart,13,23\n3,ball,4,5\n", [1],
     ["time", "object", "x", "y", "x_pred", "y_pred", "predicted"], {3: ["0.8", "0.845"], 4: ["0.8", "0.845"]}),
])
def test_hidden_measurements_stay_and_the_model_goes_beside_them(src, hidden, header, pred_cells):
    """Issue 14: a measurement hidden on purpose is never overwritten; the model's value sits in `_pred`."""
    t = load_csv(src)
    filled = t.missing.copy()
    filled[hidden] = True
    guess = np.where(filled[..., None], [0.8, 0.1 + 0.745], t.positions)  # 0.8450000000000001 in float
    rows = output_rows(write_csv(t, guess, filled), ",")
    source = output_rows(src, ",")
    assert rows[0] == header
    n_pred = len(next(iter(pred_cells.values())))
    for i, (row, before) in enumerate(zip(rows[1:], source[1:]), start=1):
        got = dict(zip(header, row))
        for column, text in zip(source[0], before):  # every source cell: its text, or filled where it was empty
            assert got[column] == (text or ("0.8" if column.endswith("x") else "0.845")), (i, column)
        assert [got[c] for c in header if c.endswith("_pred")] == pred_cells.get(i, [""] * n_pred), i
        assert got["predicted"] == ("1" if i in pred_cells or "" in before else "0")
    back = load_csv(write_csv(t, guess, filled))  # reads back as the source's measurements, gaps filled
    np.testing.assert_array_equal(back.positions[~t.missing], t.positions[~t.missing])


def test_half_a_position_keeps_its_measured_coordinate():
    t = load_csv("time,x,y\n0,1,2\n1,7.25,\n2,3,4\n3,4,5\n")
    rows = output_rows(write_csv(t, np.nan_to_num(t.positions, nan=0.5), t.missing), ",")
    assert rows[0] == ["time", "x", "y", "x_pred", "y_pred", "predicted"]
    assert rows[2] == ["1", "7.25", "0.5", "0.5", "", "1"]


@pytest.mark.parametrize("column, value, text", [
    (["1", "2", "3"], 0.1 + 0.745, "0.845"),  # integers: three decimals
    (["1.5", "2.25", "3"], 1 / 3, "0.33333"),  # two decimals: five
    (["1.5e-3", "2e-3", "3e-3"], 1 / 3, "0.3333333"),  # four decimals: seven
    (["100", "200", "300"], -1e-9, "0"),  # no '-0'
    (["0.0007090", "0.0013632", "0.1"], 2.0, "2"),  # trailing zeros dropped
])
def test_filled_numbers_are_rounded_to_the_columns_own_precision(column, value, text):
    t = load_csv("time,x,y\n" + "".join(f"{i},{v},{v}\n" for i, v in enumerate(column)) + "3,,\n")
    rows = output_rows(write_csv(t, np.nan_to_num(t.positions, nan=value), t.missing), ",")
    assert rows[4][1:3] == [text, text]


def test_own_output_round_trips_with_its_pred_columns_overwritten():
    t = load_csv("time,x,y\n0,1,2\n1,2,3\n2,3,4\n3,4,5\n")
    filled = np.array([[False], [True], [False], [False]])
    once = write_csv(t, np.where(filled[..., None], 9.0, t.positions), filled)
    again = load_csv(once)
    assert any("'x_pred'" in w for w in again.warnings)  # kept, ignored by the model
    twice = write_csv(again, np.where(filled[..., None], 8.0, again.positions), filled)
    assert output_rows(twice, ",")[0] == ["time", "x", "y", "x_pred", "y_pred", "predicted"]
    assert output_rows(twice, ",")[2] == ["1", "2", "3", "8", "8", "1"]
    assert output_rows(twice, ",")[1] == ["0", "1", "2", "", "", "0"]


def test_existing_predicted_column_is_overwritten():
    t = load_csv("time,x,y,predicted,note\n0,1,2,1,a\n1,,,0,b\n2,1,2,1,c\n3,1,2,0,d\n")
    out = write_csv(t, np.nan_to_num(t.positions, nan=4.0), t.missing)
    rows = output_rows(out, ",")
    assert rows[0] == ["time", "x", "y", "predicted", "note"]
    assert [r[3] for r in rows[1:]] == ["0", "1", "0", "0"]


def test_formula_injection_is_neutralised():
    src = (
        "time,=cmd|'/c calc'!A0_x,=cmd|'/c calc'!A0_y,note,id_text\n"
        "0,1,2,=HYPERLINK(1),@SUM(1)\n1,-3.5,2,+1,-2\n2,1,2,-x,ok\n3,1,2,+cmd,ok\n"
    )
    t = load_csv(src)
    out = write_csv(t, np.nan_to_num(t.positions), t.missing)
    rows = output_rows(out, ",")
    assert rows[0][1].startswith("'=") and rows[0][2].startswith("'=")
    assert rows[1][3:5] == ["'=HYPERLINK(1)", "'@SUM(1)"]
    assert rows[2][1:5] == ["-3.5", "2", "+1", "-2"], "numbers stay numbers"
    assert rows[3][3] == "'-x" and rows[4][3] == "'+cmd"
    long = load_csv("time,object,x,y\n0,=evil(),1,2\n1,=evil(),1,2\n2,=evil(),1,2\n3,=evil(),-1,2\n")
    assert {r[1] for r in output_rows(write_csv(long, long.positions, long.missing), ",")[1:]} == {"'=evil()"}


def test_from_arrays_round_trip():
    rng = np.random.default_rng(0)
    pos = rng.normal(size=(6, 3, 2))
    pos[2, 1] = np.nan
    t = from_arrays(np.arange(6) * 0.1, pos, ["a", "b_x", "C"])
    assert t.names == ["a", "b_x", "C"] and t.layout.header[1:3] == ["a_x", "a_y"]
    np.testing.assert_array_equal(t.positions, pos)
    assert from_arrays(np.arange(4.0), np.ones((4, 1, 2)), ["ball"]).names == ["ball"]
    with pytest.raises(CSVError):
        from_arrays(np.arange(3.0), np.ones((3, 1, 2)))
    with pytest.raises(CSVError, match="distinct"):
        from_arrays(np.arange(4.0), np.ones((4, 2, 2)), ["a", "a"])
    assert from_arrays(np.arange(4.0), np.ones((4, 2, 2)), ["a", "A"]).names == ["a", "A"]  # names as written


# ----------------------------------------------------------------------------- properties

NAME = st.text("abcdefXYZ_0123", min_size=1, max_size=5).filter(lambda s: not s.startswith("_"))
EXTRA_TEXT = st.text("ab =+-@9. ", max_size=6)


@st.composite
def tables(draw):
    """(CSV bytes, expected times, expected positions, expected names) in a random layout."""
    kind = draw(st.sampled_from(["single", "named", "long"]))
    delim = draw(st.sampled_from([",", ";", "\t"]))
    n_frames = draw(st.integers(4, 10))
    n_objects = 1 if kind == "single" else draw(st.integers(1, 4))
    names = draw(st.lists(NAME, min_size=n_objects, max_size=n_objects, unique_by=str.lower))
    if kind == "single":
        names = ["object"]
    times = sorted(draw(st.lists(st.integers(-1000, 1000), min_size=n_frames, max_size=n_frames, unique=True)))
    times = np.array(times, dtype=float) * draw(st.sampled_from([1.0, 0.1, 0.04]))
    coord = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    pos = np.array(draw(st.lists(coord, min_size=n_frames * n_objects * 2, max_size=n_frames * n_objects * 2)))
    pos = pos.reshape(n_frames, n_objects, 2)
    gaps = np.array(draw(st.lists(st.booleans(), min_size=n_frames * n_objects, max_size=n_frames * n_objects)))
    gaps = gaps.reshape(n_frames, n_objects)
    gaps[draw(st.integers(0, n_frames - 1)), :] = False  # every object seen at least once
    pos[gaps] = np.nan
    token = draw(st.sampled_from(["", "nan", "NaN", "NA"]))
    pad = draw(st.sampled_from(["", " "]))
    extra = draw(st.booleans())

    def num(v):
        return pad + (token if np.isnan(v) else repr(float(v))) + pad

    if kind == "long":
        header = ["time", draw(st.sampled_from(["object", "id", "Track"])), "x", "y"]
        rows = [
            [repr(float(times[t])), names[k], num(pos[t, k, 0]), num(pos[t, k, 1])]
            for t in range(n_frames)
            for k in range(n_objects)
            # A gap is an empty row or no row; a time stamp needs at least one row to exist.
            if not (gaps[t, k] and not gaps[t].all() and draw(st.booleans()))
        ]
    else:
        header = ["time"] + (["x", "y"] if kind == "single" else [f"{n}_{a}" for n in names for a in "xy"])
        rows = [[repr(float(times[t]))] + [num(v) for v in pos[t].ravel()] for t in range(n_frames)]
    if extra:
        header.append("note")
        rows = [r + [draw(EXTRA_TEXT)] for r in rows]
    rows = draw(st.permutations(rows))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(delim.join(r) for r in [header] + rows) + newline
    data = draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + text.encode()
    expected_names = sorted(names) if kind == "long" else names
    order = [names.index(n) for n in expected_names]
    return data, times, pos[:, order], expected_names


@ROUND_TRIP
@given(tables(), st.data())
def test_read_write_read_round_trip(table, data):
    raw, times, pos, names = table
    t = load_csv(raw)
    assert_valid(t)
    np.testing.assert_array_equal(t.times, times)
    np.testing.assert_array_equal(t.positions, pos)
    assert t.names == names

    # Fill every missing cell (and, sometimes, re-predict an observed one).
    filled = t.missing.copy()
    filled |= np.array(data.draw(st.lists(st.booleans(), min_size=filled.size, max_size=filled.size))).reshape(
        filled.shape
    )
    guess = np.where(filled[..., None], np.arange(filled.size * 2).reshape(pos.shape) * -0.37, t.positions)
    out = write_csv(t, guess, filled)
    again = load_csv(out)
    assert_valid(again)
    np.testing.assert_array_equal(again.times, t.times)
    # Measurements read back exactly; empty cells hold the model's values, rounded to the column's
    # decimals + 3 (at most 5e-4 off); re-predicted measurements are in `_pred` columns.
    np.testing.assert_array_equal(again.positions[~t.missing], t.positions[~t.missing])
    np.testing.assert_allclose(again.positions[t.missing], guess[t.missing], rtol=0, atol=5e-4)
    assert again.names == t.names and again.layout.delimiter == t.layout.delimiter
    assert not again.missing.any()

    rows = output_rows(out, t.layout.delimiter)
    assert rows[0][-1] == "predicted"
    assert (not (filled & ~t.missing).any()) == (not any(h.endswith("_pred") for h in rows[0]))
    n_predicted = [r[-1] for r in rows[1:]].count("1")
    assert n_predicted == (filled.sum() if t.layout.kind == "long" else filled.any(1).sum())
    source = [r for r in output_rows(raw.decode("utf-8-sig"), t.layout.delimiter)[1:] if "".join(r).strip()]
    keys = [(s[0], s[1]) for s in source]  # long: (time, object); rows added for absent pairs are not among them
    ours = [r for r in rows[1:] if t.layout.kind != "long" or (r[0], r[1].removeprefix("'")) in keys]
    assert [r[:2] if t.layout.kind == "long" else r[0] for r in ours] == [
        [s[0], s[1].removeprefix("'")] if t.layout.kind == "long" else s[0] for s in source], "the source's row order"


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_csv_error_or_a_valid_trajectory(raw):
    try:
        t = load_csv(raw)
    except CSVError as e:
        assert "\n" not in str(e)
    else:
        assert_valid(t)


MUTATIONS = st.lists(
    st.tuples(st.sampled_from(["delete", "insert", "dup_line", "drop_line"]), st.integers(0, 10_000),
              st.text(',;\t\n\r"x_yz=-.e0159 \x00\xff', min_size=1, max_size=4)),
    min_size=1,
    max_size=4,
)


@FUZZ
@given(tables(), MUTATIONS)
def test_mangled_tables_give_csv_error_or_a_valid_trajectory(table, mutations):
    text = table[0].decode("utf-8-sig")
    for op, where, chunk in mutations:
        i = where % (len(text) + 1)
        lines = text.split("\n")
        j = where % len(lines)
        if op == "delete":
            text = text[:i] + text[i + len(chunk):]
        elif op == "insert":
            text = text[:i] + chunk + text[i:]
        elif op == "dup_line":
            text = "\n".join(lines[: j + 1] + lines[j:])
        else:
            text = "\n".join(lines[:j] + lines[j + 1:])
    try:
        t = load_csv(text.encode("utf-8", errors="surrogatepass"))
    except CSVError as e:
        assert "\n" not in str(e)
    else:
        assert_valid(t)
        back = load_csv(write_csv(t, np.nan_to_num(t.positions, nan=1.0), t.missing))
        assert_valid(back)
        np.testing.assert_array_equal(back.times, t.times)
        assert back.names == t.names or any(n.lstrip("'") != n for n in back.names)
