"""Nothing half-written (issue 30 §3): every output appears whole or not at all, an input is not overwritten
by accident, and a worker process killed in a batch loses nothing but a retry."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kinviz
from kinviz.inference import batch
from kinviz.io import atomic
from kinviz.io.atomic import remove_leftovers, write_atomic

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = kinviz.EXAMPLES_DIR / "projectile-01.csv"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(atomic.PART))


# ----------------------------------------------------------------------------- write_atomic


def test_write_atomic_writes_text_and_bytes_and_replaces_whole(tmp_path):
    path = tmp_path / "out.csv"
    assert write_atomic(path, "a,b\r\n1,2\n") == path and path.read_bytes() == b"a,b\r\n1,2\n"
    write_atomic(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01" and leftovers(tmp_path) == []
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~atomic._umask()), "a new file's usual mode, not 0600"


def test_a_failed_write_removes_its_temporary_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_text("old")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, "new")
    assert path.read_text() == "old" and leftovers(tmp_path) == []


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5])
def test_a_process_killed_while_writing_a_large_file_leaves_it_whole_or_as_it_was(tmp_path, delay):
    path = tmp_path / "big.csv"
    path.write_text("old,whole\n")
    big = "t,x,y\n" + "".join(f"{i},{i * 0.5},{i * 0.25}\n" for i in range(400_000))  # about 9 MB
    code = (f"from kinviz.io.atomic import write_atomic\nimport sys\ntext = sys.stdin.read()\nprint('go', flush=True)\n"
            f"for _ in range(50): write_atomic({str(path)!r}, text)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    proc.stdin.write(big)
    proc.stdin.close()
    assert proc.stdout.readline() == "go\n"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert path.read_text() in ("old,whole\n", big), "the file is the old one or the new one, never a part"
    removed = remove_leftovers(path)
    assert leftovers(tmp_path) == [] and all(p.name.startswith(".big.csv.") for p in removed)


# ----------------------------------------------------------------------------- the command line


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "kinviz", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def env(tiny_checkpoint):
    return dict(os.environ, KINVIZ_CHECKPOINT=str(tiny_checkpoint))


def test_out_equal_to_the_input_is_refused_unless_in_place(env, tmp_path):
    src = tmp_path / "track.csv"
    src.write_bytes(EXAMPLE.read_bytes())
    link = tmp_path / "link.csv"
    link.symlink_to(src)
    for out in (src, link, tmp_path / "." / "track.csv"):
        r = run("predict", src, "--mask", "6-9", "--out", out, env=env)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "is the input file" in r.stderr, r.stderr
        assert src.read_bytes() == EXAMPLE.read_bytes()
    r = run("predict", src, "--mask", "6-9", "--out", src, "--in-place", env=env)
    assert r.returncode == 0, r.stderr
    assert kinviz.load_csv(src).layout.header[-2:] == ["predicted", "ball_filled_by"] and leftovers(tmp_path) == []


def test_a_cli_killed_while_writing_its_out_leaves_the_old_file_and_the_next_run_clears_up(env, tmp_path):
    out = tmp_path / "filled.csv"
    out.write_text("an older complete result\n")
    r = run("predict", EXAMPLE, "--mask", "6-9", "--out", out, env=dict(env, **{atomic.TEST_KILL: "filled.csv"}))
    assert r.returncode == -signal.SIGKILL
    assert out.read_text() == "an older complete result\n" and len(leftovers(tmp_path)) == 1
    r = run("predict", EXAMPLE, "--mask", "6-9", "--out", out, env=env)
    assert r.returncode == 0 and kinviz.load_csv(out).n_frames > 0 and leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- a batch


def test_a_worker_killed_in_a_batch_loses_nothing_and_its_file_is_retried_once(tiny_checkpoint, tmp_path,
                                                                               monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        (src / f"track-{i}.csv").write_bytes(EXAMPLE.read_bytes())
    (src / "always.csv").write_bytes(EXAMPLE.read_bytes())
    job = batch.Job(mask="interpolate", min_confidence=0.6, seed=0, steps=None, checkpoint=str(tiny_checkpoint),
                    device="cpu")

    # track-1 is killed once while being written (the retry succeeds); always.csv every time.
    monkeypatch.setenv(atomic.TEST_KILL, f"track-1.csv:{tmp_path / 'killed-once'}")
    done = batch.run(batch.plan([str(src)], str(tmp_path / "out")), job, jobs=2)
    assert [d.ok for d in done] == [True] * 5 and (tmp_path / "killed-once").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["always.csv"] + [f"track-{i}.csv" for i in range(4)]

    monkeypatch.setenv(atomic.TEST_KILL, "always.csv")
    done = batch.run(batch.plan([str(src)], str(tmp_path / "again")), job, jobs=2)
    failed = [d for d in done if not d.ok]
    assert [d.source.name for d in failed] == ["always.csv"] and "died 2 times" in failed[0].summary
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == [f"track-{i}.csv" for i in range(4)], \
        "the others written, no partial file and no leftover"
    for i in range(4):
        assert (tmp_path / "again" / f"track-{i}.csv").read_bytes() == (tmp_path / "out" / f"track-{i}.csv").read_bytes()
