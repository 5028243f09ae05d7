"""Whole folders: one per-file job, run in this process, in worker processes or on a Dask cluster, with the same files out."""

from __future__ import annotations

import pytest

import kinviz
from kinviz.inference import batch

distributed = pytest.importorskip("distributed")  # requirements.txt pins it; the app alone does not need it


@pytest.fixture
def folder(tmp_path):
    """Two good files (a plain CSV with gaps, a TrackMate export) and one with text where a number goes."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "orbit-01.csv").write_bytes((kinviz.EXAMPLES_DIR / "orbit-01.csv").read_bytes())
    (src / "particles.csv").write_bytes((kinviz.FORMATS_DIR / "trackmate-particles.csv").read_bytes())
    (src / "broken.csv").write_text("time,x,y\n0,1,2\n1,abc,3\n2,1,1\n3,1,1\n")
    return src


def job(checkpoint) -> batch.Job:
    return batch.Job(mask="interpolate", min_confidence=kinviz.DEFAULT_MIN_CONFIDENCE, seed=3, steps=None,
                     checkpoint=str(checkpoint), device="cpu")


def test_a_folder_on_a_dask_cluster_comes_out_byte_for_byte_as_in_one_process(folder, tiny_checkpoint, tmp_path):
    seen = []
    alone = batch.run(batch.plan([str(folder)], str(tmp_path / "alone")), job(tiny_checkpoint))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        pairs = batch.plan([str(folder)], str(tmp_path / "dask"))
        on_dask = batch.run(pairs, job(tiny_checkpoint), scheduler=cluster.scheduler_address, progress=seen.append)
    assert sorted(d.source.name for d in seen) == ["broken.csv", "orbit-01.csv", "particles.csv"], "progress per file"
    assert [d.source for d in on_dask] == [s for s, _ in pairs], "results in the files' order"
    assert [(d.source.name, d.ok, d.summary) for d in on_dask] == [(d.source.name, d.ok, d.summary) for d in alone]
    failed = [d for d in on_dask if not d.ok]
    assert [d.source.name for d in failed] == ["broken.csv"] and "column 'x', row 2" in failed[0].summary
    assert sorted(p.name for p in (tmp_path / "dask").iterdir()) == ["orbit-01.csv", "particles.csv"]
    for name in ("orbit-01.csv", "particles.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "alone" / name).read_bytes(), name


def test_a_task_lost_on_a_worker_is_one_failed_file_and_the_others_are_written(folder, tiny_checkpoint, tmp_path,
                                                                               monkeypatch):
    fill = batch.fill_file

    def flaky(source, dest, job):  # an error kinviz does not foresee, on one file
        if source.name == "particles.csv":
            raise MemoryError("the worker ran out of memory")
        return fill(source, dest, job)

    monkeypatch.setattr(batch, "fill_file", flaky)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        done = batch.run(batch.plan([str(folder)], str(tmp_path / "out")), job(tiny_checkpoint),
                         scheduler=cluster.scheduler_address)
    assert [(d.source.name, d.ok) for d in done] == [("broken.csv", False), ("orbit-01.csv", True), ("particles.csv", False)]
    assert done[2].summary == "MemoryError: the worker ran out of memory"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["orbit-01.csv"]


def test_a_scheduler_that_does_not_answer_gets_one_line(folder, tiny_checkpoint, tmp_path):
    with pytest.raises(kinviz.KinvizError, match="no Dask scheduler answers at .*dask scheduler"):
        batch.run(batch.plan([str(folder)], str(tmp_path / "out")), job(tiny_checkpoint),
                  scheduler=str(tmp_path / "nowhere.json"))
