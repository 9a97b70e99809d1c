"""Crash safety and concurrency of the output directory."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from dechaff.config import Config
from dechaff.pipeline import run_local
from dechaff.store import OutputDir, OutputLocked, StateError

RUNNER = """
import sys
from pathlib import Path
from dechaff.pipeline import run_local
from dechaff.config import Config
run_local(Path(sys.argv[1]), Path(sys.argv[2]), Config(shard_mb=float(sys.argv[3])))
"""


def _corpus(raw: Path, n_docs: int = 400) -> None:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(3000)]
    paras = [" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(600)]
    for d in range(n_docs):
        sub = raw / f"site{d % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        body = [rng.choice(paras) if rng.random() < 0.3 else " ".join(rng.choice(words) for _ in range(50)) + "."
                for _ in range(8)]
        (sub / f"doc{d:04d}.txt").write_text(f"Title {d}\n\n" + "\n\n".join(body) + "\n\nShare this:\n")


def _final(out: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    c = pl.read_parquet(out / "corpus" / "*.parquet").select("doc_id", "text", "kept_paragraphs").sort("doc_id")
    r = (pl.read_parquet(out / "removed" / "*.parquet").drop("run_id")
         .sort("doc_id", "paragraph_index", "line_index", nulls_last=False))
    return c, r


def test_kill_9_at_random_moments_then_resume_gives_the_uninterrupted_corpus(tmp_path):
    full_raw, half_raw = tmp_path / "raw", tmp_path / "half"
    _corpus(full_raw)
    for f in sorted(full_raw.rglob("*.txt"))[:200]:
        (half_raw / f.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, half_raw / f.parent.name / f.name)
    cfg = Config(shard_mb=0.2)
    ref_single, ref_two, half_state = tmp_path / "ref1", tmp_path / "ref2", tmp_path / "half-state"
    run_local(full_raw, ref_single, cfg)
    run_local(half_raw, half_state, cfg)
    shutil.copytree(half_state, ref_two)
    t0 = time.time()
    run_local(full_raw, ref_two, cfg)
    full = time.time() - t0 + 0.8  # plus interpreter start-up in the subprocess
    rng = random.Random(11)
    kills = 0
    for k in range(12):
        out = tmp_path / f"out{k}"
        if k % 2:  # half of the trials die while adding to a corpus that already has a run
            shutil.copytree(half_state, out)
        p = subprocess.Popen([sys.executable, "-c", RUNNER, str(full_raw), str(out), "0.2"])
        time.sleep(rng.uniform(0.3, 0.85 * full))
        if p.poll() is None:
            p.kill()
            kills += 1
        p.wait()
        # whatever moment it died at, no committed file is half-written
        for f in out.rglob("*.parquet"):
            if not f.name.startswith("."):
                pl.read_parquet(f)
        run_local(full_raw, out, cfg)  # the next run completes the work
        want = _final(ref_two if k % 2 else ref_single)
        got = _final(out)
        assert got[0].equals(want[0]), f"trial {k}"
        assert got[1].equals(want[1]), f"trial {k}"
        assert not list(out.rglob("*.tmp")) and not (out / "_staging").exists()
    assert kills >= 10


KILLED_IN_FINALIZE = """
import os, signal, sys
from pathlib import Path
import dechaff.pipeline.finalize as fin
import dechaff.store.staging as staging
from dechaff.pipeline import run_local
from dechaff.config import Config
fin.PART_ROWS, fin.DEDUP_CHUNK, fin.SPILL_ENTRIES, staging.BATCH_PARAGRAPHS = 40, 100, 100, 200  # (many of each)
where, n = sys.argv[3], int(sys.argv[4])
real = getattr(fin, where)
calls = 0
def dying(*a, **k):
    global calls
    calls += 1
    if calls == n:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*a, **k)
