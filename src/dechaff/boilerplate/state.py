"""What the boilerplate stage carries from run to run: counts, templates found, document profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from dechaff.boilerplate.keys import BoilerplateCounts
from dechaff.boilerplate.profile import Profile
from dechaff.store.atomic import atomic_sink_parquet, atomic_write_parquet

PROFILE_BATCH = 50_000  # profiles read, or held before they are spooled, at a time

_SCHEMA = {"doc_id": pl.String, "site": pl.String, "n_pairs": pl.Int64, "head": pl.Binary,
           "head_short": pl.Binary, "tail": pl.Binary, "tail_short": pl.Binary, "short": pl.Binary,
           "sketch": pl.Binary}


def profiles_frame(ps: Sequence[Profile]) -> pl.DataFrame:
    """One row per document; keys and sketches as little-endian arrays in binary columns (one value
    a row would cost a hundred rows a document; nested lists are slow to build)."""
    cols = {
        "doc_id": [p.doc_id for p in ps], "site": [p.site for p in ps], "n_pairs": [p.n_pairs for p in ps],
        "head": [p.head_keys for p in ps], "head_short": [p.head_short for p in ps],
        "tail": [p.tail_keys for p in ps], "tail_short": [p.tail_short for p in ps],
        "short": [p.short_keys for p in ps], "sketch": [p.sketch.astype("<u4").tobytes() for p in ps],
    }
    return pl.DataFrame({k: pl.Series(v, dtype=_SCHEMA[k]) for k, v in cols.items()})


def profiles_of(df: pl.DataFrame) -> list[Profile]:
    return [Profile(doc_id, site, head, head_short, tail, tail_short, short,
                    np.frombuffer(sketch, np.dtype("<u4")).astype(np.uint32), n_pairs)
            for doc_id, site, n_pairs, head, head_short, tail, tail_short, short, sketch
            in df.select(list(_SCHEMA)).iter_rows()]


class Profiles:
    """Every document's profile, in order, without holding them: earlier runs' are in Parquet files read
    ``PROFILE_BATCH`` at a time; a run's own are held until ``PROFILE_BATCH`` of them are, then written to
    a file of the ``spool`` folder (without a spool, as for a single :func:`~dechaff.boilerplate.detect`
    call, they stay held)."""

    def __init__(self, files: Iterable[Path] = (), held: Iterable[Profile] = (), spool: Path | None = None) -> None:
        self.files = list(files)
        self.held = list(held)
        self.spool = spool

    def extended(self, spool: Path | None) -> Profiles:
        """A copy to add to (these stay as they are)."""
        return Profiles(self.files, self.held, spool)

    def add(self, ps: Iterable[Profile]) -> None:
        self.held.extend(ps)
        if self.spool is not None and len(self.held) >= PROFILE_BATCH:
            self.spool.mkdir(parents=True, exist_ok=True)
            path = self.spool / f"profiles-{len(self.files):05d}.pq"
            profiles_frame(self.held).write_parquet(path)
            self.files.append(path)
            self.held = []

    def frames(self) -> Iterator[pl.DataFrame]:
        """The profiles as frames of at most ``PROFILE_BATCH`` rows, in order."""
        for f in self.files:
            yield from pl.scan_parquet(f).collect_batches(chunk_size=PROFILE_BATCH)
        if self.held:
            yield profiles_frame(self.held)

    def __iter__(self) -> Iterator[Profile]:
        for df in self.frames():
            yield from profiles_of(df)

    def __len__(self) -> int:
        n = sum(pl.scan_parquet(f).select(pl.len()).collect().item() for f in self.files)
        return n + len(self.held)

    def touching(self, keys: np.ndarray) -> Iterator[pl.DataFrame]:
        """The profiles whose first or last lines or short lines hold one of ``keys`` (the only ones that
        can witness those keys), in order, as frames (none is unpacked here)."""
        keys = np.unique(keys.astype(np.uint64))
        if not len(keys):
            return
        for df in self.frames():
            hit = np.zeros(len(df), dtype=bool)
            for col in ("head", "tail", "short"):
                blobs = df[col].to_list()
                flat = np.frombuffer(b"".join(blobs), np.dtype("<u8"))
                owner = np.repeat(np.arange(len(blobs)), [len(b) // 8 for b in blobs])
                hit[owner[np.isin(flat, keys)]] = True
            if hit.any():
                yield df.filter(pl.Series(hit))

    def write(self, path: Path) -> None:
        """All of them to one Parquet file, streamed (a temporary name, then renamed)."""
        if not self.files:
            atomic_write_parquet(profiles_frame(self.held), path)
            return
        files, tail = self.files, None
        if self.held:  # (to a file of its own first: then one streamed copy of them all)
            tail = (self.spool or path.parent) / f".profiles-{len(self.files):05d}.pq"
            tail.parent.mkdir(parents=True, exist_ok=True)
            profiles_frame(self.held).write_parquet(tail)
            files = [*files, tail]
        try:
            atomic_sink_parquet(pl.scan_parquet(files), path)
        finally:
            if tail is not None:
                tail.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------- state
@dataclass
class BoilerplateState:
    """What the boilerplate stage carries from run to run (see the module docstring)."""

    counts: BoilerplateCounts
    templates: dict[int, str]  # key -> the evidence that made it a template
    profiles: Profiles

    @classmethod
    def empty(cls) -> BoilerplateState:
        return cls(BoilerplateCounts(), {}, Profiles())

    @classmethod
    def load(cls, counts: Path | None, templates: Path | None, profiles: Path | None) -> BoilerplateState:
        """The state in these files (the profiles are read when needed, batch by batch)."""
        st = cls(BoilerplateCounts.load(counts), {}, Profiles())
        if templates is not None and Path(templates).exists():
            df = pl.read_parquet(templates)
            st.templates = dict(zip(df["key"].cast(pl.UInt64).to_list(), df["evidence"].to_list(), strict=True))
        if profiles is not None and Path(profiles).exists():
            st.profiles = Profiles([Path(profiles)])
        return st

    def templates_frame(self) -> pl.DataFrame:
        return pl.DataFrame({"key": pl.Series(list(self.templates), dtype=pl.UInt64),
                             "evidence": pl.Series(list(self.templates.values()), dtype=pl.String)})

    def profiles_frame(self) -> pl.DataFrame:
        """Every profile as one frame (small states; :meth:`Profiles.write` streams)."""
        return pl.concat([profiles_frame([]), *self.profiles.frames()])
