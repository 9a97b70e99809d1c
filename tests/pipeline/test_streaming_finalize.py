"""The finalize step streams the run shard by shard: the same corpus and audit whatever the shard size,
and a run's rows split into several bounded parts, committed together."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl
import pytest

import dechaff.boilerplate.state as bstate
import dechaff.pipeline.finalize as fin
import dechaff.store.staging as staging
from dechaff.config import Config
from dechaff.dedup.types import DedupParams
from dechaff.pipeline import run_local
from dechaff.store import OutputDir


def _corpus(raw: Path, n_docs: int = 120) -> None:
    """Documents of four sites with shared paragraphs (duplicates), longer copies (keep = "longest" has
    work), and a footer line every page of a site repeats (a template)."""
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(2000)]
    paras = [" ".join(rng.choice(words) for _ in range(50)) + "." for _ in range(150)]
    for d in range(n_docs):
        sub = raw / f"site{d % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        body = []
        for _ in range(6):
            r = rng.random()
            if r < 0.25:
                body.append(rng.choice(paras))
            elif r < 0.35:
                body.append(rng.choice(paras) + " " + " ".join(rng.choice(words) for _ in range(15)) + ".")
            else:
                body.append(" ".join(rng.choice(words) for _ in range(45)) + ".")
        footer = f"The {'abcd'[d % 4]} desk reports from Riverton every weekday morning"
        (sub / f"doc{d:04d}.txt").write_text(f"Title {d}\n\n" + "\n\n".join(body) + f"\n\n{footer}\n")


def _tables(out: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    c = pl.read_parquet(out / "corpus" / "*.parquet").drop("run_id", "ingested_at").sort("doc_id")
    r = pl.read_parquet(out / "removed" / "*.parquet").drop("run_id").sort(
        "doc_id", "paragraph_index", "line_index", nulls_last=False)
    return c, r


@pytest.mark.parametrize("keep", ["earliest", "longest"])
@pytest.mark.parametrize(("chunk", "spill"), [(100_000, 250_000), (40, 250_000), (40, 30)])
def test_the_shard_size_changes_nothing(tmp_path, monkeypatch, keep, chunk, spill):
    """Shards of one file each, staged in batches of a paragraph or seven (batches wait for their dedup chunk; with a chunk of 40 paragraphs the
    chunks end inside shards and across them; with a spill of 30 entries the run's index entries go to
    segments of their own as it goes) give the tables of one shard for all."""
    raw = tmp_path / "raw"
    _corpus(raw)
    dedup = DedupParams(keep=keep)
    one = run_local(raw, tmp_path / "one", Config(dedup=dedup))
    monkeypatch.setattr(fin, "DEDUP_CHUNK", chunk)
    monkeypatch.setattr(fin, "SPILL_ENTRIES", spill)
    monkeypatch.setattr(staging, "BATCH_PARAGRAPHS", 1 if chunk == 40 else 7)  # (staged in batches of 1 or 7)
    monkeypatch.setattr(bstate, "PROFILE_BATCH", 3 if spill < 100 else 50_000)  # (profiles spooled 3 a file)
    many = run_local(raw, tmp_path / "many", Config(dedup=dedup, max_shard_files=1))  # a shard per file
    c1, r1 = _tables(tmp_path / "one")
    c2, r2 = _tables(tmp_path / "many")
    assert c1.equals(c2) and r1.equals(r2)
    assert one.removed_by_reason == many.removed_by_reason
    assert {"duplicate", "boilerplate"} <= set(one.removed_by_reason)
    if keep == "longest":
        assert r1.filter(pl.col("evidence").str.starts_with("replaced by a longer copy")).height > 0
    segs = sorted(p.name for p in (tmp_path / "many" / "_state" / "index").glob("*.keys.npy"))
    assert (len(segs) > 1) == (spill < 100)
    # a later run reads the spilled segments as it reads any: the same as on top of the one-shard run
    (raw / "site9").mkdir()
    for k, f in enumerate(sorted(raw.glob("site0/*.txt"))[:8]):
        (raw / "site9" / f"again{k}.txt").write_text(f.read_text() + "\n\nAnd a new closing paragraph here.\n")
    run_local(raw, tmp_path / "one", Config(dedup=dedup))
    run_local(raw, tmp_path / "many", Config(dedup=dedup, max_shard_files=1))
    for a, b in zip(_tables(tmp_path / "one"), _tables(tmp_path / "many"), strict=True):
        assert a.equals(b)
    p1, p2 = (pl.concat([pl.read_parquet(tmp_path / w / f) for f in OutputDir(tmp_path / w).read_manifest()
                         .boilerplate_docs]) for w in ("one", "many"))
    assert p1.height == 128 and p1.equals(p2)  # (every document's profile, in order)


@pytest.mark.parametrize("threads", [2, 3])
def test_band_tables_in_threads_give_the_tables_of_one_process(tmp_path, monkeypatch, threads):
    """``band_threads`` (on two cores or more the default is 2): the index's bands in shards that work in
    threads while the finalize step goes on. Two runs, the second against the first's stored index (its
    segments loaded by the shards), in small chunks with spills: the tables of runs without threads,
    no warning, and the time spent waiting on the shards in the run's steps."""
    raw = tmp_path / "raw"
    _corpus(raw)
    monkeypatch.setattr(fin, "DEDUP_CHUNK", 40)
    monkeypatch.setattr(fin, "SPILL_ENTRIES", 30)
    monkeypatch.setattr(staging, "BATCH_PARAGRAPHS", 7)
    later = raw.parent / "later"
    for k, f in enumerate(sorted(raw.glob("site1/*.txt"))[:10]):
        (later / "site1").mkdir(parents=True, exist_ok=True)
        (later / "site1" / f"again{k}.txt").write_text(f.read_text() + "\n\nA closing paragraph of its own.\n")
    summaries = {}
    for n in (0, threads):
        out = tmp_path / f"t{n}"
        first = run_local(raw, out, Config(band_threads=n))
        for f in later.rglob("*.txt"):
            dst = raw / f.relative_to(later)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(f.read_bytes())
        summaries[n] = (first, run_local(raw, out, Config(band_threads=n)))
        for f in later.rglob("*.txt"):
            (raw / f.relative_to(later)).unlink()
    for a, b in zip(_tables(tmp_path / "t0"), _tables(tmp_path / f"t{threads}"), strict=True):
        assert a.equals(b)
    for s0, sn in zip(summaries[0], summaries[threads], strict=True):
        assert s0.removed_by_reason == sn.removed_by_reason and not s0.warnings and not sn.warnings
        assert set(s0.steps) == {"finalize"}
        assert set(sn.steps) == {"finalize", "waiting on the band shards", "the busiest band shard"}
    first, second = summaries[0]
    assert first.removed_by_reason["duplicate"] > 10 and second.removed_by_reason["duplicate-document"] > 10

