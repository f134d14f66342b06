"""Authorize's facts held in memory: filled on first use, dropped by the events that change them.

`CachedTokenFacts` decorates the TokenFactsReader port, so the rule stays in domain/services/authorization.py
(decide) and only the read is saved. Everything a verdict depends on is held, per tenant, charger and token: the
token's identifiers and their vehicles, whether the charger reads EVCCIDs, the pairing session waiting on it and
that session's vehicle, and the charger where the token is charging now. Each is dropped by the event that
changes it, from this process at once (`InvalidatingEventBus`) and from the others through the bus:

| fact | dropped by (topic) |
| --- | --- |
| identifiers and vehicles of a token | IdentifierAdded, IdentifierRetired of its value; VehicleRetired (tokens) |
| the pairing session waiting on the charger | ChargerPairingChanged (tokens) |
| that session's vehicle | VehicleRetired (tokens) |
| the charger reads EVCCIDs | ChargerStatusChanged UPDATED, or a snapshot that disagrees (chargers) |
| the token charges on another charger | any TransactionChanged of that idTag (transactions) |

Nothing else enters: of a user only the id (a vehicle never changes owner), and RFID tags are not held at all
(an RFID Authorize is judged in a unit of work, with its remote starts and suggestions). Held facts only ever
answer an Authorize that records nothing: a token a pairing session may capture, or one to record, is judged
again on facts read in a unit of work.

A tenant's facts are used only while its three subscriptions are confirmed and the bus is connected; when a
subscription ends (the bus lost Redis, or the subscriber fell behind) they are all dropped and the next
requests read the database until it has subscribed again. Across processes a change is seen once its event
has crossed Redis (milliseconds; the tests hold it to a second), as a database read in flight at the commit
would not see it either.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from uuid import UUID

from prometheus_client import CollectorRegistry, Counter

from domain.events import (
    CHARGERS_TOPIC,
    TOKENS_TOPIC,
    TRANSACTIONS_TOPIC,
    ChargerChange,
    ChargerPairingChanged,
    ChargerStatusChanged,
    DomainEvent,
    IdentifierAdded,
    IdentifierRetired,
    TransactionChanged,
    VehicleRetired,
)
from domain.ports import EventBus, Subscription, TokenFactsReader
from domain.queries import TokenFacts
from infra.pubsub import EventBusBackend

logger = logging.getLogger(__name__)

TOPICS = (TOKENS_TOPIC, CHARGERS_TOPIC, TRANSACTIONS_TOPIC)
_OUTCOMES = ("hit", "miss", "bypassed")

_Key = tuple[UUID, UUID, str]  # tenant, charger, token value


@dataclass(eq=False)
class _Tenant:
    """One tenant's watch on the bus, and an index of what is held for it."""

    subscriptions: list[Subscription] = field(default_factory=list)  # confirmed, one per topic; empty: none yet
    generation: int = 0  # bumped by every drop: a read that began before it is not stored
    chargers_of: dict[str, set[UUID]] = field(default_factory=dict)  # token value -> chargers held with it
    values_at: dict[UUID, set[str]] = field(default_factory=dict)  # charger -> token values held with it
    task: asyncio.Task[None] | None = None


