"""The Prefect flows: a one-off cleanup and the scheduled ingestion. Thin wiring: every step is a call
into :mod:`dechaff.pipeline` (its one runner, with these tasks as its steps); tasks are coarse (one plan, one per shard of raw files, one commit) and
return paths and counts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from dechaff.config import Config
from dechaff.dedup import DedupParams
from dechaff.dedup.bands import BandShard, PartitionedBands, band_ranges
from dechaff.pipeline import RunPlan, RunSummary, ShardResult, finalize_run, plan_run, process_shard, run


@contextmanager
def one_server_for_all_processes() -> Iterator[None]:
    """With no ``PREFECT_API_URL``, Prefect starts a temporary server in every process that needs one: the
    flow's, and each process-pool or local Dask worker, which is not told the flow's (8-14 s each here,
    the first shard task waiting for it, and one more server process per worker). The flow's is started
    here and its address set where those workers read it: this process's settings and the environment
    they inherit. A configured server is left alone. The server stops when this process exits."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # (the one Prefect's own client would start in this process)
    server.start()
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(raw_dir: Path, out_dir: Path, config: Config) -> tuple[RunPlan, list[str]]:
    return plan_run(raw_dir, out_dir, config)


@task(name="read-and-strip-shard", cache_policy=NO_CACHE)
def shard_task(plan: RunPlan, shard_no: int, config: Config) -> ShardResult:
    return process_shard(plan, shard_no, config)


@task(name="dedup-and-commit", cache_policy=NO_CACHE)
def commit_task(plan: RunPlan, shard_paths: list[str], config: Config, started: float,
                recovered: list[str]) -> RunSummary:
    warnings: list[str] = []
    with band_shards_on_dask(config.dedup, warnings) as bands:
        return finalize_run(plan, shard_paths, config, started=started, recovered=recovered, bands=bands,
                            warnings=warnings)


# seconds the band shards' actors may take to start (milliseconds on idle workers); a worker lost as they
# start leaves its actor waiting for it for ever (it is bound to that worker): the tables then stay here
ACTORS_START_SECONDS = 120.0


