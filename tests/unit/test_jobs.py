from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog.testing

from autocharge import jobs
from domain.commands import StartPairing
from domain.errors import Unavailable
from domain.model import PairingStatus
from domain.services import pairing
from domain.services.deps import Deps
from tests.unit.conftest import World
from tests.unit.fakes import FakeCommands, TokenFactsInUnitOfWork


class _Directory:
    """Just the two cross-tenant questions the timers ask, answered from the fake store."""

    def __init__(self, world: World, failures: int = 0) -> None:
        self.world, self.failures = world, failures
        self.purged_before: list[datetime] = []

    async def due_pairing_sessions(self, now: datetime) -> list[tuple[UUID, UUID]]:
        if self.failures:
            self.failures -= 1
            raise Unavailable("database unavailable: connection refused")
        sessions = self.world.store.table("pairing").values()
        return [(s.tenant_id, s.id) for s in sessions if s.is_waiting and s.expires_at <= now]

    async def purge_logs(self, before: datetime) -> int:
        self.purged_before.append(before)
        return 3


def _deps(world: World, directory: Any) -> Deps:
    return Deps(
        uow=world.factory,
        directory=directory,
        bus=None,  # type: ignore[arg-type]
        journal=None,  # type: ignore[arg-type]
        commands=FakeCommands(),
        tokens=TokenFactsInUnitOfWork(world.factory),
        clock=world.clock,
    )


async def _run_briefly(job: Any, seconds: float = 0.05) -> None:
    task = asyncio.create_task(job)
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_the_sweeper_expires_overdue_sessions_without_any_request(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 5), world.clock)
    world.clock.advance(5)
    await _run_briefly(jobs.expire_pairing_sessions(_deps(world, _Directory(world)), interval_seconds=0.01))
    async with world.uow() as uow:
        stored = await uow.pairing.get(session.id)
    assert stored is not None and stored.status is PairingStatus.EXPIRED


async def test_the_sweeper_keeps_going_after_the_database_was_unavailable(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 5), world.clock)
    world.clock.advance(6)
    directory = _Directory(world, failures=2)
    await _run_briefly(jobs.expire_pairing_sessions(_deps(world, directory), interval_seconds=0.01), seconds=0.3)
    async with world.uow() as uow:
        stored = await uow.pairing.get(session.id)
    assert directory.failures == 0
    assert stored is not None and stored.status is PairingStatus.EXPIRED


async def test_the_purge_removes_logs_older_than_the_retention(world: World) -> None:
    directory = _Directory(world)
    await _run_briefly(jobs.purge_old_logs(_deps(world, directory), retention_days=30, interval_seconds=10))
    assert directory.purged_before == [world.clock.now - timedelta(days=30)]


class _AuditTrail:
    def __init__(self) -> None:
        self.purged_before: list[datetime] = []

    async def purge(self, before: datetime) -> int:
        self.purged_before.append(before)
        return 1


async def test_the_purge_removes_audit_entries_older_than_their_own_retention(world: World) -> None:
    trail = _AuditTrail()
    deps = replace(_deps(world, _Directory(world)), audit=trail)  # type: ignore[arg-type]

    await _run_briefly(jobs.purge_old_logs(deps, retention_days=30, interval_seconds=10, audit_retention_days=365))

    assert trail.purged_before == [world.clock.now - timedelta(days=365)]


async def test_an_outage_is_one_warning_and_one_recovery_line_with_backoff_between_attempts() -> None:
    attempts: list[float] = []
    failures = 4

    async def work() -> None:
        nonlocal failures
        attempts.append(asyncio.get_running_loop().time())
        if failures:
            failures -= 1
            raise Unavailable("database unavailable: connection refused")

    with structlog.testing.capture_logs() as logged:
        task = asyncio.create_task(jobs.every(0.01, "sweep", work))
        # Until it has recovered and run at its normal pace a while: the backoff alone takes about 0.3 s, more
        # on a loaded machine, so the wait is for the attempts, not a fixed time.
        for _ in range(500):
            if len(attempts) > 7:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    events = [entry["event"] for entry in logged]
    assert events.count("sweep_unavailable") == 1
    assert events.count("sweep_recovered") == 1
    assert events.index("sweep_unavailable") < events.index("sweep_recovered")
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts[:5])]
    assert all(later > earlier * 1.5 for earlier, later in itertools.pairwise(gaps)), gaps  # backing off
    assert len(attempts) > 5  # and back to the normal pace once it recovered
