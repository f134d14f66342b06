"""Users and their RFID tags."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, func, or_

from domain.model import RfidTag, User
from domain.pagination import Page, PageRequest
from infra.db.repositories._base import SqlRepository
from infra.db.repositories._keyset import keyset_page
from infra.db.tables import rfid_tags, users


class SqlUserRepository(SqlRepository):
    async def get(self, user_id: UUID) -> User | None:
        return await self._get(User, users, user_id)

    async def get_many(self, user_ids: Sequence[UUID]) -> list[User]:
        return await self._get_many(User, users, user_ids)

    async def by_email(self, email: str) -> User | None:
        return await self._first(User, self._select(users).where(users.c.email == email))

    async def add(self, user: User) -> None:
        await self._insert(users, user)

    async def page(self, request: PageRequest, search: str | None = None) -> Page[User]:
        query = self._select(users)
        if search:
            needle = search.lower()
            query = query.where(
                or_(
                    func.lower(users.c.name).contains(needle, autoescape=True),
                    func.lower(users.c.email).contains(needle, autoescape=True),
                )
            )
        return await keyset_page(self._execute, User, query, [users.c.id], request, descending=False)


class SqlRfidTagRepository(SqlRepository):
    async def by_tag(self, id_tag: str) -> RfidTag | None:
        return await self._first(RfidTag, self._select(rfid_tags).where(rfid_tags.c.id_tag == id_tag))

    async def for_users(self, user_ids: Sequence[UUID]) -> list[RfidTag]:
        if not user_ids:
            return []
        query = self._select(rfid_tags).where(rfid_tags.c.user_id.in_(set(user_ids))).order_by(rfid_tags.c.id)
        return await self._all(RfidTag, query)

    async def add(self, tag: RfidTag) -> None:
        await self._insert(rfid_tags, tag)

    async def remove(self, tag: RfidTag) -> None:
        await self._execute(delete(rfid_tags).where(rfid_tags.c.id == tag.id, rfid_tags.c.tenant_id == self._tenant_id))
