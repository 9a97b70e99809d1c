"""The output directory: layout, lock, manifest and the all-or-nothing commit of a run.

Layout::

    clean/
      corpus/part-<seq>-<run_id>.parquet      kept documents
      removed/part-<seq>-<run_id>.parquet     one row per removed paragraph or line
      rejected/part-<seq>-<run_id>.parquet    one row per input that could not be read
      _state/manifest.json                    the commit record (see below)
      README.md                               the dataset card (configs for `datasets`), written at each commit
      _state/ledger-<seq>.pq                  every raw input seen (sha256, source, status) and doc ids
      _state/boilerplate-<seq>.pq             per-site repeat counts of paragraphs and lines
      _state/boilerplate-templates-<seq>.pq   the site templates found, with their evidence
      _state/boilerplate-docs-<seq>.pq        per document: its first/last lines' keys, word sketch (in parts:
                                              a run adds one, merged with the last ones when not twice as large)
      _state/index/seg-<seq>-<run_id>.*       dedup index segments (band keys + kept paragraph texts, also as records)
      _state/reading/<sha256>.json            inputs being read now; one left by a dead run names its killer
      _staging/<run_id>/                      a run's intermediate shard files (deleted after commit)

State files are Parquet under the suffix ``.pq``, so that ``<out>/**/*.parquet`` is the tables alone.

A run writes every new file first: parts under hidden temporary names, state files under new names
nothing refers to yet. Then ``manifest.json`` is replaced atomically: that rename is the commit. After it,
the temporary parts are renamed to their final names. A crash before the commit leaves only files
nothing refers to, which the next run deletes; a crash after it is rolled forward by the next run (the
manifest lists every part of every run). Readers therefore see all of a run or none of it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from dechaff.store.atomic import RECORDS_SUFFIX, SHINGLES_SUFFIX, STATE_SUFFIX, atomic_write_json
from dechaff.store.manifest import (
    FORMAT,
    READABLE_FORMATS,
    TABLE_DIRS,
    Manifest,
    OutputLocked,
    StateError,
    fingerprint,
)


class OutputDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.state = self.root / "_state"
        self.index_dir = self.state / "index"
        self.staging_root = self.root / "_staging"
        self.manifest_path = self.state / "manifest.json"
        self.reading_dir = self.state / "reading"  # markers of the inputs being read (see process_shard)
        self.lock_path = self.root / ".dechaff.lock"

    def table_dir(self, table: str) -> Path:
        return self.root / table

    def ensure(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StateError(f"output path {self.root} exists and is not a directory")
        for d in (self.root, self.state, self.index_dir, *(self.table_dir(t) for t in TABLE_DIRS)):
            d.mkdir(parents=True, exist_ok=True)

    # ---------------------------------------------------------------- lock
    @contextmanager
    def lock(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Exclusive lock on the output directory for the whole run. Waits up to ``wait_seconds``, then
        raises :class:`OutputLocked` naming the holder."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = ""
                        with suppress(OSError):
                            holder = Path(self.lock_path).read_text().strip()
                        raise OutputLocked(
                            f"{self.root} is being written by another dechaff run ({holder or 'pid unknown'}); "
                            "wait for it to finish, or pass --wait SECONDS") from None
                    time.sleep(0.2)
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S')}".encode())
            yield
        finally:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    # ---------------------------------------------------------------- manifest
    def read_manifest(self) -> Manifest:
        if not self.manifest_path.exists():
            return Manifest()
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise StateError(f"{self.manifest_path} is unreadable ({e}); it is the corpus's commit record") from None
        if data.get("format") not in READABLE_FORMATS:
            raise StateError(f"{self.manifest_path} has format {data.get('format')}, this dechaff reads "
                             f"{' and '.join(map(str, READABLE_FORMATS))}")
        m = Manifest()
        for k, v in data.items():
            if hasattr(m, k):
                setattr(m, k, v)
        docs = m.boilerplate_docs
        m.boilerplate_docs = [docs] if isinstance(docs, str) else list(docs or [])  # (format 1: one file)
        m.format = FORMAT
        return m

    def commit(self, manifest: Manifest, renames: list[tuple[Path, Path]]) -> None:
        """The commit point: record the size and checksum of every file the manifest names (from its
        temporary name for the parts being renamed; a file it already records keeps its record), replace
        the manifest, then move the parts into place."""
        pending = {str(final.relative_to(self.root).as_posix()): tmp for tmp, final in renames}
        files = {}
        for rel in manifest.referenced(self.root):
            if rel in pending:
                files[rel] = fingerprint(pending[rel])
            elif rel in manifest.files:
                files[rel] = manifest.files[rel]
            elif (self.root / rel).exists():  # a file committed before files were recorded
                files[rel] = fingerprint(self.root / rel)
        manifest.files = files
        atomic_write_json(self.manifest_path, manifest.to_json())
        self._roll_forward(renames)

    @staticmethod
    def _roll_forward(renames: list[tuple[Path, Path]]) -> None:
        for tmp, final in renames:
            if tmp.exists():
                os.replace(tmp, final)

    def check(self, checksums: bool = False, state_checksums: bool = False) -> list[str]:
        """What is wrong with the committed files: missing, of another size, or (``checksums``; for the
        state files a run reads whole anyway, ``state_checksums``: not the index segments' texts nor the
        profile parts, see :func:`_read_whole`) of other content than the manifest recorded. Empty when all
        is well."""
        m = self.read_manifest()
        problems = []
        for rel, (size, sha) in sorted(m.files.items()):
            path = self.root / rel
            if not path.exists():
                problems.append(f"{rel}: missing")
            elif path.stat().st_size != size:
                problems.append(f"{rel}: {path.stat().st_size:,} bytes, committed with {size:,}")
            elif (checksums or (state_checksums and _read_whole(rel))) and fingerprint(path)[1] != sha:
                problems.append(f"{rel}: damaged (its checksum is not the one committed)")
        return problems

    def recover(self) -> list[str]:
        """Bring the directory to the state its manifest describes: finish an interrupted commit, and
        delete whatever a run that died before its commit left behind. Returns what it did. Refuses
        (:class:`StateError`, deleting nothing) when committed parts are there but no manifest."""
        if not self.root.exists():
            return []
        if not self.manifest_path.exists():
            self._refuse_orphan_parts()
        m = self.read_manifest()
        done = self._finish_renames(m)
        done += self._drop_uncommitted_parts(m)
        self._drop_old_state(m)
        done += self._tidy_index(m)
        if self.staging_root.exists():
            shutil.rmtree(self.staging_root, ignore_errors=True)
        return done

    def _refuse_orphan_parts(self) -> None:
        parts = sorted(f"{t}/{f.name}" for t in TABLE_DIRS if self.table_dir(t).is_dir()
                       for f in self.table_dir(t).glob("part-*.parquet"))
        if parts:
            raise StateError(
                f"{self.root} holds {len(parts)} committed parts ({', '.join(parts[:3])}"
                f"{', ...' if len(parts) > 3 else ''}) but no {self.manifest_path.relative_to(self.root)}, "
                "the record of what they are; nothing was deleted. Restore the manifest, or move the "
                "folder away and start a new output")

    def _finish_renames(self, m: Manifest) -> list[str]:
        """Committed parts still under their temporary names (a crash after the commit) are renamed."""
        done = []
        for rel in m.parts:
            final = self.root / rel
            tmp = final.parent / f".{final.name}.tmp"
            if not tmp.exists():
                continue
            size = m.files.get(rel, [None])[0]
            # a part written again under its own name (keep = "longest") swaps in when it is the committed one
            if not final.exists() or (size is not None and final.stat().st_size != size
                                      and tmp.stat().st_size == size):
                os.replace(tmp, final)
                done.append(f"completed the commit of {rel}")
        return done

    def _drop_uncommitted_parts(self, m: Manifest) -> list[str]:
        """Temporary files and parts no committed run names (a run that died before its commit)."""
        done = []
        wanted = set(m.parts)
        for t in TABLE_DIRS:
            d = self.table_dir(t)
            for f in d.iterdir() if d.is_dir() else ():
                rel = f"{t}/{f.name}"
                if f.name.endswith(".tmp"):
                    f.unlink(missing_ok=True)
                    done.append(f"deleted unfinished {rel}")
                elif f.name.startswith("part-") and f.suffix == ".parquet" and rel not in wanted:
                    f.unlink(missing_ok=True)
                    done.append(f"deleted uncommitted {rel}")
        return done

    def _drop_old_state(self, m: Manifest) -> None:
        """State files of earlier versions, and of runs that never committed."""
        keep = {self.manifest_path.name}
        keep.update(Path(f).name for f in m.state_files)
        if self.state.is_dir():
            for f in self.state.iterdir():
                if f.is_file() and f.name not in keep and f.name != ".gitkeep":
                    f.unlink(missing_ok=True)

    def _tidy_index(self, m: Manifest) -> list[str]:
        """Index files of segments the manifest does not name; segments of dechaff < 0.2 renamed."""
        done = []
        if not self.index_dir.is_dir():
            return done
        for f in self.index_dir.glob("*.parquet"):  # segments of dechaff < 0.2: another suffix now
            os.replace(f, f.with_suffix(STATE_SUFFIX))
            done.append(f"renamed {f.name} to {f.with_suffix(STATE_SUFFIX).name}")
        segs = {Path(s).name for s in m.index_segments}
        for f in self.index_dir.iterdir():
            if f.name.split(".")[0] not in segs:
                f.unlink(missing_ok=True)
        return done


def _read_whole(rel: str) -> bool:
    """A state file every run reads whole (the ledger, the boilerplate counts and templates, the index's
    band keys, fingerprints, copies and replacements), not one that grows with the corpus and that a run
    reads only in part or only sometimes: an index segment's texts (its Parquet and records), of which a
    run reads a few records, and the parts of the document profiles, read when a run has templates to
    judge. Those are checked by size; reading them finds damage (:class:`StateError`), and so does
    ``dechaff verify``."""
    if rel.startswith("_state/boilerplate-docs-"):
        return False
    if not rel.startswith("_state/index/"):
        return rel.startswith("_state/")
    # (a segment's files are <segment><suffix>; its texts: the bare state suffix, and the records; its
    # shingle sets)
    name = rel.rsplit("/", 1)[-1]
    return "." + name.partition(".")[2] not in (STATE_SUFFIX, f"{RECORDS_SUFFIX}.bin", f"{SHINGLES_SUFFIX}.npy",
                                                f"{SHINGLES_SUFFIX}.rows.npy")
