"""Writing trajectory CSVs, round trips and fuzzing (reading: test_trajectory.py)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kinviz.core.errors import CSVError
from kinviz.io.csv import from_arrays, load_csv, write_csv
from trajhelp import FUZZ, ROUND_TRIP, assert_valid, output_rows


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
