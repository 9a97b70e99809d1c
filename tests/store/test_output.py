"""The output folder as other projects read it: polars, duckdb, pyarrow and Hugging Face ``datasets``."""

from __future__ import annotations

import json
import os

import polars as pl
import pytest

from dechaff.config import Config
from dechaff.pipeline import run_local
from dechaff.readers import ParquetColumns
from dechaff.store import TABLES


@pytest.fixture
def sample_out(sample_raw, tmp_path):
    out = tmp_path / "clean"
    run_local(sample_raw, out)
    return out


@pytest.fixture
def hf_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_every_table_reads_in_polars_duckdb_and_pyarrow_even_empty(sample_out):
    import duckdb
    import pyarrow.dataset as ds

    counts = {}
    for table in TABLES:
        glob = str(sample_out / table / "*.parquet")
        df = pl.scan_parquet(glob).collect()
        assert list(df.columns) == list(TABLES[table])
        n_duck = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()[0][0]
        arrow = ds.dataset(str(sample_out / table)).to_table()
        assert df.height == n_duck == arrow.num_rows
        assert arrow.schema.names == list(TABLES[table])
        counts[table] = df.height
    assert counts["corpus"] == 5 and counts["removed"] > 0 and counts["rejected"] == 0  # the empty one too


def test_state_files_are_not_parquet_tables(sample_out):
    tables = {p.relative_to(sample_out).parts[0] for p in sample_out.glob("**/*.parquet")}
    assert tables == set(TABLES)
    assert list((sample_out / "_state").rglob("*.pq"))  # the state is there, under its own suffix


def test_a_later_run_with_nothing_new_adds_no_empty_parts(sample_raw, sample_out):
    before = sorted(p.name for p in sample_out.glob("*/*.parquet"))
    run_local(sample_raw, sample_out)
    assert sorted(p.name for p in sample_out.glob("*/*.parquet")) == before


def test_the_output_folder_is_a_hugging_face_dataset(sample_out, hf_offline, monkeypatch):
    import datasets

    monkeypatch.chdir(sample_out.parent)
    corpus = datasets.load_dataset(sample_out.name)  # the default config
    assert corpus["train"].num_rows == 5 and "text" in corpus["train"].column_names
    removed = datasets.load_dataset(sample_out.name, "removed")["train"]
    assert removed.num_rows == pl.read_parquet(sample_out / "removed" / "*.parquet").height
    # every config, empty or not, reads when streamed (datasets cannot build an empty split otherwise)
    for table in TABLES:
        rows = list(datasets.load_dataset(sample_out.name, table, streaming=True)["train"])
        assert len(rows) == pl.read_parquet(sample_out / table / "*.parquet").height
    card = (sample_out / "README.md").read_text()
    assert "config_name: corpus" in card and "default: true" in card and "## Runs" in card
    assert "| **all 1 runs with new inputs** | | **5** |" in card


def test_the_card_follows_the_runs(sample_raw, sample_out):
    (sample_raw / "extra.txt").write_text("A new page about the harbour board and its plans for the winter "
                                          "season, with a second sentence to make it a paragraph.\n")
    run_local(sample_raw, sample_out)
    card = (sample_out / "README.md").read_text()
    assert "| **all 2 runs with new inputs** | | **6** |" in card
    assert os.path.getsize(sample_out / "README.md") < 20_000
    assert "Warnings" not in card


def test_the_card_lists_the_warnings_of_its_runs():
    from dechaff.store import card

    runs = [{"run_id": f"r{k}", "finished_at": "2026-12-05T02:00:00", "summary": {
        "inputs_new": 1, "documents_read": 2, "warnings": ["the index's band shards were lost (OSError: x)"] * (k == 1)}}
        for k in range(3)]
    text = card.render("clean", runs)
    assert "Warnings of these runs" in text
    assert "- r1: the index's band shards were lost (OSError: x)" in text and "- r0:" not in text
    assert "Warnings" not in card.render("clean", runs[:1])


