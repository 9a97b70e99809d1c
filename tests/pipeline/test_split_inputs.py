"""A large plain JSONL is cut into pieces, each read by a shard task of its own: the run gives what one
task reading the whole file gives (corpus, audit, rejections, ledger), failures included."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import polars as pl

from dechaff.config import Config
from dechaff.pipeline import run_local
from dechaff.pipeline.finalize import Gathered, settle_pieces
from dechaff.pipeline.plan import plan_run
from dechaff.pipeline.types import RunPlan
from dechaff.readers import RawInput, Span, read_input


def _raw(raw: Path, long_line_at: int | None = None) -> None:
    rng = random.Random(3)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(800)]
    paras = [" ".join(rng.choice(words) for _ in range(40)) + "." for _ in range(60)]
    raw.mkdir()
    (raw / "a.txt").write_text("A first file\n\n" + paras[0] + "\n")
    lines = []
    for k in range(400):
        if k % 50 == 7:
            lines.append("{not json")
        elif k % 50 == 9:
            lines.append("")
        elif k % 50 == 11:
            lines.append(json.dumps({"html": f"<html><body><nav>Home | News</nav><article><p>{rng.choice(paras)}</p>"
                                             f"<p>{' '.join(rng.choice(words) for _ in range(30))}.</p></article>"
                                             "</body></html>", "url": f"https://s.example/{k}"}))
        elif k == long_line_at:
            lines.append(json.dumps({"text": "word " * 600_000}))  # (3 MB: over a cap of 1 MB)
        else:
            body = [rng.choice(paras) if rng.random() < 0.3 else " ".join(rng.choice(words) for _ in range(35)) + "."
                    for _ in range(4)]
            rec = {"text": "\n\n".join(body), "site": "s.example"}
            if k % 3:
                rec["id"] = f"rec{k}"
            lines.append(json.dumps(rec))
    (raw / "b.jsonl").write_text("\n".join(lines) + "\n")
    (raw / "c.jsonl").write_text(json.dumps({"id": "c0", "text": paras[1] + "\n\nAnd a closing line of its own."}) + "\n")


def _state(out: Path) -> dict[str, pl.DataFrame]:
    c = pl.read_parquet(out / "corpus" / "*.parquet").drop("run_id", "ingested_at")
    r = pl.read_parquet(out / "removed" / "*.parquet").drop("run_id")
    j = pl.read_parquet(out / "rejected" / "*.parquet").drop("run_id")
    led = pl.read_parquet(next((out / "_state").glob("ledger-*.pq"))).drop("run_id")
    return {"corpus": c, "removed": r, "rejected": j, "ledger": led}


def _same(a: Path, b: Path) -> None:
    x, y = _state(a), _state(b)
    for k in x:
        assert x[k].equals(y[k]), k


def test_a_jsonl_cut_into_pieces_gives_the_corpus_of_one_task(tmp_path):
    raw = tmp_path / "raw"
    _raw(raw)
    small = Config(shard_mb=0.004)  # (pieces of ~4 KB: b.jsonl is ~170 KB)
    plan, _ = plan_run(raw, tmp_path / "probe", small)
    assert len(plan.pieces["b.jsonl"]) > 20 and "c.jsonl" not in plan.pieces
    assert plan.n_new == 3 and len(plan.shards) == len(plan.pieces["b.jsonl"]) + 2
    one = run_local(raw, tmp_path / "one")
    many = run_local(raw, tmp_path / "many", small)
    _same(tmp_path / "one", tmp_path / "many")
    timing = {"seconds": 0, "steps": {}, "run_id": ""}
    assert one.to_dict() | timing == many.to_dict() | timing | {"parts": one.parts}
    assert {"duplicate", "chrome"} <= set(one.removed_by_reason) and one.records_rejected == 8
    led = _state(tmp_path / "many")["ledger"].filter(pl.col("source") == "b.jsonl")
    assert led.height == 1 and led["n_documents"][0] == 400 - 8 - 8  # (bad JSON, blank)


def test_a_piece_that_fails_rejects_the_whole_file_as_one_task_does(tmp_path):
    raw = tmp_path / "raw"
    _raw(raw, long_line_at=300)  # (a line over the cap, in a late piece)
    one = run_local(raw, tmp_path / "one", Config(max_decompressed_mb=1))
    many = run_local(raw, tmp_path / "many", Config(max_decompressed_mb=1, shard_mb=0.004))
    _same(tmp_path / "one", tmp_path / "many")
    rej = _state(tmp_path / "many")["rejected"]
    assert rej.filter(pl.col("source").str.starts_with("b.jsonl")).height == 1  # (not its bad lines too)
    assert "longer than the cap" in rej.filter(pl.col("source") == "b.jsonl")["error"][0]
    assert many.inputs_rejected == one.inputs_rejected == 1
    assert _state(tmp_path / "many")["corpus"]["doc_id"].sort().to_list() == ["a", "c0"]


def test_a_piece_of_a_file_changed_since_the_run_listed_it_is_read_again_next_run(tmp_path):
    f = tmp_path / "b.jsonl"
    f.write_text('{"text": "one"}\n{"text": "two"}\n')
    st = os.stat(f)
    ok = read_input(RawInput(f, "b.jsonl", Span(16, 32, 2, st.st_size, st.st_mtime_ns)), content_sha256="x")
    assert [d.source for d in ok.documents] == ["b.jsonl:2"] and not ok.retry
    moved = read_input(RawInput(f, "b.jsonl", Span(16, 32, 2, st.st_size, st.st_mtime_ns - 1)), content_sha256="x")
    assert moved.retry and not moved.documents and "changed while the run was reading it" in moved.rejections[0].error
    # in the finalize: a file one of whose pieces is to be read again goes whole (no ledger row, one rejection)
    plan = RunPlan("r", 1, "raw", "out", [[("b.jsonl", "h", 0)], [("b.jsonl", "h", 1)]], 1, 0,
                   pieces={"b.jsonl": [(0, 16, 1), (16, 32, 2)]})
    g = Gathered(rejections=[("b.jsonl:1", "line 1: not valid JSON", "h"), ("b.jsonl", moved.rejections[0].error, "")],
                 ledger_rows=[{"source": "b.jsonl", "content_sha256": "h", "status": "ingested", "n_documents": 3}])
    settle_pieces(plan, g)
    assert g.ledger_rows == [] and g.dropped == {"b.jsonl"}
    assert g.rejections == [("b.jsonl", moved.rejections[0].error, "")]
