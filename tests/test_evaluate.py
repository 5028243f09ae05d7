"""Batch loading for ``evaluate``: one bad file is skipped and reported, the rest are read."""

from __future__ import annotations

import pytest

import kinviz
from kinviz.core.errors import CSVError

GOOD = "time,x,y\n0,0,0\n1,1,1\n2,2,2\n3,3,3\n4,4,4\n"


def test_a_bad_file_in_a_batch_is_skipped_and_reported(tmp_path, capsys):
    (tmp_path / "a.csv").write_text(GOOD)
    (tmp_path / "b.csv").write_text(GOOD)
    bad = tmp_path / "index.csv"  # what a shell glob over the examples folder names directly
    bad.write_text("file,family,description\npendulum-01.csv,pendulum,a swing\n")
    seen = []
    trajs = kinviz.load_many([tmp_path / "a.csv", bad, tmp_path / "b.csv"], skipped=lambda p, why: seen.append((p, why)))
    assert [t.source_name for t in trajs] == ["a.csv", "b.csv"]
    assert len(seen) == 1 and seen[0][0] == bad and seen[0][1]
    kinviz.load_many([bad, tmp_path / "a.csv"])  # by default: one line on stderr
    assert f"skipped {bad}:" in capsys.readouterr().err


def test_the_examples_glob_with_its_index_loads(capsys):
    paths = sorted(kinviz.EXAMPLES_DIR.glob("*.csv"))
    assert any(p.name == "index.csv" for p in paths)
    trajs = kinviz.load_many(paths)
    assert len(trajs) == len(paths) - 1
    assert "index.csv" in capsys.readouterr().err


def test_no_readable_file_is_an_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,here\n")
    with pytest.raises(CSVError, match="none of the 1 file"):
        kinviz.load_many([bad], skipped=lambda p, why: None)
