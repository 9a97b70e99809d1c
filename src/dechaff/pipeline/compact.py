"""Compaction: merge the part files of each table into parts of about a target size.

Scheduled ingestion writes a part per table per run (96 runs a day is 100,000 files a year); readers and
file systems prefer fewer, larger files. :func:`compact` rewrites each table's parts, in their order, into
parts of about ``target_mb`` (measured on the input parts' sizes on disk) named
``part-<seq>-compact-<id>-<k>.parquet``: ``<seq>`` is the compaction's own, after every run it merges and
before any later run, so the name order stays the ingestion order. The new parts replace the old ones
through the manifest, as a run's do (all or nothing), under the output lock; the rows, and their order,
are the same before and after. Later runs, ``keep = "longest"`` rewrites and ``explain`` see the compacted
parts as any other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from dechaff.store.atomic import write_parquet_tmp
from dechaff.store.manifest import StateError
from dechaff.store.output import OutputDir
from dechaff.store.schemas import TABLES


@dataclass
class CompactSummary:
    compaction_id: str = ""
    parts_before: dict[str, int] = field(default_factory=dict)
    parts_after: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        if not self.compaction_id:
            return ["nothing to compact: every table has one part"]
        return [f"compaction {self.compaction_id}: "
                + ", ".join(f"{t} {self.parts_before[t]} -> {self.parts_after[t]} parts ({self.rows[t]:,} rows)"
                            for t in self.parts_before),
                f"seconds: {self.seconds:.1f}"]


def _groups(paths: list[Path], target: int) -> list[list[Path]]:
    """Consecutive parts whose sizes add up to about ``target`` bytes (at least one part each)."""
    groups: list[list[Path]] = [[]]
    size = 0
    for p in paths:
        if groups[-1] and size + p.stat().st_size > target:
            groups.append([])
            size = 0
        groups[-1].append(p)
        size += p.stat().st_size
    return groups


def compact(out_dir: Path, target_mb: float = 256, lock_wait_seconds: float = 0.0) -> CompactSummary:
    """Merge each table's parts into parts of about ``target_mb`` MB; see the module docstring."""
    from dechaff.pipeline.plan import prepare_output
    from dechaff.pipeline.types import new_run_id

    t0 = time.time()
    out = OutputDir(Path(out_dir))
    if not out.manifest_path.exists():
        raise StateError(f"{out_dir} holds no dechaff output (no {out.manifest_path.name})")
    target = max(int(target_mb * (1 << 20)), 1)
    with out.lock(lock_wait_seconds):
        prepare_output(out)
        m = out.read_manifest()
        summary = CompactSummary()
        by_table = {t: [p for p in m.parts if p.split("/")[0] == t] for t in TABLES}
        if all(len(ps) <= 1 for ps in by_table.values()):
            return summary
        cid = f"compact-{new_run_id()}"
        seq = m.next_seq
        renames: list[tuple[Path, Path]] = []
        new_parts: list[str] = []
        for table, parts in by_table.items():
            summary.parts_before[table] = len(parts)
            summary.rows[table] = 0
            k = 0
            for group in _groups([out.root / p for p in parts], target) if parts else []:
                df = pl.concat([pl.read_parquet(p) for p in group], how="vertical")
                final = out.table_dir(table) / f"part-{seq:06d}-{cid}-{k:04d}.parquet"
                renames.append((write_parquet_tmp(df, final), final))
                new_parts.append(f"{table}/{final.name}")
                summary.rows[table] += df.height
                k += 1
            summary.parts_after[table] = k
        merged = set(m.parts)
        runs = [dict(r, parts=[p for p in r.get("parts", []) if p not in merged]) for r in m.runs]
        runs.append({"run_id": cid, "seq": seq, "finished_at": datetime.now(UTC).isoformat(), "parts": new_parts,
                     "compaction": {"parts_before": summary.parts_before, "parts_after": summary.parts_after}})
        m.runs, m.next_seq = runs, seq + 1
        out.commit(m, renames)
        out.recover()  # deletes the merged parts, which the manifest no longer names
        summary.compaction_id = cid
        summary.seconds = time.time() - t0
        return summary
