"""Names as written (issue 30 section 2): parts matched exactly, repeated names kept, stray columns passed
through, warnings that count what was done, and typed masks that round-trip any part name."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinviz
from kinviz.core.masks import format_mask, parse_mask


def wide(header: str, rows: int = 6) -> str:
    """A wide CSV: `header`, then `rows` rows of numbers (time, then 1, 2, ... per column)."""
    n = header.count(",")
    return header + "\n" + "".join(f"{t}," + ",".join(str(t + c) for c in range(n)) + "\n" for t in range(rows))


# ----------------------------------------------------------------------------- exact part names


def test_a_mask_names_a_part_exactly_as_written():
    mask = parse_mask("ant:2-3", 8, names=["Ant", "ant"])
    assert mask[:, 1].tolist() == [False, False, True, True, False, False, False, False]
    assert not mask[:, 0].any(), "'ant' must not hide 'Ant'"
    with pytest.raises(kinviz.MaskError, match="no part 'ANT' .*did you mean 'Ant'"):
        parse_mask("ANT:2", 8, names=["Ant", "bee"])


def test_two_parts_differing_only_in_case_stay_two_parts_through_read_write_read():
    traj = kinviz.load_csv(wide("time,Ant_x,Ant_y,ant_x,ant_y"))
    assert traj.names == ["Ant", "ant"]
    filled = np.zeros((traj.n_frames, 2), bool)
    filled[2, 1] = True  # 'ant' hidden at frame 2: its value goes to ant_*_pred, not Ant_*_pred
    out = kinviz.write_csv(traj, traj.positions + 0.5, filled)
    header, row2 = out.splitlines()[0].split(","), out.splitlines()[3].split(",")
    assert header == ["time", "Ant_x", "Ant_y", "ant_x", "ant_y", "ant_x_pred", "ant_y_pred", "predicted"]
    assert row2[5:] == ["4.5", "5.5", "1"]
    assert kinviz.load_csv(out).names == ["Ant", "ant"]
    assert kinviz.from_arrays(np.arange(4.0), np.ones((4, 2, 2)), ["Ant", "ant"]).names == ["Ant", "ant"]


# ----------------------------------------------------------------------------- repeated and stray columns


def test_a_deeplabcut_body_part_named_twice_keeps_both_with_a_warning():
    text = ("scorer,S,S,S,S,S,S\nbodyparts,nose,nose,nose,nose,nose,nose\ncoords,x,y,likelihood,x,y,likelihood\n"
            + "".join(f"{i},{i}.0,1.0,0.9,{i}.0,5.0,0.9\n" for i in range(6)))
    traj = kinviz.load_track(text)
    assert traj.names == ["nose", "nose.1"]
    assert traj.positions[:, 1, 1].tolist() == [5.0] * 6, "the second part's own columns"
    assert any("'nose' is named twice" in w and "'nose.1'" in w for w in traj.warnings), traj.warnings


def test_a_stray_x_column_passes_through_with_a_note_and_a_named_pair_is_an_object():
    text = wide("time,x,y,frame_x,note")
    traj = kinviz.load_csv(text)
    assert traj.names == ["object"]
    assert any("'frame_x' (no 'frame_y')" in w for w in traj.warnings), traj.warnings
    out = kinviz.write_csv(traj, traj.positions, np.zeros((traj.n_frames, 1), bool))
    assert [line.split(",")[:5] for line in out.splitlines()] == [line.split(",") for line in text.splitlines()]
    assert kinviz.load_csv(wide("time,x,y,vel_x,vel_y")).names == ["object", "vel"]  # a pair by its names
    with pytest.raises(kinviz.CSVError, match="'frame_x' has no matching 'frame_y'"):  # nothing else: no position
        kinviz.load_csv(wide("time,frame_x"))


# ----------------------------------------------------------------------------- warnings that count what was done


def test_the_confidence_warning_counts_only_points_that_are_filled():
    # nose: 2 of 6 points under the cut, filled; tail: never confident, left as written (6 points not filled)
    text = ("scorer,S,S,S,S,S,S\nbodyparts,nose,nose,nose,tail,tail,tail\ncoords,x,y,likelihood,x,y,likelihood\n"
            + "".join(f"{i},{i}.0,1.0,{0.1 if i in (2, 3) else 0.9},{i}.0,2.0,0.1\n" for i in range(6)))
    traj = kinviz.load_track(text)
    assert traj.names == ["nose"] and traj.unseen == ["tail"]
    note = next(w for w in traj.warnings if "under 0.6" in w)
    assert note.startswith("2 point(s)") and "6 more" in note and "left as in the file" in note, note


def test_a_mask_naming_a_part_that_is_never_seen_says_so():
    text = ("track,frame_idx,instance.score,a.x,a.y,a.score,b.x,b.y,b.score\n"
            + "".join(f"t0,{i},0.9,{i}.5,1.5,0.9,,,\n" for i in range(6)))
    traj = kinviz.load_track(text)
    assert traj.names == ["a"] and traj.unseen == ["b"]
    with pytest.raises(kinviz.MaskError) as info:
        parse_mask("b:1-2", traj.n_frames, names=traj.names, unseen=traj.unseen)
    assert "part 'b' has no point" in str(info.value) and "there is no part" not in str(info.value)


# ----------------------------------------------------------------------------- typed masks for any part name

# A legal part name: one line, non-empty, no surrounding spaces (what the readers and from_arrays keep).
PART = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), min_size=1, max_size=12) \
    .map(str.strip).filter(lambda s: s and "\n" not in s and "\r" not in s and s == s.strip())
TRICKY = st.sampled_from(["a,b", "c:d", "e-f", '"q"', "x  y", "1-2", "3", "n:1-2,4", "", "interpolate"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PART, TRICKY.filter(bool)), min_size=1, max_size=5, unique=True), st.data())
def test_format_and_parse_round_trip_any_legal_part_name(names, data):
    T = 12
    bits = data.draw(st.lists(st.booleans(), min_size=T * len(names), max_size=T * len(names)))
    mask = np.array(bits).reshape(T, len(names))
    mask[0] = False  # never every frame, nor every frame of a part
    spec = format_mask(mask, names)
    back = parse_mask(spec, T, names=names)
    back = back if back.ndim == 2 else np.repeat(back[:, None], len(names), 1)  # whole frames are written as frames
    np.testing.assert_array_equal(back, mask, err_msg=spec)


@pytest.mark.parametrize("names, spec", [
    (["a,b", "c"], '"a,b":3-5'),
    (['say "hi"', "b"], '"say ""hi""":0'),
    (["1:2", "b"], '"1:2":4'),
    (["left-paw", "b"], "left-paw:1-2"),
])
def test_quoted_part_names_as_documented(names, spec):
    mask = parse_mask(spec, 8, names=names)
    assert format_mask(mask, names) == spec
