"""The finalize step's second pass split across two processes: this one (the index's side) decides the
paragraphs, in order, against the index; a process beside it (the rows' side) reads every staged batch,
marks it (site templates, emptied paragraphs), hands over its kept paragraphs, and writes the corpus and
removed rows once their decisions come back. On one core the finalize step does both in turn
(:func:`dechaff.pipeline.finalize.dedup_and_write`); on two, reading and writing the rows (a third of its
work at 1M paragraphs) no longer waits on the dedup, nor the dedup on them.

What goes between them is small: the kept paragraphs of a batch as four columns (document id, paragraph
index, text, the band keys the shard step computed), and the decisions back. The rows' side hands over
at most a chunk of paragraphs (``RowsJob.ahead``) that the dedup has not taken yet, so it holds at most
that more than the one-process pass does (the batches waiting for their chunk). The decisions are the
same, made in the same order, so the rows are the same, row for row (tested against the one-process
pass, and against kill -9 of either process).

The rows' side writes parts under temporary names only, as the one-process pass does; the commit stays
with the finalize step. It ends with the step: when this process dies its pipe closes and the rows' side
stops at its next message; an error there comes back here as :class:`RowSideError`, with its cause.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import polars as pl

from dechaff.dedup import Item
from dechaff.dedup.batch import DedupSession
from dechaff.model import Decision, kept_paragraphs
from dechaff.pipeline.heap import paused_heap
from dechaff.pipeline.types import RunPlan, RunSummary
from dechaff.store import OutputDir
from dechaff.store.staging import shard_batches

# the summary's counts the rows' side keeps (the finalize step adds them to its own)
COUNTS = ("documents_read", "documents_kept", "documents_emptied", "paragraphs_read", "paragraphs_kept",
          "earlier_paragraphs_replaced")


class RowSideError(RuntimeError):
    """The rows' side of the finalize step failed (its error and where), or died without a word."""


@dataclass
class RowsDone:
    """What the rows' side hands back once every batch is written."""

    counts: dict[str, int]
    removed_by_reason: dict[str, int]
    parts: dict[str, tuple[list[tuple[Path, Path]], list[str]]]  # table -> (renames, parts) written
    doc_ids: pl.DataFrame  # (input, doc_ids) of every input (see ``Rows.doc_ids``)
    busy: float = 0.0  # seconds the rows' side worked (not waiting for decisions)


@dataclass
class RowsJob:
    """What the rows' side needs to read, mark and write a run's batches."""

    plan: RunPlan
    paths: list[Path]  # the staged shards, in ingestion order
    dropped: set[str]  # inputs whose staged documents are not read
    renamed: dict[tuple[int, int], str]  # (batch, document) -> its corpus-unique id (``DocIds.renamed``)
    templates: Any  # the run's site templates (``BoilerplateState.templates``)
    now: datetime
    part_rows: int
    part_bytes: int
    ahead: int  # paragraphs the rows' side may hand over before the dedup has taken them (a chunk)


class RowSide:
    """The finalize step's handle on the rows' side: the process is started at once (its imports then
    overlap the step's first pass), given its job by :meth:`run`, and ended by :meth:`close`.

    It is a new interpreter (``python -c``, this one's ``sys.path``), not a ``multiprocessing`` child:
    a spawned child imports the parent's main module again, which runs a script without a
    ``__main__`` guard a second time (a script that calls ``run_local`` would start a second run),
    and a forked one may hang on the locks of the threads a Prefect flow runs. The two talk through
    two pipes, one each way (``multiprocessing.connection``: pickled messages); this side's sends go
    through a thread of their own, so that neither side waits on the other's pipe while the other
    waits on its own."""

    def __init__(self) -> None:
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        try:
            self._proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(to_r), str(from_w), *sys.path],
                                          pass_fds=(to_r, from_w))
        except BaseException:
            for fd in (to_r, to_w, from_r, from_w):
                os.close(fd)
            raise
        os.close(to_r)
        os.close(from_w)
        self._out = _Sender(Connection(to_w, readable=False))
        self._in = Connection(from_r, writable=False)
        self.waited = 0.0  # seconds this side waited for the rows' side

    def run(self, job: RowsJob, session: DedupSession, after_add: Callable[[], None],
            at_end: Callable[[], None]) -> RowsDone:
        """Every batch the rows' side hands over decided by ``session`` (``after_add`` after each: the
        spill of index entries), the decisions sent back as they are made, ``at_end`` once the last are
        sent (while the rows' side writes its last rows); returns what it wrote."""
        self._out.put(job)
        sent = 0  # run positions whose decisions went back
        while True:
            msg = self._receive()
            kind = msg[0]
            if kind == "items":
                _, doc_ids, paras, texts, lsh = msg
                session.add([Item(*t) for t in zip(doc_ids, paras, texts, lsh, strict=True)])
                after_add()
            elif kind == "end":
                session.finish()
            elif kind == "done":
                return msg[1]
            else:
                raise RowSideError(f"the rows' side of the finalize step sent {kind!r}")
            decided = session.n_decided
            self._out.put(("decided", session.decided(sent, decided - sent),
                           session.replaced if kind == "end" else None))
            session.release(decided)
            sent = decided
            if kind == "end":
                at_end()

    def _receive(self) -> tuple:
        t0 = time.perf_counter()
        try:
            while not self._in.poll(0.5):
                if self._proc.poll() is not None and not self._in.poll(0):
                    raise EOFError
            msg = self._in.recv()
        except (EOFError, OSError):
            code = self._proc.wait()
            raise RowSideError(f"the rows' side of the finalize step ended without a word (exit code {code})"
                               ) from self._out.error
        finally:
            self.waited += time.perf_counter() - t0
        if msg[0] == "error":
            raise RowSideError(f"the rows' side of the finalize step failed: {msg[1]}\n{msg[2]}")
        return msg

    def close(self) -> None:
        """The process ended (at once if it is still working: the step failed) and the pipes closed."""
        self._out.close(1)  # (the rows' side, if it still reads, sees the end and stops)
        try:
            self._proc.wait(2)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._in.close()


