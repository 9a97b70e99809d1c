"""frozen_heap: the collector does not walk what existed before a step, and gets it back after."""

from __future__ import annotations

import gc

import pytest

from dechaff.pipeline.heap import frozen_heap


def test_objects_made_before_a_step_are_frozen_while_it_runs_and_given_back_after():
    old = [object() for _ in range(1000)]
    seen: list[int] = []

    @frozen_heap
    def step(x: int) -> int:
        seen.append(gc.get_freeze_count())
        return x + 1

    thresholds = gc.get_threshold()
    assert step(1) == 2
    assert seen[0] >= len(old)  # (the list and its objects are among the frozen)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


def test_young_collections_are_rarer_while_a_step_runs():
    from dechaff.pipeline.heap import YOUNG_THRESHOLD

    thresholds = gc.get_threshold()

    @frozen_heap
    def step() -> tuple[int, int, int]:
        return gc.get_threshold()

    during = step()
    assert during[0] >= YOUNG_THRESHOLD > thresholds[0] and during[1:] == thresholds[1:]
    assert gc.get_threshold() == thresholds


def test_the_heap_is_given_back_when_the_step_fails():
    @frozen_heap
    def step() -> None:
        assert gc.get_freeze_count() > 0
        raise RuntimeError("bad input")

    thresholds = gc.get_threshold()
    with pytest.raises(RuntimeError):
        step()
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds


def test_garbage_made_during_the_step_is_still_collected():
    @frozen_heap
    def step() -> int:
        a: list = []
        a.append(a)  # a cycle only the collector frees
        del a
        return gc.collect()

    assert step() >= 1
