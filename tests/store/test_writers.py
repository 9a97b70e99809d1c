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
