"""The cyclic garbage collector kept off the objects a step did not make."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def frozen_heap(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` with the objects that exist when it starts out of the collector's sight (``gc.freeze``):
    its full collections then walk what the step makes, not the interpreter's imports. A process that
    runs Prefect holds ~350,000 such objects; walking them again and again made the finalize step of
    300,000 paragraphs 14.3 s inside a Prefect task against 9.4 s with them frozen. They are given back
    (``gc.unfreeze``) when it returns; a step run in parallel threads may give them back early, which
    costs speed only."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        gc.freeze()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.unfreeze()

    return wrapper
