from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from uuid import UUID

import httpx
import pytest
from prometheus_client import CollectorRegistry

from api.app import create_app
from api.limits import RateLimiter
from domain.ids import new_id
from domain.model import ApiRole, Principal
from domain.services.deps import Deps
from infra.pubsub.memory import MemoryEventBus
from infra.throttle import MemoryFailureThrottle, windows
from tests.api.fakes_api import ApiUnitOfWork, FakeDirectory
from tests.api.harness import ADMIN_A, ADMIN_B, MAX_DEPTH, QUEUE_SIZE, READER_A, Api, FakeClock, NullJournal, serving
from tests.unit.fakes import FakeCommands, Store, TokenFactsInUnitOfWork


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with serving_api() as running:
        yield running


@pytest.fixture
def serve_api() -> Callable[..., AbstractAsyncContextManager[Api]]:
    """`async with serve_api(limits=..., rate_limit=...) as api:` an API with options of its own."""
    return serving_api


@asynccontextmanager
async def serving_api(**app_options: Any) -> AsyncIterator[Api]:
    """The API on a real socket with fakes behind it; `app_options` go to create_app (limits, rate_limit)."""
    store, clock, commands = Store(), FakeClock(), FakeCommands()
    tenant_a, tenant_b = new_id(), new_id()
    directory = FakeDirectory()
    directory.add_key(ADMIN_A, Principal(tenant_a, "Fleet A", ApiRole.ADMIN))
    directory.add_key(READER_A, Principal(tenant_a, "Fleet A", ApiRole.READ_ONLY))
    directory.add_key(ADMIN_B, Principal(tenant_b, "Fleet B", ApiRole.ADMIN))
    async with MemoryEventBus(queue_size=QUEUE_SIZE) as bus:

        def uow(tenant_id: UUID) -> ApiUnitOfWork:
            return ApiUnitOfWork(store, tenant_id, bus)

        deps = Deps(
            uow=uow,
            directory=directory,
            bus=bus,
            journal=NullJournal(),
            commands=commands,
            tokens=TokenFactsInUnitOfWork(uow),
            clock=clock,
        )
        rate = app_options.pop("rate_limit", None)
        if rate is not None:
            app_options["rate_limiter"] = RateLimiter(rate, MemoryFailureThrottle(windows(rate)))
        app = create_app(deps, max_depth=MAX_DEPTH, metrics=CollectorRegistry(), **app_options)
        async with serving(app) as port, httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            yield Api(http, port, store, bus, directory, commands, clock, tenant_a, tenant_b)
