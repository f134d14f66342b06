"""Tenants and API keys: the operator's side of the system, used by the CLI and every API request."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from domain.errors import Conflict, Invalid, NotFound, Unauthenticated
from domain.ids import Clock, new_id, utcnow
from domain.model import ApiKey, ApiRole, Principal, Tenant
from domain.ports import Directory
from domain.secrets import hash_api_key
from domain.services import api_keys


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise Invalid(f"tenant name {name!r} needs at least one letter or digit")
    return slug[:63]


async def create_tenant(directory: Directory, name: str, clock: Clock = utcnow) -> Tenant:
    tenant = Tenant(id=new_id(), name=name.strip(), slug=slugify(name), created_at=clock())
    if await directory.tenant_by_slug(tenant.slug) is not None:
        raise Conflict(f"a tenant with slug {tenant.slug} already exists")
    await directory.add_tenant(tenant)
    return tenant


async def tenant_id_by_slug(directory: Directory, tenant_slug: str) -> UUID:
    tenant = await directory.tenant_by_slug(tenant_slug)
    if tenant is None:
        raise NotFound(f"tenant {tenant_slug} not found")
    return tenant.id


async def create_api_key(
    directory: Directory,
    tenant_slug: str,
    role: ApiRole,
    clock: Clock = utcnow,
    *,
    name: str = "",
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Returns the stored key and the secret itself, which is shown once and never stored."""
    tenant_id = await tenant_id_by_slug(directory, tenant_slug)
    return await api_keys.create_key(directory, tenant_id, role, name=name, expires_at=expires_at, clock=clock)


async def authenticate(directory: Directory, secret: str | None, clock: Clock = utcnow) -> Principal:
    if not secret:
        raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
    principal = await directory.principal_for_key(hash_api_key(secret.strip()))
    if principal is None:
        raise Unauthenticated("invalid or revoked API key")
    return api_keys.still_valid(principal, clock())
