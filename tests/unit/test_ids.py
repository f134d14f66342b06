"""new_id(): UUIDv7 that sort by creation, even many per millisecond, and stay on the clock."""

from __future__ import annotations

import time

from domain.ids import new_id


def test_ids_are_version_7_with_the_rfc_variant() -> None:
    uuid = new_id()
    assert uuid.version == 7
    assert uuid.int >> 62 & 0b11 == 0b10


def test_ids_made_in_a_burst_are_unique_and_sorted_in_the_order_made() -> None:
    made = [new_id() for _ in range(20_000)]  # several per millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)


def test_a_burst_does_not_push_the_timestamp_ahead_of_the_clock() -> None:
    for _ in range(20_000):
        last = new_id()
    now_ms = time.time_ns() // 1_000_000
    stamped_ms = last.int >> 80
    # One millisecond per ID after the first (the uuid6 package's way) would be ~20 s ahead here.
    assert now_ms - 50 <= stamped_ms <= now_ms + 5


def test_the_random_part_differs_between_ids_of_one_millisecond() -> None:
    first, second = new_id(), new_id()
    assert first.int & (2**62 - 1) != second.int & (2**62 - 1)
