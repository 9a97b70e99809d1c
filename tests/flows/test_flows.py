"""Flow and CLI tests. The flow tests start Prefect (through the opt-in ``prefect_harness`` fixture); the
CLI tests that fail before any flow starts do not."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from dechaff.store import OutputDir


@pytest.mark.flow
def test_cleanup_flow_runs_on_the_sample_and_publishes_artifacts(prefect_harness, sample_raw, out_dir):
    from prefect.client.orchestration import get_client

    from dechaff_flows.ingest import cleanup_flow

    summary = cleanup_flow(raw_dir=str(sample_raw), out_dir=str(out_dir))
    assert summary["documents_read"] == 5 and summary["documents_kept"] == 5
    assert summary["removed_by_reason"]["duplicate"] >= 10
    corpus = pl.read_parquet(out_dir / "corpus" / "*.parquet")
    assert corpus.height == 5

    async def artifacts():
        async with get_client() as c:
            return await c.read_artifacts()

    import asyncio

    keys = {a.key for a in asyncio.run(artifacts())}
    from dechaff_flows.ingest import output_slug

    slug = output_slug(str(out_dir))  # one history per output folder
    assert {f"dechaff-removals-{slug}", f"dechaff-run-summary-{slug}"} <= keys
    assert output_slug(str(out_dir)) != output_slug(str(out_dir.parent / "other" / out_dir.name))
    # nothing new: the scheduled flow adds nothing
    again = cleanup_flow(raw_dir=str(sample_raw), out_dir=str(out_dir))
    assert again["inputs_already_ingested"] == 5 and again["documents_read"] == 0


@pytest.mark.flow
def test_ingest_flow_picks_up_only_new_files(prefect_harness, sample_raw, out_dir, tmp_path):
    from dechaff_flows.ingest import ingest_flow

    first = ingest_flow(raw_dir=str(sample_raw), out_dir=str(out_dir))
    assert first["inputs_new"] == 5
    (sample_raw / "sub").mkdir()
    (sample_raw / "sub" / "extra.txt").write_text("A new story\n\nWith one paragraph that is entirely new "
                                                    "and unlike anything in the sample corpus so far.\n")
    second = ingest_flow(raw_dir=str(sample_raw), out_dir=str(out_dir))
    assert second["inputs_new"] == 1 and second["documents_kept"] == 1
    assert "sub/extra" in pl.read_parquet(out_dir / "corpus" / "*.parquet")["doc_id"].to_list()


@pytest.mark.flow
def test_flow_refuses_a_locked_output(prefect_harness, sample_raw, out_dir):
    from dechaff.store import OutputLocked
    from dechaff_flows.ingest import cleanup_flow

    with OutputDir(out_dir).lock(), pytest.raises(OutputLocked, match="another dechaff run"):
        cleanup_flow(raw_dir=str(sample_raw), out_dir=str(out_dir))


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dechaff_flows.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_cli_missing_raw_dir_exits_2_without_starting_prefect(tmp_path):
    r = _cli("run", "--raw", str(tmp_path / "missing"), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "raw directory" in r.stderr and "does not exist" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_explain_unknown_output_is_a_clear_error(tmp_path):
    r = _cli("explain", "x", "--out", str(tmp_path))
    assert r.returncode == 2 and "holds no dechaff output" in r.stderr


def test_cli_bad_config_exits_2(tmp_path, sample_raw):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("no_such_setting = 1\n")
    r = _cli("run", "--raw", str(sample_raw), "--out", str(tmp_path / "o"), "--config", str(cfg))
    assert r.returncode == 2 and "unknown setting" in r.stderr


@pytest.mark.flow
def test_cli_run_end_to_end_with_a_bad_file(tmp_path, sample_raw, prefect_harness):
    (sample_raw / "broken.txt").write_bytes(b"\x00\x01\x02\xff\xfe" * 200)
    r = _cli("run", "--raw", str(sample_raw), "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "documents: 5 read, 5 kept" in r.stdout
    assert "rejected: 1 inputs" in r.stdout
    assert "warning" in r.stderr and "rejected" in r.stderr
    rej = pl.read_parquet(tmp_path / "out" / "rejected" / "*.parquet")
    assert rej["source"].to_list() == ["broken.txt"] and "binary" in rej["error"][0]
    ex = _cli("explain", "001_7b4d23a676b6fd77", "--out", str(tmp_path / "out"))
    assert ex.returncode == 0 and "REMOVED [duplicate / dedup.containment]" in ex.stdout


@pytest.mark.flow
def test_cli_exits_1_when_nothing_new_could_be_processed(tmp_path, prefect_harness):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_bytes(b"")
    (raw / "b.jsonl").write_text("{broken\n")
    r = _cli("run", "--raw", str(raw), "--out", str(tmp_path / "out"), "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "none of the new inputs could be processed" in r.stderr
    summary = json.loads(r.stdout)  # --json: the summary as one object
    assert summary["inputs_new"] == 2 and summary["documents_read"] == 0
    assert "Traceback" not in r.stderr
    rej = pl.read_parquet(tmp_path / "out" / "rejected" / "*.parquet")
    assert set(rej["source"]) == {"a.txt", "b.jsonl:1"}


@pytest.mark.flow
def test_cleanup_flow_on_a_dask_cluster_gives_the_same_corpus(prefect_harness, sample_raw, tmp_path):
    from prefect_dask import DaskTaskRunner

    from dechaff_flows.ingest import cleanup_flow

    cfg = tmp_path / "dechaff.toml"
    cfg.write_text("shard_mb = 0.005\n")  # one sample file per shard: five shard tasks on the cluster
    cleanup_flow(raw_dir=str(sample_raw), out_dir=str(tmp_path / "threads"))
    runner = DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "processes": True})
    summary = cleanup_flow.with_options(task_runner=runner)(
        raw_dir=str(sample_raw), out_dir=str(tmp_path / "dask"), config_path=str(cfg))
    assert summary["documents_read"] == 5
    cols = ["doc_id", "text", "kept_paragraphs"]
    a = pl.read_parquet(tmp_path / "threads" / "corpus" / "*.parquet").select(cols).sort("doc_id")
    b = pl.read_parquet(tmp_path / "dask" / "corpus" / "*.parquet").select(cols).sort("doc_id")
    assert a.equals(b)


def test_a_local_dask_cluster_listens_on_this_machine_only():
    from prefect_dask import DaskTaskRunner

    from dechaff_flows.cli import dask_runner_kwargs

    runner = DaskTaskRunner(**dask_runner_kwargs(None))
    assert runner.cluster_kwargs["host"] == "127.0.0.1"
    assert runner.cluster_kwargs["dashboard_address"].startswith("127.0.0.1:")
    assert dask_runner_kwargs("tcp://10.1.2.3:8786") == {"address": "tcp://10.1.2.3:8786"}


def test_a_remote_cluster_is_told_when_its_workers_cannot_report_to_the_runs_server():
    from dechaff_flows.cli import remote_workers_note

    assert remote_workers_note(None, None) is None  # (a local cluster shares the flow's server)
    assert "each Dask worker will start a temporary Prefect server" in remote_workers_note("tcp://10.1.2.3:8786", None)
    assert "loopback" in remote_workers_note("tcp://10.1.2.3:8786", "http://127.0.0.1:4200/api")
    assert "loopback" in remote_workers_note("10.1.2.3:8786", "http://localhost:4200/api")
    assert remote_workers_note("tcp://127.0.0.1:8786", "http://127.0.0.1:4200/api") is None  # (one machine)
    assert remote_workers_note("tcp://10.1.2.3:8786", "http://10.1.2.1:4200/api") is None


def test_cli_version_and_exit_codes_in_help():
    from dechaff import __version__

    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"dechaff {__version__}"
    r = _cli("--help")
    assert "exit status" in r.stdout and "3 another run holds the output" in r.stdout


def _big_raw(raw, n: int = 1500) -> None:
    import random

    rng = random.Random(2)
    words = [f"w{i}" for i in range(2000)]
    raw.mkdir()
    for k in range(n):
        (raw / f"d{k:04d}.txt").write_text("\n\n".join(" ".join(rng.choice(words) for _ in range(60)) + "."
                                                      for _ in range(10)) + "\n")


def test_cli_run_local_is_the_run_without_prefect(tmp_path, sample_raw):
    r = _cli("run", "--local", "--raw", str(sample_raw), "--out", str(tmp_path / "out"), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["documents_read"] == 5 and s["paragraphs_kept"] > 100
    r = _cli("run", "--local", "--runner", "dask", "--raw", str(sample_raw), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "--local runs in this process" in r.stderr


@pytest.mark.parametrize("local", [True, False])
def test_sigterm_stops_a_run_cleanly(tmp_path, local):
    """One line on stderr, exit 143, no process left behind (the embedded Prefect server included), and the
    output is the last commit or nothing."""
    import os
    import signal
    import time

    import psutil

    raw, out = tmp_path / "raw", tmp_path / "out"
    _big_raw(raw)
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect-home"))
    cmd = [sys.executable, "-m", "dechaff_flows.cli", "run", *(["--local"] if local else []), "--raw", str(raw),
           "--out", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    proc = psutil.Process(p.pid)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "_state" / "reading").exists():  # until the run is reading
        time.sleep(0.02)
    children = proc.children(recursive=True)
    p.send_signal(signal.SIGTERM)
    _stdout, stderr = p.communicate(timeout=30)
    assert p.returncode == 143, stderr
    assert "stopped (SIGTERM)" in stderr and "Traceback" not in stderr
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, [c.cmdline() for c in alive]
    if (out / "corpus").is_dir():  # nothing committed, or a whole run
        parts = list((out / "corpus").glob("*.parquet"))
        assert all(pl.read_parquet(f).height > 0 for f in parts)


@pytest.mark.flow
def test_process_pool_workers_share_the_flows_temporary_server(tmp_path, sample_raw):
    """`dechaff run --runner processes` with no PREFECT_API_URL: the worker processes report to the flow's
    temporary server instead of each starting one of their own (8-14 s each before a shard task can run),
    and the corpus is the one the default runner writes."""
    import os
    import time

    import psutil

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    cfg = tmp_path / "dechaff.toml"
    cfg.write_text("shard_mb = 0.005\n")  # one sample file per shard: five shard tasks for the pool
    cmd = [sys.executable, "-m", "dechaff_flows.cli", "run", "--runner", "processes", "--raw", str(sample_raw),
           "--out", str(tmp_path / "pool"), "--config", str(cfg)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    proc, servers = psutil.Process(p.pid), set()
    deadline = time.time() + 300
    while p.poll() is None and time.time() < deadline:
        for c in proc.children(recursive=True):
            try:
                if "uvicorn" in " ".join(c.cmdline()):
                    servers.add(c.pid)
            except psutil.Error:
                pass
        time.sleep(0.1)
    _out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert len(servers) == 1, f"{len(servers)} Prefect servers started"
    subprocess.run([sys.executable, "-m", "dechaff_flows.cli", "run", "--local", "--raw", str(sample_raw), "--out",
                    str(tmp_path / "one")], check=True, capture_output=True)
    cols = ["doc_id", "text", "kept_paragraphs"]
    a = pl.read_parquet(tmp_path / "one" / "corpus" / "*.parquet").select(cols).sort("doc_id")
    b = pl.read_parquet(tmp_path / "pool" / "corpus" / "*.parquet").select(cols).sort("doc_id")
    assert a.equals(b)
