"""The manifest: the commit record of the output folder (``_state/manifest.json``): every run, its parts,
the state files, the index segments, and the size and checksum of every committed file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from dechaff.store.atomic import RECORDS_SUFFIX, SHINGLES_SUFFIX, STATE_SUFFIX

FORMAT = 2  # 2: the document profiles of the boilerplate stage are a list of parts (1: one file)
READABLE_FORMATS = (1, 2)  # (a format-1 manifest is read as format 2: its one profiles file is a list of one)
TABLE_DIRS = ("corpus", "removed", "rejected")


class OutputLocked(Exception):
    """Another run holds the output directory."""


class StateError(Exception):
    """The output directory is not one dechaff can use (names the path and the cause)."""


def damaged(what: object, cause: object, repair: str) -> StateError:
    """The error for a committed file found damaged when it is read (a run checks the files that grow
    with the corpus by size only); ``repair``: what ``dechaff repair`` does about it."""
    if isinstance(cause, BaseException):
        cause = str(cause).splitlines()[0] if str(cause) else repr(cause)
    return StateError(f"{what}: damaged ({cause}); `dechaff verify` checks every file, `dechaff repair` {repair}")


@dataclass
class Manifest:
    format: int = FORMAT
    runs: list[dict] = field(default_factory=list)
    ledger: str | None = None
    boilerplate: str | None = None  # repeat counts
    boilerplate_templates: str | None = None  # the templates found, with their evidence
    # the profile of every document (see dechaff.boilerplate), in parts: each run adds one, merged with the
    # last few while they are less than twice as large (see ``boilerplate.state.parts_to_merge``)
    boilerplate_docs: list[str] = field(default_factory=list)
    index_params: dict | None = None
    index_segments: list[str] = field(default_factory=list)
    index_size: int = 0
    next_seq: int = 1
    # every committed file (parts, state files, index segment files) -> [size, sha256]; a run checks the
    # sizes before it starts, ``dechaff verify`` the checksums too
    files: dict[str, list] = field(default_factory=dict)

    @property
    def parts(self) -> list[str]:
        return [p for r in self.runs for p in r.get("parts", [])]

    @property
    def state_files(self) -> list[str]:
        """The state files outside the index (ledger, boilerplate counts, templates, profile parts)."""
        return [f for f in (self.ledger, self.boilerplate, self.boilerplate_templates, *self.boilerplate_docs) if f]

    def referenced(self, root: Path) -> list[str]:
        """Every file this manifest commits, relative to the output folder."""
        state = self.state_files
        seg_files = [f"{seg}{suffix}" for seg in self.index_segments
                     for suffix in (STATE_SUFFIX, ".keys.npy", ".fp.npy", f".copies{STATE_SUFFIX}",
                                    f".retired{STATE_SUFFIX}", f"{RECORDS_SUFFIX}.bin", f"{RECORDS_SUFFIX}.npy",
                                    f"{SHINGLES_SUFFIX}.npy", f"{SHINGLES_SUFFIX}.rows.npy")
                     if (root / f"{seg}{suffix}").exists() or f"{seg}{suffix}" in self.files]
        return [*self.parts, *state, *seg_files]

    def to_json(self) -> dict:
        return self.__dict__.copy()


def fingerprint(path: Path) -> list:
    """[size, sha256] of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return [path.stat().st_size, h.hexdigest()]

