"""What a run hands from step to step: the plan, a shard's result, the summary."""

from __future__ import annotations

import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dechaff.readers import RawInput, Span
from dechaff.store import OutputDir


class RawDirMissing(Exception):
    pass


@dataclass
class RunPlan:
    run_id: str
    seq: int
    raw_dir: str
    out_dir: str
    # (relative path, sha256, piece): piece None for a whole input, k for the k-th piece of one in ``pieces``
    shards: list[list[tuple[str, str, int | None]]]
    n_inputs: int
    n_known: int
    pre_rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (source, error, sha256)
    paths: dict[str, str] = field(default_factory=dict)  # shown name -> hex bytes of a name not in UTF-8
    # inputs a previous run was reading when it died (sha -> its run id): read in a child process
    suspects: dict[str, str] = field(default_factory=dict)
    # size and mtime (ns) of every input as listed, for the ledger (rel -> (size, mtime_ns))
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)
    # known content under a path, size or mtime the ledger lacks (moved, copied, touched): ledger rows
    # with status "seen", so that the next run knows it unread
    restat: list[tuple[str, str]] = field(default_factory=list)
    # large plain JSONL inputs cut into pieces, each read by a shard of its own: rel -> (start byte, end
    # byte, number of the first line) of every piece
    pieces: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)

    def input_path(self, rel: str) -> Path:
        real = os.fsdecode(bytes.fromhex(self.paths[rel])) if rel in self.paths else rel
        return Path(self.raw_dir) / real

    def raw_input(self, rel: str, piece: int | None) -> RawInput:
        """The input as a shard reads it: whole, or its ``piece``."""
        if piece is None:
            return RawInput(self.input_path(rel), rel)
        start, end, line = self.pieces[rel][piece]
        size, mtime = self.stats[rel]
        return RawInput(self.input_path(rel), rel, Span(start, end, line, size, mtime))

    @property
    def staging(self) -> Path:
        return OutputDir(Path(self.out_dir)).staging_root / self.run_id

    @property
    def n_new(self) -> int:
        return len({rel for s in self.shards for rel, _sha, _k in s})


@dataclass
class ShardResult:
    path: str
    n_files: int
    n_documents: int
    n_rejected: int


@dataclass
class RunSummary:
    run_id: str
    inputs_seen: int = 0
    inputs_already_ingested: int = 0
    inputs_new: int = 0
    inputs_rejected: int = 0
    records_rejected: int = 0
    documents_read: int = 0
    documents_kept: int = 0
    documents_emptied: int = 0
    paragraphs_read: int = 0
    paragraphs_kept: int = 0
    earlier_paragraphs_replaced: int = 0  # keep = "longest": removed from earlier runs' corpus parts
    removed_by_reason: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    # seconds of the finalize step (boilerplate, dedup, write, commit: one process) and, with the index's
    # band tables on a cluster's workers, how long it waited on them and how long the busiest was busy
    steps: dict[str, float] = field(default_factory=dict)
    recovered: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what went wrong and was worked around (no data lost)

    def to_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        rm = ", ".join(f"{k} {v}" for k, v in sorted(self.removed_by_reason.items())) or "none"
        return [
            f"run {self.run_id}: {self.inputs_seen} raw inputs, {self.inputs_already_ingested} already ingested, "
            f"{self.inputs_new} new",
            f"documents: {self.documents_read} read, {self.documents_kept} kept, "
            f"{self.documents_emptied} left empty (all paragraphs removed)",
            f"rejected: {self.inputs_rejected} inputs, {self.records_rejected} records inside containers",
            f"paragraphs: {self.paragraphs_read} read, {self.paragraphs_kept} kept; removed rows by reason: {rm}",
            *([f"earlier runs: {self.earlier_paragraphs_replaced} kept paragraphs replaced by longer copies"]
              if self.earlier_paragraphs_replaced else []),
            f"seconds: {self.seconds:.1f}" + (" (" + ", ".join(f"{k} {v:.1f}" for k, v in self.steps.items()) + ")"
                                              if self.steps else ""),
            *(f"warning: {w}" for w in self.warnings),
        ]


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