class _Sender:
    """A connection's sends made by a thread of their own, in order: :meth:`put` never waits on the
    pipe (each side keeps working while the other is busy and its pipe is full)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.error: BaseException | None = None  # why the sends stopped (the other side is gone)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._send_all, name="dechaff-rows-send", daemon=True)
        self._thread.start()

    def _send_all(self) -> None:
        while (obj := self._queue.get()) is not None:
            try:
                self.conn.send(obj)
            except BaseException as e:  # (the other side is gone: its own error, or its exit, says why)
                self.error = e
                return

    def put(self, obj: Any) -> None:
        self._queue.put(obj)

    def close(self, timeout: float | None = None) -> None:
        """The sends put so far made (waiting at most ``timeout`` seconds), then the connection closed."""
        self._queue.put(None)
        self._thread.join(timeout)
        self.conn.close()


# the rows' side's interpreter: this one's module path first, then the pipes
_CHILD = ("import sys; fds = [int(a) for a in sys.argv[1:3]]; sys.path[:0] = sys.argv[3:]; "
          "from dechaff.pipeline.rowside import serve; serve(*fds)")


def start_row_side() -> tuple[RowSide | None, str | None]:
    """A rows' side, or None and why not (the step then does both sides itself, with the same rows)."""
    try:
        return RowSide(), None
    except Exception as e:
        return None, (f"the finalize step's rows process did not start ({type(e).__name__}: {e}); "
                      "the step read and wrote the rows itself")


def serve(inbox_fd: int, outbox_fd: int) -> None:
    """The rows' side (in its own interpreter): its job, then the batches, until the finalize step ends
    or is gone (its pipe closes)."""
    inbox, outbox = Connection(inbox_fd, writable=False), _Sender(Connection(outbox_fd, readable=False))
    try:
        job = inbox.recv()
        outbox.put(("done", _rows(inbox.recv, outbox.put, job)))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the finalize step is gone, or failed before it needed the rows: nothing waits for them
    except BaseException as e:
        outbox.put(("error", f"{type(e).__name__}: {e}", traceback.format_exc()))
    finally:
        outbox.close()  # (what was put is sent first; a send to a finalize step that is gone fails at once)


@paused_heap
def _rows(receive: Callable[[], Any], send: Callable[[Any], None], job: RowsJob) -> RowsDone:
    from dechaff.pipeline.finalize import Rows, marked_batches  # (here, in the rows' own process: no cycle)

    t_start = time.perf_counter()
    waited = 0.0
    summary = RunSummary(run_id=job.plan.run_id)
    sink = Rows(OutputDir(Path(job.plan.out_dir)), job.plan, summary, job.now, job.part_rows, job.part_bytes)
    waiting: deque[tuple[list, list, int]] = deque()  # batches handed over, not written yet
    decided: list[Decision] = []  # decisions of the first waiting batches, in order
    unanswered: deque[int] = deque()  # paragraphs of each batch handed over that the dedup has not taken yet
    replaced = None

    def answer() -> None:
        nonlocal unanswered, replaced, waited
        t0 = time.perf_counter()
        _kind, decisions, rep = receive()
        waited += time.perf_counter() - t0
        unanswered.popleft()
        if rep is not None:
            replaced = rep
        decided.extend(decisions)
        while waiting and len(decided) >= waiting[0][2]:
            docs, kept_of, n = waiting.popleft()
            sink.batch(docs, decided[:n], kept_of)
            del decided[:n]

    def batches():
        for p in job.paths:
            yield from shard_batches(p, job.dropped)

    for docs in marked_batches(batches(), job.renamed, job.templates):
        kept_of = kept_paragraphs(docs)
        cols: tuple[list, list, list, list] = ([], [], [], [])
        for d, kt in zip(docs, kept_of, strict=True):
            for p, t in kt:
                cols[0].append(d.doc_id)
                cols[1].append(p.index)
                cols[2].append(t)
                cols[3].append(p.lsh)
        send(("items", *cols))
        waiting.append((docs, kept_of, len(cols[0])))
        unanswered.append(len(cols[0]))
        while sum(unanswered) > job.ahead:
            answer()
    send(("end",))
    unanswered.append(0)
    while unanswered:
        answer()
    if waiting or decided:
        raise RowSideError(f"{len(waiting)} batches without their decisions, {len(decided)} decisions without a batch")
    sink.finish(replaced or [])
    parts = {}
    for table, w in sink.writers.items():
        w.flush()
        parts[table] = (w.renames, w.parts)
    return RowsDone({c: getattr(summary, c) for c in COUNTS}, summary.removed_by_reason, parts, sink.doc_ids(),
                    time.perf_counter() - t_start - waited)
