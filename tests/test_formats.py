"""Trackers' own files: read from the content, filled, written back in the same format, read again."""

import csv
import io
from pathlib import Path

import numpy as np
import pytest

import kinviz
import tools.format_examples as fx
from kinviz.io.formats import detect

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "formats-dev"  # CI: shared/ beside the clone
LABEL = {"deeplabcut": "DeepLabCut", "deeplabcut_multi": "DeepLabCut", "sleap": "SLEAP", "trackmate": "TrackMate",
         "tracker": "Tracker", "tracker_sv": "Tracker", "mot": "MOTChallenge"}


def format_of(fmt: str) -> str:
    """The reader's name for a writer's variant: deeplabcut_multi -> deeplabcut, tracker_sv -> tracker."""
    return fmt.split("_")[0]


def make(fmt: str, T: int = 40, K: int = 4, seed: int = 0) -> str:
    """A file in `fmt` with K objects over T frames and a few runs of lost points."""
    rng = np.random.default_rng(seed)
    positions = 200 + np.cumsum(rng.normal(0, 3, (T, K, 2)), axis=0)
    names = [f"animal{k // 2}/part{k % 2}" for k in range(K)] if fmt in ("sleap", "deeplabcut_multi") \
        else [f"part{k}" for k in range(K)]
    return fx.write_format(fmt, positions, names, fx._lost(T, K, rng), rng=rng)


def cells(text: str) -> list[list[str]]:
    delimiter = detect(text)[1]
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if "".join(row).strip()]


def fill(traj: kinviz.Trajectory) -> np.ndarray:
    return kinviz.fill_baseline("linear", traj.times, traj.positions, np.zeros(traj.n_frames, bool))


def written_cells(traj: kinviz.Trajectory) -> set[tuple[int, int]]:
    """(source row, column) of every cell the writer may change: x, y, confidence of a missing point."""
    lay, out = traj.layout, set()
    for r, (t, g) in enumerate(zip(lay.row_frame, lay.row_group)):
        for s, k in enumerate(lay.obj_index[g] if g >= 0 else []):
            if k >= 0 and traj.missing[t, k]:
                out |= {(r, c) for c in lay.slot_cols[s] if c >= 0}
    return out


def assert_round_trip(text: str, **read) -> tuple[kinviz.Trajectory, kinviz.Trajectory, str]:
    """Read, fill, write, read again: observed text unchanged, filled points written, format kept."""
    traj = kinviz.load_track(text, **read)
    filled = fill(traj)
    out = kinviz.write_csv(traj, filled, traj.missing)
    again = kinviz.load_track(out, **read)
    assert again.layout.format == traj.layout.format and again.names == traj.names
    assert not again.missing.any(), "every missing point was written"
    # Observed points read back as the same numbers, filled ones as what the model gave.
    observed = ~traj.missing
    assert np.array_equal(again.positions[observed], traj.positions[observed])
    np.testing.assert_allclose(again.positions[traj.missing], filled[traj.missing], rtol=1e-6)  # rounded to the column's decimals + 3
    # The header lines come back as they were (a `predicted` cell may be added after the named columns).
    src, got = cells(text), cells(out)
    n_head, width = len(traj.layout.head), traj.layout.width
    for a, b in zip(src[:n_head], got[:n_head]):
        assert b[: len(a)] == a or b[:width] + b[width + 1:] == a
    # The file's rows come back in their order, every cell the same text but a missing point's.
    may_change = written_cells(traj)
    added = traj.layout.predicted_col is None and traj.layout.predicted_head is not None
    rows, j = [row[:width] + row[width + 1:] if added else row for row in got[n_head:]], 0
    for r, row in enumerate(src[n_head:]):
        while j < len(rows) and any(rows[j][c] != v for c, v in enumerate(row) if (r, c) not in may_change):
            j += 1  # an added row
        assert j < len(rows), f"source row {r} ({row}) lost or changed"
        j += 1
    assert len(rows) >= len(src) - n_head
    return traj, again, out


