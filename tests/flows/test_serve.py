"""dechaff serve against a real Prefect server that the test starts on a free local port and stops: one
run at a time, a stop that pauses the schedule and cancels the waiting runs (no Late runs piling up), a
restart that resumes, nothing left running. Without a reachable server, serve exits 2 at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter

import psutil
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_without_a_reachable_server_exits_2_at_once(tmp_path, sample_raw):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "home"), PREFECT_API_URL=f"http://127.0.0.1:{_free_port()}/api")
    r = subprocess.run([sys.executable, "-m", "dechaff_flows.cli", "serve", "--interval", "60", "--raw",
                        str(sample_raw), "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 2 and "no Prefect server answers" in r.stderr and "prefect server start" in r.stderr


@pytest.fixture
def prefect_server(tmp_path):
    import httpx

    port = _free_port()
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "server-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
                               str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.time() + 150
        while time.time() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("the Prefect server did not start")
        yield url
    finally:
        for p in [*psutil.Process(server.pid).children(recursive=True), psutil.Process(server.pid)]:
            p.terminate()
        psutil.wait_procs([server], timeout=30)


def _states(url: str) -> tuple[bool, Counter]:
    """The deployment's paused flag and its runs by state, read through the server's REST API (this
    process's own Prefect settings point elsewhere: the flow tests' harness)."""
    import httpx

    d = httpx.get(f"{url}/deployments/name/dechaff-ingest/dechaff-ingest", timeout=10)
    d.raise_for_status()
    dep = d.json()
    runs = httpx.post(f"{url}/flow_runs/filter", timeout=10,
                      json={"deployments": {"id": {"any_": [dep["id"]]}}, "limit": 200}).json()
    return dep["paused"], Counter(r["state"]["name"] for r in runs)


def _serve(url, tmp_path, raw, out):
    env = dict(os.environ, PREFECT_API_URL=url, PREFECT_HOME=str(tmp_path / "client-home"), PREFECT_LOGGING_LEVEL="INFO")
    return subprocess.Popen([sys.executable, "-m", "dechaff_flows.cli", "serve", "--interval", "3", "--raw", str(raw),
                             "--out", str(out)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _until(cond, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_serve_stops_cleanly_and_restarts(prefect_server, tmp_path, sample_raw):
    out = tmp_path / "out"
    serve = _serve(prefect_server, tmp_path, sample_raw, out)
    running_max = 0

    def completed(n: int):
        nonlocal running_max
        try:
            _paused, c = _states(prefect_server)
        except Exception:  # noqa: BLE001 - the deployment is not registered yet
            return False
        running_max = max(running_max, c["Running"])
        return c["Completed"] >= n

    _until(lambda: completed(2), 150, "two completed runs")
    children = psutil.Process(serve.pid).children(recursive=True)
    serve.send_signal(signal.SIGTERM)
    _out, err = serve.communicate(timeout=60)
    assert serve.returncode == 143, err
    assert "paused the schedule" in err and "Traceback" not in err
    paused, c = _states(prefect_server)
    assert paused and c["Scheduled"] == 0 and c["Late"] == 0 and c["Running"] == 0
    assert running_max <= 1
    assert not psutil.wait_procs(children, timeout=15)[1]
    # the runs told Prefect what they did: their summary is in their stored logs, under a name that says what ran
    import httpx

    runs = httpx.post(f"{prefect_server}/flow_runs/filter", json={"limit": 50}, timeout=10).json()
    done = [r for r in runs if r["state"]["name"] == "Completed"]
    assert done and all(r["name"].startswith("ingest ") and str(out) in r["name"] for r in done)
    logs = httpx.post(f"{prefect_server}/logs/filter", timeout=10,
                      json={"logs": {"flow_run_id": {"any_": [r["id"] for r in done]}}, "limit": 200}).json()
    messages = [x["message"] for x in logs]
    assert any(m.startswith("documents: ") for m in messages) and any(m.startswith("shard 1 of") for m in messages)
    time.sleep(8)  # serve is down: nothing is scheduled, nothing turns Late
    paused, c2 = _states(prefect_server)
    assert paused and c2["Scheduled"] == 0 and c2["Late"] == 0
    # a restart resumes the schedule
    before = c["Completed"]
    serve = _serve(prefect_server, tmp_path, sample_raw, out)
    _until(lambda: completed(before + 1), 150, "a run after the restart")
    assert not _states(prefect_server)[0]
    serve.send_signal(signal.SIGINT)
    _out, err = serve.communicate(timeout=60)
    assert serve.returncode == 130, err
    assert _states(prefect_server)[0]  # paused again
    assert running_max <= 1
