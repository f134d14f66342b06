"""`autocharge serve`'s garbage collection: every pass walks only what is new, and cycles are still freed."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from autocharge import cli
from autocharge.cli import YoungOnlyCollector


class Node:
    """A reference cycle when two of them point at each other."""

    other: Node | None = None


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def collector(loop: asyncio.AbstractEventLoop) -> Iterator[YoungOnlyCollector]:
    thresholds = gc.get_threshold()
    collector = YoungOnlyCollector(loop)
    collector.start()
    try:
        yield collector
    finally:
        collector.stop()
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_a_pass_leaves_its_survivors_frozen_so_the_next_pass_does_not_walk_them(
    collector: YoungOnlyCollector,
) -> None:
    survivors = [[index] for index in range(1_000)]
    frozen = gc.get_freeze_count()

    gc.collect(0)

    assert gc.get_freeze_count() >= frozen + len(survivors)
    assert gc.get_objects(1) == [] and gc.get_objects(2) == []


def test_the_full_collection_frees_cycles_among_frozen_objects(collector: YoungOnlyCollector) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    gc.collect(0)  # the cycle survives (still referenced) and is frozen
    del a, b
    gc.collect()
    assert gone() is not None  # frozen: no ordinary pass frees it

    collector.collect_all()

    assert gone() is None
    assert collector.full_collections == 1


def test_the_full_collection_is_scheduled_once_memory_grew(
    collector: YoungOnlyCollector, loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    resident = cli.resident_bytes()
    monkeypatch.setattr(cli, "resident_bytes", lambda: resident * cli.GC_FULL_COLLECTION_GROWTH * 2)

    gc.collect(0)
    loop.run_until_complete(asyncio.sleep(0))

    assert collector.full_collections == 1
