"""Finding the raw inputs: only regular files under the raw folder, never through a symlink out of it;
their ids.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from dechaff.readers.types import SUPPORTED, RawInput, Rejection


def discover(raw_dir: Path, skip: Path | None = None) -> tuple[list[RawInput], list[Rejection]]:
    """Every regular file under ``raw_dir`` (recursively, hidden files and folders skipped), sorted by
    relative path: that order is the ingestion order. What is not read, and why: symlinks that lead out
    of ``raw_dir`` (files or folders), symlinked folders (never followed: loops), FIFOs, sockets and
    devices (reading them hangs or never ends). A symlink to a regular file inside ``raw_dir`` is read.
    ``skip``: a folder inside ``raw_dir`` to leave out (the output folder, when it sits there)."""
    raw_dir = Path(raw_dir)
    root_real = os.path.realpath(raw_dir)
    skip_real = os.path.realpath(skip) if skip is not None else None
    found: list[RawInput] = []
    refused: list[Rejection] = []
    for root, dirs, files in os.walk(raw_dir, followlinks=False):
        keep = []
        for d in sorted(dirs):
            p = Path(root) / d
            if d.startswith(".") or (skip_real is not None and os.path.realpath(p) == skip_real):
                continue
            if p.is_symlink():
                refused.append(Rejection(_rel(p, raw_dir), "skipped: a symlinked folder (not followed)"))
                continue
            keep.append(d)
        dirs[:] = keep
        for name in files:
            if name.startswith("."):
                continue
            p = Path(root) / name
            rel = _rel(p, raw_dir)
            why = _not_a_regular_file(p, root_real)
            if why:
                refused.append(Rejection(rel, f"skipped: {why}; not read"))
            else:
                found.append(RawInput(p, rel))
    found.sort(key=lambda r: r.rel)
    refused.sort(key=lambda r: r.source)
    return found, refused


def _rel(p: Path, raw_dir: Path) -> str:
    """A path relative to the raw dir, as text; a file name that is not valid UTF-8 keeps its bytes as
    backslash escapes (``caf\\xe9.txt``), so that it can be written and read back."""
    rel = p.relative_to(raw_dir).as_posix()
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _not_a_regular_file(p: Path, root_real: str) -> str | None:
    """Why ``p`` must not be opened, or None for a regular file (or a symlink to one inside the raw dir)."""
    try:
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            target = os.path.realpath(p)
            if os.path.commonpath([target, root_real]) != root_real:
                return f"a symlink to {target}, outside the raw folder"
            st = os.stat(p)
    except (OSError, ValueError) as e:
        return f"cannot be examined ({getattr(e, 'strerror', None) or e})"
    if stat.S_ISREG(st.st_mode):
        return None
    kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
    return kind if not stat.S_ISDIR(st.st_mode) else "a symlinked folder (not followed)"


def open_regular(path: Path):
    """Open ``path`` for reading only if it is a regular file when opened (a FIFO put in its place
    after discovery would block the run): O_NONBLOCK for the open, then a check of what was opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file (it changed since the run listed it)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def doc_id_for(rel: str) -> str:
    """A file's doc_id: its relative path without the format extension (``news/000_x.txt`` ->
    ``news/000_x``)."""
    low = rel.lower()
    for ext in sorted(SUPPORTED, key=len, reverse=True):
        if low.endswith(ext):
            return rel[: -len(ext)]
    return rel


