"""Hot reads built once: a statement object memoizes its cache key, so executing it again skips building and
keying it; the tenant and the key are bind parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from infra.db.errors import translate_errors


async def execute(session: AsyncSession, statement: Executable, params: Mapping[str, Any]) -> Result[Any]:
    with translate_errors():
        return await session.execute(statement, params)
