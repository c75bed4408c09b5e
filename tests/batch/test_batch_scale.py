"""Local worker processes and Dask give the same results as the plain loop; lost workers are retried."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from safepost.batch import run_batch
from safepost.batch.local import ProcessRunner
from safepost.batch.worker import Job, process_item
from safepost.core import ClusterError
from tests.batch.test_batch import FAST, lines, make_tree


def die_once(job: Job) -> dict:
    """Kills its worker process the first time it sees a file named first-*; then works normally."""
    marker = Path(job.output).parent / f".died-{Path(job.rel).name}"
    if Path(job.rel).name.startswith("first-") and not marker.exists():
        marker.write_text("x")
        os._exit(1)
    return process_item(job)


def always_die(job: Job) -> dict:
    os._exit(1)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return make_tree(tmp_path_factory.mktemp("scale") / "in", photos=4)


@pytest.fixture(scope="module")
def loop(tree, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("loop") / "out"
    run_batch(tree, out, options=FAST)
    return _results(out)


def _results(out: Path) -> dict:
    return {e["input"]: (e["status"], e.get("output"), e.get("findings")) for e in lines(out)}


def _same_pictures(a: Path, b: Path) -> None:
    for entry in lines(a):
        if entry["status"] == "done" and not entry["output"].endswith(".pdf"):
            with Image.open(a / entry["output"]) as x, Image.open(b / entry["output"]) as y:
                diff = np.abs(np.asarray(x.convert("RGB"), np.int16) - np.asarray(y.convert("RGB"), np.int16))
            assert diff.mean() < 1.0, entry["input"]


def test_two_worker_processes_match_the_loop(tree, loop, tmp_path, tmp_path_factory):
    out = tmp_path / "out"
    summary = run_batch(tree, out, options=FAST, workers=2)
    assert (summary.runner, summary.workers) == ("processes", 2)
    assert _results(out) == loop
    _same_pictures(tmp_path_factory.getbasetemp() / "loop0" / "out", out)


def test_dask_local_cluster_matches_the_loop(tree, loop, tmp_path, tmp_path_factory):
    out = tmp_path / "out"
    summary = run_batch(tree, out, options=FAST, dask="local", workers=2)
    assert (summary.runner, summary.workers) == ("dask", 2)
    assert _results(out) == loop
    _same_pictures(tmp_path_factory.getbasetemp() / "loop0" / "out", out)


def test_a_lost_worker_process_is_retried_then_given_up(tmp_path):
    source = make_tree(tmp_path / "in")
    Image.open(source / "a.jpg").save(source / "first-x.jpg")
    out = tmp_path / "out"
    summary = run_batch(source, out, options=FAST, runner=ProcessRunner(2, retries=1, task=die_once))
    entries = {e["input"]: e for e in lines(out)}
    assert entries["first-x.jpg"]["status"] == "done" and summary.failed == 1  # only corrupt.jpg

    out2 = tmp_path / "out2"
    summary = run_batch(source, out2, options=FAST, runner=ProcessRunner(2, retries=1, task=always_die))
    assert summary.done == 0 and summary.failed == 8
    assert all("stopped 2 times" in f["error"] for f in summary.failures if f["input"] != "corrupt.jpg")


def test_unreachable_scheduler_is_a_clear_error(tree, tmp_path):
    import dask

    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(ClusterError, match="tcp://127.0.0.1:9") as info,
    ):
        run_batch(tree, tmp_path / "out", options=FAST, dask="tcp://127.0.0.1:9")
    assert info.value.exit_code == 16


def test_dask_reruns_the_file_of_a_lost_worker(tmp_path):
    from safepost.batch.cluster import DaskRunner

    source = tmp_path / "in"
    source.mkdir()
    Image.open(make_tree(tmp_path / "tree") / "a.jpg").save(source / "first-x.jpg")
    out = tmp_path / "out"
    summary = run_batch(source, out, options=FAST, runner=DaskRunner("local", workers=1, task=die_once))
    assert summary.done == 1 and lines(out)[0]["status"] == "done"
    assert (out / ".died-first-x.jpg").exists()  # the first worker did die on it
