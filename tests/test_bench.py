"""The benchmark's recording: `bench --folder --record` replaces only its own table in docs/BENCHMARK.md."""

from kinviz.evaluation import bench


def rows(seconds: float) -> list[dict]:
    return [{"files": 200, "frames": 48, "workers": n, "total_s": seconds * n, "files_per_s": 200 / (seconds * n),
             "failed": 0} for n in (1, 2)]


def test_the_folder_rows_go_before_the_formats_table_and_replace_themselves(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "DOCS", tmp_path)
    doc = tmp_path / "BENCHMARK.md"
    doc.write_text("# Benchmark\n\n| frames | objects |\n|---|---|\n| 16 | 1 |\n\nLargest request.\n\n"
                   "| format | frames x objects | file | read (s) | write (s) |\n|---|---|---|---|---|\n| sleap | 2 | 3 | 4 | 5 |\n")
    bench.record_folder(bench.folder_table(rows(30.0)))
    first = doc.read_text()
    assert first.index("**Whole folders**") > first.index("Largest request.") and "| 2 | 60.0 | 3.33 | 0 |" in first
    assert first.index("| 2 | 60.0 |") < first.index("| format |")
    bench.record_folder(bench.folder_table(rows(10.0)))
    again = doc.read_text()
    assert again == first.replace("30.0", "10.0").replace("60.0", "20.0").replace("6.67", "20.00").replace("3.33", "10.00")
    assert again.count("**Whole folders**") == 1


def test_the_record_counts_wins_against_every_baseline_and_no_ties():
    """The Overview says on how many recordings the model is closer than every classical fill: counted as the
    Evaluate page counts them (to the 0.01 points it shows), so a tie is no win."""
    def row(model: float, best: float) -> dict:
        r = {"group": "g", "task": "interpolate", "magvit_ade": model, "magvit_fde": 0.0, "floor_ade": 0.0, "floor_fde": 0.0}
        for m in bench.BASELINES:
            r[f"{m}_ade"], r[f"{m}_fde"] = best + 5.0, 0.0
        r["kalman_ade"] = best
        r["linear_ade"] = float("nan")  # a baseline that could not fill counts for nothing
        return r

    record = bench.record_metrics([row(1.0, 2.0), row(2.0, 1.0), row(1.0, 1.004), row(3.0, 3.02)])
    assert record["interpolate"]["wins"] == 2 and record["interpolate"]["examples"] == 4
