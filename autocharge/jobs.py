"""Work the system does by itself, on a timer: expiring pairing sessions, purging old logs, and ending the
connections of chargers whose process died."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from domain.errors import DomainError
from domain.services import chargers, pairing
from domain.services.deps import Deps

log = structlog.get_logger(__name__)


async def expire_pairing_sessions(deps: Deps, interval_seconds: float = 0.5) -> None:
    """Every process sweeps; the compare-and-set in the repository makes each expiry happen (and be pushed) once.

    Polling the database rather than keeping timers is what lets a session expire on time after a restart.
    """
    while True:
        try:
            due = await deps.directory.due_pairing_sessions(deps.clock())
            if due:
                expired = await pairing.expire_due(deps.uow, due, deps.clock)
                log.info("pairing_sessions_expired", count=expired)
        except DomainError as error:  # database briefly unavailable: try again on the next tick
            log.warning("pairing_expiry_failed", error=error.message)
        except Exception:
            log.exception("pairing_expiry_crashed")
        await asyncio.sleep(interval_seconds)


async def purge_old_logs(deps: Deps, retention_days: int, interval_seconds: float = 3600) -> None:
    while True:
        try:
            purged = await deps.directory.purge_logs(deps.clock() - timedelta(days=retention_days))
            log.info("ocpp_logs_purged", count=purged, retention_days=retention_days)
        except DomainError as error:
            log.warning("ocpp_log_purge_failed", error=error.message)
        except Exception:
            log.exception("ocpp_log_purge_crashed")
        await asyncio.sleep(interval_seconds)


async def end_orphaned_connections(
    deps: Deps, is_live: Callable[[str], Awaitable[bool]], grace_seconds: float, interval_seconds: float
) -> None:
    """Chargers recorded as connected that no process holds any more (their process was killed) become
    DISCONNECTED. Only connections last seen more than `grace_seconds` ago are looked at: a charger that has
    just connected is recorded before its process claims it. When liveness cannot be told (Redis down),
    nothing is ended."""
    while True:
        try:
            recorded = await deps.directory.recorded_connections(deps.clock() - timedelta(seconds=grace_seconds))
            if recorded:
                for connection in await chargers.end_orphaned_connections(deps.uow, recorded, is_live, deps.clock):
                    log.warning(
                        "orphaned_connection_ended",
                        charge_point_id=connection.charge_point_id,
                        tenant_id=str(connection.tenant_id),
                        reason="no process holds the charger any more",
                    )
        except DomainError as error:
            log.warning("orphaned_connection_sweep_failed", error=error.message)
        except Exception:
            log.exception("orphaned_connection_sweep_crashed")
        await asyncio.sleep(interval_seconds)
