"""A run, as named steps the Prefect flows call as tasks and the Prefect-free path calls directly:
``plan`` (under the output lock: recovery, the inputs not ingested yet, shards), ``shard`` (read,
extract, chrome; the parallel part), ``finalize`` (templates, dedup, write, commit), ``rewrite`` (the
keep-longest rewrite of earlier parts), ``runner`` (the one sequence both paths run). ``compact`` and
``repair`` maintain a committed output folder.
"""

from __future__ import annotations

from dechaff.pipeline.finalize import finalize_run
from dechaff.pipeline.plan import plan_run, prepare_output
from dechaff.pipeline.runner import run, run_local, shards_in_turn
from dechaff.pipeline.shard import process_shard
from dechaff.pipeline.types import RawDirMissing, RunPlan, RunSummary, ShardResult, new_run_id

__all__ = [
    "RawDirMissing",
    "RunPlan",
    "RunSummary",
    "ShardResult",
    "finalize_run",
    "new_run_id",
    "plan_run",
    "prepare_output",
    "process_shard",
    "run",
    "run_local",
    "shards_in_turn",
]
