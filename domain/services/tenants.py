"""Tenants and API keys: the operator's side of the system, used by the CLI and every API request."""

from __future__ import annotations

import re

from domain.commands import Authenticate, CreateTenant
from domain.errors import Conflict, Invalid, Unauthenticated
from domain.ids import Clock, new_id, utcnow
from domain.model import Principal, Tenant
from domain.ports import Directory
from domain.secrets import hash_api_key
from domain.services import api_keys


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise Invalid(f"tenant name {name!r} needs at least one letter or digit")
    return slug[:63]


async def create_tenant(directory: Directory, cmd: CreateTenant, clock: Clock = utcnow) -> Tenant:
    tenant = Tenant(id=new_id(), name=cmd.name.strip(), slug=slugify(cmd.name), created_at=clock())
    if await directory.tenant_by_slug(tenant.slug) is not None:
        raise Conflict(f"a tenant with slug {tenant.slug} already exists")
    await directory.add_tenant(tenant)
    return tenant


async def authenticate(directory: Directory, cmd: Authenticate, clock: Clock = utcnow) -> Principal:
    secret = cmd.secret
    if not secret:
        raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
    principal = await directory.principal_for_key(hash_api_key(secret.strip()))
    if principal is None:
        raise Unauthenticated("invalid or revoked API key")
    return api_keys.still_valid(principal, clock())
