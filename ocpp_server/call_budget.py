"""How many CALLs one connection may send: a token bucket, and a flood count that ends the connection.

Hand-written rather than the limits library (used for the login throttle): its in-memory storages sweep
expired entries in the background, a thread every 10 ms (sync) or, in the asyncio one, a worker-thread hop per
key on every sweep; on the per-frame path of thousands of connections that costs more than the check. A bucket
per connection is two floats, dies with its connection, and needs no sweeping.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from ocpp_server.errors import CallErrorReply

FLOOD_WINDOW_SECONDS = 10.0
# A charger calling at exactly the rate refills 0.999... tokens in floating point: not a reason to refuse it.
_ROUNDING = 1e-9


class Verdict(enum.Enum):
    ADMIT = "admit"  # route the CALL
    REFUSE = "refuse"  # answer it with a CALLERROR
    CLOSE = "close"  # still flooding after being refused: close the connection


class CallBudget:
    """`rate` CALLs a second sustained, `burst` at once; `close_after` refusals within 10 s mean CLOSE.

    `clock` is the event loop's time (monotonic seconds), injectable so tests need not sleep.
    """

    def __init__(self, rate: float, burst: int, close_after: int, clock: Callable[[], float]) -> None:
        if rate <= 0 or burst < 1 or close_after < 1:
            raise ValueError("rate must be positive, burst and close_after at least 1")
        self.rate, self.burst, self.close_after = rate, burst, close_after
        self._clock = clock
        self._tokens = float(burst)
        self._filled_at = clock()
        self._refusals = 0
        self._refusals_since = self._filled_at

    def describe(self) -> str:
        """The limit in words, for the CALLERROR's description."""
        return f"at most {self.rate:g} CALLs a second (bursts of {self.burst})"

    def spend(self) -> Verdict:
        """One CALL arrived: admit it while tokens remain; refuse it, or CLOSE when refusals pile up."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._filled_at) * self.rate)
        self._filled_at = now
        if self._tokens >= 1 - _ROUNDING:
            self._tokens -= 1
            return Verdict.ADMIT
        if now - self._refusals_since >= FLOOD_WINDOW_SECONDS:
            self._refusals, self._refusals_since = 0, now
        self._refusals += 1
        return Verdict.CLOSE if self._refusals >= self.close_after else Verdict.REFUSE


def refusal(budget: CallBudget) -> CallErrorReply:
    """The CALLERROR of a CALL over budget. GenericError: both versions have it, and neither has a code for
    "too many requests" (2.0.1's RpcFrameworkError means the frame itself is not a valid RPC)."""
    return CallErrorReply("GenericError", f"Rate limit exceeded: {budget.describe()}; slow down", {})