class CachedTokenFacts:
    """TokenFacts from memory when the bus guarantees they are current, from `inner` otherwise.

    At most `max_entries` (tenant, charger, token) entries, least recently used evicted first; none older than
    `max_age_seconds`, which bounds how long a change whose events were lost on publishing is missed.
    """

    def __init__(
        self,
        inner: TokenFactsReader,
        bus: EventBusBackend,
        max_entries: int,
        max_age_seconds: float,
        *,
        retry_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        metrics_registry: CollectorRegistry | None = None,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._inner = inner
        self._bus = bus
        self._max_entries = max_entries
        self._max_age = max_age_seconds
        self._retry_seconds = retry_seconds
        self._clock = clock
        self._entries: OrderedDict[_Key, tuple[TokenFacts, float]] = OrderedDict()
        self._tenants: dict[UUID, _Tenant] = {}
        self._closed = False
        self.lookups = dict.fromkeys(_OUTCOMES, 0)
        counter = (
            Counter(
                "autocharge_verdict_cache_lookups_total",
                "Authorize reads of a vehicle token's facts, by outcome: hit (memory), miss (database, then held), "
                "bypassed (database: the bus is disconnected or the tenant's subscriptions are not confirmed)",
                ["outcome"],
                registry=metrics_registry,
            )
            if metrics_registry is not None
            else None
        )
        # Each outcome's child made once: labels() on every Authorize would cost more than the lookup itself.
        self._counters = {} if counter is None else {outcome: counter.labels(outcome) for outcome in _OUTCOMES}

    def __len__(self) -> int:
        return len(self._entries)

    def ready(self, tenant_id: UUID) -> bool:
        """Whether the tenant's facts may be served from memory now."""
        tenant = self._tenants.get(tenant_id)
        return tenant is not None and self._usable(tenant)

    def _usable(self, tenant: _Tenant) -> bool:
        # Checked on every lookup, not left to the subscriber task: a subscription is cut off (and the bus
        # disconnected) synchronously, and the task may not have run yet when the next Authorize comes.
        return (
            bool(tenant.subscriptions)
            and self._bus.connected
            and all(subscription.missed is None for subscription in tenant.subscriptions)
        )

    async def of_vehicle_token(self, tenant_id: UUID, charger_id: UUID, value: str) -> TokenFacts | None:
        tenant = self._tenants.get(tenant_id) or self._watch(tenant_id)
        if not self._usable(tenant):
            if not self._bus.connected:
                self._drop_all()  # events may be passing us by: nothing held can be trusted any more
            elif tenant.values_at:
                self._drop_tenant(tenant_id, tenant)
            self._count("bypassed")
            return await self._inner.of_vehicle_token(tenant_id, charger_id, value)
        key = (tenant_id, charger_id, value)
        started = self._clock()
        held = self._entries.get(key)
        if held is not None and started - held[1] < self._max_age:
            self._entries.move_to_end(key)
            self._count("hit")
            return held[0]
        self._count("miss")
        generation = tenant.generation
        facts = await self._inner.of_vehicle_token(tenant_id, charger_id, value)
        # Stored only if nothing was dropped meanwhile: the read may predate the change that event announced.
        if facts is not None and tenant.generation == generation and self._usable(tenant):
            self._store(tenant, key, facts, started)
        return facts

    def forget(self, tenant_id: UUID, events: Sequence[DomainEvent]) -> None:
        """Drop whatever these committed events change."""
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            return
        for event in events:
            match event:
                case IdentifierAdded(value=value) | IdentifierRetired(value=value):
                    self._drop_value(tenant_id, tenant, value)
                case TransactionChanged(transaction=transaction):
                    self._drop_value(tenant_id, tenant, transaction.id_tag)
                case ChargerPairingChanged(charger_id=charger_id):
                    self._drop_charger(tenant_id, tenant, charger_id)
                case ChargerStatusChanged(change=change, charger=charger) if change is ChargerChange.UPDATED or any(
                    self._entries[(tenant_id, charger.id, value)][0].autocharge_supported
                    != charger.autocharge_supported
                    for value in tenant.values_at.get(charger.id, ())
                ):
                    self._drop_charger(tenant_id, tenant, charger.id)
                case VehicleRetired():
                    # Rare; its identifiers retired earlier are held with its old snapshot and not named here.
                    self._drop_tenant(tenant_id, tenant)
                case _:
                    pass  # no verdict depends on it

    async def close(self) -> None:
        self._closed = True
        tasks = [tenant.task for tenant in self._tenants.values() if tenant.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._drop_all()

    def _count(self, outcome: str) -> None:
        self.lookups[outcome] += 1
        counter = self._counters.get(outcome)
        if counter is not None:
            counter.inc()

    def _watch(self, tenant_id: UUID) -> _Tenant:
        tenant = self._tenants[tenant_id] = _Tenant()
        if not self._closed:
            tenant.task = asyncio.create_task(self._follow(tenant_id, tenant), name=f"verdicts-{tenant_id}")
        return tenant

    async def _follow(self, tenant_id: UUID, tenant: _Tenant) -> None:
        """Keep the tenant subscribed for as long as the cache lives; nothing is held while it is not."""
        while not self._closed:
            try:
                async with AsyncExitStack() as stack:
                    subscriptions = [await stack.enter_async_context(self._bus.subscribe(tenant_id, t)) for t in TOPICS]
                    tenant.subscriptions = subscriptions
                    reason = await self._apply_until_one_ends(tenant_id, subscriptions)
                logger.warning("verdicts of tenant %s dropped: %s", tenant_id, reason)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Unavailable while Redis is down, most often: try again later
                logger.warning("verdicts of tenant %s not held: cannot subscribe (%s)", tenant_id, exc)
            finally:
                tenant.subscriptions = []
                self._drop_tenant(tenant_id, tenant)
            await asyncio.sleep(self._retry_seconds)

    async def _apply_until_one_ends(self, tenant_id: UUID, subscriptions: list[Subscription]) -> str:
        readers = [asyncio.create_task(self._apply(tenant_id, subscription)) for subscription in subscriptions]
        try:
            done, _ = await asyncio.wait(readers, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
        return next(iter(done)).result()

    async def _apply(self, tenant_id: UUID, subscription: Subscription) -> str:
        async for event in subscription:
            self.forget(tenant_id, [event])
        return subscription.missed or "the subscription ended"

    def _store(self, tenant: _Tenant, key: _Key, facts: TokenFacts, at: float) -> None:
        _, charger_id, value = key
        self._entries[key] = (facts, at)
        self._entries.move_to_end(key)
        tenant.chargers_of.setdefault(value, set()).add(charger_id)
        tenant.values_at.setdefault(charger_id, set()).add(value)
        while len(self._entries) > self._max_entries:
            (old_tenant_id, old_charger, old_value), _ = self._entries.popitem(last=False)
            self._unindex(self._tenants[old_tenant_id], old_charger, old_value)

    def _unindex(self, tenant: _Tenant, charger_id: UUID, value: str) -> None:
        chargers = tenant.chargers_of.get(value)
        if chargers is not None:
            chargers.discard(charger_id)
            if not chargers:
                del tenant.chargers_of[value]
        values = tenant.values_at.get(charger_id)
        if values is not None:
            values.discard(value)
            if not values:
                del tenant.values_at[charger_id]

    def _drop_value(self, tenant_id: UUID, tenant: _Tenant, value: str) -> None:
        tenant.generation += 1
        for charger_id in tenant.chargers_of.pop(value, ()):
            self._entries.pop((tenant_id, charger_id, value), None)
            self._unindex(tenant, charger_id, value)

    def _drop_charger(self, tenant_id: UUID, tenant: _Tenant, charger_id: UUID) -> None:
        tenant.generation += 1
        for value in tenant.values_at.pop(charger_id, ()):
            self._entries.pop((tenant_id, charger_id, value), None)
            self._unindex(tenant, charger_id, value)

    def _drop_tenant(self, tenant_id: UUID, tenant: _Tenant) -> None:
        tenant.generation += 1
        for charger_id, values in tenant.values_at.items():
            for value in values:
                self._entries.pop((tenant_id, charger_id, value), None)
        tenant.values_at.clear()
        tenant.chargers_of.clear()

    def _drop_all(self) -> None:
        for tenant_id, tenant in self._tenants.items():
            self._drop_tenant(tenant_id, tenant)


class InvalidatingEventBus:
    """The units of work's bus: drops from this process's cache what committed events change, then publishes them.

    The subscription would do it too, a moment later; this way a request answered after a commit on this
    process (a pairing started, an identifier retired) is judged on the new facts by the very next Authorize.
    """

    def __init__(self, inner: EventBus, verdicts: CachedTokenFacts) -> None:
        self._inner = inner
        self._verdicts = verdicts

    async def publish(self, tenant_id: UUID, events: Sequence[DomainEvent]) -> None:
        self._verdicts.forget(tenant_id, events)
        await self._inner.publish(tenant_id, events)

    def subscribe(self, tenant_id: UUID, topic: str) -> AbstractAsyncContextManager[Subscription]:
        return self._inner.subscribe(tenant_id, topic)
