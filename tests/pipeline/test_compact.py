"""Compaction: fewer, larger parts; the same rows in the same order; later runs and explain work on top."""

from __future__ import annotations

import polars as pl
import pytest

from dechaff.explain import explain
from dechaff.pipeline import run_local
from dechaff.pipeline.compact import compact
from dechaff.store import TABLES, OutputDir, OutputLocked

PAGE = ("Page {k}: the harbour board met on a wet Tuesday to weigh the cost of dredging the channel "
        "before the autumn storms, and the ferry company asked for a decision within the month.")


def _tables(out) -> dict[str, pl.DataFrame]:
    return {t: pl.read_parquet(sorted((out / t).glob("*.parquet"))) for t in TABLES}


def _runs(raw, out, n: int, start: int = 0) -> None:
    for k in range(start, start + n):
        (raw / f"p{k:03d}.txt").write_text(f"Title {k}\n\n{PAGE.format(k=k)}\n\n{PAGE.format(k=0)}\n")
        run_local(raw, out)


def test_compaction_keeps_every_row_in_order_and_later_runs_work(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    (raw / "bad.jsonl").write_text("{not json\n")
    _runs(raw, out, 6)
    before = _tables(out)
    n_parts = {t: len(list((out / t).glob("*.parquet"))) for t in TABLES}
    assert n_parts["corpus"] == 6
    s = compact(out, target_mb=256)
    assert s.parts_before["corpus"] == 6 and s.parts_after == {t: 1 for t in TABLES}
    after = _tables(out)
    for t in TABLES:
        assert after[t].equals(before[t]), t
        assert len(list((out / t).glob("*.parquet"))) == 1
    m = OutputDir(out).read_manifest()
    assert sorted(m.parts) == sorted(f"{p.parent.name}/{p.name}" for p in out.glob("*/*.parquet"))
    # a later run deduplicates against what is there and adds its parts after the compacted ones
    _runs(raw, out, 1, start=6)
    later = _tables(out)
    assert later["corpus"].head(before["corpus"].height).equals(before["corpus"])
    new = later["removed"].filter(pl.col("doc_id") == "p006")
    assert new.filter(pl.col("reason") == "duplicate")["duplicate_of_doc"].to_list() == ["p000"]
    assert "REMOVED" in explain(out, "p003") and "matches p000" in explain(out, "p003")
    # nothing left to merge but the last run's parts: they are merged in turn
    s = compact(out)
    assert s.parts_after["corpus"] == 1 and _tables(out)["corpus"].equals(later["corpus"])


def test_compaction_to_small_parts_keeps_order(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    _runs(raw, out, 5)
    before = _tables(out)
    s = compact(out, target_mb=0.000001)  # every part on its own: renamed in order
    assert s.parts_after["corpus"] == 5
    assert _tables(out)["corpus"].equals(before["corpus"])


def test_nothing_to_compact_and_the_lock(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    _runs(raw, out, 1)
    assert compact(out).compaction_id == ""
    _runs(raw, out, 1, start=1)
    with OutputDir(out).lock(), pytest.raises(OutputLocked):
        compact(out)


def test_cli_compact(tmp_path):
    import subprocess
    import sys

    raw, out = tmp_path / "raw", tmp_path / "clean"
    raw.mkdir()
    _runs(raw, out, 3)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dechaff_flows.cli", "compact", *args], capture_output=True,
                              text=True, timeout=120)

    r = cli("--out", str(out), "--target-mb", "64")
    assert r.returncode == 0 and "corpus 3 -> 1 parts" in r.stdout, r.stderr
    r = cli("--out", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "no dechaff output" in r.stderr and "Traceback" not in r.stderr
    r = cli("--out", str(out), "--target-mb", "0")
    assert r.returncode == 2 and "--target-mb" in r.stderr
