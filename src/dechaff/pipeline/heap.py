"""The cyclic garbage collector kept off the objects a step did not make, and from running every 700
allocations while it works (or, for a step that makes no cycles, from running at all)."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

YOUNG_THRESHOLD = 50_000  # container objects allocated between two young collections (Python's default: 700)


@contextmanager
def _heap(collect: bool) -> Iterator[None]:
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    gc.freeze()
    gc.set_threshold(max(YOUNG_THRESHOLD, thresholds[0]), *thresholds[1:])
    if not collect:
        gc.disable()
    try:
        yield
    finally:
        if enabled and not collect:
            gc.enable()
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def frozen_heap(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with the objects that exist when it starts out of the collector's sight (``gc.freeze``),
    and with young collections every ``YOUNG_THRESHOLD`` allocations instead of 700: its collections then
    walk what the step makes, and less often (cycles are still collected; at most that many young objects
    wait for it). A process that runs Prefect holds ~350,000 objects before a step: walking them made the
    finalize step of 300,000 paragraphs 14.3 s inside a Prefect task against 9.4 s with them frozen, and
    the step's own batches cost a quarter more (8.8 s against 6.6-6.9 s with the larger threshold). Both
    are given back (``gc.unfreeze``, the thresholds as they were) when it returns; a step run in parallel
    threads may give them back early, which costs speed only."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _heap(collect=True):
            return fn(*args, **kwargs)

    return wrapper


def paused_heap(fn: Callable[P, R]) -> Callable[P, R]:
    """As :func:`frozen_heap`, and the collector does not run at all while ``fn`` does: for a step whose
    objects are arrays, tables, strings and tuples that reference counting frees, not cycles (the
    finalize step; not the shard step, whose parsed pages are cycles). Its dedup chunks paused the
    collector already, but the first collections after each chunk walked what it had made and kept,
    scattered over a 3 GB heap at 10M paragraphs: 31-35 s of the finalize there (1,101 young collections,
    100 of the middle generation), 1.1 s of 20 s at 1M (``bench/ab_finalize.py`` prints it); with it
    off the peak is the same, 3.4 GB. The collector is switched back on when ``fn`` returns if it was on; cycles made
    meanwhile are collected then. Run in parallel threads, the others' cycles wait too."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _heap(collect=False):
            return fn(*args, **kwargs)

    return wrapper
