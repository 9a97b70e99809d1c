"""``dechaff repair``: bring a damaged output folder back to a state runs can build on, and say what was lost.

What can be rebuilt is rebuilt from the tables, which are the corpus: the manifest (from the parts on
disk, when it is gone), the dedup index (from the corpus's kept paragraphs), the ledger of inputs that
are files of their own (text and HTML: their content hash is the file's), and the site templates (from the
``boilerplate`` rows of ``removed/``). What cannot is said: rows of parts that are missing or unreadable,
the ledger rows of containers (JSONL, WARC, Parquet: the tables hold their records' hashes, not the
file's, so the next run reads them again and finds their paragraphs duplicates of what is here), the
boilerplate counts and document profiles (they start again), and which kept paragraphs other documents
copied (duplicate documents of a copy are found again only through the paragraphs themselves).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from dechaff.boilerplate import BoilerplateState, text_keys
from dechaff.config import Config
from dechaff.dedup import DedupIndex, tokenize
from dechaff.dedup.minhash import keys_of
from dechaff.dedup.store import EntryShingles
from dechaff.dedup.types import clip
from dechaff.readers import SUPPORTED, site_of
from dechaff.store.atomic import STATE_SUFFIX, atomic_write_parquet
from dechaff.store.manifest import TABLE_DIRS, Manifest, StateError
from dechaff.store.output import OutputDir
from dechaff.store.schemas import TABLES


@dataclass
class RepairReport:
    rebuilt: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.rebuilt and not self.lost:
            return ["nothing to repair: every committed file is present with its committed checksum"]
        return [*(f"rebuilt: {x}" for x in self.rebuilt), *(f"lost: {x}" for x in self.lost)]


def repair(out_dir: Path, config: Config | None = None, lock_wait_seconds: float = 0.0) -> RepairReport:
    config = config or Config()
    out = OutputDir(Path(out_dir))
    if not out.root.is_dir():
        raise StateError(f"{out_dir} does not exist")
    report = RepairReport()
    with out.lock(lock_wait_seconds):
        if not out.manifest_path.exists():
            m = _manifest_from_parts(out, report)
        else:
            out.recover()
            m = out.read_manifest()
        problems = {p.split(":")[0] for p in out.check(checksums=True)}
        if not problems and out.manifest_path.exists():
            return report
        _drop_bad_parts(out, m, problems, report)
        state_bad = any(p.startswith("_state/") and not p.startswith("_state/index/") for p in problems)
        index_bad = any(p.startswith("_state/index/") for p in problems)
        seq = m.next_seq
        if index_bad or not out.manifest_path.exists():
            _rebuild_index(out, m, config, seq, report)
        if state_bad or not out.manifest_path.exists():
            _rebuild_ledger(out, m, seq, report)
            _rebuild_boilerplate(out, m, seq, report)
        m.runs.append({"run_id": f"repair-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}", "seq": seq,
                       "finished_at": datetime.now(UTC).isoformat(), "parts": [],
                       "repair": {"rebuilt": report.rebuilt, "lost": report.lost}})
        m.next_seq = seq + 1
        m.files = {}
        out.commit(m, [])
        out.recover()
    return report


def _manifest_from_parts(out: OutputDir, report: RepairReport) -> Manifest:
    parts = [f"{t}/{f.name}" for t in TABLE_DIRS for f in sorted(out.table_dir(t).glob("part-*.parquet"))]
    seqs = [int(p.split("/")[1].split("-")[1]) for p in parts if p.split("/")[1].split("-")[1].isdigit()]
    m = Manifest(runs=[{"run_id": "recovered-parts", "seq": 0, "finished_at": "", "parts": parts}],
                 next_seq=max(seqs, default=0) + 1)
    report.rebuilt.append(f"the manifest, from {len(parts)} parts on disk (the run history is gone)")
    return m


def _drop_bad_parts(out: OutputDir, m: Manifest, problems: set[str], report: RepairReport) -> None:
    for r in m.runs:
        keep = []
        for p in r.get("parts", []):
            path = out.root / p
            ok = path.exists()
            if ok and p in problems:  # another checksum: kept if it still reads as its table
                try:
                    ok = list(pl.read_parquet(path).columns) == list(TABLES[p.split("/")[0]])
                except Exception:  # noqa: BLE001 - whatever polars says of a damaged file
                    ok = False
            if ok:
                keep.append(p)
            else:
                report.lost.append(f"{p} ({'unreadable' if path.exists() else 'missing'}): its rows")
                path.unlink(missing_ok=True)
        r["parts"] = keep


def _table(out: OutputDir, m: Manifest, table: str) -> pl.DataFrame:
    files = [out.root / p for p in m.parts if p.startswith(f"{table}/")]
    if not files:
        return pl.DataFrame(schema=TABLES[table])
    return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")


def _rebuild_index(out: OutputDir, m: Manifest, config: Config, seq: int, report: RepairReport) -> None:
    params = config.dedup
    corpus = _table(out, m, "corpus")
    metas: list[tuple[str, int, str]] = []
    for doc_id, idxs, text in corpus.select("doc_id", "kept_paragraphs", "text").iter_rows():
        metas.extend((doc_id, i, t) for i, t in zip(idxs, text.split("\n\n"), strict=False))
    tok = tokenize([clip(t, params) for _, _, t in metas])  # (as a run's dedup chunk reads them)
    elig = np.flatnonzero(tok.n_words >= max(params.min_words, 1))
    index = DedupIndex(params)
    keys = keys_of(tok, elig, params)
    short = [metas[k] for k in np.flatnonzero((tok.n_words > 0) & (tok.n_words < params.min_words)).tolist()]
    index.add_pending(keys, tok.fp[elig], [metas[k] for k in elig.tolist()], short,
                      EntryShingles.of_tokens(tok, elig, params))
    seg = f"_state/index/seg-{seq:06d}-repair"
    index.write_pending(out.root / seg)
    m.index_segments, m.index_size, m.index_params = [seg], index.size, params.signature_fields()
    report.rebuilt.append(f"the dedup index, from the corpus's {len(metas):,} kept paragraphs ({index.size:,} entries)")
    report.lost.append("which kept paragraphs later documents copied (a copy of a copy is found through its "
                       "paragraphs only), and keep = \"longest\" replacements of earlier runs")


def _rebuild_ledger(out: OutputDir, m: Manifest, seq: int, report: RepairReport) -> None:
    rows: dict[str, dict] = {}
    n_containers = 0
    # (documents left with nothing are only in removed/, which holds no source or hash: read again)
    for doc_id, source, sha in _table(out, m, "corpus").select("doc_id", "source", "content_sha256").iter_rows():
        if not source.lower().endswith(SUPPORTED) or source.startswith(("http:", "https:")):
            n_containers += 1  # (a record: file.jsonl:LINE, file.parquet#ROW, a WARC record's URL)
            continue
        rows.setdefault(source, {"source": source, "content_sha256": sha, "status": "ingested",
                                 "n_documents": 0, "doc_ids": [], "run_id": "repair"})
        rows[source]["n_documents"] += 1
        rows[source]["doc_ids"].append(doc_id)
    name = f"_state/ledger-{seq:06d}{STATE_SUFFIX}"
    atomic_write_parquet(pl.DataFrame(list(rows.values()), schema={
        "source": pl.String, "content_sha256": pl.String, "status": pl.String, "n_documents": pl.Int64,
        "doc_ids": pl.List(pl.String), "run_id": pl.String}), out.root / name)
    m.ledger = name
    report.rebuilt.append(f"the ledger of {len(rows):,} inputs that are files of their own")
    report.lost.append(f"the ledger rows of container inputs ({n_containers:,} records of JSONL, WARC or Parquet "
                       "files) and of rejected inputs: the next run reads them again (their paragraphs are then "
                       "duplicates of what is here)")


def _rebuild_boilerplate(out: OutputDir, m: Manifest, seq: int, report: RepairReport) -> None:
    removed = _table(out, m, "removed").filter(pl.col("reason") == "boilerplate")
    corpus = _table(out, m, "corpus").select("doc_id", "source", "url")
    sites = {d: site_of(u, str(Path(s).parent) if "/" in s else "") for d, s, u in corpus.iter_rows()}
    state = BoilerplateState.empty()
    for doc_id, text, evidence in removed.select("doc_id", "text", "evidence").iter_rows():
        (key,) = text_keys(sites.get(doc_id, ""), [text])
        if key:
            state.templates.setdefault(key, evidence)
    for suffix, frame in (("", state.counts.frame()), ("-templates", state.templates_frame()),
                          ("-docs", state.profiles_frame())):
        name = f"_state/boilerplate{suffix}-{seq:06d}{STATE_SUFFIX}"
        atomic_write_parquet(frame, out.root / name)
        setattr(m, {"": "boilerplate", "-templates": "boilerplate_templates", "-docs": "boilerplate_docs"}[suffix],
                [name] if suffix == "-docs" else name)
    report.rebuilt.append(f"{len(state.templates):,} site templates, from removed/'s boilerplate rows")
    report.lost.append("the repeat counts and document profiles of the boilerplate stage (they start again)")
