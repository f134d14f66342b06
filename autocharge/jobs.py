"""Work the system does by itself, on a timer: expiring pairing sessions, purging old logs, ending the
connections of chargers whose process died, and keeping chargers' local authorisation lists up to date."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from domain.commands import EndOrphanedConnections, ExpirePairingSessions, SyncLocalList
from domain.errors import DomainError
from domain.events import ApiKeyRevoked
from domain.services import chargers, pairing, station_operations
from domain.services.api_keys import KeyUsage
from domain.services.deps import Deps

# Recorded connections read and checked at a time by the orphaned-connection sweep.
SWEEP_PAGE_SIZE = 200

log = structlog.get_logger(__name__)

# While the database (or Redis) is unavailable, a job waits longer and longer between attempts, up to this.
MAX_BACKOFF_SECONDS = 30.0


async def every(interval_seconds: float, name: str, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` now and then every `interval_seconds`, for ever.

    An outage (a DomainError such as Unavailable) is one warning when it begins and one info line when it
    ends, with attempts backing off exponentially in between, up to MAX_BACKOFF_SECONDS; never a line per
    attempt. Anything else is a bug: logged with its traceback, and the job carries on.
    """
    failing_since: float | None = None
    delay = interval_seconds
    while True:
        try:
            await work()
        except DomainError as error:
            if failing_since is None:
                failing_since = time.monotonic()
                log.warning(f"{name}_unavailable", error=error.message, retrying="with backoff")
            delay = min(MAX_BACKOFF_SECONDS, max(delay * 2, interval_seconds))
        except Exception:
            log.exception(f"{name}_crashed")
            delay = interval_seconds
        else:
            if failing_since is not None:
                log.info(f"{name}_recovered", unavailable_seconds=round(time.monotonic() - failing_since, 1))
                failing_since = None
            delay = interval_seconds
        await asyncio.sleep(delay)


async def announce_revocations(deps: Deps, interval_seconds: float = 0.5) -> None:
    """For a process without Redis: a key revoked by another process (the CLI) is heard of only through the
    database. Every interval the keys revoked since the last look are announced on this process's own bus, where
    the key cache and the open subscriptions' guards hear them as they hear a revocation made here."""
    since = deps.clock()

    async def look() -> None:
        nonlocal since
        for revoked in await deps.directory.revoked_since(since):
            await deps.bus.publish(
                revoked.tenant_id, [ApiKeyRevoked(tenant_id=revoked.tenant_id, key_id=revoked.key_id)]
            )
            since = max(since, revoked.revoked_at)

    await every(interval_seconds, "revocation_watch", look)


async def expire_pairing_sessions(deps: Deps, interval_seconds: float = 0.5) -> None:
    """Every process sweeps; the compare-and-set in the repository makes each expiry happen (and be pushed) once.

    Polling the database rather than keeping timers is what lets a session expire on time after a restart.
    """

    async def sweep() -> None:
        due = await deps.directory.due_pairing_sessions(deps.clock())
        if due:
            expired = await pairing.expire_due(deps.uow, ExpirePairingSessions(tuple(due)), deps.clock)
            log.info("pairing_sessions_expired", count=expired)

    await every(interval_seconds, "pairing_expiry", sweep)


async def purge_old_logs(
    deps: Deps, retention_days: int, interval_seconds: float = 3600, *, audit_retention_days: int | None = None
) -> None:
    """OCPP logs older than `retention_days`; with the audit log, its entries older than `audit_retention_days`."""

    async def purge() -> None:
        purged = await deps.directory.purge_logs(deps.clock() - timedelta(days=retention_days))
        log.info("ocpp_logs_purged", count=purged, retention_days=retention_days)
        if deps.audit is not None and audit_retention_days is not None:
            purged = await deps.audit.purge(deps.clock() - timedelta(days=audit_retention_days))
            log.info("audit_entries_purged", count=purged, retention_days=audit_retention_days)

    await every(interval_seconds, "ocpp_log_purge", purge)


async def sync_local_lists(deps: Deps, is_here: Callable[[str], bool], interval_seconds: float) -> None:
    """Changes to a tenant's identifiers and tags reach the chargers holding its local list as Differential
    updates. Each process syncs only the chargers connected to it, so a charger is sent each update once."""

    async def sync() -> None:
        for tenant_id, charger_id, charge_point_id in await deps.directory.chargers_with_local_list():
            if not is_here(charge_point_id):
                continue
            try:
                answer = await station_operations.sync_local_list(
                    deps.uow(tenant_id), deps.commands, SyncLocalList(charger_id)
                )
            except DomainError as error:  # this charger only: the others are still synced
                log.info("local_list_sync_failed", charge_point_id=charge_point_id, error=error.message)
                continue
            if answer is not None:
                log.info("local_list_synced", charge_point_id=charge_point_id, status=answer.status)

    await every(interval_seconds, "local_list_sync", sync)


async def end_orphaned_connections(
    deps: Deps, is_live: Callable[[str], Awaitable[bool]], grace_seconds: float, interval_seconds: float
) -> None:
    """Chargers recorded as connected that no process holds any more (their process was killed) become
    DISCONNECTED. Only connections last seen more than `grace_seconds` ago are looked at: a charger that has
    just connected is recorded before its process claims it. When liveness cannot be told (Redis down),
    nothing is ended."""

    async def sweep() -> None:
        # Page by page: with thousands of idle chargers nearly all are "last seen before" the cut-off, and one
        # read of them all (rows, objects, a liveness check each) held the event loop for a quarter second.
        seen_before = deps.clock() - timedelta(seconds=grace_seconds)
        after = None
        while True:
            page = await deps.directory.recorded_connections(seen_before, after, SWEEP_PAGE_SIZE)
            orphaned = EndOrphanedConnections(tuple(page))
            for connection in await chargers.end_orphaned_connections(deps.uow, is_live, orphaned, deps.clock):
                log.warning(
                    "orphaned_connection_ended",
                    charge_point_id=connection.charge_point_id,
                    tenant_id=str(connection.tenant_id),
                    reason="no process holds the charger any more",
                )
            if len(page) < SWEEP_PAGE_SIZE:
                return
            after = page[-1].charger_id
            await asyncio.sleep(0)  # the chargers' frames go first between pages

    await every(interval_seconds, "orphaned_connection_sweep", sweep)


async def flush_key_usage(usage: KeyUsage, interval_seconds: float) -> None:
    """API keys' lastUsedAt, written once per interval rather than once per request."""

    async def flush() -> None:
        await usage.flush()

    await every(interval_seconds, "api_key_usage_flush", flush)