setattr(fin, where, dying)
run_local(Path(sys.argv[1]), Path(sys.argv[2]), Config(shard_mb=0.2))
"""


@pytest.mark.parametrize(("where", "n"), [("write_parquet_tmp", 1), ("write_parquet_tmp", 5), ("spill", 4),
                                          ("settle_emptied", 3), ("write_state", 1)])
def test_kill_9_inside_the_streaming_finalize_leaves_the_previous_state_or_the_new_one(tmp_path, where, n):
    """Killed while the finalize streams (after some parts are written under temporary names, some index
    entries spilled, some batches read): the output reads as the previous state, never a mix, and the next
    run gives the corpus of a run never killed."""
    from tests.pipeline.test_streaming_finalize import _corpus as _words  # (words, not numbers)

    full_raw, half_raw = tmp_path / "raw", tmp_path / "half"
    _words(full_raw, 240)
    for f in sorted(full_raw.rglob("*.txt"))[:120]:
        (half_raw / f.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy(f, half_raw / f.parent.name / f.name)
    cfg = Config(shard_mb=0.2)
    ref, out = tmp_path / "ref", tmp_path / "out"
    run_local(half_raw, out, cfg)
    shutil.copytree(out, ref)
    before = _final(out)
    run_local(full_raw, ref, cfg)
    index_files = set((out / "_state" / "index").iterdir())
    p = subprocess.run([sys.executable, "-c", KILLED_IN_FINALIZE, str(full_raw), str(out), where, str(n)],
                       capture_output=True, text=True)
    assert p.returncode == -9, p.stderr  # (it died where it was told to)
    if where == "spill":  # (index entries of the dead run were spilled: segments the manifest does not name)
        assert set((out / "_state" / "index").iterdir()) > index_files
    if where == "write_parquet_tmp" and n > 1:
        assert list(out.rglob(".part-*.tmp"))  # (parts written, not committed)
    assert _final(out)[0].equals(before[0]) and _final(out)[1].equals(before[1])  # the previous state, whole
    run_local(full_raw, out, cfg)
    for a, b in zip(_final(out), _final(ref), strict=True):
        assert a.equals(b)
    assert not list(out.rglob("*.tmp")) and not (out / "_staging").exists()


def test_second_run_on_a_locked_output_exits_with_a_clear_message_or_waits(tmp_path, sample_raw):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from dechaff.store import OutputDir\n"
        "with OutputDir(Path(sys.argv[1])).lock():\n    print('locked', flush=True); time.sleep(3)\n"), str(out)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(OutputLocked, match="being written by another dechaff run .*pid"):
        run_local(sample_raw, out)
    assert not list((out / "corpus").glob("*.parquet")) if (out / "corpus").exists() else True
    s = run_local(sample_raw, out, Config(lock_wait_seconds=30))  # waits for the holder, then runs
    holder.wait()
    assert s.documents_kept == 5


def test_recovery_rolls_an_interrupted_commit_forward(tmp_path, sample_raw):
    out = tmp_path / "out"
    run_local(sample_raw, out)
    od = OutputDir(out)
    part = next((out / "corpus").glob("part-*.parquet"))
    tmp = part.parent / f".{part.name}.tmp"
    part.rename(tmp)  # as if the run died right after replacing the manifest
    stray = out / "removed" / "part-999999-x.parquet"
    stray.write_bytes(b"uncommitted")  # as if a run died before its commit
    done = od.recover()
    assert part.exists() and not tmp.exists() and not stray.exists()
    assert any("completed the commit" in d for d in done) and any("uncommitted" in d for d in done)


# ---------------------------------------------------------------------------------------- damaged state
def _small(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    for k in range(3):
        (raw / f"d{k}.txt").write_text(f"Title {k}\n\nParagraph {k} about the harbour board and the ferry company, "
                                       "which asked for a decision on the channel within the month.\n")
    out = tmp_path / "out"
    run_local(raw, out)
    (raw / "d9.txt").write_text("Title 9\n\nA new page for the next run, about the station and its trains.\n")
    return raw, out


def _files(out):
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def test_a_deleted_manifest_stops_the_run_and_deletes_nothing(tmp_path):
    raw, out = _small(tmp_path)
    (out / "_state" / "manifest.json").unlink()
    before = _files(out)
    with pytest.raises(StateError, match="committed parts .* but no _state/manifest.json"):
        run_local(raw, out)
    assert _files(out) == before  # (0.1 deleted every committed part here)


@pytest.mark.parametrize("victim", ["corpus", "ledger", "segment", "shingles"])
def test_a_missing_or_truncated_committed_file_stops_the_run_naming_it(tmp_path, victim):
    raw, out = _small(tmp_path)
    if victim == "corpus":
        path = next((out / "corpus").glob("*.parquet"))
        path.unlink()
    else:
        pattern = {"ledger": "ledger-*.pq", "segment": "index/*.pq", "shingles": "index/*.sh.npy"}[victim]
        path = next((out / "_state").glob(pattern))
        path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(StateError) as e:
        run_local(raw, out)
    assert path.name in str(e.value) and ("missing" in str(e.value) or "bytes, committed with" in str(e.value))


def test_verify_finds_a_damaged_file_of_the_same_size(tmp_path):
    import subprocess
    import sys

    raw, out = _small(tmp_path)
    cli = [sys.executable, "-m", "dechaff_flows.cli", "verify", "--out", str(out)]
    r = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "all present" in r.stdout, r.stderr
    seg = next((out / "_state" / "index").glob("*.keys.npy"))
    data = bytearray(seg.read_bytes())
    data[-1] ^= 0xFF  # one bit flipped: same size
    seg.write_bytes(bytes(data))
    r = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and f"{seg.name}: damaged" in r.stderr


# ---------------------------------------------------------------------------------------- repair
def _copy_paragraph(raw: Path) -> str:
    """A new input that copies a paragraph of d1 (so a later run shows the rebuilt index works)."""
    para = (raw / "d1.txt").read_text().split("\n\n")[1].strip()
    (raw / "copy.txt").write_text(f"A copy page\n\n{para}\n\nA closing line of its own, long enough to stay in.\n")
    return para


def test_repair_after_the_manifest_was_deleted(tmp_path):
    from dechaff.pipeline.repair import repair

    raw, out = _small(tmp_path)
    before = pl.read_parquet(out / "corpus" / "*.parquet").sort("doc_id")
    (out / "_state" / "manifest.json").unlink()
    report = repair(out)
    assert any("the manifest" in x for x in report.rebuilt) and any("dedup index" in x for x in report.rebuilt)
    assert pl.read_parquet(out / "corpus" / "*.parquet").sort("doc_id").equals(before)
    para = _copy_paragraph(raw)
    s = run_local(raw, out)
    assert s.inputs_already_ingested == 3 and s.documents_read == 2  # d9 and the copy; d0-d2 known again
    rm = pl.read_parquet(out / "removed" / "*.parquet")
    assert rm.filter((pl.col("doc_id") == "copy") & (pl.col("text") == para))["duplicate_of_doc"].to_list() == ["d1"]
    assert OutputDir(out).check(checksums=True) == []


def test_repair_after_a_lost_part_and_a_garbled_index(tmp_path):
    import subprocess

    raw, out = _small(tmp_path)
    part = next((out / "removed").glob("*.parquet"))
    part.unlink()
    seg = next((out / "_state" / "index").glob("*.keys.npy"))
    data = bytearray(seg.read_bytes())
    data[-1] ^= 0xFF
    seg.write_bytes(bytes(data))
    with pytest.raises(StateError, match="missing"):
        run_local(raw, out)
    r = subprocess.run([sys.executable, "-m", "dechaff_flows.cli", "repair", "--out", str(out)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"lost: removed/{part.name} (missing): its rows" in r.stdout and "rebuilt: the dedup index" in r.stdout
    para = _copy_paragraph(raw)
    s = run_local(raw, out)
    assert s.documents_read == 2
    rm = pl.read_parquet(out / "removed" / "*.parquet")
    assert rm.filter((pl.col("doc_id") == "copy") & (pl.col("text") == para))["duplicate_of_doc"].to_list() == ["d1"]
    r = subprocess.run([sys.executable, "-m", "dechaff_flows.cli", "repair", "--out", str(out)], capture_output=True,
                       text=True, timeout=120)
    assert "nothing to repair" in r.stdout


def test_index_shingle_files_are_committed_verified_and_rebuilt_by_repair(tmp_path):
    """A segment's shingle files are committed with their checksums: `verify` finds one garbled at the
    same size (a run reads them in part and checks their size only), and `repair` rebuilds the index
    with them, which a later run then uses."""
    from dechaff.pipeline.repair import repair

    raw, out = _small(tmp_path)
    m = json.loads((out / "_state" / "manifest.json").read_text())
    shingles = sorted((out / "_state" / "index").glob("*.sh*.npy"))
    assert [p.name.split(".", 1)[1] for p in shingles] == ["sh.npy", "sh.rows.npy"]
    assert all(f"_state/index/{p.name}" in m["files"] for p in shingles)
    data = bytearray(shingles[0].read_bytes())
    data[-2] ^= 0x10
    shingles[0].write_bytes(bytes(data))
    assert [p for p in OutputDir(out).check() if "index" in p] == []
    assert any(shingles[0].name in p for p in OutputDir(out).check(checksums=True))
    report = repair(out)
    assert any("dedup index" in x for x in report.rebuilt)
    rebuilt = sorted((out / "_state" / "index").glob("*repair.sh*.npy"))
    assert len(rebuilt) == 2 and not shingles[0].exists()
    para = (raw / "d1.txt").read_text().split("\n\n")[1].strip() + " It was granted."  # (an edited copy)
    (raw / "edit.txt").write_text(f"An edited copy\n\n{para}\n\nA closing line of its own, long enough to stay.\n")
    run_local(raw, out)
    rm = pl.read_parquet(out / "removed" / "*.parquet").filter((pl.col("doc_id") == "edit") & (pl.col("text") == para))
    assert rm["rule"].to_list() == ["dedup.resemblance"] and rm["duplicate_of_doc"].to_list()[0] in ("d0", "d1", "d2")
    assert OutputDir(out).check(checksums=True) == []


def test_a_garbled_state_file_of_the_same_size_stops_the_run(tmp_path):
    raw, out = _small(tmp_path)
    seg = next((out / "_state" / "index").glob("*.fp.npy"))
    data = bytearray(seg.read_bytes())
    data[-3] ^= 0x55
    seg.write_bytes(bytes(data))
    with pytest.raises(StateError, match=f"{seg.name}: damaged"):
        run_local(raw, out)


# ---------------------------------------------------------------------------------------- checksums
def _checksummed_at_commit(monkeypatch) -> list[str]:
    """The names of the files the commit computes a checksum of (a run also checks the state files it
    reads before it starts: not counted)."""
    import dechaff.store.output as output

    seen: list[str] = []
    real_fp, real_commit = output.fingerprint, OutputDir.commit
    committing = [False]

    def counted(path):
        if committing[0]:
            seen.append(Path(path).name)
        return real_fp(path)

    def commit(self, manifest, renames):
        committing[0] = True
        try:
            return real_commit(self, manifest, renames)
        finally:
            committing[0] = False

    monkeypatch.setattr(output, "fingerprint", counted)
    monkeypatch.setattr(OutputDir, "commit", commit)
    return seen


def test_a_run_checksums_only_the_files_it_writes(tmp_path, monkeypatch):
    """The commit records a checksum of every file; those of earlier runs are carried over, not read
    again (a scheduled run against a large corpus re-read all of it)."""
    raw, out = _small(tmp_path)
    before = set(OutputDir(out).read_manifest().files)
    assert any(f.startswith("corpus/") for f in before) and any(f.endswith(".rows.bin") for f in before)
    seen = _checksummed_at_commit(monkeypatch)
    run_local(raw, out)
    assert seen, "the new run's files are checksummed"
    assert not {Path(f).name for f in before} & set(seen)
    m = OutputDir(out).read_manifest()
    kept = {f for f in before if f.startswith(("corpus/", "removed/", "_state/index/"))}  # (state files: new ones)
    assert kept and kept < set(m.files) and OutputDir(out).check(checksums=True) == []


def test_changed_signature_settings_record_the_rewritten_index_files(tmp_path):
    """Other signature settings rewrite the earlier segments' band keys and fingerprints in place: their
    new checksums are recorded (a carried-over record would make ``verify`` call them damaged)."""
    raw, out = _small(tmp_path)
    old = OutputDir(out).read_manifest().files
    run_local(raw, out, Config.from_settings({"dedup": {"bands": 20, "rows": 5}}))
    m = OutputDir(out).read_manifest()
    keys = [f for f in old if f.endswith(".keys.npy")]
    assert keys and all(m.files[f] != old[f] for f in keys)
    assert OutputDir(out).check(checksums=True) == []


def test_a_damaged_index_record_stops_the_run_naming_the_file(tmp_path):
    """A run checks the index segments' texts by size only (it reads a few records of each): a record
    found damaged when it is read stops the run with the file named, before anything is written."""
    raw, out = _small(tmp_path)
    _copy_paragraph(raw)  # (its candidate is d1's paragraph: the run reads that record)
    rows = next((out / "_state" / "index").glob("*.rows.bin"))
    rows.write_bytes(b"\xff" * rows.stat().st_size)  # same size: only a checksum tells
    before = _files(out)
    with pytest.raises(StateError) as e:
        run_local(raw, out)
    assert rows.name in str(e.value) and "damaged (the record at byte" in str(e.value)  # (found reading it)
    assert [f for f in _files(out) if not f.startswith("_staging/")] == before  # (staging: the next run's)
    assert any(rows.name in p and "damaged" in p for p in OutputDir(out).check(checksums=True))


def test_a_damaged_index_parquet_stops_the_run_naming_the_file(tmp_path):
    """The same for a segment's Parquet, read when a new document copies an earlier one whole (its
    paragraphs are aligned with the earlier document's)."""
    raw, out = _small(tmp_path)
    (raw / "d1-copy.txt").write_text((raw / "d1.txt").read_text().replace("Title 1", "Title one"))
    seg = next(p for p in (out / "_state" / "index").glob("*.pq") if p.name.count(".") == 1)
    data = bytearray(seg.read_bytes())
    data[100:-100] = b"\x55" * (len(data) - 200)  # same size
    seg.write_bytes(bytes(data))
    before = _files(out)
    with pytest.raises(StateError) as e:
        run_local(raw, out)
    assert seg.name in str(e.value) and "damaged" in str(e.value)
    assert [f for f in _files(out) if not f.startswith("_staging/")] == before


