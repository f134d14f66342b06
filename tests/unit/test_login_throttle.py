"""The login throttle's rule (domain.services.login_throttle) over the in-memory adapter (infra.throttle)."""

from __future__ import annotations

import asyncio

import pytest

from domain.errors import RateLimited
from domain.services.login_throttle import CredentialKind, LoginThrottle, Refusal
from infra.throttle import MemoryFailureThrottle, windows

CHARGER = CredentialKind.CHARGER


def throttle(identity: str = "3/minute", address: str = "5/minute") -> tuple[LoginThrottle, list[tuple[str, str]]]:
    counted: list[tuple[str, str]] = []
    logins = LoginThrottle(
        MemoryFailureThrottle(windows(identity)),
        MemoryFailureThrottle(windows(address)),
        on_refusal=lambda kind, reason: counted.append((kind.value, reason.value)),
    )
    return logins, counted


async def fail(logins: LoginThrottle, identity: str, address: str | None = "10.0.0.1") -> None:
    async with logins.attempt(CHARGER, identity, address) as attempt:
        attempt.fail()


async def succeed(logins: LoginThrottle, identity: str, address: str | None = "10.0.0.1") -> None:
    async with logins.attempt(CHARGER, identity, address):
        pass


async def test_n_failures_of_one_identity_lock_it_and_the_lock_says_when_to_retry() -> None:
    logins, counted = throttle(identity="3/minute")
    for _ in range(3):
        await fail(logins, "CP-1", address=None)

    with pytest.raises(RateLimited) as refused:
        await succeed(logins, "CP-1", address=None)

    assert refused.value.code == "RATE_LIMITED"
    assert refused.value.retry_after is not None and 1 <= refused.value.retry_after <= 60
    assert counted == [("charger", "wrong_credential")] * 3 + [("charger", "identity_locked")]
    await succeed(logins, "CP-2", address=None)  # another identity is not affected


async def test_successes_and_refused_attempts_are_forgiven_only_failures_fill_the_window() -> None:
    logins, _ = throttle(identity="3/minute", address="100/minute")
    for _ in range(10):
        await succeed(logins, "CP-1")
    await fail(logins, "CP-1")
    await fail(logins, "CP-1")
    await succeed(logins, "CP-1")  # the third attempt, right: forgiven
    await fail(logins, "CP-1")
    for _ in range(3):
        with pytest.raises(RateLimited):
            await succeed(logins, "CP-1")

    with pytest.raises(RateLimited):  # the refusals did not count: still exactly full, still locked
        await succeed(logins, "CP-1")


async def test_failures_from_one_address_lock_that_address_for_every_identity_but_not_other_addresses() -> None:
    logins, counted = throttle(identity="100/minute", address="3/minute")
    for n in range(3):
        await fail(logins, f"CP-{n}", address="10.0.0.1")

    with pytest.raises(RateLimited):
        await succeed(logins, "CP-9", address="10.0.0.1")
    await succeed(logins, "CP-9", address="10.0.0.2")

    assert counted[-1] == ("charger", Refusal.ADDRESS_LOCKED.value)


async def test_an_error_other_than_a_wrong_credential_is_forgiven() -> None:
    logins, _ = throttle(identity="1/minute")
    with pytest.raises(ConnectionError):
        async with logins.attempt(CHARGER, "CP-1", None):
            raise ConnectionError("directory down")

    await fail(logins, "CP-1", address=None)  # the window still had its one failure to give


async def test_concurrent_attempts_cannot_all_pass_before_the_first_failure_is_recorded() -> None:
    logins, _ = throttle(identity="1000/minute", address="5/minute")
    checked = 0

    async def guess(n: int) -> str:
        nonlocal checked
        try:
            async with logins.attempt(CHARGER, f"CP-{n}", "10.0.0.1") as attempt:
                checked += 1
                await asyncio.sleep(0.05)  # the password check, while the others arrive
                attempt.fail()
        except RateLimited:
            return "refused"
        return "checked"

    outcomes = await asyncio.gather(*(guess(n) for n in range(50)))

    assert (outcomes.count("checked"), outcomes.count("refused"), checked) == (5, 45, 5)


async def test_the_unlimited_throttle_never_refuses() -> None:
    logins = LoginThrottle.unlimited()
    for _ in range(100):
        await fail(logins, "CP-1")
    await succeed(logins, "CP-1")


async def test_a_second_window_escalates_the_lock_for_a_persistent_guesser() -> None:
    # 2 per second, 3 per minute: after a second's pause the first window is free again, the second is not.
    logins, _ = throttle(identity="2/second;3/minute")
    await fail(logins, "CP-1", None)
    await fail(logins, "CP-1", None)
    await asyncio.sleep(1.1)
    await fail(logins, "CP-1", None)
    await asyncio.sleep(1.1)

    with pytest.raises(RateLimited) as refused:
        await succeed(logins, "CP-1", None)
    assert refused.value.retry_after is not None and refused.value.retry_after > 2


def test_windows_come_in_the_limits_notation_and_nonsense_is_refused() -> None:
    assert [(w.amount, w.get_expiry()) for w in windows("10/minute;50/hour")] == [(10, 60), (50, 3600)]
    with pytest.raises(ValueError, match="rate limit"):
        windows("a few")
