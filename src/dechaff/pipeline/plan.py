"""The plan of a run (under the output lock): recover the output folder, list the raw inputs not
ingested yet, cut them into shards."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import polars as pl

from dechaff.config import Config
from dechaff.pipeline.types import RawDirMissing, RunPlan, new_run_id
from dechaff.readers import discover, hash_and_split, sha256_file, splittable
from dechaff.store import TABLES, Manifest, OutputDir, StateError, write_parquet_tmp


def plan_run(raw_dir: Path, out_dir: Path, config: Config, run_id: str | None = None) -> tuple[RunPlan, list[str]]:
    """Call with the output lock held. Recovers the output directory, then lists what is new."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise RawDirMissing(f"raw directory {raw_dir} does not exist (or is not a directory)")
    out = OutputDir(out_dir)
    out.ensure()
    recovered = prepare_output(out)
    m = out.read_manifest()
    known, stats = _known_inputs(out, m)
    died_on = _died_on(out)
    run_id = run_id or new_run_id()
    inputs, refused = discover(raw_dir, skip=out_dir)
    shards: list[list[tuple[str, str, int | None]]] = []
    cur: list[tuple[str, str, int | None]] = []
    pieces: dict[str, list[tuple[int, int, int]]] = {}
    cur_bytes = 0
    pre: list[tuple[str, str, str]] = [(r.source, r.error, "") for r in refused]
    paths: dict[str, str] = {}  # inputs whose name is not UTF-8: shown escaped, found by their bytes
    seen: dict[str, str] = {}
    n_known = 0
    limit = int(config.shard_mb * (1 << 20))
    seen_stats: dict[str, tuple[int, int]] = {}
    restat: list[tuple[str, str]] = []
    for item in inputs:
        try:
            st = item.path.stat()
            size, key = st.st_size, (item.rel, st.st_size, st.st_mtime_ns)
            # a file whose path, size and mtime the ledger knows is not read again (rehash_inputs: it is)
            sha = stats.get(key) if not config.rehash_inputs else None
            cuts = [(0, 1)]
            if sha is None and splittable(item) and size > limit:  # (cut into pieces as it is hashed)
                sha, cuts = hash_and_split(item.path, limit)
            elif sha is None:
                sha = sha256_file(item.path)
        except PermissionError:
            pre.append((item.rel, "cannot be read: permission denied", ""))
            continue
        except OSError as e:
            pre.append((item.rel, f"cannot be read: {e.strerror or e}", ""))
            continue
        if sha in known:
            n_known += 1
            if key not in stats:  # moved, copied or touched: remember it as it is now
                seen_stats[item.rel] = key[1:]
                restat.append((item.rel, sha))
            continue
        if sha in seen:
            pre.append((item.rel, f"skipped: same content as {seen[sha]}, which is ingested in this run", sha))
            continue
        seen[sha] = item.rel
        seen_stats[item.rel] = key[1:]
        real = item.path.relative_to(raw_dir).as_posix()
        if real != item.rel:
            paths[item.rel] = os.fsencode(real).hex()
        if len(cuts) > 1:  # a large plain JSONL: a shard for each piece, in order
            if cur:
                shards.append(cur)
                cur, cur_bytes = [], 0
            ends = [start for start, _line in cuts[1:]] + [size]
            pieces[item.rel] = [(start, end, line) for (start, line), end in zip(cuts, ends, strict=True)]
            shards.extend([(item.rel, sha, k)] for k in range(len(cuts)))
            continue
        if cur and (cur_bytes + size > limit or len(cur) >= config.max_shard_files):
            shards.append(cur)
            cur, cur_bytes = [], 0
        cur.append((item.rel, sha, None))
        cur_bytes += size
    if cur:
        shards.append(cur)
    plan = RunPlan(run_id=run_id, seq=m.next_seq, raw_dir=str(raw_dir), out_dir=str(out_dir), shards=shards,
                   n_inputs=len(inputs) + len(refused), n_known=n_known, pre_rejected=pre, paths=paths,
                   suspects={sha: died_on[sha] for shard in shards for _rel, sha, _k in shard if sha in died_on},
                   stats=seen_stats, restat=restat, pieces=pieces)
    return plan, recovered