def _profile_parts(out: Path) -> list[str]:
    return OutputDir(out).read_manifest().boilerplate_docs


def test_document_profiles_grow_by_parts_and_earlier_parts_stay(tmp_path):
    """The boilerplate stage's document profiles are a list of parts: a run writes its own, merged with
    the last parts less than twice as large as what goes with them; a larger earlier part is neither
    read nor rewritten (all of them were rewritten at every run: the largest cost of a scheduled run on
    a large corpus). Read in order, the parts hold every document's profile once, in ingestion order."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()

    def page(k: int) -> None:
        (raw / f"d{k:02d}.txt").write_text(f"Title {k}\n\nPage {k} tells of the harbour, the ferry and the "
                                          f"tides of week {k}, and of what the board decided.\n")

    def run(*pages: int) -> list[str]:
        for k in pages:
            page(k)
        run_local(raw, out)
        return OutputDir(out).read_manifest().boilerplate_docs

    (first,) = run(*range(8))
    stat = (out / first).stat()
    parts = run(8)  # one document against eight: a part of its own
    assert len(parts) == 2 and parts[0] == first
    parts = run(9)  # one more: merged with the last part (one), not with the first (eight)
    assert len(parts) == 2 and parts[0] == first and (out / first).stat().st_mtime_ns == stat.st_mtime_ns
    parts = run(10)  # a part of its own again: [8, 2, 1]
    assert len(parts) == 3 and parts[0] == first
    parts = run(11, 12)  # two: with the last (one), the next (two), then the first (eight) -> one part
    assert len(parts) == 1 and parts[0] != first and not (out / first).exists()
    profiles = pl.concat([pl.read_parquet(out / p) for p in parts])
    corpus = pl.read_parquet(out / "corpus" / "*.parquet")
    assert profiles.height == 13 and profiles["doc_id"].to_list() == corpus["doc_id"].to_list()
    assert OutputDir(out).check(checksums=True) == []


def test_an_output_of_the_one_file_profiles_format_is_read_and_carried_on(tmp_path):
    """An output written before the profiles were in parts (manifest format 1: one file) is read as a
    list of one; the next run adds its part and writes the manifest in the current format."""
    import json

    raw, out = _small(tmp_path)
    path = out / "_state" / "manifest.json"
    data = json.loads(path.read_text())
    (one,) = data["boilerplate_docs"]
    path.write_text(json.dumps(dict(data, format=1, boilerplate_docs=one)))
    assert OutputDir(out).read_manifest().boilerplate_docs == [one]
    run_local(raw, out)
    data = json.loads(path.read_text())
    assert data["format"] == 2 and data["boilerplate_docs"][0] == one and len(data["boilerplate_docs"]) == 2
    path.write_text(json.dumps(dict(data, format=3)))
    with pytest.raises(StateError, match="has format 3, this dechaff reads 1 and 2"):
        OutputDir(out).read_manifest()


def test_a_damaged_profiles_part_stops_the_run_that_reads_it_naming_the_file(tmp_path):
    """Earlier runs' profile parts are checked by size before a run (hashing them at every run grew with
    the corpus); a run that has templates to judge reads them, finds the damage and stops with the file
    named, before anything is written; ``dechaff verify`` finds it too."""
    raw, out = _small(tmp_path)
    (part,) = _profile_parts(out)
    data = bytearray((out / part).read_bytes())
    data[100:-100] = b"\x55" * (len(data) - 200)  # same size: only a checksum tells
    (out / part).write_bytes(bytes(data))
    assert OutputDir(out).check(state_checksums=True) == []  # (the start check: by size)
    for k in range(5):  # a line five new pages of the site end with: a template to judge
        (raw / f"t{k}.txt").write_text(f"Title t{k}\n\nPage t{k} says something of its own about the quay.\n\n"
                                       "Subscribe to the Harbour Gazette letter for the week's tides.\n")
    before = _files(out)
    with pytest.raises(StateError) as e:
        run_local(raw, out)
    assert Path(part).name in str(e.value) and "damaged" in str(e.value)
    assert [f for f in _files(out) if not f.startswith("_staging/")] == before
    assert any(Path(part).name in p and "damaged" in p for p in OutputDir(out).check(checksums=True))
