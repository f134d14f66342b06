"""The per-connection CALL budget (ocpp_server.call_budget): a token bucket, and a flood count that closes."""

from __future__ import annotations

import pytest

from ocpp_server.call_budget import CallBudget, Verdict, refusal


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_admitted_then_calls_are_refused_until_the_rate_refills_the_bucket() -> None:
    clock = Clock()
    budget = CallBudget(rate=10, burst=5, close_after=100, clock=clock)

    assert [budget.spend() for _ in range(6)] == [Verdict.ADMIT] * 5 + [Verdict.REFUSE]
    clock.now += 0.25  # 2.5 tokens
    assert [budget.spend() for _ in range(3)] == [Verdict.ADMIT, Verdict.ADMIT, Verdict.REFUSE]
    clock.now += 60  # a long pause fills the bucket to its burst, no further
    assert [budget.spend() for _ in range(6)] == [Verdict.ADMIT] * 5 + [Verdict.REFUSE]


def test_a_steady_charger_within_the_rate_is_never_refused() -> None:
    clock = Clock()
    budget = CallBudget(rate=20, burst=1, close_after=1, clock=clock)
    for _ in range(1000):
        assert budget.spend() is Verdict.ADMIT
        clock.now += 0.05


def test_refusals_piling_up_within_ten_seconds_close_the_connection_but_scattered_ones_do_not() -> None:
    clock = Clock()
    flooding = CallBudget(rate=1, burst=1, close_after=3, clock=clock)
    assert [flooding.spend() for _ in range(4)] == [Verdict.ADMIT, Verdict.REFUSE, Verdict.REFUSE, Verdict.CLOSE]

    scattered = CallBudget(rate=1, burst=1, close_after=3, clock=clock)
    verdicts = []
    for _ in range(5):  # two CALLs every 6 s: one refused each time, never 3 within 10 s
        verdicts += [scattered.spend(), scattered.spend()]
        clock.now += 6
    assert Verdict.CLOSE not in verdicts
    assert verdicts.count(Verdict.REFUSE) == 5


def test_the_callerror_names_the_limit() -> None:
    reply = refusal(CallBudget(rate=20, burst=40, close_after=100, clock=Clock()))
    assert (reply.code, reply.description) == (
        "GenericError",
        "Rate limit exceeded: at most 20 CALLs a second (bursts of 40); slow down",
    )


def test_nonsense_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        CallBudget(rate=0, burst=1, close_after=1, clock=Clock())