def _died_on(out: OutputDir) -> dict[str, str]:
    """Inputs a previous run was reading when it died (their markers outlived it): sha -> run id.
    Called under the lock, before this run reads anything, so no marker is a live run's."""
    found: dict[str, str] = {}
    for f in out.reading_dir.glob("*.json") if out.reading_dir.is_dir() else ():
        sha = f.stem.split(".")[0]  # (<sha>.json, or <sha>.<piece>.json for a piece of a file)
        try:
            found[sha] = json.loads(f.read_text()).get("run_id", "?")
        except (OSError, ValueError, AttributeError):
            found[sha] = "?"
    return found


def _known_inputs(out: OutputDir, m: Manifest) -> tuple[set[str], dict[tuple[str, int, int], str]]:
    """The hashes of every input the ledger holds, and (path, size, mtime) -> hash of those it saw with
    their size and mtime (a file whose three agree is known without hashing it)."""
    if not m.ledger:
        return set(), {}
    path = out.root / m.ledger
    cols = set(pl.read_parquet_schema(path))
    df = pl.read_parquet(path, columns=[c for c in ("source", "content_sha256", "size", "mtime_ns") if c in cols])
    known = set(df["content_sha256"].drop_nulls().to_list())
    if "mtime_ns" not in cols:  # a ledger of dechaff < 0.2: every input is hashed once more
        return known, {}
    rows = df.drop_nulls(["content_sha256", "size", "mtime_ns"])
    return known, {(s, int(z), int(t)): h for s, h, z, t in rows.select("source", "content_sha256", "size", "mtime_ns")
                   .iter_rows()}


def prepare_output(out: OutputDir) -> list[str]:
    """Call with the output lock held, before reading the manifest to change it: finish or roll back an
    interrupted commit, check that every committed file is there with its size, and the state files with
    their checksums (:class:`StateError` naming them otherwise: nothing is written or deleted), and bring
    parts of older schemas up to date.
    Returns what it did."""
    done = out.recover()
    problems = out.check(state_checksums=True)  # (parts, index texts, profile parts by size: see _read_whole)
    if problems:
        raise StateError(f"{out.root}: committed files are missing or damaged: {'; '.join(problems[:10])}"
                         f"{f' (and {len(problems) - 10} more)' if len(problems) > 10 else ''}. Nothing was "
                         "changed; restore them from a backup (`dechaff verify` checks every file)")
    return done + _upgrade_parts(out)


def _upgrade_parts(out: OutputDir) -> list[str]:
    """Committed parts written by an older dechaff, whose table has gained columns since (``removed``'s
    ``duplicate_of_document``), are written again with today's schema (new columns null) and swapped
    in by a commit of their own, so every part of a table reads as one dataset. Returns what it did."""
    m = out.read_manifest()
    renames: list[tuple[Path, Path]] = []
    swap: dict[str, str] = {}
    for rel in m.parts:
        table = rel.split("/")[0]
        schema = TABLES.get(table)
        path = out.root / rel
        if schema is None or not path.exists() or dict(pl.read_parquet_schema(path)) == schema:
            continue
        df = pl.read_parquet(path)
        df = df.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in schema.items() if c not in df.columns)
        stem = re.sub(r"-u\d{6}$", "", path.stem)
        final = path.parent / f"{stem}-u{m.next_seq:06d}.parquet"
        renames.append((write_parquet_tmp(df.select(list(schema)).cast(schema), final), final))
        swap[rel] = f"{table}/{final.name}"
    if not swap:
        return []
    for r in m.runs:
        r["parts"] = [swap.get(p, p) for p in r.get("parts", [])]
    out.commit(m, renames)
    out.recover()
    return [f"upgraded {old} to today's schema ({new})" for old, new in swap.items()]
