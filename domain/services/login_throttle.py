"""Failed logins (charger passwords, API keys) throttled per identity and per source address.

The rule, for both kinds of credential:
- every wrong credential counts one failure for the identity (a chargePointId, an API key's prefix) and one for
  the source address, each in its own windows (e.g. identity 10 a minute and 50 an hour);
- while either has a full window, every attempt is refused with RateLimited *before* the credential is looked
  at: no database lookup, no hash; the refusal says when to retry;
- a refused attempt does not count again (the window ends when it was going to), and a success resets nothing:
  fixed windows stay simple to share between processes, and the limit is per window either way.

The identity lock applies to the right password too: that is what stops a guesser who spreads attempts over
many addresses. The price is that such a guesser can keep one charger out for the window; the windows are
short and chargers retry, and the refusal count shows it on the dashboards (autocharge_auth_refusals_total).
"""

from __future__ import annotations

import asyncio
import enum
import math
from collections.abc import Callable

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
    """A FailureThrottle that forgets every failure: no throttling at all."""

    async def retry_after(self, key: str) -> float | None:
        return None

    async def record_failure(self, key: str) -> None:
        return None


class LoginThrottle:
    """The rule above, over two FailureThrottles (one per identity, one per address, each with its windows)."""

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

    async def check(self, kind: CredentialKind, identity: str, address: str | None) -> None:
        """Raise RateLimited when the identity or the address has failed too often; the credential is not read."""
        identity_wait, address_wait = await asyncio.gather(
            self._identities.retry_after(_key(kind, identity)),
            self._addresses.retry_after(_key(kind, address)) if address else _nothing(),
        )
        if identity_wait is None and address_wait is None:
            return
        reason = Refusal.IDENTITY_LOCKED if identity_wait is not None else Refusal.ADDRESS_LOCKED
        self._on_refusal(kind, reason)
        wait = max(identity_wait or 0.0, address_wait or 0.0)
        seconds = max(1, math.ceil(wait))
        raise RateLimited(f"too many failed attempts: try again in {seconds} s", retry_after=seconds)

    async def failed(self, kind: CredentialKind, identity: str, address: str | None) -> None:
        """Count one wrong credential against the identity and the address."""
        self._on_refusal(kind, Refusal.WRONG_CREDENTIAL)
        await asyncio.gather(
            self._identities.record_failure(_key(kind, identity)),
            self._addresses.record_failure(_key(kind, address)) if address else _nothing(),
        )


def _key(kind: CredentialKind, subject: str | None) -> str:
    # Charger ids and key prefixes live in separate counters: a charger named like a key prefix shares nothing.
    return f"{kind.value}:{subject}"


async def _nothing() -> None:
    return None
