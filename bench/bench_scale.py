#!/usr/bin/env python3
"""Scale: a synthetic corpus of N paragraphs (default 1,000,000) through the whole pipeline.

Generates documents of 10 paragraphs as JSONL files in a raw directory: realistic text by default (a
word Markov chain of order 2 over the WCXB dev set's main content, with its paragraph lengths: median 6
words, mean 15), or ``--text letters`` (~60 random-letter words from a 20k vocabulary, the figures before
2026-12-02); 15% of paragraphs copied (exact or with a few words moved) from earlier documents. It runs the pipeline once (``run_local``: the functions the flow's tasks call, without
Prefect), and prints wall time, peak RSS, and the RAM the persisted dedup index takes per paragraph.

    python bench/bench_scale.py [--paragraphs 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _markov(shared: Path):
    """A word-level Markov chain of order 2 over the WCXB dev set's main-content text: its transitions
    (CSR: ``dst[off[s]:off[s]+cnt[s]]`` are the states that follow state ``s``), the word each state ends
    with, and the lengths (words) of the real paragraphs."""
    truth = json.loads((shared / "data" / "wcxb-dev" / "ground-truth.json").read_text(encoding="utf-8"))
    paras = [p.split() for v in truth.values() for p in re.split(r"\n+", v["articleBody"]) if p.strip()]
    vocab = {"": 0}
    ids: list[int] = []
    for p in paras:
        ids += [0, 0]
        ids.extend(vocab.setdefault(w, len(vocab)) for w in p)
    ids.append(0)
    a = np.array(ids, dtype=np.int64)
    n_words = len(vocab)
    states, sid = np.unique(a[:-1] * n_words + a[1:], return_inverse=True)
    order = np.argsort(sid[:-1], kind="stable")
    dst = sid[1:][order]
    cnt = np.bincount(sid[:-1], minlength=len(states))
    off = np.concatenate([[0], np.cumsum(cnt)[:-1]])
    words = np.array(list(vocab), dtype=object)
    return words, states % n_words, dst, cnt, off, int(np.searchsorted(states, 0)), np.array([len(p) for p in paras])


class _Paragraphs:
    """Fresh paragraphs: Markov text with the real paragraphs' length distribution (``markov``), or
    ~60 random-letter words from a 20k vocabulary (``letters``, the figures before 2026-12-02)."""

    def __init__(self, kind: str, shared: Path, rng: np.random.Generator) -> None:
        self.kind, self.rng, self.buf = kind, rng, []
        if kind == "markov":
            self.model = _markov(shared)
        else:
            letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
            self.vocab = np.array(["".join(letters[rng.integers(0, 26, size=int(rng.integers(2, 10)))])
                                   for _ in range(20_000)])

    def take(self) -> str:
        if not self.buf:
            self.buf = self._batch(20_000)[::-1]
        return self.buf.pop()

    def _batch(self, n: int) -> list[str]:
        rng = self.rng
        if self.kind != "markov":
            words = self.vocab[rng.integers(0, len(self.vocab), size=(n, 60))]
            return [" ".join(w) + "." for w in words]
        words, last, dst, cnt, off, start, real = self.model
        lens = real[rng.integers(0, len(real), size=n)]
        chains = 2_000
        steps = int(lens.sum() * 1.3) // chains + 1   # (the chain's paragraph ends are dropped)
        s = np.full(chains, start)
        out = np.empty((steps, chains), dtype=np.int64)
        for i in range(steps):
            s = np.where(cnt[s] == 0, start, s)
            s = dst[off[s] + (rng.random(chains) * cnt[s]).astype(np.int64)]
            out[i] = last[s]
        stream = out.T.ravel()
        stream = words[stream[stream != 0]]
        cut = np.concatenate([[0], np.cumsum(lens)])
        return [" ".join(stream[cut[i]:cut[i + 1]]) for i in range(n) if cut[i + 1] <= len(stream)]


def generate(raw: Path, n_par: int, kind: str = "markov", shared: Path | None = None, seed: int = 5) -> int:
    rng = np.random.default_rng(seed)
    fresh = _Paragraphs(kind, shared or ROOT.parent / "shared", rng)
    per_doc, per_file = 10, 10_000
    n_docs = n_par // per_doc
    raw.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    copies = 0
    f = None
    for d in range(n_docs):
        if d % per_file == 0:
            if f:
                f.close()
            f = open(raw / f"part-{d // per_file:04d}.jsonl", "w", encoding="utf-8")  # noqa: SIM115
        paras = []
        for _ in range(per_doc):
            if made and rng.random() < 0.15:
                src = made[int(rng.integers(0, len(made)))].split()
                if rng.random() < 0.5:
                    for _ in range(3):
                        src[int(rng.integers(0, len(src)))] = src[int(rng.integers(0, len(src)))]
                paras.append(" ".join(src))
                copies += 1
            else:
                p = fresh.take()
                paras.append(p)
                if len(made) < 200_000 and len(p.split()) >= 8:
                    made.append(p)
        f.write(json.dumps({"id": f"d{d:07d}", "text": "\n\n".join(paras)}) + "\n")
    if f:
        f.close()
    return copies


def _rss() -> str:
    with open("/proc/self/status") as f:
        st = dict(ln.split(":", 1) for ln in f)
    return f"RSS {int(st['VmRSS'].split()[0]) >> 10:,} MiB, peak so far {int(st['VmHWM'].split()[0]) >> 10:,} MiB"


def _watch_phases() -> None:
    """Print the memory and the time since the run started after the shard tasks, the template pass,
    the dedup-and-write pass and the commit."""
    import dechaff.pipeline.finalize as fin
    import dechaff.pipeline.runner as runner

    t0 = time.perf_counter()

    def wrap(mod, name: str, label: str, before: bool = False) -> None:
        real = getattr(mod, name)

        def say() -> None:
            print(f"  {label} ({time.perf_counter() - t0:,.0f} s): {_rss()}", flush=True)

        def f(*args, **kw):
            if before:
                say()
            out = real(*args, **kw)
            if not before:
                say()
            return out
        setattr(mod, name, f)

    wrap(runner, "shards_in_turn", "after the shard tasks")
    wrap(fin, "find_templates", "after the template pass")
    wrap(fin, "write_tables", "after the dedup and write passes", before=True)
    wrap(fin, "commit", "after the state files, before the commit", before=True)


@contextlib.contextmanager
def _dask_cluster(workers: int) -> Iterator[str]:
    """A real Dask cluster on this machine: a ``dask scheduler`` and ``workers`` single-threaded ``dask
    worker`` processes, as on several machines (stopped at the end); yields its address."""
    import os
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--no-dashboard"], **quiet)]
    try:
        procs += [subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", "--nworkers",
                                    "1", "--no-dashboard", "--local-directory", tempfile.mkdtemp()], **quiet)
                  for _ in range(workers)]
        from distributed import Client

        for _ in range(60):
            try:
                with Client(address, timeout=10) as c:
                    c.wait_for_workers(workers, timeout=120)
                break
            except OSError:
                time.sleep(1)
        yield address
    finally:
        for p in procs[::-1]:
            p.terminate()
            p.wait(timeout=60)


def _flow_run(work: Path, workers: int, runner: str = "processes"):
    """The cleanup flow (as `dechaff run --runner processes|dask` runs it), its temporary Prefect server
    started by a first empty run that is not timed; with dask, on a real cluster of ``workers`` worker
    processes started here (their start-up not timed either). Returns the summary, the wall time and,
    with dask, each worker's peak RSS in MiB."""
    import os

    os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="dechaff-bench-prefect-"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "60")
    sys.path.insert(0, str(ROOT))
    from prefect.task_runners import ProcessPoolTaskRunner

    from dechaff.pipeline.types import RunSummary
    from flows.ingest import cleanup_flow, one_server_for_all_processes

    with contextlib.ExitStack() as stack:
        stack.enter_context(one_server_for_all_processes())  # as `dechaff run --runner processes|dask` does
        if runner == "dask":
            from prefect_dask import DaskTaskRunner

            address = stack.enter_context(_dask_cluster(workers))
            flow = cleanup_flow.with_options(task_runner=DaskTaskRunner(address=address))
        else:
            flow = cleanup_flow.with_options(task_runner=ProcessPoolTaskRunner(max_workers=workers))
        (work / "empty").mkdir(exist_ok=True)
        flow(raw_dir=str(work / "empty"), out_dir=str(work / "empty-out"))  # (server start-up)
        t0 = time.perf_counter()
        out = flow(raw_dir=str(work / "raw"), out_dir=str(work / "clean"))
        wall = time.perf_counter() - t0
        peaks: list[int] = []
        if runner == "dask":  # (each worker's peak, asked before the cluster stops: the flow's is this process's)
            from distributed import Client

            with Client(address) as c:
                peaks = sorted(c.run(_peak_mib).values())
        return RunSummary(**out), wall, peaks


