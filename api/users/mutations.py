from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import mutation
from api.users.types import User
from domain.commands import AddRfidTag, CreateUser, RemoveRfidTag
from domain.ids import parse_id
from domain.services import users


@strawberry.input
class CreateUserInput:
    email: str
    name: str


@strawberry.type
class UserMutations:
    @mutation()
    async def create_user(self, info: Info, input: CreateUserInput) -> User:
        ctx = info.context
        user = await users.create_user(ctx.uow(), CreateUser(email=input.email, name=input.name), ctx.deps.clock)
        return User.from_entity(user)

    @mutation(description="CONFLICT when another user has the tag")
    async def add_rfid_tag(self, info: Info, user_id: strawberry.ID, id_tag: str) -> User:
        ctx = info.context
        cmd = AddRfidTag(user_id=parse_id(user_id, "userId"), id_tag=id_tag)
        return User.from_entity(await users.add_rfid_tag(ctx.uow(), cmd, ctx.deps.clock))

    @mutation()
    async def remove_rfid_tag(self, info: Info, user_id: strawberry.ID, id_tag: str) -> User:
        cmd = RemoveRfidTag(user_id=parse_id(user_id, "userId"), id_tag=id_tag)
        return User.from_entity(await users.remove_rfid_tag(info.context.uow(), cmd))
