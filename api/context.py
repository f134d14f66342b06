"""The typed context of one GraphQL request, or of one websocket connection and its subscriptions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry
from starlette.requests import HTTPConnection

from api.auth import PrincipalCache, authenticate_throttled, client_address
from api.loaders import Loaders
from api.metrics import ApiMetrics
from domain.errors import DomainError, Unauthenticated
from domain.model import Principal
from domain.ports import UnitOfWork
from domain.services.deps import Deps


class Context:
    """Who is calling, what the domain gives us, and the DataLoaders of this request."""

    def __init__(
        self,
        deps: Deps,
        metrics: ApiMetrics,
        connection: HTTPConnection,
        *,
        websocket: bool,
        principals: PrincipalCache | None = None,
    ) -> None:
        self.deps = deps
        self.metrics = metrics
        self.connection = connection
        self.websocket = websocket
        # Set by strawberry from the graphql-transport-ws connection_init payload, before on_ws_connect.
        self.connection_params: dict[str, Any] | None = None
        self._principal: Principal | None = None
        self._auth_error: DomainError = Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
        self._loaders: Loaders | None = None
        self._principals = principals or PrincipalCache(deps.directory, ttl=0)

    async def authenticate(self, key: str | None) -> Principal | None:
        """Resolve the key; on failure keep the domain's reason, raised when a field needs the principal.

        Bad keys are throttled per key prefix and per address: past the limit the reason is RATE_LIMITED.
        """
        address = client_address(self.connection)
        try:
            self._principal = await authenticate_throttled(
                self._principals.authenticate, self.deps.logins, key, address
            )
        except DomainError as error:
            self._principal, self._auth_error = None, error
        return self._principal

    @property
    def auth_error(self) -> DomainError | None:
        """Why the key was refused, when it was."""
        return self._auth_error if self._principal is None else None

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            raise type(self._auth_error)(self._auth_error.message)
        return self._principal

    @property
    def tenant_id(self) -> UUID:
        return self.principal.tenant_id

    def uow(self) -> UnitOfWork:
        """A fresh, unopened unit of work of the caller's tenant: the only way to reach data."""
        return self.deps.uow(self.tenant_id)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            # A websocket context lives as long as the connection: no cache, so each event reads fresh rows.
            self._loaders = Loaders(self.deps, self.tenant_id, cache=not self.websocket)
        return self._loaders

    def operation_done(self) -> None:
        """Let go of the operation's loaders and the rows they cached (a later operation makes new ones).

        graphql-core's execution context holds bound methods of itself, a reference cycle that also holds this
        context: without this, every request's rows would wait for the cycle collector, whose pauses of several
        milliseconds then come every few dozen requests instead of every few hundred.
        """
        self._loaders = None


Info = strawberry.Info[Context, None]
