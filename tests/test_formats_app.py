"""Trackers' own files through the CLI and the app, fuzzed, and each filled point naming its method."""

from pathlib import Path

import numpy as np
import pytest

import kinviz
from formathelp import LABEL, cells, fill, make, written_cells


# ----------------------------------------------------------------------------- the CLI and the app


def test_cli_predict_reads_a_tracker_file_with_min_confidence_and_writes_its_format(tmp_path, capsys):
    from kinviz.cli import main

    src, out = kinviz.FORMATS_DIR / "deeplabcut-pucks.csv", tmp_path / "filled.csv"
    assert main(["predict", str(src), "--min-confidence", "0.9", "--out", str(out), "--device", "cpu"]) == 0
    assert "likelihood under 0.9" in capsys.readouterr().err
    text, got = src.read_text(), out.read_text()
    assert all(a.startswith(b + ",") for a, b in zip(got.splitlines()[:3], text.splitlines()[:3]))
    traj = kinviz.load_track(src, min_confidence=0.9)
    assert not kinviz.load_track(got, min_confidence=0.9).missing.any()
    may_change = written_cells(traj)
    for r, (a, b) in enumerate(zip(cells(text)[3:], cells(got)[3:])):
        assert [v for c, v in enumerate(a) if (r, c) not in may_change] == \
               [v for c, v in enumerate(b[:len(a)]) if (r, c) not in may_change]


def test_app_uploads_a_deeplabcut_file_and_downloads_it_filled_in_its_format():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app_pages" / "predict.py"), default_timeout=300).run()
    at.number_input(key="min_confidence").set_value(0.9).run()
    text = (kinviz.FORMATS_DIR / "deeplabcut-pucks.csv").read_text()
    at.file_uploader(key="upload").upload("reach.csv", text.encode(), "text/csv").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.button(key="run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run = at.session_state["_run"]
    traj = run.prediction.trajectory
    assert traj.names == ["a", "b"] and traj.layout.min_confidence == 0.9
    got = run.prediction.to_csv()
    assert all(a.startswith(b) for a, b in zip(got.splitlines()[:3], text.splitlines()[:3]))
    assert run.csv_name == "reach-filled.csv"
    assert not kinviz.load_track(got, min_confidence=0.9).missing.any()


def test_examples_page_shows_each_tracker_file():
    from apphelp import open_app

    at = open_app("app_pages/examples.py")  # through the router: the page links to Predict
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert all(e["file"].name in shown for e in kinviz.tracker_examples())
    assert sum(c.value.startswith("scorer,") for c in at.code) == 2


# ----------------------------------------------------------------------------- fuzzing

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SMALL = {fmt: make(fmt, T=8, K=2, seed=1) for fmt in LABEL}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Found by this test: a DeepLabCut file without its three header lines read as MOTChallenge, with x values as ids.
@example(fmt="deeplabcut", edits=[("drop line", 0, "")] * 3)
@given(fmt=st.sampled_from(list(LABEL)), edits=st.lists(st.tuples(
    st.sampled_from(["drop line", "cell", "truncate", "field"]), st.integers(0, 10_000),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6)), min_size=1, max_size=3))
def test_a_damaged_tracker_file_gets_a_csv_error_or_reads(fmt, edits):
    """Whatever is done to a tracker's file, load_track returns a trajectory or raises CSVError."""
    lines = SMALL[fmt].splitlines()
    for kind, at, text in edits:
        if not lines:
            break
        i = at % len(lines)
        fields = lines[i].split(",")
        if kind == "drop line":
            del lines[i]
        elif kind == "cell":
            fields[at % len(fields)] = text
            lines[i] = ",".join(fields)
        elif kind == "truncate":
            lines[i] = lines[i][: at % (len(lines[i]) + 1)]
        else:
            lines[i] = ",".join(fields + [text])
    try:
        traj = kinviz.load_track("\n".join(lines) + "\n")
    except kinviz.CSVError as e:
        assert "\n" not in str(e) and str(e)
        return
    out = kinviz.write_csv(traj, fill(traj), traj.missing)
    assert not kinviz.load_track(out).missing.any()


def test_a_file_past_the_positions_cap_is_refused_in_one_line(monkeypatch):
    import kinviz.core.trajectory

    monkeypatch.setattr(kinviz.core.trajectory, "MAX_CELLS", 320_000)  # the cap's logic, at a size a test affords
    text = ("scorer" + ",S" * 51 + "\nbodyparts" + "".join(f",p{k},p{k},p{k}" for k in range(17)) + "\ncoords"
            + ",x,y,likelihood" * 17 + "\n" + "".join(f"{t}" + ",1,1,1" * 17 + "\n" for t in range(20_000)))
    with pytest.raises(kinviz.CSVError) as info:
        kinviz.load_track(text)
    for fragment in ["DeepLabCut", "20000 frames x 17 objects", "320,000 positions", "split it"]:
        assert fragment in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("fmt", list(LABEL) + ["plain_wide", "plain_long", "plain_one"])
def test_each_filled_point_names_the_method_that_filled_it_and_a_second_fill_reuses_the_column(fmt):
    """Downloads say which method filled each point (issue 28): one `filled_by` cell per filled point, beside its
    part, empty elsewhere; the file still reads back the same; writing a written file again keeps its columns.
    MOTChallenge files have no header to name a column in: they keep their fixed columns, with no method."""
    if fmt.startswith("plain"):
        T, rng = 30, np.random.default_rng(3)
        pos = 10 + np.cumsum(rng.normal(0, 1, (T, 2, 2)), axis=0)
        lost = np.zeros((T, 2), bool)
        lost[5:9, 0], lost[12:14, 1] = True, True
        pos = np.where(lost[..., None], np.nan, pos)
        if fmt == "plain_one":
            pos, lost = pos[:, :1], lost[:, :1]
        traj = kinviz.from_arrays(np.arange(T) * 0.1, pos, ["ant", "bee"][:pos.shape[1]] if fmt != "plain_one" else None)
        text = kinviz.write_csv(traj, np.nan_to_num(pos), np.zeros(lost.shape, bool))
        if fmt == "plain_long":
            rows = [r.split(",") for r in text.splitlines()[1:]]
            text = "time,object,x,y\n" + "".join(f"{r[0]},{name},{r[1 + 2 * k]},{r[2 + 2 * k]}\n"
                                                 for r in rows for k, name in enumerate(["ant", "bee"]))
    else:
        text = make(fmt)
    traj = kinviz.load_track(text)
    assert traj.missing.any()
    method = np.array([[f"method{k}" for k in range(traj.n_objects)]] * traj.n_frames)
    out = kinviz.write_csv(traj, fill(traj), traj.missing, method)
    written = cells(out)
    for k in range(traj.n_objects):
        assert sum(row.count(f"method{k}") for row in written) == (traj.missing[:, k].sum() if fmt != "mot" else 0), k
    if fmt == "mot":
        assert out == kinviz.write_csv(traj, fill(traj), traj.missing)
        return
    again = kinviz.load_track(out)
    assert again.names == traj.names and not again.missing.any()
    # Hide a frame of every part in the written file and fill it again: the `filled_by` columns are reused.
    hidden = np.zeros_like(again.missing)
    hidden[again.n_frames // 2] = True
    twice = kinviz.write_csv(again, fill(again), hidden, np.full(hidden.shape, "second"))
    def by_columns(rows):  # columns named filled_by on some line
        return {j for row in rows for j, c in enumerate(row) if c.lower().endswith("filled_by")}

    assert len(by_columns(cells(twice))) == len(by_columns(written)) > 0
    assert sum(row.count("second") for row in cells(twice)) == hidden.sum()
