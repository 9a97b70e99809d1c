"""Known inputs are not read again: the ledger keeps each input's size and mtime with its hash, and a
file whose path, size and mtime agree with it is known without hashing it; any change is hashed."""

from __future__ import annotations

import os

import polars as pl
import pytest

import dechaff.pipeline.plan as plan_mod
from dechaff.config import Config
from dechaff.pipeline import run_local

PAGE = ("The council approved the new budget on Tuesday after a long debate about school funding, road "
        "repairs and the future of the public library in the town centre.\n\nA second paragraph follows.\n")


@pytest.fixture
def hashed(monkeypatch):
    """The inputs plan_run hashes (by relative path)."""
    seen: list[str] = []
    real = plan_mod.sha256_file

    def spy(path):
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(plan_mod, "sha256_file", spy)
    return seen


def _ingested(tmp_path, hashed, names=("a.txt", "b.txt")):
    """A raw folder of ``names`` (different pages), ingested once; returns (raw, out)."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for name, day in zip(names, ("Tuesday", "Monday"), strict=False):
        (raw / name).write_text(PAGE.replace("Tuesday", day))
    run_local(raw, out)
    assert sorted(hashed) == sorted(names)
    hashed.clear()
    return raw, out


def test_a_known_input_with_the_same_size_and_mtime_is_not_hashed_again(tmp_path, hashed):
    raw, out = _ingested(tmp_path, hashed)
    ledger = pl.read_parquet(next((out / "_state").glob("ledger-*.pq")))
    assert {"size", "mtime_ns"} <= set(ledger.columns) and ledger["size"].null_count() == 0
    s = run_local(raw, out)
    assert hashed == [] and s.inputs_already_ingested == 2 and s.inputs_new == 0


def test_a_changed_size_or_mtime_is_hashed_and_a_changed_file_read(tmp_path, hashed):
    raw, out = _ingested(tmp_path, hashed)
    st = (raw / "a.txt").stat()
    os.utime(raw / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touched, same content
    (raw / "b.txt").write_text(PAGE.replace("Tuesday", "Sunday"))  # changed
    s = run_local(raw, out)
    assert sorted(hashed) == ["a.txt", "b.txt"]
    assert s.inputs_already_ingested == 1 and s.inputs_new == 1 and s.documents_read == 1
    hashed.clear()
    s = run_local(raw, out)  # the touched file's new mtime is remembered too
    assert hashed == [] and s.inputs_already_ingested == 2


def test_a_moved_file_is_hashed_and_known_by_its_content(tmp_path, hashed):
    raw, out = _ingested(tmp_path, hashed, ("a.txt",))
    (raw / "sub").mkdir()
    os.rename(raw / "a.txt", raw / "sub" / "a.txt")
    s = run_local(raw, out)
    assert hashed == ["a.txt"] and s.inputs_already_ingested == 1 and s.documents_read == 0


def test_rehash_inputs_hashes_every_input(tmp_path, hashed):
    raw, out = _ingested(tmp_path, hashed, ("a.txt",))
    s = run_local(raw, out, Config(rehash_inputs=True))
    assert hashed == ["a.txt"] and s.inputs_already_ingested == 1
