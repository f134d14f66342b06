"""Users (drivers) and their RFID tags."""

from __future__ import annotations

import re

from domain.commands import AddRfidTag, CreateUser, RemoveRfidTag
from domain.errors import Conflict, Invalid, NotFound
from domain.identifiers import is_autocharge_id_tag
from domain.ids import Clock, new_id, utcnow
from domain.model import RfidTag, User
from domain.ports import UnitOfWork
from domain.services._common import found

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ID_TAG_LENGTH = 20  # OCPP 1.6 idTag is a CiString20


async def create_user(uow: UnitOfWork, cmd: CreateUser, clock: Clock = utcnow) -> User:
    email = cmd.email.strip().lower()
    name = cmd.name.strip()
    if not _EMAIL.match(email):
        raise Invalid(f"{cmd.email!r} is not an email address")
    if not name:
        raise Invalid("name must not be empty")
    async with uow:
        if await uow.users.by_email(email) is not None:
            raise Conflict(f"a user with email {email} already exists")
        user = User(id=new_id(), tenant_id=uow.tenant_id, email=email, name=name, created_at=clock())
        await uow.users.add(user)
        await uow.commit()
    return user


def _valid_id_tag(raw: str) -> str:
    id_tag = raw.strip()
    if not id_tag or len(id_tag) > MAX_ID_TAG_LENGTH:
        raise Invalid(f"an RFID idTag has 1 to {MAX_ID_TAG_LENGTH} characters, got {len(id_tag)}")
    if is_autocharge_id_tag(id_tag):
        raise Invalid(f"{id_tag!r} is a vehicle token (VID:...): add it to a vehicle with addVehicleIdentifier")
    return id_tag


async def add_rfid_tag(uow: UnitOfWork, cmd: AddRfidTag, clock: Clock = utcnow) -> User:
    id_tag = _valid_id_tag(cmd.id_tag)
    async with uow:
        user = found(await uow.users.get(cmd.user_id), "user", cmd.user_id)
        existing = await uow.rfid_tags.by_tag(id_tag)
        if existing is not None and existing.user_id != user.id:
            raise Conflict(f"RFID tag {id_tag} already belongs to another user")
        if existing is None:
            tag = RfidTag(id=new_id(), tenant_id=uow.tenant_id, user_id=user.id, id_tag=id_tag, created_at=clock())
            await uow.rfid_tags.add(tag)
            await uow.commit()
    return user


async def remove_rfid_tag(uow: UnitOfWork, cmd: RemoveRfidTag) -> User:
    async with uow:
        user = found(await uow.users.get(cmd.user_id), "user", cmd.user_id)
        tag = await uow.rfid_tags.by_tag(cmd.id_tag.strip())
        if tag is None or tag.user_id != user.id:
            raise NotFound(f"user {user.id} has no RFID tag {cmd.id_tag!r}")
        await uow.rfid_tags.remove(tag)
        await uow.commit()
    return user
