"""Trackers' own files written back: line ends, the model's values beside hidden measurements, HDF5 files,
refusals in one line, real and bundled files."""

import numpy as np
import pytest

import kinviz
import tools.format_examples as fx
from formathelp import LABEL, REAL, assert_round_trip, cells, fill, format_of, make


@pytest.mark.parametrize("fmt", list(LABEL))
def test_crlf_files_are_written_back_with_crlf(fmt):
    text = make(fmt).replace("\n", "\r\n")
    _, _, out = assert_round_trip(text)
    assert out.count("\r\n") == out.count("\n") > 0


@pytest.mark.parametrize("fmt", ["deeplabcut", "deeplabcut_multi", "sleap", "trackmate", "tracker", "tracker_sv"])
def test_hidden_measured_points_get_the_models_values_beside_them_and_read_back_the_same(fmt):
    text = make(fmt)
    traj = kinviz.load_track(text)
    hidden = np.zeros_like(traj.missing)
    hidden[5:9] = ~traj.missing[5:9]  # measured points hidden on purpose
    positions = fill(traj)
    positions[hidden] += 0.5  # the model's values differ from the measurements
    out = kinviz.write_csv(traj, positions, traj.missing | hidden)
    again = kinviz.load_track(out)
    assert np.array_equal(again.positions[~traj.missing], traj.positions[~traj.missing]), "measurements unchanged"
    assert again.names == traj.names and not again.missing.any()
    table = cells(out)
    names = table[0 if fmt == "trackmate" else len(traj.layout.head) - 1]
    pred = [c for c, n in enumerate(names) if n.lower().endswith("_pred")]
    assert len(pred) == 2 * (1 if fmt == "trackmate" else int(hidden.any(0).sum())), "a pair for each part with a value"
    values = [float(row[c].replace(",", ".").replace("\u2212", "-")) for row in table[len(traj.layout.head):]
              for c in pred if row[c]]
    assert len(values) == 2 * hidden.sum()
    np.testing.assert_allclose(sorted(values), sorted(positions[hidden].ravel()), atol=1e-3)
    assert kinviz.write_csv(again, fill(again), again.missing) .splitlines()[:len(traj.layout.head)] \
        == out.splitlines()[:len(traj.layout.head)], "written again: the same columns, none added twice"


def test_points_under_the_cut_keep_the_trackers_own_text_beside_the_fill():
    text = make("deeplabcut")
    traj = kinviz.load_track(text)
    out = kinviz.write_csv(traj, fill(traj), traj.missing)
    src, got = cells(text), cells(out)
    assert got[2][-3:] == ["x_tracker", "y_tracker", "likelihood_tracker"] and got[1][-3:] == ["part3"] * 3
    for t, k in np.argwhere(traj.missing):
        cx, cy, cc = traj.layout.slot_cols[k]
        block = [c for c in range(len(src[0]), len(got[2])) if got[1][c] == f"part{k}"]
        assert [got[3 + t][c] for c in block] == [src[3 + t][cx], src[3 + t][cy], src[3 + t][cc]]
    assert not kinviz.load_track(out).missing.any()


@pytest.mark.parametrize("fmt", ["deeplabcut", "deeplabcut_multi", "sleap"])
def test_h5_files_read_as_the_csv_their_tool_writes_beside_them_and_come_back_as_it(fmt, tmp_path):
    text = make(fmt)
    if fmt.startswith("deeplabcut"):
        pytest.importorskip("tables")  # DeepLabCut's own route to its .h5 (pandas' to_hdf), for the test file only
    path = (fx.dlc_h5 if fmt.startswith("deeplabcut") else fx.sleap_h5)(text, tmp_path / "file.h5")
    h5, csv_ = kinviz.load_track(path), kinviz.load_track(text)
    assert h5.layout.format == format_of(fmt) and h5.names == csv_.names and h5.source_name == "file.h5"
    np.testing.assert_array_equal(h5.positions, csv_.positions)
    np.testing.assert_array_equal(h5.times, csv_.times)
    out, out_csv = kinviz.write_csv(h5, fill(h5), h5.missing), kinviz.write_csv(csv_, fill(csv_), csv_.missing)
    again, again_csv = kinviz.load_track(out), kinviz.load_track(out_csv)
    assert not again.missing.any() and again.layout.format == format_of(fmt)
    np.testing.assert_allclose(again.positions, again_csv.positions, atol=1e-3)  # the tool's CSV, filled
    if fmt.startswith("deeplabcut"):  # DeepLabCut's CSV writes floats as repr does: the very same text
        assert out == out_csv


def test_bundled_h5_examples_hold_their_csvs():
    for file, source, _ in fx.H5_EXAMPLES:
        h5, csv_ = kinviz.load_track(kinviz.FORMATS_DIR / file), kinviz.load_track(kinviz.FORMATS_DIR / source)
        assert h5.names == csv_.names and h5.missing.any()
        np.testing.assert_array_equal(h5.positions, csv_.positions)


def test_an_h5_file_of_neither_tool_or_with_code_in_its_names_gets_one_line(tmp_path):
    import h5py

    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["data"] = np.zeros(3)
    with pytest.raises(kinviz.CSVError, match="neither DeepLabCut's 'df_with_missing' table nor SLEAP's 'tracks'"):
        kinviz.load_track(tmp_path / "other.h5")
    with h5py.File(tmp_path / "evil.h5", "w") as f:  # a pickle that would call os.system if unpickled freely
        g = f.create_group("df_with_missing")
        g.attrs["pandas_type"] = np.bytes_(b"frame_table")
        t = g.create_dataset("table", data=np.zeros(2, dtype=[("index", "<i8"), ("values_block_0", "<f8", (3,))]))
        t.attrs["values_block_0_kind"] = np.bytes_(b"cos\nsystem\n(S'echo hacked'\ntR.")
    with pytest.raises(kinviz.CSVError, match="refer to Python code .os.system"):
        kinviz.load_track(tmp_path / "evil.h5")