@pytest.mark.parametrize(("method", "at"), [("step", 5), ("seconds", 1)])
def test_band_shards_lost_mid_run_leave_the_tables_of_one_process(tmp_path, monkeypatch, method, at):
    """The finalize step with the index's bands in two shards, one of which dies at its fifth lookup
    (after the run spilled entries), or after its last, when asked how long it worked: the tables of a
    run in one process, and a warning in the summary and the manifest's record of the run."""
    from dechaff.dedup.bands import BandShard, InProcess, PartitionedBands, band_ranges
    from dechaff.pipeline import finalize_run, plan_run, process_shard
    from tests.dedup.test_bands import _Dies

    raw = tmp_path / "raw"
    _corpus(raw)
    monkeypatch.setattr(fin, "DEDUP_CHUNK", 40)
    monkeypatch.setattr(fin, "SPILL_ENTRIES", 30)
    monkeypatch.setattr(staging, "BATCH_PARAGRAPHS", 7)  # (entries spilled every few batches)
    cfg = Config()
    run_local(raw, tmp_path / "one", cfg)
    ranges = band_ranges(cfg.dedup.bands, 2)
    dying = _Dies(BandShard(*ranges[1], cfg.dedup), method, at)
    bands = PartitionedBands([InProcess(BandShard(*ranges[0], cfg.dedup)), dying], ranges, cfg.dedup.bands)
    out = tmp_path / "split"
    with OutputDir(out).lock():
        plan, rec = plan_run(raw, out, cfg)
        paths = [process_shard(plan, i, cfg).path for i in range(len(plan.shards))]
        s = finalize_run(plan, paths, cfg, recovered=rec, bands=bands)
    assert dying.failed == 1 and set(s.steps) == {"finalize"} | ({"waiting on the band shards"} if at == 1 else set())
    assert len(s.warnings) == 1 and "OSError: Unable to contact Actor's worker" in s.warnings[0]
    assert ("lost during the finalize step" in s.warnings[0]) == (method == "step")
    assert s.lines()[-1] == f"warning: {s.warnings[0]}"
    assert OutputDir(out).read_manifest().runs[-1]["summary"]["warnings"] == s.warnings
    assert len(list((out / "_state" / "index").glob("*.keys.npy"))) > 5  # (spilled before the loss and after)
    for a, b in zip(_tables(tmp_path / "one"), _tables(out), strict=True):
        assert a.equals(b)