@pytest.mark.parametrize("fmt", list(LABEL))
def test_each_format_is_found_from_its_content_and_round_trips(fmt):
    text = make(fmt)
    assert detect(text)[0] == format_of(fmt)
    traj, _, out = assert_round_trip(text)
    assert traj.missing.any() and traj.n_objects == 4
    assert detect(out)[0] == format_of(fmt)


@pytest.mark.parametrize("fmt", ["sleap", "trackmate", "mot"])
def test_frames_without_a_row_are_gaps_and_come_back_as_rows_in_frame_order(fmt):
    text = make(fmt)
    traj, again, out = assert_round_trip(text)
    body = cells(out)[len(traj.layout.head):]
    assert len(body) > len(cells(text)) - len(traj.layout.head), "rows were added"
    lay = again.layout
    key = (lay.row_group, lay.row_frame) if fmt == "trackmate" else (lay.row_frame, lay.row_group)
    assert np.all(np.diff(np.lexsort(key[::-1])) > 0), "rows in the file's own order (track-major for TrackMate)"


def test_filled_rows_are_marked_the_way_each_format_allows():
    traj, _, out = assert_round_trip(make("deeplabcut"))
    for t, k in np.argwhere(traj.missing):  # DeepLabCut: the filled point's likelihood is empty
        assert cells(out)[3 + t][traj.layout.slot_cols[k][2]] == ""
    for fmt, col in [("sleap", "predicted"), ("trackmate", "PREDICTED"), ("tracker", "predicted")]:
        traj, _, out = assert_round_trip(make(fmt))
        table = cells(out)
        n_head = len(traj.layout.head)
        at = table[0 if fmt == "trackmate" else n_head - 1].index(col)
        flags = [row[at] for row in table[n_head:]]
        assert set(flags) == {"0", "1"}
    traj, _, out = assert_round_trip(make("mot").replace(",1,1,1.0\n", ",0.9,-1,-1,-1\n"))  # a 10-field result
    assert sum(row[6] == "-1" for row in cells(out)) == len(cells(out)) - len(cells(make("mot")))


def test_confidence_under_the_threshold_is_missing_and_zero_keeps_every_point():
    text = ("scorer,S,S,S\nbodyparts,nose,nose,nose\ncoords,x,y,likelihood\n"
            "0,1.0,1.0,0.95\n1,2.0,2.0,0.59\n2,3.0,3.0,0.6\n3,4.0,4.0,\n4,5.0,5.0,0.9\n")
    assert kinviz.DEFAULT_MIN_CONFIDENCE == 0.6
    traj = kinviz.load_track(text)
    assert traj.missing[:, 0].tolist() == [False, True, False, False, False]  # an empty likelihood is no cut
    assert "under 0.6" in traj.warnings[0]
    assert not kinviz.load_track(text, min_confidence=0).missing.any()
    assert kinviz.load_track(text, min_confidence=0.99).missing[:, 0].tolist() == [True, True, True, False, True]
    out = kinviz.write_csv(traj, fill(traj), traj.missing)
    assert out.splitlines()[2:5] == ["coords,x,y,likelihood,x_tracker,y_tracker,likelihood_tracker", "0,1.0,1.0,0.95,,,",
                                     "1,2,2,,2.0,2.0,0.59"], "the cut point filled in place, the tracker's own kept beside"
    for bad in (-0.1, float("nan"), "0.5"):
        with pytest.raises(kinviz.CSVError, match="minimum confidence"):
            kinviz.load_track(text, min_confidence=bad)


def test_sleap_node_scores_are_cut_and_a_part_never_seen_stays_as_written():
    text = ("track,frame_idx,instance.score,nose.x,nose.y,nose.score,tail.x,tail.y,tail.score\n"
            + "".join(f"t0,{i},0.9,{i}.5,1.5,0.9,{i},2,0.1\n" for i in range(6)))
    traj = kinviz.load_track(text)
    assert traj.names == ["nose"] and any("tail: no point" in w for w in traj.warnings)
    _, _, out = assert_round_trip(text)
    assert [row[6:9] for row in cells(out)[1:]] == [[str(i), "2", "0.1"] for i in range(6)]
    assert kinviz.load_track(text, min_confidence=0).names == ["nose", "tail"]


