"""The command line's contract: exit codes, `error:` lines, the JSON keys, real files in and out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kinviz
from kinviz.inference.predict import METHOD_ORDER

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = kinviz.EXAMPLES_DIR / "projectile-01.csv"


def run(*args, env=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "kinviz", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env=env, input=stdin, timeout=600)


@pytest.fixture(scope="module")
def env(tiny_checkpoint):
    """The CLI against the tiny checkpoint: the contract does not depend on the weights."""
    return dict(os.environ, KINVIZ_CHECKPOINT=str(tiny_checkpoint))


def test_predict_writes_the_input_layout_with_hidden_frames_filled_and_flagged(env, tmp_path):
    out = tmp_path / "out.csv"
    r = run("predict", EXAMPLE, "--mask", "6-9,14", "--out", out, "--seed", "1", env=env)
    assert r.returncode == 0, r.stderr
    src, got = pd.read_csv(EXAMPLE, dtype=str), pd.read_csv(out, dtype=str)
    # Hidden measurements stay; the model's values for them sit beside them in `_pred` columns.
    assert list(got.columns) == ["time", "ball_x", "ball_y", "ball_x_pred", "ball_y_pred", "predicted", "ball_filled_by"]
    flagged = {6, 7, 8, 9, 14}
    assert set(np.flatnonzero(got["predicted"].astype(int))) == flagged
    # Which method filled each row's point, by the name the tables use, and nothing where none was filled.
    assert set(np.flatnonzero(got["ball_filled_by"].notna())) == flagged
    assert set(got["ball_filled_by"].dropna()) <= set(METHOD_ORDER) | {"prior"}
    pd.testing.assert_frame_equal(got[src.columns], src, check_index_type=False)  # no measurement changed
    assert set(np.flatnonzero(got["ball_x_pred"].notna() & got["ball_y_pred"].notna())) == flagged
    assert np.isfinite(got.loc[sorted(flagged), ["ball_x_pred", "ball_y_pred"]].astype(float).to_numpy()).all()


def test_predict_to_stdout_is_deterministic_for_a_seed(env):
    a = run("predict", EXAMPLE, "--mask", "interpolate", "--seed", "4", env=env)
    b = run("predict", EXAMPLE, "--mask", "interpolate", "--seed", "4", env=env)
    assert a.returncode == 0 and a.stdout == b.stdout and a.stdout.startswith("time,")


def test_predict_without_mask_fills_only_missing_cells(env, tmp_path):
    src = tmp_path / "gaps.csv"
    src.write_text("t,x,y\n0,0,0\n1,1,2\n2,,\n3,3,6\n4,4,8\n")
    r = run("predict", src, env=env)
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(__import__("io").StringIO(r.stdout))
    assert table["predicted"].tolist() == [0, 0, 1, 0, 0]


def test_predict_with_a_mask_on_a_tracker_file_without_gaps_writes_the_hidden_points_values(env, tmp_path):
    src, out = tmp_path / "full.txt", tmp_path / "out.txt"
    src.write_text("\tmass_A\t\nt\tx\ty\t\n" + "".join(f"{i * 0.04:.2f}\t{0.5 * i:.3f}\t{i * i / 9:.3f}\n"
                                                          for i in range(20)))
    r = run("predict", src, "--mask", "6-9,14", "--out", out, env=env)
    assert r.returncode == 0, r.stderr
    assert "filled 0 points in place, 5 measured points' values in _pred columns, on 5 frames" in r.stderr
    table = pd.read_csv(out, sep="\t", skiprows=1, dtype=str, keep_default_na=False)
    assert list(table.columns[:7]) == ["t", "x", "y", "x_pred", "y_pred", "filled_by", "predicted"]
    assert set(np.flatnonzero(table["x_pred"] != "")) == {6, 7, 8, 9, 14} == set(np.flatnonzero(table["predicted"] == "1"))
    assert np.isfinite(table.loc[[6, 7, 8, 9, 14], ["x_pred", "y_pred"]].astype(float).to_numpy()).all()
    source = pd.read_csv(src, sep="\t", skiprows=1, dtype=str, keep_default_na=False)
    assert (table[["t", "x", "y"]] == source[["t", "x", "y"]]).all().all(), "the measurements stay"


def test_predict_fills_a_folder_with_worker_processes_and_names_the_files_that_failed(env, tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("spring-01.csv", "orbit-01.csv"):
        (src / name).write_bytes((kinviz.EXAMPLES_DIR / name).read_bytes())
    (src / "broken.csv").write_text("time,x,y\n0,1,2\n1,abc,3\n2,1,1\n3,1,1\n")
    (src / "notes.md").write_text("not a track")  # a folder gives its .csv, .txt, .tsv and .h5 files only
    r = run("predict", src, kinviz.FORMATS_DIR / "sleap-walkers.h5", "--out-dir", out, "--jobs", "2",
            "--mask", "interpolate", env=env)
    assert r.returncode == 1, "a file failed"
    assert sorted(p.name for p in out.iterdir()) == ["orbit-01.csv", "sleap-walkers.csv", "spring-01.csv"]
    lines = r.stderr.strip().splitlines()
    assert lines[-2].startswith(f"failed: {src / 'broken.csv'}: column 'x', row 2") and "Traceback" not in r.stderr
    assert lines[-1] == f"3 of 4 files filled -> {out}; 1 failed (above)"
    single = run("predict", src / "orbit-01.csv", "--mask", "interpolate", env=env)
    assert (out / "orbit-01.csv").read_text() == single.stdout, "the same fill as one file at a time"
    assert not kinviz.load_track(out / "sleap-walkers.csv").missing.any()


def test_predict_takes_a_glob_and_refuses_two_outputs_of_one_name(env, tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "same.csv").write_bytes(EXAMPLE.read_bytes())
    r = run("predict", str(tmp_path / "a" / "*.csv"), "--out-dir", tmp_path / "out", env=env)
    assert r.returncode == 0 and (tmp_path / "out" / "same.csv").exists(), r.stderr
    r = run("predict", str(tmp_path / "*" / "same.csv"), "--out-dir", tmp_path / "out", env=env)
    assert r.returncode == 2 and "would both be written to" in r.stderr


@pytest.mark.parametrize("args,fragment", [
    (["predict", "missing.csv"], "not found"),
    (["predict", EXAMPLE, "--mask", "5-x"], "not a frame number"),
    (["predict", EXAMPLE, "--mask", "9-6"], "reversed"),
    (["predict", EXAMPLE, "--mask", "0-100000"], "out of range"),
    (["predict", EXAMPLE, "--steps", "0"], "at least 1"),
    (["predict", EXAMPLE, EXAMPLE.parent / "orbit-01.csv"], "need --out-dir"),
    (["predict", EXAMPLE, "--scheduler", "local"], "need --out-dir"),
    (["predict", EXAMPLE, "--out-dir", "o", "--out", "x.csv"], "give one"),
    (["predict", "nothing/*.csv", "--out-dir", "o"], "no file matches"),
    (["predict", EXAMPLE, "--device", "tpu"], "invalid choice"),
    (["predict", EXAMPLE, "--checkpoint", "nowhere.safetensors"], "no checkpoint"),
    (["evaluate", "nowhere"], "not found"),
    (["evaluate", EXAMPLE, "--task", "dance"], "invalid choice"),
    (["convert", "nowhere", "out"], "not found"),
    (["train", "--families", "pendulum,unicycle", "--out", "never.safetensors"], "unknown family 'unicycle'"),
    (["train", "--gate", "0.5", "0.1", "--out", "never.safetensors"], "0 < LO <= HI"),
    (["train", "--gate", "0.1", "0.5", "--no-gate", "--out", "never.safetensors"], "contradict"),
    (["train", "--fits", "1", "4", "--out", "never.safetensors"], "2 or more"),
    (["train", "--noisy", "1.5", "--out", "never.safetensors"], "from 0 to 1"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_exits_2_with_one_error_line(env, args, fragment):
    r = run(*args, env=env)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [["predict", "missing.csv"], ["predict", str(EXAMPLE), "--mask", "9-6"],
                                  ["evaluate", "nowhere"], ["train", "--noisy", "1.5", "--out", "never.safetensors"]])
def test_bad_input_is_refused_before_the_model_and_torch_load(args):
    """A user's mistake is answered at once: nothing of torch is imported to refuse it (about 5 s a call before)."""
    code = ("import sys\nfrom kinviz import cli\nrc = cli.main(sys.argv[1:])\n"
            "print('rc', rc, 'torch' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["rc", "2", "False"], (r.stdout, r.stderr)
    assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("content", [b"", b"time,x,y\n", b"<html><body>hi</body></html>", b"\x00\x01\x02\xff" * 50,
                                     b'{"x": [1, 2]}', b"time,x,y\n0,1,2\n1,abc,3\n2,1,1\n3,1,1\n"])
def test_bad_csv_exits_2(env, tmp_path, content):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    r = run("predict", bad, env=env)
    assert r.returncode == 2 and r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1


def test_evaluate_json_is_exactly_one_object_with_every_method(env):
    r = run("evaluate", EXAMPLE, kinviz.EXAMPLES_DIR / "pendulum-01.csv", "--task", "forecast", "--json", env=env)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["task"] == "forecast" and report["examples"] == 2
    assert set(report["methods"]) == set(kinviz.METHODS)  # the model and every baseline
    for m in report["methods"].values():
        assert {"ade", "ade_pct", "fde_pct", "psnr"} <= set(m)
        assert m["ade"] >= 0 and m["ade_pct"] >= 0


def test_evaluate_table_on_a_folder(env, tmp_path):
    for name in ("spring-01.csv", "orbit-01.csv"):
        (tmp_path / name).write_bytes((kinviz.EXAMPLES_DIR / name).read_bytes())
    r = run("evaluate", tmp_path, "--task", "random", "--no-video", env=env)
    assert r.returncode == 0 and "kinviz" in r.stdout and "2 examples" in r.stdout


def test_convert_makes_augmented_videos_reproducibly(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("projectile-01.csv", "collision-01.csv"):
        (src / name).write_bytes((kinviz.EXAMPLES_DIR / name).read_bytes())
    outs = []
    for i in range(2):
        r = run("convert", src, tmp_path / f"out{i}", "--augment", "4")
        assert r.returncode == 0, r.stderr
        outs.append(sorted((tmp_path / f"out{i}").glob("*.npz")))
    assert len(outs[0]) == 8 and len(list((tmp_path / "out0").glob("*.mp4"))) == 8
    for a, b in zip(*outs):
        np.testing.assert_array_equal(np.load(a)["frames"], np.load(b)["frames"])
    video = np.load(outs[0][0])
    assert video["frames"].dtype == np.uint8 and video["frames"].shape[1:] == (32, 32, 3)


@pytest.mark.parametrize("command", ["predict", "evaluate", "train", "convert", "bench", "tune"])
def test_help(command):
    r = run(command, "--help")
    assert r.returncode == 0 and "usage:" in r.stdout


def test_train_families_by_name_and_by_group():
    from kinviz.cli import parse_families
    from kinviz.training.generate import FAMILIES, PHYSICS_FAMILIES

    assert parse_families("all") == FAMILIES and parse_families("physics") == PHYSICS_FAMILIES
    assert parse_families(" walker, spring ") == ("walker", "spring")
