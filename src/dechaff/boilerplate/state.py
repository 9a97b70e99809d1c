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
from dechaff.store.manifest import StateError, damaged

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
    """Every document's profile, in order, without holding them: earlier runs' are in Parquet files (the
    first ``base`` of ``files``) read ``PROFILE_BATCH`` at a time; a run's own are held until
    ``PROFILE_BATCH`` of them are, then written to a file of the ``spool`` folder (without a spool, as for
    a single :func:`~dechaff.boilerplate.detect` call, they stay held)."""

    def __init__(self, files: Iterable[Path] = (), held: Iterable[Profile] = (), spool: Path | None = None) -> None:
        self.files = list(files)
        self.held = list(held)
        self.spool = spool
        self.base = len(self.files)
        self.n_spooled = 0  # profiles in files[base:] (the spooled ones)

    def extended(self, spool: Path | None) -> Profiles:
        """A copy to add to (these stay as they are). What is added, and what was held (in no file
        yet), is new (:attr:`n_new`, :meth:`write_new`)."""
        return Profiles(self.files, self.held, spool)

    def add(self, ps: Iterable[Profile]) -> None:
        self.held.extend(ps)
        if self.spool is not None and len(self.held) >= PROFILE_BATCH:
            self.spool.mkdir(parents=True, exist_ok=True)
            path = self.spool / f"profiles-{len(self.files):05d}.pq"
            profiles_frame(self.held).write_parquet(path)
            self.files.append(path)
            self.n_spooled += len(self.held)
            self.held = []

    @property
    def n_new(self) -> int:
        """The profiles added since :meth:`extended`."""
        return self.n_spooled + len(self.held)

    def frames(self) -> Iterator[pl.DataFrame]:
        """The profiles as frames of at most ``PROFILE_BATCH`` rows, in order."""
        for f in self.files:
            try:
                yield from pl.scan_parquet(f).collect_batches(chunk_size=PROFILE_BATCH)
            except (pl.exceptions.PolarsError, OSError) as e:
                raise _damaged(f, e) from None
        if self.held:
            yield profiles_frame(self.held)

    def __iter__(self) -> Iterator[Profile]:
        for df in self.frames():
            yield from profiles_of(df)

    def __len__(self) -> int:
        return sum(part_rows(f) for f in self.files) + len(self.held)

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

    def write_new(self, path: Path, after: Sequence[Path] = ()) -> None:
        """The files ``after`` (earlier parts), then the profiles added since :meth:`extended`, to one
        Parquet file, streamed (a temporary name, then renamed)."""
        files, held = [*after, *self.files[self.base:]], self.held
        if not files:
            atomic_write_parquet(profiles_frame(held), path)
            return
        tail = None
        if held:  # (to a file of its own first: then one streamed copy of them all)
            tail = (self.spool or path.parent) / f".profiles-{len(files):05d}.pq"
            tail.parent.mkdir(parents=True, exist_ok=True)
            profiles_frame(held).write_parquet(tail)
            files = [*files, tail]
        try:
            atomic_sink_parquet(pl.scan_parquet(files), path)
        finally:
            if tail is not None:
                tail.unlink(missing_ok=True)


def part_rows(path: Path) -> int:
    """The profiles in a Parquet file (from its footer)."""
    try:
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    except (pl.exceptions.PolarsError, OSError) as e:
        raise _damaged(path, e) from None


def _damaged(path: Path, e: Exception) -> StateError:
    """A part of the profiles that cannot be read (a run checks them by size only: it reads them when it
    has templates to judge)."""
    return damaged(path, e, "starts the boilerplate state again")


def parts_to_merge(sizes: Sequence[int], new: int) -> int:
    """How many of the last parts (of ``sizes`` profiles each, in order) a run's ``new`` profiles are
    written with, into one part: each while it is less than twice what goes with it. Every part is then
    at least twice the next, so they stay at most about log2(corpus / run) in number; a profile is
    rewritten only when its part grows at least 1.5 times, about log1.5(corpus / run) times in all,
    not at every run."""
    k, total = 0, new
    while k < len(sizes) and sizes[len(sizes) - 1 - k] < 2 * total:
        total += sizes[len(sizes) - 1 - k]
        k += 1
    return k


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
    def load(cls, counts: Path | None, templates: Path | None, profiles: Sequence[Path] = ()) -> BoilerplateState:
        """The state in these files (the profiles, in their parts, are read when needed, batch by batch)."""
        st = cls(BoilerplateCounts.load(counts), {}, Profiles())
        if templates is not None and Path(templates).exists():
            df = pl.read_parquet(templates)
            st.templates = dict(zip(df["key"].cast(pl.UInt64).to_list(), df["evidence"].to_list(), strict=True))
        st.profiles = Profiles([Path(p) for p in profiles])
        return st

    def templates_frame(self) -> pl.DataFrame:
        return pl.DataFrame({"key": pl.Series(list(self.templates), dtype=pl.UInt64),
                             "evidence": pl.Series(list(self.templates.values()), dtype=pl.String)})

    def profiles_frame(self) -> pl.DataFrame:
        """Every profile as one frame (small states; :meth:`Profiles.write_new` streams)."""
        return pl.concat([profiles_frame([]), *self.profiles.frames()])
