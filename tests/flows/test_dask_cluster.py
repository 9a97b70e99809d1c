"""A run on a real Dask cluster (a ``dask scheduler`` and two ``dask worker`` processes started here, as on
several machines) writes, row for row, the tables of a run in one process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from distributed.diagnostics.plugin import WorkerPlugin

from dechaff.config import Config
from dechaff.pipeline import run_local
from dechaff.store import OutputDir
from tests.pipeline.test_streaming_finalize import _corpus


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler and two single-threaded workers, each a process of its own (their own folders), on a
    free local port; stopped at the end."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))  # (the workers import dechaff as we do)
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for k in range(2):
            d = tmp_path / f"worker{k}"
            d.mkdir()
            procs.append(subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--nthreads", "1",
                                           "--nworkers", "1", "--no-dashboard", "--name", f"w{k}",
                                           "--local-directory", str(d)], cwd=d, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        deadline = time.time() + 120
        while True:
            try:
                with Client(address, timeout=10) as c:
                    c.wait_for_workers(2, timeout=max(1, deadline - time.time()))
                    assert len(c.scheduler_info()["workers"]) == 2
                break
            except OSError:
                if time.time() > deadline or any(p.poll() is not None for p in procs):
                    pytest.fail("the Dask scheduler or its workers did not start")
                time.sleep(1)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def _tables(out: Path) -> dict[str, pl.DataFrame]:
    """Every table, in the order its parts are read (not sorted), without what says when or which run."""
    return {t: pl.read_parquet(out / t / "*.parquet").drop("run_id", "ingested_at", strict=False)
            for t in ("corpus", "removed", "rejected")}


@pytest.mark.flow
def test_a_run_on_a_dask_cluster_of_two_workers_is_row_for_row_a_local_run(prefect_harness, dask_cluster, tmp_path):
    from prefect_dask import DaskTaskRunner

    from dechaff_flows.cli import dask_runner_kwargs
    from dechaff_flows.ingest import cleanup_flow

    raw = tmp_path / "raw"
    _corpus(raw, n_docs=160)
    (raw / "site1" / "broken.jsonl").write_text('{"text": "fine record here with enough words to keep"}\n{oops\n')
    (raw / "site2" / "empty.txt").write_text("")
    cfg = tmp_path / "dechaff.toml"
    cfg.write_text("max_shard_files = 7\n")  # 23 shard tasks, spread over both workers
    local = run_local(raw, tmp_path / "local", Config.load(cfg, band_threads=0))  # (the tables in one process)
    runner = DaskTaskRunner(**dask_runner_kwargs(dask_cluster))
    summary = cleanup_flow.with_options(task_runner=runner)(
        raw_dir=str(raw), out_dir=str(tmp_path / "cluster"), config_path=str(cfg))
    assert summary["documents_read"] == local.documents_read > 160
    assert summary["removed_by_reason"] == local.removed_by_reason
    assert {"duplicate", "boilerplate"} <= set(local.removed_by_reason)
    a, b = _tables(tmp_path / "local"), _tables(tmp_path / "cluster")
    assert a["rejected"].height == 2
    for t in a:
        assert a[t].equals(b[t]), t
    # a second run finds copies in the stored index, whose keys the workers read from the output folder
    later = raw / "later"
    later.mkdir()
    for k, f in enumerate(sorted((raw / "site1").glob("doc*.txt"))[:12]):
        paras = f.read_text().split("\n\n")
        (later / f"copy{k}.txt").write_text("\n\n".join([f"Later {k}", paras[2] + " With a line added.", paras[3]]))
    local2 = run_local(raw, tmp_path / "local", Config.load(cfg, band_threads=0))
    summary2 = cleanup_flow.with_options(task_runner=runner)(
        raw_dir=str(raw), out_dir=str(tmp_path / "cluster"), config_path=str(cfg))
    assert summary2["removed_by_reason"] == local2.removed_by_reason
    # the summary says how long the finalize step waited on the shards, and how long the busiest worked
    steps = summary2["steps"]
    assert set(steps) == {"finalize", "waiting on the band shards", "the busiest band shard"}
    assert steps["the busiest band shard"] > 0 and 0 < steps["waiting on the band shards"] < steps["finalize"]
    assert set(local2.steps) == {"finalize"}
    assert local2.removed_by_reason["duplicate-document"] >= 12  # (each found its original through the index)
    a, b = _tables(tmp_path / "local"), _tables(tmp_path / "cluster")
    for t in a:
        assert a[t].equals(b[t]), t
    # the shard tasks ran on both workers (each wrote its staging from its own process), and each held
    # half of the index's bands (an actor a worker) for the finalize step's lookups
    from distributed import Client

    def seen(dask_worker) -> tuple[int, list[str]]:
        return (dask_worker.state.transition_counter,
                sorted({str(e[0]).split("-")[0] for e in dask_worker.state.log if str(e[0]).startswith("BandShard")}))

    with Client(dask_cluster) as c:
        done = c.run(seen)
    assert len(done) == 2 and all(n > 0 and actors == ["BandShard"] for n, actors in done.values())


class _Dies(WorkerPlugin):
    """A worker plugin (fault injection): on worker ``w1``, a ``BandShard`` exits the process on the spot
    when it is made (``at="start"``) or sent its first lookup (``at="lookup"``), as a worker killed or
    lost mid-run (its nanny starts another, which holds no shard of this run)."""

    def __init__(self, at: str) -> None:
        self.at = at

    def setup(self, worker) -> None:
        if worker.name != "w1":
            return
        from dechaff.dedup import bands

        def die(*_args, **_kwargs):
            os._exit(1)

        if self.at == "start":
            bands.BandShard.__init__ = die
        else:
            bands.BandShard.step = die


@pytest.mark.flow
@pytest.mark.parametrize("at", ["start", "lookup"])
def test_a_worker_lost_during_the_finalize_step_leaves_the_output_of_a_local_run(prefect_harness, dask_cluster,
                                                                                 tmp_path, monkeypatch, at):
    """The worker to hold one band range dies as its shard starts, or at the finalize step's first lookup:
    the finalize process keeps or builds the tables itself and the run writes, row for row, the tables
    of a local run, and warns."""
    from distributed import Client
    from prefect_dask import DaskTaskRunner

    import dechaff_flows.ingest as ingest
    from dechaff_flows.cli import dask_runner_kwargs

    monkeypatch.setattr(ingest, "ACTORS_START_SECONDS", 5.0)  # (a shard that does not start waits for ever)
    raw = tmp_path / "raw"
    _corpus(raw, n_docs=60)
    local = run_local(raw, tmp_path / "local", Config())
    with Client(dask_cluster) as c:
        c.register_plugin(_Dies(at), name="dies")
    summary = ingest.cleanup_flow.with_options(task_runner=DaskTaskRunner(**dask_runner_kwargs(dask_cluster)))(
        raw_dir=str(raw), out_dir=str(tmp_path / "cluster"))
    assert summary["removed_by_reason"] == local.removed_by_reason
    assert "duplicate" in local.removed_by_reason
    said = "did not start" if at == "start" else "were lost during the finalize step"
    assert len(summary["warnings"]) == 1 and said in summary["warnings"][0]
    assert OutputDir(tmp_path / "cluster").read_manifest().runs[-1]["summary"]["warnings"] == summary["warnings"]
    if at != "start":  # (shards that did not start leave the tables to the finalize step's own threads)
        assert "waiting on the band shards" not in summary["steps"]
    a, b = _tables(tmp_path / "local"), _tables(tmp_path / "cluster")
    for t in a:
        assert a[t].equals(b[t]), t
