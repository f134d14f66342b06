"""Subscriptions' access to the event bus: the tenant's channel, closed on cancellation, errors on overflow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

from api.context import Context
from domain.errors import NotFound, Unavailable
from domain.events import DomainEvent
from domain.ports import Subscription


class _Events:
    """The subscription's events; raises Unavailable, saying why, instead of ending quietly when the bus cut it
    off with events possibly missed."""

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription
        self._events = aiter(subscription)

    def __aiter__(self) -> _Events:
        return self

    async def __anext__(self) -> DomainEvent:
        try:
            return await anext(self._events)
        except StopAsyncIteration:
            if self._subscription.missed is not None:
                raise Unavailable(self._subscription.missed) from None
            raise


@asynccontextmanager
async def watch(ctx: Context, topic: str) -> AsyncIterator[AsyncIterator[DomainEvent]]:
    """Listen on one topic of the caller's tenant; other tenants' channels are not reachable from here."""
    async with ctx.deps.bus.subscribe(ctx.tenant_id, topic) as subscription:
        ctx.metrics.subscriptions.inc()
        try:
            yield _Events(subscription)
        finally:
            ctx.metrics.subscriptions.dec()


async def require_charger(ctx: Context, charger_id: UUID) -> None:
    """NOT_FOUND for an unknown charger, or one of another tenant: they look the same."""
    if await ctx.loaders.chargers.load(charger_id) is None:
        raise NotFound(f"charger {charger_id} not found")


async def require_vehicle(ctx: Context, vehicle_id: UUID) -> None:
    if await ctx.loaders.vehicles.load(vehicle_id) is None:
        raise NotFound(f"vehicle {vehicle_id} not found")
