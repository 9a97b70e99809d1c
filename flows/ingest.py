"""The Prefect flows: a one-off cleanup and the scheduled ingestion. Thin wiring: every step is a call
into :mod:`dechaff.pipeline`; tasks are coarse (one plan, one per shard of raw files, one commit) and
return paths and counts."""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from dechaff.config import Config
from dechaff.pipeline import RunPlan, RunSummary, ShardResult, finalize_run, plan_run, process_shard
from dechaff.state import OutputDir


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(raw_dir: str, out_dir: str, config: Config) -> tuple[RunPlan, list[str]]:
    return plan_run(Path(raw_dir), Path(out_dir), config)


@task(name="read-and-strip-shard", cache_policy=NO_CACHE)
def shard_task(plan: RunPlan, shard_no: int, config: Config) -> ShardResult:
    return process_shard(plan, shard_no, config)


@task(name="dedup-and-commit", cache_policy=NO_CACHE)
def commit_task(plan: RunPlan, shard_paths: list[str], config: Config, started: float,
                recovered: list[str]) -> RunSummary:
    return finalize_run(plan, shard_paths, config, started=started, recovered=recovered)


def _run(raw_dir: str, out_dir: str, config: Config, progress: bool) -> dict:
    t0 = time.time()
    out = OutputDir(Path(out_dir))
    with out.lock(config.lock_wait_seconds):
        plan, recovered = plan_task(raw_dir, out_dir, config)
        futures = [shard_task.submit(plan, i, config) for i in range(len(plan.shards))]
        results: dict[int, ShardResult] = {}
        bar = _progress_bar(len(futures)) if progress and futures else None
        index = {f: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures):
                results[index[fut]] = fut.result()
                if bar is not None:
                    bar[0].advance(bar[1])
        finally:
            if bar is not None:
                bar[0].stop()
        paths = [results[i].path for i in range(len(futures))]
        summary = commit_task(plan, paths, config, t0, recovered)
    _publish(summary, raw_dir, out_dir)
    for line in summary.recovered:
        get_run_logger().warning("recovery: %s", line)
    return summary.to_dict()


def _progress_bar(total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    p = Progress(TextColumn("reading and stripping"), BarColumn(), MofNCompleteColumn(), TextColumn("shards"),
                 TimeElapsedColumn(), transient=False)
    p.start()
    return p, p.add_task("shards", total=total)


def _publish(s: RunSummary, raw_dir: str, out_dir: str) -> None:
    rows = [{"reason": k, "removed": v} for k, v in s.removed_by_reason.items()]
    create_table_artifact(rows or [{"reason": "(none)", "removed": 0}], key="dechaff-removals",
                          description=f"Removals by reason, run {s.run_id}")
    md = [f"# dechaff run {s.run_id}", "", f"`{raw_dir}` -> `{out_dir}`", ""] + [f"- {ln}" for ln in s.lines()]
    create_markdown_artifact("\n".join(md), key="dechaff-run-summary", description="dechaff run summary")


@flow(name="dechaff-cleanup", log_prints=True)
def cleanup_flow(raw_dir: str = "raw", out_dir: str = "clean", config_path: str | None = None,
                 keep_comments: bool | None = None, lock_wait_seconds: float | None = None,
                 progress: bool = False) -> dict:
    """One-off cleanup of a folder: everything under ``raw_dir`` not ingested yet goes to ``out_dir``."""
    cfg = Config.load(Path(config_path) if config_path else None, keep_comments=keep_comments,
                      lock_wait_seconds=lock_wait_seconds)
    return _run(raw_dir, out_dir, cfg, progress)


@flow(name="dechaff-ingest", log_prints=True)
def ingest_flow(raw_dir: str = "raw", out_dir: str = "clean", config_path: str | None = None) -> dict:
    """Scheduled ingestion: the new files under ``raw_dir`` are cleaned and deduplicated against the
    whole corpus already in ``out_dir``. A run that finds another one still writing waits for it."""
    cfg = Config.load(Path(config_path) if config_path else None)
    if cfg.lock_wait_seconds == 0:
        from dataclasses import replace

        cfg = replace(cfg, lock_wait_seconds=600.0)
    return _run(raw_dir, out_dir, cfg, progress=False)
