"""The app's model cache follows both checkpoint files: tune --write and bench --record rewrite only the JSON record."""

from __future__ import annotations

import os

import pytest

import kinviz
from kinviz_app import cache


@pytest.fixture
def checkpoint(tmp_path, monkeypatch):
    """A stand-in checkpoint pair and a Predictor.load that counts its calls (no model is loaded)."""
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"tensors")
    kinviz.videomodel.checkpoint.json_path(path).write_text('{"decoding": {}}')
    loads = []
    monkeypatch.setattr(kinviz.Predictor, "load", classmethod(lambda cls, p: loads.append(p) or object()))
    monkeypatch.setenv("KINVIZ_CHECKPOINT", str(path))
    cache._predictor.clear()
    yield path, loads
    cache._predictor.clear()  # the app's tests load the real model through the same cache


def test_the_model_is_loaded_once_until_either_file_changes(checkpoint):
    path, loads = checkpoint
    first = cache.predictor()
    assert cache.predictor() is first and loads == [str(path)]
    kinviz.videomodel.checkpoint.write_json(kinviz.videomodel.checkpoint.json_path(path), {"decoding": {"samples": 4}})  # the record alone
    second = cache.predictor()
    assert second is not first and len(loads) == 2
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # the tensors rewritten, same size
    assert cache.predictor() is not second and len(loads) == 3
    assert cache.predictor() is cache.predictor() and len(loads) == 3


def test_the_stamp_reads_both_files_and_a_missing_one_as_zero(checkpoint):
    path, _ = checkpoint
    stamp = cache.checkpoint_stamp(path)
    assert len(stamp) == 2 and stamp[1][1] == len('{"decoding": {}}')
    kinviz.videomodel.checkpoint.json_path(path).unlink()
    assert cache.checkpoint_stamp(path) == (stamp[0], (0, 0))