def test_mot_uses_world_coordinates_when_given_and_box_centres_otherwise():
    boxes = "".join(f"{f},7,{10 + f},20,4,6,1,-1,-1,-1\n" for f in range(1, 6))
    world = "".join(f"{f},7,{10 + f},20,4,6,1,{f}.25,3.5,-1\n" for f in range(1, 6))
    a, b = kinviz.load_track(boxes), kinviz.load_track(world)
    assert a.names == ["id 7"] and a.positions[0, 0].tolist() == [13.0, 23.0]
    assert b.positions[:, 0, 0].tolist() == [1.25, 2.25, 3.25, 4.25, 5.25]
    gap = boxes.replace("3,7,13,20,4,6,1,-1,-1,-1\n", "")
    traj, _, out = assert_round_trip(gap)
    assert out.splitlines()[2].split(",")[:7] == ["3", "7", "13", "20", "4", "6", "-1"]


def test_tracker_multi_mass_export_with_tabs():
    text = ("#multi:\n\tmass_A\t\tmass_B\t\nt\tx\ty\tx\ty\n"
            + "".join(f"{i * 0.1:.1f}\t{i}\t{'' if i == 2 else i}\t{-i}\t{2 * i}\n" for i in range(6)))
    traj, _, out = assert_round_trip(text)
    assert traj.names == ["mass_A", "mass_B"] and traj.missing.sum() == 1
    assert out.splitlines()[1:3] == ["\tmass_A\t\tmass_B\t\tmass_A\t\t", "t\tx\ty\tx\ty\tx_tracker\ty_tracker\tpredicted"]
    assert out.splitlines()[5].split("\t")[5:] == ["2", "", "1"], "the x that was half a point is kept beside it"


def mot_gt(lives: dict[int, tuple[int, int]], lost: set[tuple[int, int]], fields: int = 9) -> str:
    """A MOT16/17 gt.txt (9 fields: ..., consider, class, visibility) or a results file (10 fields: ..., conf, x, y, z):
    each id from its first to its last frame, boxes in `lost` (frame, id) left out; lines by frame, then id."""
    lines = []
    for f in range(1, 13):
        for i, (first, last) in sorted(lives.items()):
            if first <= f <= last and (f, i) not in lost:
                tail = ["1", "7", "0.83"] if fields == 9 else ["0.91", "-1", "-1", "-1"]
                lines.append(",".join([str(f), str(i), f"{100 + 5 * f + 40 * i}", f"{200 + 2 * f}", "40", "100"] + tail))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fields", [9, 10])
def test_mot_boxes_are_written_only_inside_each_ids_life(fields):
    text = mot_gt({1: (1, 12), 2: (4, 9), 3: (2, 6)}, {(5, 1), (6, 2), (7, 2), (3, 3)}, fields)
    traj = kinviz.load_track(text)
    out = kinviz.write_csv(traj, fill(traj), traj.missing)  # every missing cell offered, the ends included
    boxes = [row.split(",") for row in out.splitlines()]
    added = [b for b in boxes if ",".join(b) not in text.splitlines()]
    assert sorted((int(b[0]), int(b[1])) for b in added) == [(3, 3), (5, 1), (6, 2), (7, 2)], "no box outside a life"
    for b in added:
        assert b[6:] == (["1", "7", "0.83"] if fields == 9 else ["-1", "-1", "-1", "-1"]), \
            "a gt file's consider, class, visibility keep their meaning; a result's conf -1 marks kinviz's box"
        assert float(b[2]) == 100 + 5 * int(b[0]) + 40 * int(b[1]), "interpolated along the id's boxes"
    again = kinviz.load_track(out)
    assert np.array_equal(~again.missing, kinviz.io.track_writer.inside_spans(traj))


