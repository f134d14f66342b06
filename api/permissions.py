"""Permission classes: who may run which root field."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from api.context import Info


class IsAuthenticated(BasePermission):
    """Any valid API key of any role; otherwise the domain's UNAUTHENTICATED error with its reason."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context.principal  # noqa: B018 - raises Unauthenticated with the reason the key was refused
        return True


class CanWrite(BasePermission):
    """Mutations: ADMIN keys only; READ_ONLY keys (fleet integrations) read and subscribe."""

    message = "this API key is READ_ONLY: mutations need an ADMIN key"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.can_write


class IsAdmin(BasePermission):
    """Queries of what only administrators see (API keys, the audit log): ADMIN keys only."""

    message = "this API key is READ_ONLY: this query needs an ADMIN key"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal.can_write
