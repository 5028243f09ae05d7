"""Trackers' own files: read from the content, filled, written back in the same format, read again (per
format, tracks' lives, many parts, Tracker 6 exports). Writing the fill: test_formats_write.py; the CLI, the app and
fuzzing: test_formats_app.py; shared helpers: formathelp.py."""

import numpy as np
import pytest

import kinviz
from kinviz.io.formats import detect
from formathelp import LABEL, assert_round_trip, cells, fill, format_of, make


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