def _peak_mib() -> int:
    with open("/proc/self/status") as f:
        return next(int(ln.split()[1]) >> 10 for ln in f if ln.startswith("VmHWM"))


def _datasketch_loop(raw: Path, limit: int) -> tuple[int, float]:
    """datasketch as its README shows it (word 5-grams, 128 permutations, threshold 0.5), over the first
    ``limit`` paragraphs of the raw files: (paragraphs, seconds)."""
    from datasketch import MinHash, MinHashLSH

    texts: list[str] = []
    for f in sorted(raw.glob("*.jsonl")):
        for line in f.open(encoding="utf-8"):
            texts.extend(json.loads(line)["text"].split("\n\n"))
            if len(texts) >= limit:
                break
        if len(texts) >= limit:
            break
    texts = texts[:limit]
    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for k, t in enumerate(texts):
        w = t.lower().split()
        m = MinHash(num_perm=128)
        m.update_batch(list({" ".join(w[i:i + 5]).encode() for i in range(max(1, len(w) - 4))}))
        lsh.query(m)
        lsh.insert(k, m)
    return len(texts), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paragraphs", type=int, default=1_000_000)
    ap.add_argument("--keep", help="work directory to keep")
    ap.add_argument("--text", choices=("markov", "letters"), default="markov",
                    help="paragraph text: a Markov chain over the WCXB dev text with its paragraph lengths "
                         "(default; needs ../shared), or 60 random-letter words (the figures before 2026-12-02)")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--phases", action="store_true", help="print RSS and peak RSS after each phase of the run")
    ap.add_argument("--runner", choices=("local", "processes", "dask"), default="local",
                    help="local: run_local, every step in this process (one core); processes: the Prefect "
                         "cleanup flow with a ProcessPoolTaskRunner of --workers processes (shard tasks in "
                         "parallel; the flow's own temporary server is started first and not counted); dask: "
                         "the flow on a real Dask cluster started here (a dask scheduler and --workers dask "
                         "worker processes of one thread; needs prefect-dask)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reuse", action="store_true",
                    help="with --keep DIR: run on the raw/ an earlier --keep run generated there (its outputs "
                         "removed first), so that runs compared side by side read the same corpus")
    ap.add_argument("--baseline", type=int, default=50_000, metavar="N",
                    help="time a plain datasketch MinHash + MinHashLSH loop over the first N paragraphs "
                         "(0: not)")
    a = ap.parse_args()
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="dechaff-scale-"))
    if a.generate_only:
        print(generate(work / "raw", a.paragraphs, a.text, a.shared))
        return
    t0 = time.perf_counter()
    if a.reuse:
        if not a.keep or not (work / "copies.txt").exists():
            ap.error("--reuse needs --keep DIR of an earlier --keep run")
        for d in ("clean", "empty", "empty-out"):
            shutil.rmtree(work / d, ignore_errors=True)
    else:  # generated in a child process, so that the peak RSS printed is the pipeline's alone
        made = subprocess.run([sys.executable, __file__, "--generate-only", "--keep", str(work), "--paragraphs",
                               str(a.paragraphs), "--text", a.text, "--shared", str(a.shared)],
                              check=True, capture_output=True, text=True)
        (work / "copies.txt").write_text(made.stdout.split()[-1])
    copies = int((work / "copies.txt").read_text())
    gen = time.perf_counter() - t0

    from dechaff.config import Config
    from dechaff.dedup import DedupIndex
    from dechaff.pipeline import run_local
    from dechaff.store import OutputDir

    if a.phases and a.runner == "local":
        _watch_phases()
    if a.runner != "local":
        s, wall, worker_peaks = _flow_run(work, a.workers, a.runner)
    else:
        t0 = time.perf_counter()
        s = run_local(work / "raw", work / "clean", Config())
        wall = time.perf_counter() - t0
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # (before the index is loaded below)
    m = OutputDir(work / "clean").read_manifest()
    idx = DedupIndex.load(Config().dedup, [work / "clean" / x for x in m.index_segments])
    if a.reuse:
        print(f"the corpus of {work / 'raw'} ({copies:,} planted copies)")
    else:
        print(f"generated {a.paragraphs:,} paragraphs ({copies:,} planted copies) in {gen:.0f} s")
    how = "one process" if a.runner == "local" else f"Prefect flow, {a.workers} {a.runner} worker processes"
    print(f"pipeline ({how}): {wall:.0f} s wall = {s.paragraphs_read / wall:,.0f} paragraphs/s; "
          f"peak RSS {peak:,.0f} MiB (the largest process)")
    if a.runner == "dask":
        print(f"peak RSS of the flow's process {own_peak:,.0f} MiB, "
              f"of each Dask worker {', '.join(f'{p:,}' for p in worker_peaks)} MiB")
    if s.steps:
        print("of which " + ", ".join(f"{k} {v:.0f} s" for k, v in s.steps.items()))
    print(f"removed by reason: {s.removed_by_reason}")
    print(f"dedup index: {idx.size:,} kept paragraphs, {idx.nbytes() / max(idx.size, 1):.0f} bytes each in RAM")
    if a.baseline:
        n, secs = _datasketch_loop(work / "raw", a.baseline)
        print(f"plain datasketch MinHash + MinHashLSH loop, first {n:,} paragraphs: {n / secs:,.0f} paragraphs/s; "
              f"the pipeline end to end is {s.paragraphs_read / wall / (n / secs):.1f}x that")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
