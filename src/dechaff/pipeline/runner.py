"""The one runner of a run: plan, shards, finalize, under the output lock. ``dechaff run --local`` and
``dechaff.run()`` call it with the steps as plain functions; the Prefect flows call it with the same
steps as tasks (``flows/ingest.py``), so both paths run one sequence of steps."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from dechaff.config import Config
from dechaff.pipeline.finalize import finalize_run
from dechaff.pipeline.plan import plan_run
from dechaff.pipeline.shard import process_shard
from dechaff.pipeline.types import RunPlan, RunSummary
from dechaff.store import OutputDir

PlanStep = Callable[[Path, Path, Config], tuple[RunPlan, list[str]]]
ShardsStep = Callable[[RunPlan, Config], list[str]]  # every shard of the plan processed: their staging paths
FinalizeStep = Callable[[RunPlan, list[str], Config, float, list[str]], RunSummary]


def shards_in_turn(plan: RunPlan, config: Config,
                   progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Every shard of the plan, one after the other in this process."""
    paths = []
    for i in range(len(plan.shards)):
        paths.append(process_shard(plan, i, config).path)
        if progress:
            progress(i + 1, len(plan.shards))
    return paths


def run(raw_dir: Path, out_dir: Path, config: Config, *, plan_step: PlanStep = plan_run,
        shards_step: ShardsStep = shards_in_turn, finalize_step: FinalizeStep = finalize_run,
        on_plan: Callable[[RunPlan, list[str]], None] | None = None) -> RunSummary:
    """Plan, process every shard, finalize, with the output lock held throughout."""
    t0 = time.time()
    with OutputDir(Path(out_dir)).lock(config.lock_wait_seconds):
        plan, recovered = plan_step(Path(raw_dir), Path(out_dir), config)
        if on_plan is not None:
            on_plan(plan, recovered)
        paths = shards_step(plan, config)
        return finalize_step(plan, paths, config, t0, recovered)


def run_local(raw_dir: Path, out_dir: Path, config: Config | None = None,
              progress: Callable[[int, int], None] | None = None) -> RunSummary:
    """One run without Prefect (tests, library use): plan, every shard in turn, finalize."""
    return run(raw_dir, out_dir, config or Config(),
               shards_step=lambda plan, cfg: shards_in_turn(plan, cfg, progress))