def test_a_deeplabcut_3d_file_is_refused_in_plain_words():
    text = ("scorer,DLC_3D,DLC_3D,DLC_3D\nbodyparts,snout,snout,snout\ncoords,x,y,z\n"
            + "".join(f"{i},{i}.5,2.5,-1.5\n" for i in range(6)))
    with pytest.raises(kinviz.CSVError, match="DeepLabCut: this is a 3-D file .* one camera's 2-D file"):
        kinviz.load_track(text)


def test_dlc_multi_animal_names_individual_and_body_part():
    traj = kinviz.load_track(make("deeplabcut_multi"))
    assert traj.names == ["animal0/part0", "animal0/part1", "animal1/part0", "animal1/part1"]


@pytest.mark.parametrize("text, fragments", [
    ("scorer,S,S,S\nbodyparts,a,a,a\n0,1,2,0.9\n1,1,2,0.9\n", ["DeepLabCut", "coords"]),
    ("scorer,S,S,S\nindividuals,m,m,m\ncoords,x,y,likelihood\n0,1,2,0.9\n", ["DeepLabCut", "bodyparts"]),
    ("LABEL,ID,TRACK_ID,POSITION_Y,FRAME\nID0,0,0,1.0,0\n", ["TrackMate", "POSITION_X"]),
    ("1,1,10,20,30\n2,1,10,20,30\n", ["MOTChallenge", "5 fields"]),
    ("1,1,10,20,30,40\n1,1,11,20,30,40\n2,1,1,1,1,1\n3,1,1,1,1,1\n4,1,1,1,1,1\n", ["MOTChallenge", "twice"]),
    ("track,frame_idx,instance.score\n,0,1\n", ["SLEAP", "node"]),
    ("mass_A\nt,a,b\n0,1,2\n1,1,2\n", ["Tracker", "x and y"]),
    ("\tmass_A\t\nt\tx\ty\t\n0\t1\t2\t5\n1\t1\t2\n2\t1\t2\n3\t1\t2\n", ["Tracker", "line 3 has 4 fields"]),
    ("TRACK_ID,POSITION_X,POSITION_Y,FRAME\n0,1,1,0.5\n0,1,1,1\n0,1,1,2\n0,1,1,3\n", ["TrackMate", "whole number"]),
    ("scorer,S,S,S\nbodyparts,a,a,a\ncoords,x,y,likelihood\n0,abc,2,0.9\n", ["DeepLabCut", "not a number"]),
    ("".join(f"1,{i},1,1,1,1\n" for i in range(257)) + "".join(f"{f},1,1,1,1,1\n" for f in range(2, 6)),
     ["MOTChallenge", "257 objects", "at most 256"]),
])
def test_a_broken_file_gets_one_line_naming_its_format(text, fragments):
    with pytest.raises(kinviz.CSVError) as info:
        kinviz.load_track(text)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_plain_layouts_still_read_and_write_as_before():
    text = "time,x,y\n0,1,1\n1,,\n2,3,3\n3,4,4\n"
    traj = kinviz.load_track(text)
    assert isinstance(traj.layout, kinviz.io.csv.Layout)
    assert kinviz.write_csv(traj, fill(traj), traj.missing) == kinviz.write_csv(
        kinviz.load_csv(text), fill(traj), traj.missing)


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/formats-dev is not beside the checkout")
@pytest.mark.parametrize("file", ["dlc-reaching.csv", "dlc-camera1-filtered.csv"])
def test_real_deeplabcut_files(file):
    text = (REAL / file).read_text()
    traj, _, out = assert_round_trip(text)
    assert all(a.startswith(b + ",") for a, b in zip(out.splitlines()[:3], text.splitlines()[:3])), \
        "DeepLabCut's three header lines, byte for byte, then the columns keeping the tracker's own points"
    assert traj.n_frames == 12 and traj.missing.any()
    everything = kinviz.load_track(REAL / file, min_confidence=0)
    assert everything.names == ["bodypart1", "bodypart2", "bodypart3", "objectA"] and not everything.missing.any()
    if "filtered" in file:  # filterpredictions left three parts under 0.6 everywhere: kept as they are
        assert traj.names == ["bodypart2"] and any("left as in the file" in w for w in traj.warnings)


def test_bundled_examples_are_regenerated_byte_for_byte_and_read(tmp_path):
    paths = fx.write_examples(tmp_path)
    assert [p.name for p in paths] == [e["file"].name for e in kinviz.tracker_examples()]
    for p, e in zip(paths, kinviz.tracker_examples()):
        assert p.read_bytes() == e["file"].read_bytes(), f"{p.name}: run python -m tools.format_examples"
        traj = kinviz.load_track(e["file"])
        assert traj.layout.label == e["tool"] and traj.missing.any()


def test_time_roundtrip_reports_each_format():
    rows = fx.time_roundtrip(300)
    assert [r["format"] for r in rows] == list(LABEL)
    assert all(r["frames"] == 300 and r["read_s"] > 0 and r["write_s"] > 0 for r in rows)
