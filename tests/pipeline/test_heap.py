"""frozen_heap and paused_heap: the collector does not walk what existed before a step (nor, paused,
anything while it runs), and gets it all back after."""

from __future__ import annotations

import gc

import pytest

from dechaff.pipeline.heap import frozen_heap, paused_heap


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


def test_a_paused_step_runs_without_the_collector_and_gives_it_back_on():
    seen: list[tuple[bool, int]] = []

    @paused_heap
    def step() -> list:
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        a: list = []
        a.append(a)  # a cycle: left for the collector until the step returns
        return [a]

    thresholds = gc.get_threshold()
    assert gc.isenabled()
    held = step()
    assert seen[0][0] is False and seen[0][1] > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0 and gc.get_threshold() == thresholds
    held.clear()
    assert gc.collect() >= 1  # (the step's cycle, collected once the step is over)


def test_a_paused_step_that_fails_gives_the_collector_back_and_leaves_it_off_if_it_was_off():
    @paused_heap
    def step() -> None:
        raise RuntimeError("bad input")

    with pytest.raises(RuntimeError):
        step()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with pytest.raises(RuntimeError):
            step()
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_the_finalize_step_runs_without_the_collector_and_the_shard_step_with_it(tmp_path, monkeypatch):
    """finalize_run is paused (it makes no cycles: at 10M paragraphs the collector walking what the
    dedup chunks kept was 31-35 s of it); process_shard is only frozen (its parsed pages are cycles)."""
    import dechaff.pipeline.finalize as fin
    import dechaff.pipeline.shard as shard
    from dechaff.pipeline import run_local

    seen: dict[str, bool] = {}
    for mod, name, label in ((fin, "find_templates", "finalize"), (shard, "Cleaner", "shard")):
        real = getattr(mod, name)

        def spy(*a, _real=real, _label=label, **k):
            seen[_label] = gc.isenabled()
            return _real(*a, **k)

        monkeypatch.setattr(mod, name, spy)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("A title\n\nA paragraph of running text that is long enough to be kept here.\n")
    run_local(raw, tmp_path / "out")
    assert seen == {"finalize": False, "shard": True}
    assert gc.isenabled()