def test_a_run_writes_several_bounded_parts_committed_together(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    _corpus(raw)
    run_local(raw, tmp_path / "whole", Config(max_shard_files=7))
    monkeypatch.setattr(fin, "PART_ROWS", 25)
    s = run_local(raw, tmp_path / "parts", Config(max_shard_files=7))
    corpus_parts = sorted((tmp_path / "parts" / "corpus").glob("*.parquet"))
    assert len(corpus_parts) == -(-s.documents_kept // 25) and len(s.parts) > 5
    assert all(pl.read_parquet(p).height <= 25 for p in corpus_parts)
    for a, b in zip(_tables(tmp_path / "whole"), _tables(tmp_path / "parts"), strict=True):
        assert a.equals(b)
    # the manifest commits them all (a second run adds nothing and finds every file)
    s2 = run_local(raw, tmp_path / "parts", Config(max_shard_files=7))
    assert s2.inputs_already_ingested == 120 and s2.documents_read == 0


def test_the_dedup_work_done_ahead_in_the_shard_step_changes_nothing(tmp_path, monkeypatch):
    """The shard step stages each kept paragraph's dedup fingerprint and band keys; the finalize step takes
    them only where they still fit the text (a template line removed since changes it): the same tables
    as a run that computes everything in the finalize step."""
    import dechaff.pipeline.shard as shard

    raw = tmp_path / "raw"
    _corpus(raw)
    rng = random.Random(3)
    names = ["".join(rng.choice("aeioubcdfghklmnprst") for _ in range(8)) for _ in range(121)]
    footer = ("Follow the desk on every platform, every single day, and tell your friends and neighbours where "
              "to find the morning edition, the evening briefing, the weekend magazine and the podcast")
    for d in range(0, 120, 3):  # last paragraphs whose closing line is a site template: their text changes
        f = raw / f"site{d % 4}" / f"doc{d:04d}.txt"
        f.write_text(f.read_text() + f"\nThe {names[d]} story was updated with one more {names[d + 1]} detail\n{footer}")
    # and, in an earlier file, longer versions of twelve of those story lines (near-duplicates, not exact)
    (raw / "site0" / "a-late.txt").write_text("\n\n".join(
        f"The {names[d]} story was updated with one more {names[d + 1]} detail, as the desk said"
        for d in range(0, 36, 3)) + "\n")
    ahead = run_local(raw, tmp_path / "ahead", Config())
    # (nothing computed ahead for dedup; the sketches then tokenize the documents' texts themselves)
    monkeypatch.setattr(shard, "lsh_ahead_tokens", lambda texts, params: ([None] * len(texts), None))
    plain = run_local(raw, tmp_path / "plain", Config())
    for a, b in zip(_tables(tmp_path / "ahead"), _tables(tmp_path / "plain"), strict=True):
        assert a.equals(b)
    assert ahead.removed_by_reason == plain.removed_by_reason
    r = _tables(tmp_path / "ahead")[1]
    lines = r.filter((pl.col("rule") == "boilerplate.template") & pl.col("line_index").is_not_null())
    assert lines.height >= 25
    # those whose template line went are in the earlier a-late.txt: found by the band keys of their text now
    dup = r.filter(pl.col("duplicate_of_doc") == "site0/a-late")
    assert dup.height == 12 and set(dup["rule"]) == {"dedup.containment"}


def test_part_writer_cuts_parts_where_adding_rows_one_by_one_would(tmp_path, monkeypatch):
    """A part ends with the row that makes it PART_ROWS rows or PART_BYTES of text, however the rows
    arrive (batches of columns of any size, dict rows)."""
    from types import SimpleNamespace

    from dechaff.store import OutputDir

    monkeypatch.setattr(fin, "PART_ROWS", 4)
    monkeypatch.setattr(fin, "PART_BYTES", 100)
    sizes = [10, 60, 5, 50, 1, 1, 1, 1, 1, 200, 3, 0, 0, 99, 1, 7]
    expected, part, n, size = [], [], 0, 0
    for k, s in enumerate(sizes):  # the rule, row by row
        part.append(k)
        n, size = n + 1, size + s
        if n >= 4 or size >= 100:
            expected.append(part)
            part, n, size = [], 0, 0
    expected.append(part)
    for cuts in ([len(sizes)], [3, 7, 16], list(range(1, 17)), [0, 9, 9, 16], [2, 4, 6, 16]):  # (where each call ends)
        out = OutputDir(tmp_path / f"out{len(cuts)}-{cuts[0]}")
        w = fin.PartWriter(out, "removed", SimpleNamespace(seq=1, run_id="r"))
        start = 0
        reasons: list[str | None] = []  # (a one-value column: given once for many rows, or row by row)
        for end in cuts:
            rows = [{"doc_id": f"d{k}", "paragraph_index": k, "text": "x" * sizes[k]} for k in range(start, end)]
            if end % 2:
                w.add_many([r | ({"reason": "dup"} if k % 3 else {}) for k, r in enumerate(rows, start)])
                reasons += ["dup" if k % 3 else None for k in range(start, end)]
            else:
                w.add_columns({c: [r[c] for r in rows] for c in ("doc_id", "paragraph_index", "text")},
                              [sizes[k] for k in range(start, end)], {"reason": f"chrome{end % 4}"})
                reasons += [f"chrome{end % 4}"] * (end - start)
            start = end
        w.flush()
        parts = [pl.read_parquet(tmp) for tmp, _final in w.renames]  # (under temporary names until the commit)
        assert [p["paragraph_index"].to_list() for p in parts] == expected, cuts
        assert parts[0]["line_index"].is_null().all() and parts[0]["text"].to_list()[:2] == ["x" * 10, "x" * 60]
        assert [x for p in parts for x in p["reason"].to_list()] == reasons, cuts
        assert all(p.schema == pl.Schema(fin.TABLES["removed"]) for p in parts)


def test_part_writer_writes_list_columns_as_given(tmp_path):
    """List columns are built from one flat column (not a Series a row): the same values, empty and
    null lists included."""
    from types import SimpleNamespace

    from dechaff.store import OutputDir
    from dechaff.store.schemas import CORPUS_SCHEMA

    for i, lists in enumerate(([[0, 2], [1], [3, 4, 7]], [[5], [], [1, 2]], [[5], None])):
        w = fin.PartWriter(OutputDir(tmp_path / f"out{i}"), "corpus", SimpleNamespace(seq=1, run_id="r"))
        rows = [{"doc_id": f"d{k}", "text": "t", "kept_paragraphs": v, "n_paragraphs": 9} for k, v in enumerate(lists)]
        w.add_many(rows)
        w.flush()
        got = pl.read_parquet(w.renames[0][0])
        assert got.equals(pl.DataFrame(rows, schema=CORPUS_SCHEMA, strict=False)), lists
        assert got["kept_paragraphs"].to_list() == lists


def test_a_staged_batch_that_cannot_be_read_stops_the_run_naming_it_and_the_state_stays(tmp_path):
    """A staged batch cut short after the shard step wrote it: the finalize step stops with an error that
    names the file; nothing is committed, and the next run reads the inputs again and gives the tables of
    a run that never failed."""
    from dechaff.pipeline import finalize_run, plan_run, process_shard

    raw = tmp_path / "raw"
    _corpus(raw)
    cfg = Config(max_shard_files=30)
    run_local(raw, tmp_path / "ref", cfg)
    out = tmp_path / "out"
    with OutputDir(out).lock():
        plan, rec = plan_run(raw, out, cfg)
        paths = [process_shard(plan, i, cfg).path for i in range(len(plan.shards))]
        victim = sorted(Path(paths[-1]).glob("paragraphs-*.parquet"))[-1]
        victim.write_bytes(victim.read_bytes()[:200])
        with pytest.raises(OSError) as e:
            finalize_run(plan, paths, cfg, recovered=rec)
    assert str(victim) in str(e.value) and "a staged file that cannot be read" in str(e.value)
    assert not (out / "corpus").exists() or not list((out / "corpus").glob("*.parquet"))
    s = run_local(raw, out, cfg)
    assert s.inputs_new == 120 and not s.warnings
    for a, b in zip(_tables(tmp_path / "ref"), _tables(out), strict=True):
        assert a.equals(b)


@pytest.mark.parametrize("where", ["part", "state"])
def test_a_write_that_fails_in_the_writing_thread_stops_the_run_before_its_commit(tmp_path, monkeypatch, where):
    """The parts and state files are written in a thread of their own while the finalize step goes on: one
    that fails there (a full disk) stops the run with its error; nothing of the run is committed (the
    previous state reads whole), and the next run gives the tables of a run that never failed."""
    raw, half = tmp_path / "raw", tmp_path / "half"
    _corpus(raw)
    for f in sorted(raw.rglob("*.txt"))[:60]:
        (half / f.parent.name).mkdir(parents=True, exist_ok=True)
        (half / f.parent.name / f.name).write_bytes(f.read_bytes())
    ref, out = tmp_path / "ref", tmp_path / "out"
    run_local(half, out)
    run_local(half, ref)
    before = _tables(out)
    run_local(raw, ref)
    calls = []
    real_part, real_state = fin.write_parquet_tmp, fin.atomic_write_parquet

    def failing(real):
        def write(*a, **k):
            calls.append(1)
            if len(calls) == 2:
                raise OSError("No space left on device")
            return real(*a, **k)
        return write

    monkeypatch.setattr(fin, "PART_ROWS", 40)
    if where == "part":
        monkeypatch.setattr(fin, "write_parquet_tmp", failing(real_part))
    else:
        monkeypatch.setattr(fin, "atomic_write_parquet", failing(real_state))
    with pytest.raises(OSError, match="No space left"):
        run_local(raw, out)
    assert len(calls) >= 2
    for a, b in zip(_tables(out), before, strict=True):
        assert a.equals(b)
    monkeypatch.undo()
    run_local(raw, out)
    for a, b in zip(_tables(out), _tables(ref), strict=True):
        assert a.equals(b)