def trackmate_spots(lives: dict[int, tuple[int, int]], lost: set[tuple[int, int]]) -> str:
    """A TrackMate 7 spots export (four header lines, spots track by track): each TRACK_ID from its first
    to its last frame, spots in `lost` (frame, track) left out, and one spot in no track."""
    head = ["LABEL,ID,TRACK_ID,QUALITY,POSITION_X,POSITION_Y,POSITION_Z,POSITION_T,FRAME,RADIUS,VISIBILITY",
            "Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame,Radius,Visibility",
            "Label,Spot ID,Track ID,Quality,X,Y,Z,T,Frame,R,Visibility",
            ",,,(quality),(micron),(micron),(micron),(sec),,(micron),"]
    spots, n = [], 0
    for track, (first, last) in sorted(lives.items()):
        for f in range(first, last + 1):
            if (f, track) not in lost:
                spots.append(f"ID{n},{n},{track},42.000,{1.5 * f + 10 * track:.3f},{0.25 * f * f:.3f},0.0,"
                             f"{0.2 * f:.3f},{f},0.5,1")
                n += 1
    spots.append(f"ID{n},{n},,7.000,3.000,4.000,0.0,0.400,2,0.5,1")  # a spot no track took
    return "\n".join(head + spots) + "\n"


def test_trackmate_spots_are_written_only_inside_each_tracks_life():
    text = trackmate_spots({0: (0, 14), 3: (4, 9), 7: (6, 18)}, {(5, 0), (6, 0), (7, 3), (10, 7), (11, 7)})
    traj = kinviz.load_track(text)
    assert traj.names == ["track 0", "track 3", "track 7"] and traj.n_frames == 19
    assert traj.missing.sum() > 5, "frames before and after a track's life are gaps too"
    out = kinviz.write_csv(traj, fill(traj), traj.missing)  # every missing cell offered, the ends included
    rows = cells(out)[4:]
    added = [r for r in rows if ",".join(r[:11]) not in text.splitlines()]
    assert sorted((int(r[8]), int(r[2])) for r in added) == [(5, 0), (6, 0), (7, 3), (10, 7), (11, 7)], \
        "no spot before a track's first frame or after its last"
    for r in added:
        assert r[0] == r[1] == r[3] == "" and r[-1] == "1", "an added spot: no LABEL, ID or QUALITY, PREDICTED 1"
        assert float(r[7]) == pytest.approx(0.2 * int(r[8])), "T from the spots' own T per frame"
        assert float(r[4]) == pytest.approx(1.5 * int(r[8]) + 10 * int(r[2])), "filled along the track"
    again = kinviz.load_track(out)
    assert np.array_equal(~again.missing, kinviz.io.track_writer.inside_spans(traj))
    summary = kinviz.io.track_writer.written_summary(traj, traj.missing)
    assert summary.startswith("filled 5 points in place; ") and "outside their track's life" in summary


@pytest.mark.parametrize("fmt, K", [("deeplabcut_multi", 28), ("sleap", 26), ("mot", 80), ("trackmate", 118)])
def test_files_of_many_parts_or_tracks_read_and_round_trip(fmt, K):
    traj, _, _ = assert_round_trip(make(fmt, T=30, K=K))
    assert traj.n_objects == K


def test_mot_detections_without_ids_are_kept_as_written_or_refused_when_all_are():
    text = mot_gt({1: (1, 12)}, {(5, 1)}) + "3,-1,10,10,5,5,0.4,-1,-1\n3,-1,50,50,5,5,0.3,-1,-1\n"
    traj, _, out = assert_round_trip(text)
    assert traj.names == ["id 1"] and out.count(",-1,10,10,5,5,0.4") == 1
    det = "".join(f"{f},-1,{10 + f},20,4,6,0.9,-1,-1,-1\n" for f in range(1, 8))
    with pytest.raises(kinviz.CSVError, match="det.txt"):
        kinviz.load_track(det)


def test_trackmate_track_that_splits_gets_one_line_saying_so():
    text = make("trackmate").splitlines()
    spot = text[6].split(",")
    spot[0], spot[1] = "ID999", "999"  # a second spot of the same track in the same frame
    with pytest.raises(kinviz.CSVError, match="TrackMate: frame .* appears twice .* splits or merges"):
        kinviz.load_track("\n".join(text + [",".join(spot)]) + "\n")