def test_a_duplicate_document_names_the_document_it_copies(tmp_path):
    from dechaff.explain import explain

    paras = [(f"Paragraph {k} of the original story about the harbour board, which met on Tuesday to weigh "
              "the cost of dredging the channel before the storms, with the ferry company waiting.")
             for k in range(5)]
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("\n\n".join(paras) + "\n")
    (raw / "b.txt").write_text("\n\n".join(paras[:4]) + "\n\nA closing line of the copy's own, written "
                               "for it alone by the second paper's desk.\n")
    run_local(raw, tmp_path / "out")
    rm = pl.read_parquet(tmp_path / "out" / "removed" / "*.parquet")
    dd = rm.filter(pl.col("reason") == "duplicate-document")
    assert dd.height == 4 and set(dd["duplicate_of_document"].to_list()) == {"a"}
    assert rm.filter(pl.col("reason") != "duplicate-document")["duplicate_of_document"].null_count() == \
        rm.filter(pl.col("reason") != "duplicate-document").height
    assert "a duplicate document: copies a" in explain(tmp_path / "out", "b")


def test_parts_of_an_older_schema_are_upgraded_by_the_next_run(sample_raw, tmp_path):
    out = tmp_path / "clean"
    run_local(sample_raw, out)
    part = next((out / "removed").glob("*.parquet"))
    pl.read_parquet(part).drop("duplicate_of_document").write_parquet(part)  # as dechaff 0.1 wrote it...
    manifest = out / "_state" / "manifest.json"
    m = json.loads(manifest.read_text())
    del m["files"]  # ...with a manifest that recorded no file sizes
    manifest.write_text(json.dumps(m))
    (sample_raw / "extra.txt").write_text("A new page about the harbour board and its plans for the winter "
                                          "season, with a second sentence to make it a paragraph.\n")
    s = run_local(sample_raw, out)
    assert any("upgraded removed/" in r for r in s.recovered)
    df = pl.scan_parquet(str(out / "removed" / "*.parquet")).collect()
    assert list(df.columns) == list(TABLES["removed"]) and df.height > 0
    assert not part.exists()


def test_dechaff_run_is_the_pipeline_without_prefect(sample_raw, tmp_path):
    import dechaff
    from dechaff.config import ConfigError

    s = dechaff.run(sample_raw, tmp_path / "clean", keep_comments=True, dedup={"jaccard": 0.5})
    assert s.documents_read == 5 and "comment" not in s.removed_by_reason
    corpus = pl.scan_parquet(str(tmp_path / "clean" / "corpus" / "*.parquet")).collect()
    assert corpus.height == 5
    again = dechaff.run(sample_raw, tmp_path / "clean")
    assert again.inputs_already_ingested == 5 and again.documents_read == 0
    with pytest.raises(ConfigError, match="unknown setting"):
        dechaff.run(sample_raw, tmp_path / "other", keep_coments=True)
    with pytest.raises(ConfigError, match="dedup"):
        dechaff.run(sample_raw, tmp_path / "other", dedup={"jacard": 0.5})


def test_parquet_and_zstd_inputs_through_a_run(tmp_path):
    import json

    import zstandard

    raw = tmp_path / "raw"
    raw.mkdir()
    texts = [f"Row {k}: the harbour board met to weigh the cost of dredging the channel before the storms, "
             f"and the ferry company asked for an answer within the month, said clerk number {k}." for k in range(4)]
    pl.DataFrame({"doc": ["p0", "p1", None, "p3"], "body": [texts[0], None, texts[2], texts[3]]}) \
        .write_parquet(raw / "rows.parquet")
    (raw / "more.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(
        "\n".join([json.dumps({"id": "j0", "text": "A zstd line of its own, long enough to be kept as it is."}),
                   "{broken"]).encode()))
    s = run_local(raw, tmp_path / "out", Config(parquet=ParquetColumns(text="body", id="doc")))
    corpus = pl.read_parquet(tmp_path / "out" / "corpus" / "*.parquet")
    assert sorted(corpus["doc_id"].to_list()) == ["j0", "p0", "p3", "rows#2"]
    rejected = pl.read_parquet(tmp_path / "out" / "rejected" / "*.parquet")
    assert sorted(rejected["source"].to_list()) == ["more.jsonl.zst:2", "rows.parquet#1"]
    assert s.records_rejected == 2 and s.inputs_rejected == 0
