"""CSV exports, streamed page by page so memory stays flat however many rows there are.

The API's rules, as GraphQL applies them: the same bearer keys through the same principal cache (its clock
for expiry, each use recorded, a revocation heard at once), the same login throttle and per-key rate limit,
timestamps without an offset read as UTC, and the domain's error codes (as JSON with the HTTP status that
fits, since a CSV has no errors array). READ_ONLY keys may export. users.csv never carries vehicles, plates
or identifiers: the back office hides them from exports for security.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from api.auth import PrincipalCache, authenticate_throttled, bearer_key, client_address
from api.limits import LimitMetrics, RateLimiter, retry_header
from api.pagination import as_utc
from domain.errors import DomainError, Invalid, RateLimited, Unauthenticated
from domain.ids import parse_id
from domain.model import Principal
from domain.pagination import MAX_PAGE_SIZE, PageRequest
from domain.queries import TransactionFilter
from domain.services.deps import Deps

log = structlog.get_logger(__name__)

USER_COLUMNS = ("id", "email", "name", "created_at", "rfid_tags")
TRANSACTION_COLUMNS = (
    "id",
    "charge_point_id",
    "connector_id",
    "ocpp_transaction_id",
    "origin",
    "status",
    "user_email",
    "license_plate",
    "started_at",
    "stopped_at",
    "energy_wh",
    "stop_reason",
)
_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "VALIDATION": 400,
    "RATE_LIMITED": 429,
    "UNAVAILABLE": 503,
}


def _error(error: DomainError) -> JSONResponse:
    status = _STATUS.get(error.code, 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if isinstance(error, RateLimited) and error.retry_after is not None:
        headers["Retry-After"] = retry_header(error.retry_after)
    return JSONResponse({"error": {"code": error.code, "message": error.message}}, status, headers=headers or None)


def _csv(rows: Iterable[Sequence[Any]]) -> str:
    """One chunk: a small buffer per page, never the whole file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(params: dict[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"{name} {raw!r} is not an ISO-8601 timestamp") from None
    return as_utc(moment)


class Exports:
    """The CSV exports. A key is checked behind the login throttle, then counted against its rate (when
    `rate_limiter` is given), like a GraphQL request: a locked-out caller costs no hashing at all."""

    def __init__(
        self,
        deps: Deps,
        principals: PrincipalCache,
        rate_limiter: RateLimiter | None = None,
        limit_metrics: LimitMetrics | None = None,
    ) -> None:
        self.deps = deps
        self._principals = principals
        self._rate_limiter = rate_limiter
        self._limit_metrics = limit_metrics

    async def _principal(self, request: Request) -> Principal:
        key = bearer_key(request.headers.get("authorization"))
        principal = await authenticate_throttled(
            self._principals.authenticate, self.deps.logins, key, client_address(request)
        )
        if principal is None or key is None:  # pragma: no cover - authenticate raises instead
            raise Unauthenticated("invalid API key")
        if self._rate_limiter is not None and (retry_after := await self._rate_limiter.hit(key)) is not None:
            if self._limit_metrics is not None:
                self._limit_metrics.refused.labels("rate").inc()
            raise RateLimited(self._rate_limiter.message(retry_after), retry_after)
        return principal

    def _stream(self, rows: AsyncIterator[str], filename: str) -> StreamingResponse:
        headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
        return StreamingResponse(rows, media_type="text/csv; charset=utf-8", headers=headers)

    async def users(self, request: Request) -> Response:
        try:
            principal = await self._principal(request)
        except DomainError as error:
            return _error(error)
        return self._stream(self._user_rows(principal.tenant_id), "users.csv")

    async def transactions(self, request: Request) -> Response:
        try:
            principal = await self._principal(request)
            params = dict(request.query_params)
            vehicle = params.get("vehicleId")
            where = TransactionFilter(
                vehicle_id=parse_id(vehicle, "vehicleId") if vehicle else None,
                started_from=_moment(params, "from"),
                started_to=_moment(params, "to"),
            )
        except DomainError as error:
            return _error(error)
        return self._stream(self._transaction_rows(principal.tenant_id, where), "transactions.csv")

    async def _user_rows(self, tenant_id: UUID) -> AsyncIterator[str]:
        yield _csv([USER_COLUMNS])
        after: str | None = None
        while True:
            # One unit of work per page: no session stays open while the client reads slowly.
            async with self.deps.uow(tenant_id) as uow:
                page = await uow.users.page(PageRequest(MAX_PAGE_SIZE, after, with_total=False))
                tags = await uow.rfid_tags.for_users([user.id for user in page.items])
            by_user: dict[UUID, list[str]] = {}
            for tag in tags:
                by_user.setdefault(tag.user_id, []).append(tag.id_tag)
            yield _csv(
                (u.id, u.email, u.name, _iso(u.created_at), " ".join(sorted(by_user.get(u.id, [])))) for u in page.items
            )
            if not page.has_next:
                return
            after = page.end_cursor

    async def _transaction_rows(self, tenant_id: UUID, where: TransactionFilter) -> AsyncIterator[str]:
        yield _csv([TRANSACTION_COLUMNS])
        after: str | None = None
        while True:
            async with self.deps.uow(tenant_id) as uow:
                page = await uow.transactions.page(PageRequest(MAX_PAGE_SIZE, after, with_total=False), where)
                items = page.items
                chargers = {c.id: c for c in await uow.chargers.get_many(list({t.charger_id for t in items}))}
                user_ids = list({t.user_id for t in items if t.user_id is not None})
                users = {u.id: u for u in await uow.users.get_many(user_ids)}
                vehicle_ids = list({t.vehicle_id for t in items if t.vehicle_id is not None})
                vehicles = {v.id: v for v in await uow.vehicles.get_many(vehicle_ids)}
            rows = []
            for t in items:
                charger, user = chargers.get(t.charger_id), users.get(t.user_id) if t.user_id else None
                vehicle = vehicles.get(t.vehicle_id) if t.vehicle_id else None
                rows.append(
                    (
                        t.id,
                        charger.charge_point_id if charger else None,
                        t.connector_id,
                        t.ocpp_transaction_id,
                        t.origin.value,
                        t.status.value,
                        user.email if user else None,
                        vehicle.license_plate if vehicle else None,
                        _iso(t.started_at),
                        _iso(t.stopped_at),
                        t.energy_wh,
                        t.stop_reason,
                    )
                )
            yield _csv(rows)
            if not page.has_next:
                return
            after = page.end_cursor
