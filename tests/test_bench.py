"""The benchmark's measurements and its recording: paired differences, wins without ties, honest rows,
real stretches drawn where a part was seen, and tools/record.py writing only between its markers."""

import numpy as np
import pytest

from kinviz.classical.baselines import BASELINES
from kinviz.evaluation import bench, quality, real, tables
from kinviz.evaluation.evaluate import METHODS


def row(kinviz: float, best: float, task: str = "interpolate", **extra) -> dict:
    """A quality row: kinviz at ``kinviz``, the smoother at ``best``, other baselines 5 points further."""
    r = {"group": "g", "task": task, "name": "n", "expected": 1.0, "measured": 1.0, "expected_pct": 1.0,
         "coverage": 0.9, "seconds": 0.5, "roughness": 1.0, "kalman_roughness": 1.0}
    for m in METHODS:
        r[f"{m}_ade"], r[f"{m}_fde"] = best + 5.0, 0.0
    r["kinviz_ade"], r["kalman_ade"], r["motion_ade"] = kinviz, best, float("nan")  # no motion model shipped
    r |= {f"coverage_{z:g}": 0.9 for z in quality.CALIBRATION_Z} | {f"share_{m}": 0.0 for m in quality.SOURCES}
    return r | {"share_kalman": 1.0} | extra


def test_paired_differences_trajectory_by_trajectory_with_ties_neither_won_nor_lost():
    rows = [row(1.0, 2.0), row(3.0, 2.0), row(2.0, 4.0), row(1.004, 1.0)]
    p = quality.paired(rows, "kinviz", "kalman")
    d = np.array([-1.0, 1.0, -2.0, 0.004])
    assert p["n"] == 4 and p["mean"] == pytest.approx(d.mean()) and p["se"] == pytest.approx(d.std(ddof=1) / 2)
    assert (p["wins"], p["losses"]) == (2, 1)  # 0.004 rounds to 0.00: a tie
    assert p["ratio"] == pytest.approx(np.mean([1, 3, 2, 1.004]) / np.mean([2, 2, 4, 1]))


@pytest.mark.parametrize("mean, se, words", [(-1.0, 0.5, "closer"), (1.0, 0.5, "further"), (-0.4, 0.5, "no difference beyond one s.e."),
                                             (0.001, 0.0, "no difference beyond one s.e."), (2.0, float("nan"), "no difference beyond one s.e.")])
def test_a_direction_is_claimed_only_beyond_one_standard_error(mean, se, words):
    assert quality.verdict({"n": 3, "mean": mean, "se": se}) == words


def test_kinviz_and_each_model_are_compared_with_the_best_classical_baseline_never_themselves():
    rows = [row(1.0, 2.0), row(3.0, 2.5)]
    compared = quality.compared(rows)
    assert [p["method"] for p in compared] == ["kinviz", "video", "video_alone"]  # no motion figures: no motion row
    assert {p["against"] for p in compared} == {"kalman"} and all(p["against"] in BASELINES for p in compared)


def test_the_record_counts_wins_against_every_baseline_and_no_ties():
    """Closer than every classical fill on a trajectory, to the 0.01 points the figures show: a tie is no win."""
    rows = [row(1.0, 2.0), row(2.0, 1.0), row(1.0, 1.004), row(3.0, 3.02)]
    rows[0]["linear_ade"] = float("nan")  # a baseline that could not fill counts for nothing
    s = quality.record_metrics({"split": rows})["split"]["interpolate"]
    assert s["wins"] == 2 and s["examples"] == 4
    assert set(s["methods"]) == {"kinviz", *BASELINES} and set(s["models"]) == {"video", "video_alone"}
    assert "magvit" not in str(s)


def test_the_self_checks_promise_is_scored_against_what_came_true():
    rows = [row(1, 1, expected=e, measured=m) for e, m in ((1.0, 1.0), (1.4, 1.0), (2.0, 1.0), (0.5, 1.0), (1.0, float("nan")))]
    a = quality.agreement(rows)
    assert a["n"] == 4 and a["within"] == pytest.approx(0.5) and a["median_ratio"] == pytest.approx(1.2)


def test_tables_show_each_model_and_the_ratio_to_the_best_baseline():
    rows = [row(1.0, 2.0), row(3.0, 2.0)]
    text = tables.quality_table(rows, "t")
    header = next(line for line in text.splitlines() if line.startswith("| group"))
    assert "| kinviz | video | video_alone | kalman |" in header and "motion" not in header and "magvit" not in header
    assert "| **all** | interpolate | 2 | 2.00 ± 1.00 |" in text and text.rstrip().endswith("| kalman | 1.00x |")
    record, summary = bench.summarise({"generated": rows})
    assert "| held-out generated | interpolate | 2 | 2.00 ± 1.00 |" in summary
    assert "| +0.00 ± 1.00 | no difference beyond one s.e. |" in tables.headline_table(record)


def test_real_stretches_hide_a_part_that_was_seen_while_others_are():
    rng = np.random.default_rng(0)
    seen = np.ones((400, 3), bool)
    seen[100:200, 0] = False  # the tracker lost part 0 here
    seen[300:320, :] = False  # and every part here
    stretches = real.draw_stretches(seen, 12, rng)
    assert len(stretches) == 12
    for k, s, L in stretches:
        assert real.OCCLUDE_FRAMES[0] <= L <= real.OCCLUDE_FRAMES[1]
        assert seen[s - real.MARGIN: s + L + real.MARGIN, k].all()
        assert (np.delete(seen[s: s + L], k, axis=1).any(axis=1)).all()
    by_part = {}
    for k, s, L in stretches:  # stretches of one part never overlap, margins included
        for s2, L2 in by_part.get(k, []):
            assert s + L + real.MARGIN <= s2 or s2 + L2 + real.MARGIN <= s
        by_part.setdefault(k, []).append((s, L))


def test_a_run_without_the_real_files_skips_their_rows_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(real, "real_files", lambda multipart: [])
    args = type("A", (), {"quick": True, "per_family": 1, "multipart": str(tmp_path), "stretches": 1})()
    out, md = bench.measure(None, ("real-occlude",), args)
    assert "real-occlude" not in out and "real rows skipped" in out["notes"][0] and out["notes"][0] in md


def test_record_writes_only_between_its_markers():
    from tools.record import replace_blocks

    text = "a\n<!-- record:headline -->\nold\n<!-- /record:headline -->\nb 4.57 %\n"
    new = replace_blocks(text, {"headline": "| new |", "absent": "x"})
    assert new == "a\n<!-- record:headline -->\n| new |\n<!-- /record:headline -->\nb 4.57 %\n"
    assert replace_blocks(new, {"headline": "| new |"}) == new


def test_no_module_of_the_benchmark_passes_400_lines():
    from pathlib import Path

    folder = Path(bench.__file__).parent
    assert all(len(p.read_text().splitlines()) < 400 for p in folder.glob("*.py")), "split it by job"
    assert not (folder / "card.py").exists(), "what writes the repository lives in tools/"
