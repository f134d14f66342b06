"""Tenants and API keys: the operator's side of the system, used by the CLI and every API request."""

from __future__ import annotations

import re

from domain.errors import Conflict, Invalid, NotFound, Unauthenticated
from domain.ids import Clock, new_id, utcnow
from domain.model import ApiKey, ApiRole, Principal, Tenant
from domain.ports import Directory
from domain.secrets import hash_api_key, new_api_key


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


async def create_api_key(
    directory: Directory, tenant_slug: str, role: ApiRole, clock: Clock = utcnow
) -> tuple[ApiKey, str]:
    """Returns the stored key and the secret itself, which is shown once and never stored."""
    tenant = await directory.tenant_by_slug(tenant_slug)
    if tenant is None:
        raise NotFound(f"tenant {tenant_slug} not found")
    secret = new_api_key()
    key = ApiKey(
        id=new_id(),
        tenant_id=tenant.id,
        role=role,
        key_hash=hash_api_key(secret),
        prefix=secret[:10],
        created_at=clock(),
    )
    await directory.add_api_key(key)
    return key, secret


async def authenticate(directory: Directory, secret: str | None) -> Principal:
    if not secret:
        raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
    principal = await directory.principal_for_key(hash_api_key(secret.strip()))
    if principal is None:
        raise Unauthenticated("invalid or revoked API key")
    return principal