def tracker6(delimiter: str, masses: list[str], numeral: tuple[str, str] = (".", "-"), newline: str = "\n") -> str:
    """A Tracker 6 data export: the name line starts with a delimiter (each name over its x column), both
    header lines end with one, numbers in the user's locale; mass_A loses frames 2 and 3."""
    d, (dot, minus) = delimiter, numeral
    num = lambda v: f"{v:.3f}".replace(".", dot).replace("-", minus)  # noqa: E731
    lines = (["#multi:"] if len(masses) > 1 else []) + [d + d.join(f"{m}{d}" for m in masses),
                                                       "t" + d + d.join(["x", "y"] * len(masses)) + d]
    for i in range(8):
        cells = [num(i * 0.04)]
        for k in range(len(masses)):
            lost = k == 0 and i in (2, 3)
            cells += ["", ""] if lost else [num(0.5 * i - 1.25 + k), num(-0.25 * i * i + k)]
        lines.append(d.join(cells))
    return newline.join(lines) + newline


@pytest.mark.parametrize("delimiter, numeral", [("\t", (".", "-")), ("\t", (",", "-")), ("\t", (",", "\u2212")),
                                                (",", (".", "-")), (";", (",", "-")), (";", (".", "\u2212"))])
@pytest.mark.parametrize("masses", [["mass_A"], ["mass A", "mass B"]])
def test_tracker_6_exports_read_and_come_back_in_their_shape(delimiter, numeral, masses):
    text = tracker6(delimiter, masses, numeral)
    traj, again, out = assert_round_trip(text)
    assert traj.names == masses, "a single mass is named from its cell, not from the empty first one"
    assert traj.missing[:, 0].tolist() == [False, False, True, True, False, False, False, False]
    np.testing.assert_allclose(traj.positions[4], [[0.75, -4.0]] + [[1.75, -3.0]] * (len(masses) - 1))
    np.testing.assert_allclose(traj.times, np.arange(8) * 0.04)
    src, got = text.splitlines(), out.splitlines()
    assert got[:-9] == src[:-9], "the name line (and #multi:) as they were"
    assert got[-9] == src[-9][:-1] + delimiter + "predicted" + delimiter, "the column line still ends with a delimiter"
    dot, minus = numeral
    filled = got[-9 + 3].split(delimiter)[1:3]  # frame 2: mass_A written in the file's locale
    assert all(minus in cell or not cell.startswith("-") for cell in filled) and (dot == "." or dot in filled[0] + filled[1])
    assert not any("." in c for c in filled) if dot == "," else True


def test_tracker_6_line_ends_and_a_trailing_delimiter_on_data_rows_are_kept():
    text = tracker6("\t", ["mass_A"], newline="\r\n").replace("\r\n0.160", "\t\r\n0.160")  # one row ends with a tab
    _, _, out = assert_round_trip(text)
    assert out.count("\r\n") == len(out.splitlines()) and "\n" not in out.replace("\r\n", "")
    assert "\t1\t\r\n0.160" in out, "a row's trailing delimiter stays after the flag"


def test_filled_numbers_carry_the_shortest_digits_that_read_back():
    text = ("scorer,S,S,S\nbodyparts,nose,nose,nose\ncoords,x,y,likelihood\n"
            "0,1086.952423833490229,5.0,0.95\n1,,,\n2,1087.0,5.0,0.9\n3,1088.0,5.0,0.9\n")
    traj = kinviz.load_track(text)
    positions = fill(traj)
    positions[1, 0] = [1086.9524238334902, 1 / 3]
    row = kinviz.write_csv(traj, positions, traj.missing).splitlines()[4].split(",")
    assert row[1:3] == ["1086.9524238334902", "0.3333"], "repr's digits at most, and the column's decimals + 3"


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
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app_pages" / "examples.py"), default_timeout=120).run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert all(e["file"].name in shown for e in kinviz.tracker_examples())
    assert sum(c.value.startswith("scorer,") for c in at.code) == 2


# ----------------------------------------------------------------------------- fuzzing

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SMALL = {fmt: make(fmt, T=8, K=2, seed=1) for fmt in LABEL}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
