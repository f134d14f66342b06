"""Charger passwords: scrypt, checked off the event loop."""

from __future__ import annotations

import threading

import pytest

import domain.secrets
from domain.secrets import hash_password, password_matches


async def test_password_matches_hashes_in_a_worker_thread_not_on_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = hash_password("correct-horse")
    threads: list[int] = []
    verify = domain.secrets.verify_password

    def recording(password: str, stored: str) -> bool:
        threads.append(threading.get_ident())
        return verify(password, stored)

    monkeypatch.setattr(domain.secrets, "verify_password", recording)

    assert await password_matches("correct-horse", stored)
    assert not await password_matches("wrong", stored)
    assert threads and threading.get_ident() not in threads


async def test_a_malformed_stored_hash_matches_nothing() -> None:
    assert not await password_matches("x", "scrypt$not$a$hash")