@contextmanager
def band_shards_on_dask(params: DedupParams, warnings: list[str]) -> Iterator[PartitionedBands | None]:
    """On a Dask task runner, the index's band tables, their lookups and the measuring of the pairs
    they find split by band range across the cluster's workers (a ``BandShard`` actor on each: it
    reads the stored index's keys and shingle sets from the output folder, which every worker
    mounts); elsewhere None (the tables stay in this process), and None with a warning appended to
    ``warnings`` if the actors do not start (a worker lost). The actors go when the step ends,
    failed or not."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        DaskTaskRunner = None  # noqa: N806
    if ctx is None or DaskTaskRunner is None or not isinstance(ctx.task_runner, DaskTaskRunner):
        yield None
        return
    client = ctx.task_runner.client
    with client.as_current():  # (an actor's handle calls through the current client)
        workers = sorted(client.scheduler_info()["workers"])
        if not workers:
            yield None
            return
        ranges = band_ranges(params.bands, len(workers))
        futures = [client.submit(BandShard, lo, hi, params, workers=[w], allow_other_workers=False, actor=True, pure=False)
                   for w, (lo, hi) in zip(workers, ranges, strict=False)]
        try:
            try:
                handles = [f.result(timeout=ACTORS_START_SECONDS) for f in futures]
            except Exception as e:  # (a worker lost: the run goes on with the tables here)
                warnings.append(f"the index's band shards did not start on the Dask workers ({type(e).__name__}: "
                                f"{e}); their tables stayed in the finalize process")
                yield None
                return
            get_run_logger().info("index bands on %d Dask workers: %s", len(futures),
                                  ", ".join(f"{lo}-{hi - 1}" for lo, hi in ranges))
            yield PartitionedBands(handles, ranges, params.bands)
        finally:
            client.cancel(futures)


def _run(raw_dir: str, out_dir: str, config: Config, progress: bool) -> dict:
    """The run (the package's one runner, its steps as tasks), told to Prefect as it goes: the plan, each
    shard done, rejections, recovery and the summary are logged at INFO through the run logger (stored
    with the run: `prefect flow-run logs`, the UI), while the console shows warnings only unless --verbose."""
    log = get_run_logger()

    def on_plan(plan: RunPlan, recovered: list[str]) -> None:
        log.info("run %s: %d raw inputs, %d already ingested, %d new in %d shards, %d rejected before reading",
                 plan.run_id, plan.n_inputs, plan.n_known, plan.n_new, len(plan.shards), len(plan.pre_rejected))
        for line in recovered:
            log.warning("recovery: %s", line)

    def shards(plan: RunPlan, cfg: Config) -> list[str]:
        futures = [shard_task.submit(plan, i, cfg) for i in range(len(plan.shards))]
        results: dict[int, ShardResult] = {}
        bar = _progress_bar(len(futures)) if progress and futures else None
        index = {f: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures):
                res = results[index[fut]] = fut.result()
                log.info("shard %d of %d done: %d files, %d documents, %d files rejected", index[fut] + 1,
                         len(futures), res.n_files, res.n_documents, res.n_rejected)
                if bar is not None:
                    bar[0].advance(bar[1])
        finally:
            if bar is not None:
                bar[0].stop()
        return [results[i].path for i in range(len(futures))]

    summary = run(Path(raw_dir), Path(out_dir), config, plan_step=plan_task, shards_step=shards,
                  finalize_step=commit_task, on_plan=on_plan)
    _publish(summary, raw_dir, out_dir)
    for line in summary.lines():
        log.info("%s", line)
    for w in summary.warnings:
        log.warning("%s", w)
    if summary.inputs_rejected or summary.records_rejected:
        log.warning("%d inputs and %d records rejected: see %s/rejected/ (run %s)", summary.inputs_rejected,
                    summary.records_rejected, out_dir, summary.run_id)
    return summary.to_dict()


def output_slug(out_dir: str) -> str:
    """A short key for an output folder (artifact keys: lowercase letters, digits, dashes)."""
    import hashlib
    import re

    full = str(Path(out_dir).resolve())
    name = re.sub(r"[^a-z0-9]+", "-", Path(full).name.lower()).strip("-")[:30] or "out"
    return f"{name}-{hashlib.sha1(full.encode()).hexdigest()[:8]}"


def _progress_bar(total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    p = Progress(TextColumn("reading and stripping"), BarColumn(), MofNCompleteColumn(), TextColumn("shards"),
                 TimeElapsedColumn(), transient=False)
    p.start()
    return p, p.add_task("shards", total=total)


def _publish(s: RunSummary, raw_dir: str, out_dir: str) -> None:
    rows = [{"reason": k, "removed": v} for k, v in s.removed_by_reason.items()]
    slug = output_slug(out_dir)  # (one history per output folder)
    create_table_artifact(rows or [{"reason": "(none)", "removed": 0}], key=f"dechaff-removals-{slug}",
                          description=f"Removals by reason, run {s.run_id}")
    md = [f"# dechaff run {s.run_id}", "", f"`{raw_dir}` -> `{out_dir}`", ""] + [f"- {ln}" for ln in s.lines()]
    create_markdown_artifact("\n".join(md), key=f"dechaff-run-summary-{slug}", description="dechaff run summary")


@flow(name="dechaff-cleanup", log_prints=True, flow_run_name="cleanup {raw_dir} -> {out_dir}")
def cleanup_flow(raw_dir: str = "raw", out_dir: str = "clean", config_path: str | None = None,
                 keep_comments: bool | None = None, lock_wait_seconds: float | None = None,
                 progress: bool = False) -> dict:
    """One-off cleanup of a folder: everything under ``raw_dir`` not ingested yet goes to ``out_dir``."""
    cfg = Config.load(Path(config_path) if config_path else None, keep_comments=keep_comments,
                      lock_wait_seconds=lock_wait_seconds)
    return _run(raw_dir, out_dir, cfg, progress)


@flow(name="dechaff-ingest", log_prints=True, flow_run_name="ingest {raw_dir} -> {out_dir}")
def ingest_flow(raw_dir: str = "raw", out_dir: str = "clean", config_path: str | None = None) -> dict:
    """Scheduled ingestion: the new files under ``raw_dir`` are cleaned and deduplicated against the
    whole corpus already in ``out_dir``. A run that finds another one still writing waits for it."""
    cfg = Config.load(Path(config_path) if config_path else None)
    if cfg.lock_wait_seconds == 0:
        from dataclasses import replace

        cfg = replace(cfg, lock_wait_seconds=600.0)
    return _run(raw_dir, out_dir, cfg, progress=False)
