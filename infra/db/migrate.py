"""Alembic, driven from code: the composition root, the CLI and the tests make schemas only through here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

import migrations
from infra.db.engine import create_engine
from infra.db.errors import translate_errors
from infra.db.tables import SQLITE_ONLY_TABLES

# Resolved from the installed package, so it works from any working directory.
SCRIPT_LOCATION = Path(migrations.__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if url is not None:
        config.attributes["url"] = url
    return config


async def upgrade_database(url: str, revision: str = "head") -> None:
    """`alembic upgrade head` on the database at `url`; a no-op when it is already there."""
    await _run_on_connection(url, lambda connection: command.upgrade(_shared(connection, url), revision))


async def downgrade_database(url: str, revision: str) -> None:
    await _run_on_connection(url, lambda connection: command.downgrade(_shared(connection, url), revision))


async def current_revision(url: str) -> str | None:
    revision: str | None = await _run_on_connection(
        url, lambda connection: MigrationContext.configure(connection).get_current_revision()
    )
    return revision


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def is_up_to_date(url: str) -> bool:
    return await current_revision(url) == head_revision()


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave out of autogenerate what exists only on one dialect by design (SQLite's OCPP number counter)."""
    return not (type_ == "table" and name in SQLITE_ONLY_TABLES)


def _shared(connection: Connection, url: str) -> Config:
    # env.py runs the migrations on this connection instead of opening its own.
    config = alembic_config(url)
    config.attributes["connection"] = connection
    return config


async def _run_on_connection(url: str, work: Any) -> Any:
    # NullPool: this engine lives for one command; no connection should outlive it.
    engine = create_engine(url, poolclass=NullPool)
    try:
        # Only reaching the database becomes Unavailable (a one-line error for the CLI); a migration that
        # fails once connected is a bug and keeps its full traceback.
        with translate_errors():
            connection = await engine.connect()
        try:
            async with connection.begin():
                return await connection.run_sync(work)
        finally:
            await connection.close()
    finally:
        await engine.dispose()
