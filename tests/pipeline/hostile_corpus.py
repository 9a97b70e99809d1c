"""A raw folder of good inputs mixed with hostile ones, for the soak test and ``bench/bench_hostile.py``.

``build(raw, n, seed, bomb_mb)`` writes ``n`` inputs, about a third of them bad, and returns what a run
must make of them: the doc ids every good input must put in the corpus, and the inputs (file names)
every bad one must put in ``rejected/``.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

WORDS = ["harbour", "council", "budget", "school", "library", "road", "bridge", "market", "festival", "river", "storm", "election", "court", "hospital", "museum", "train", "airport", "farm", "factory", "theatre", "park", "stadium", "college", "police", "mayor", "teacher", "nurse", "driver", "baker", "farmer", "singer", "player", "coach", "judge", "doctor", "pilot", "sailor", "miner", "weaver", "potter"]


def prose(rng: random.Random, k: int) -> str:
    """A unique paragraph (its number in it, and random words)."""
    return f"Item {k}: " + " ".join(rng.choice(WORDS) for _ in range(40)) + "."


@dataclass
class Expected:
    good_docs: set[str] = field(default_factory=set)  # doc ids that must be in the corpus
    bad_inputs: set[str] = field(default_factory=set)  # file names that must have a rejected/ row
    bad_records: set[str] = field(default_factory=set)  # rejected/ sources of bad records in good files


def _warc(pages: list[tuple[str, bytes, list[tuple[str, str]]]]) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    for url, body, headers in pages:
        hh = StatusAndHeaders("200 OK", [("Content-Type", "text/html"), *headers], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=hh))
    return buf.getvalue()


def build(raw: Path, n: int = 200, seed: int = 1, bomb_mb: int = 64, outside: Path | None = None) -> Expected:
    import polars as pl
    import zstandard

    rng = random.Random(seed)
    raw.mkdir(parents=True, exist_ok=True)
    outside = outside or raw.parent / "outside"
    outside.mkdir(parents=True, exist_ok=True)
    exp = Expected()
    k = 0

    def para() -> str:
        nonlocal k
        k += 1
        return prose(rng, k)

    kinds = ["txt", "html", "jsonl", "jsonl.gz", "jsonl.zst", "parquet", "warc",
             "empty", "binary", "badjson", "truncgz", "gzbomb", "zstbomb", "fifo", "symlink-out", "devzero",
             "dangling", "warc-nolength", "warc-encbomb", "badname", "surrogate", "parquet-badrows"]
    weights = [6, 4, 3, 2, 2, 2, 2] + [1] * 15
    for i in range(n):
        kind = rng.choices(kinds, weights)[0]
        name = f"f{i:04d}"
        if kind == "txt":
            (raw / f"{name}.txt").write_text(f"{para()}\n\n{para()}\n")
            exp.good_docs.add(name)
        elif kind == "html":
            (raw / f"{name}.html").write_text(f"<html><body><article><p>{para()}</p><p>{para()}</p></article>"
                                              "</body></html>")
            exp.good_docs.add(name)
        elif kind.startswith("jsonl"):
            lines = [json.dumps({"id": f"{name}-{j}", "text": para()}) for j in range(3)]
            data = ("\n".join(lines) + "\n").encode()
            if kind == "jsonl.gz":
                data = gzip.compress(data)
            elif kind == "jsonl.zst":
                data = zstandard.ZstdCompressor().compress(data)
            (raw / f"{name}.{kind}").write_bytes(data)
            exp.good_docs.update(f"{name}-{j}" for j in range(3))
        elif kind == "parquet":
            pl.DataFrame({"id": [f"{name}-p{j}" for j in range(2)], "text": [para(), para()]}) \
                .write_parquet(raw / f"{name}.parquet")
            exp.good_docs.update(f"{name}-p{j}" for j in range(2))
        elif kind == "parquet-badrows":
            pl.DataFrame({"id": [f"{name}-p0", None], "text": [para(), None]}).write_parquet(raw / f"{name}.parquet")
            exp.good_docs.add(f"{name}-p0")
            exp.bad_records.add(f"{name}.parquet#1")
        elif kind == "warc":
            (raw / f"{name}.warc").write_bytes(_warc([(f"https://w{i}.example/", f"<p>{para()}</p>".encode(), [])]))
            exp.good_docs.add(f"{name}#")  # (a prefix: the record id follows)
        elif kind == "warc-nolength":
            good = _warc([(f"https://w{i}.example/{j}", f"<p>{para()}</p>".encode(), []) for j in range(3)])
            recs = good.split(b"WARC/1.")
            bad = b"WARC/1." + recs[2].replace(b"Content-Length", b"X-Length", 1)
            (raw / f"{name}.warc").write_bytes(b"WARC/1." + recs[1] + bad + b"WARC/1." + recs[3])
            exp.good_docs.add(f"{name}#")
            exp.bad_records.add(f"{name}.warc#2")
        elif kind == "warc-encbomb":
            body = gzip.compress(b"<p>" + b"A" * ((bomb_mb + 1) << 20) + b"</p>")
            data = _warc([(f"https://b{i}.example/", body, [("Content-Encoding", "gzip")]),
                          (f"https://ok{i}.example/", f"<p>{para()}</p>".encode(), [])])
            (raw / f"{name}.warc").write_bytes(data)
            exp.good_docs.add(f"{name}#")
            exp.bad_records.add(f"{name}.warc#1 https://b{i}.example/")
        elif kind == "empty":
            (raw / f"{name}.txt").write_bytes(b"")
            exp.bad_inputs.add(f"{name}.txt")
        elif kind == "binary":
            (raw / f"{name}.txt").write_bytes(bytes(rng.randrange(256) for _ in range(4096)) + b"\x00" * 100)
            exp.bad_inputs.add(f"{name}.txt")
        elif kind == "badjson":
            (raw / f"{name}.jsonl").write_text(f"{{not json {name}\n[1, 2]\n")  # (unique: same bytes are read once)
            exp.bad_inputs.update({f"{name}.jsonl:1", f"{name}.jsonl:2"})
        elif kind == "truncgz":
            (raw / f"{name}.jsonl.gz").write_bytes(gzip.compress(json.dumps({"text": para()}).encode())[:-12])
            exp.bad_inputs.add(f"{name}.jsonl.gz")
        elif kind == "gzbomb":
            (raw / f"{name}.jsonl.gz").write_bytes(gzip.compress(b" " * ((bomb_mb + 1) << 20)))
            exp.bad_inputs.add(f"{name}.jsonl.gz")
        elif kind == "zstbomb":
            (raw / f"{name}.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(b"\n" * ((bomb_mb + 1) << 20)))
            exp.bad_inputs.add(f"{name}.jsonl.zst")
        elif kind == "fifo":
            os.mkfifo(raw / f"{name}.txt")
            exp.bad_inputs.add(f"{name}.txt")
        elif kind == "symlink-out":
            secret = outside / f"{name}.secret"
            secret.write_text("SECRET " * 20)
            os.symlink(secret, raw / f"{name}.txt")
            exp.bad_inputs.add(f"{name}.txt")
        elif kind == "devzero":
            os.symlink("/dev/zero", raw / f"{name}.jsonl")
            exp.bad_inputs.add(f"{name}.jsonl")
        elif kind == "dangling":
            os.symlink(outside / "nowhere", raw / f"{name}.txt")
            exp.bad_inputs.add(f"{name}.txt")
        elif kind == "badname":
            (raw / os.fsdecode(f"{name}-caf\xe9".encode("latin-1") + b".txt")).write_text(f"{para()}\n")
            exp.good_docs.add(f"{name}-caf\\xe9")
        elif kind == "surrogate":
            (raw / f"{name}.jsonl").write_text(json.dumps({"id": f"{name}-s", "text": para() + " \udcff"}) + "\n")
            exp.good_docs.add(f"{name}-s")
    return exp
