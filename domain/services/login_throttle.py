"""Failed logins (charger passwords, API keys) throttled per identity and per source address.

The rule, for both kinds of credential:
- every login attempt counts against its identity (a chargePointId, an API key's prefix) and its source
  address, each in its own fixed windows (e.g. identity 10 a minute and 50 an hour), *before* the credential
  is checked: a burst of concurrent guesses cannot all get in ahead of the first recorded failure;
- when either is over its limit, the attempt is refused with RateLimited before the credential is looked at (no
  database lookup, no hash) and the refusal says when to retry;
- attempts that are not failures are forgiven afterwards: a right credential, one refused unchecked, one that
  ended in another error (the directory unavailable); so what fills a window is wrong credentials (and, for
  the moment they take, attempts still being checked).

The identity lock applies to the right password too: that is what stops a guesser who spreads attempts over
many addresses. The price is that such a guesser can keep one charger out for the window; the windows are
short and chargers retry, and the refusal count shows it on the dashboards (autocharge_auth_refusals_total).
"""

from __future__ import annotations

import asyncio
import enum
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from domain.errors import RateLimited
from domain.ports import FailureThrottle


class CredentialKind(enum.StrEnum):
    CHARGER = "charger"  # a charger's Basic auth password in the OCPP handshake
    API_KEY = "api_key"  # a bearer API key on the GraphQL API or the CSV exports


class Refusal(enum.StrEnum):
    """Why an attempt was refused: the labels of the refusal counter."""

    WRONG_CREDENTIAL = "wrong_credential"
    IDENTITY_LOCKED = "identity_locked"
    ADDRESS_LOCKED = "address_locked"


RefusalCounter = Callable[[CredentialKind, Refusal], None]


def _not_counted(kind: CredentialKind, reason: Refusal) -> None:
    """The default refusal counter: counts nothing."""


class _NeverLocked:
    """A FailureThrottle that counts nothing: no throttling at all."""

    async def attempt(self, key: str) -> float | None:
        return None

    async def forgive(self, key: str) -> None:
        return None


class LoginAttempt:
    """One attempt let through: the caller checks the credential and calls fail() when it is wrong."""

    def __init__(self) -> None:
        self.failed = False

    def fail(self) -> None:
        self.failed = True


class LoginThrottle:
    """The rule above, over two FailureThrottles (one per identity, one per address, each with its windows).

    async with logins.attempt(CredentialKind.CHARGER, charge_point_id, address) as attempt:  # may raise RateLimited
        if not await password_matches(...):
            attempt.fail()
    """

    def __init__(
        self, identities: FailureThrottle, addresses: FailureThrottle, on_refusal: RefusalCounter = _not_counted
    ) -> None:
        self._identities = identities
        self._addresses = addresses
        self._on_refusal = on_refusal

    @classmethod
    def unlimited(cls) -> LoginThrottle:
        """No throttling: for tests and tools that build their own Deps; the server wires a real one."""
        return cls(_NeverLocked(), _NeverLocked())

    @asynccontextmanager
    async def attempt(self, kind: CredentialKind, identity: str, address: str | None) -> AsyncIterator[LoginAttempt]:
        """Count the attempt; RateLimited when the identity or the address is over its limit."""
        counters = [(self._identities, _key(kind, identity))]
        if address:
            counters.append((self._addresses, _key(kind, address)))
        waits = await asyncio.gather(*(throttle.attempt(key) for throttle, key in counters))
        if any(wait is not None for wait in waits):
            await self._forgive(counters)  # refused unchecked: not a failure of its own
            self._on_refusal(kind, Refusal.IDENTITY_LOCKED if waits[0] is not None else Refusal.ADDRESS_LOCKED)
            seconds = max(1, math.ceil(max(wait or 0.0 for wait in waits)))
            raise RateLimited(f"too many failed attempts: try again in {seconds} s", retry_after=seconds)
        attempt = LoginAttempt()
        try:
            yield attempt
        finally:
            if attempt.failed:
                self._on_refusal(kind, Refusal.WRONG_CREDENTIAL)
            else:
                await self._forgive(counters)

    @staticmethod
    async def _forgive(counters: list[tuple[FailureThrottle, str]]) -> None:
        await asyncio.gather(*(throttle.forgive(key) for throttle, key in counters))


def _key(kind: CredentialKind, subject: str) -> str:
    # Charger ids and key prefixes live in separate counters: a charger named like a key prefix shares nothing.
    return f"{kind.value}:{subject}"
