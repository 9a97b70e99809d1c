"""The Parquet outputs as other projects read them: polars, duckdb, pyarrow."""

from __future__ import annotations

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pytest

from dechaff.pipeline import run_local
from dechaff.store import atomic_write_parquet, frame
from dechaff.store.schemas import CORPUS_SCHEMA, REMOVED_SCHEMA


def test_outputs_read_as_one_dataset_with_the_documented_schema(sample_raw, out_dir):
    run_local(sample_raw, out_dir)
    (sample_raw / "late.txt").write_text("A late story\n\nWith a paragraph nobody has written before about "
                                         "the harbour, the council and the new ferry timetable.\n")
    run_local(sample_raw, out_dir)  # a second part file
    corpus = pl.scan_parquet(out_dir / "corpus" / "*.parquet").collect()
    assert dict(corpus.schema) == CORPUS_SCHEMA
    assert corpus.height == 6 and len(list((out_dir / "corpus").glob("*.parquet"))) == 2
    removed = pl.scan_parquet(out_dir / "removed" / "*.parquet").collect()
    assert dict(removed.schema) == REMOVED_SCHEMA
    con = duckdb.connect()
    n, = con.execute(f"SELECT count(*) FROM read_parquet('{out_dir}/corpus/*.parquet')").fetchone()
    assert n == 6
    top = con.execute(f"SELECT reason, count(*) FROM read_parquet('{out_dir}/removed/*.parquet') "
                      "GROUP BY reason ORDER BY 2 DESC").fetchall()
    assert dict(top)["duplicate"] == 11
    table = ds.dataset(str(out_dir / "corpus"), format="parquet").to_table()
    assert table.num_rows == 6 and "kept_paragraphs" in table.column_names


def test_empty_tables_keep_their_schema():
    assert dict(frame("removed", []).schema) == REMOVED_SCHEMA


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "x.parquet"

    def boom(self, *a, **k):
        (tmp_path / ".x.parquet.tmp").write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", boom)
    with pytest.raises(OSError):
        atomic_write_parquet(pl.DataFrame({"a": [1]}), target)
    assert not target.exists()
    assert not list(tmp_path.iterdir())  # the partial temporary file is gone too


def test_background_writes_are_all_done_at_the_end_in_order_and_their_first_error_is_raised(tmp_path):
    """Writes handed to the writing thread run in the order given, at most ``in_flight`` waiting at a time;
    leaving the block waits for all of them; a failed write is raised (at the latest when leaving), after
    the writes behind it are done, and a failure of the caller's own still waits for every write."""
    import threading

    from dechaff.store.atomic import BackgroundWrites

    gate = threading.Event()
    done: list[int] = []

    def slow(k: int) -> None:
        gate.wait(5)
        done.append(k)

    with BackgroundWrites(in_flight=2) as w:
        w.submit(slow, 0)
        w.submit(slow, 1)
        assert done == []  # (two wait: the caller went on)
        threading.Timer(0.2, gate.set).start()
        w.submit(slow, 2)  # (a third waits for the first to be done)
        assert done[:1] == [0]
    assert done == [0, 1, 2]

    def fail(k: int) -> None:
        done.append(k)
        raise OSError(f"disk full at {k}")

    done.clear()
    with pytest.raises(OSError, match="disk full at 1"), BackgroundWrites(in_flight=8) as w:
        for k in range(4):
            w.submit(fail if k in (1, 3) else done.append, k)
    assert done == [0, 1, 2, 3]
    done.clear()
    gate.clear()
    threading.Timer(0.3, gate.set).start()
    with pytest.raises(KeyError), BackgroundWrites() as w:
        w.submit(slow, 7)
        raise KeyError("the caller's own")
    assert done == [7]  # (waited for, though the block failed first)
