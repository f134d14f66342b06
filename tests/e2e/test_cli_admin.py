"""The operator's commands, run as the installed `autocharge` console script: output, database, errors."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select

from domain.commands import CreateTenant
from domain.secrets import hash_api_key
from domain.services.tenants import create_tenant
from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from infra.db.migrate import is_up_to_date
from infra.db.tables import api_keys, audit_entries, tenants
from tests.databases import throwaway_postgres

AUTOCHARGE = str(Path(sys.executable).with_name("autocharge"))
UNREACHABLE_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:1/autocharge"


@dataclass
class Run:
    code: int | None
    stdout: str
    stderr: str


async def autocharge(*args: str, settings: dict[str, str] | None = None) -> Run:
    """The console script in a child process, with the environment of this one (its AUTOCHARGE_* variables
    replaced by `settings`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCHARGE_")} | (settings or {})
    child = await asyncio.create_subprocess_exec(
        AUTOCHARGE, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(child.communicate(), 60)
    return Run(child.returncode, stdout.decode(), stderr.decode())


async def _rows(database_url: str, table: Any) -> list[dict[str, Any]]:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            return [dict(row) for row in (await connection.execute(select(table))).mappings()]
    finally:
        await database.dispose()


async def _tenant(database_url: str, name: str) -> None:
    database = Database(database_url)
    try:
        await create_tenant(SqlDirectory(database.session_factory), CreateTenant(name))
    finally:
        await database.dispose()


async def test_tenant_create_json_prints_the_new_tenant_s_id_and_slug(database_url: str) -> None:
    run = await autocharge("tenant", "create", "Acme Fleet", "--json", "--database-url", database_url)

    printed = json.loads(run.stdout)
    assert (run.code, printed["slug"], printed["name"]) == (0, "acme-fleet", "Acme Fleet")
    [stored] = await _rows(database_url, tenants)
    assert (stored["id"], stored["slug"]) == (UUID(printed["id"]), "acme-fleet")


async def test_apikey_create_json_prints_the_key_once_and_stores_only_its_hash(database_url: str) -> None:
    await _tenant(database_url, "Acme Fleet")

    runs = await asyncio.gather(
        *(
            autocharge("apikey", "create", "--tenant", "acme-fleet", "--role", role, "--json", "--database-url", url)
            for role, url in (("admin", database_url), ("read_only", database_url))
        )
    )

    printed = [json.loads(run.stdout) for run in runs]
    assert [(run.code, p["role"], p["key"].startswith("ak_")) for run, p in zip(runs, printed, strict=True)] == [
        (0, "ADMIN", True),
        (0, "READ_ONLY", True),
    ]
    stored = {row["id"]: row for row in await _rows(database_url, api_keys)}
    for shown in printed:
        row = stored[UUID(shown["id"])]
        assert row["key_hash"] == hash_api_key(shown["key"])
        assert [column for column, value in row.items() if shown["key"] in str(value)] == []


async def test_migrate_brings_an_empty_sqlite_file_to_the_latest_revision(tmp_path: Path) -> None:
    (tmp_path / "autocharge.db").touch()
    url = f"sqlite+aiosqlite:///{tmp_path / 'autocharge.db'}"

    run = await autocharge("migrate", "--database-url", url)

    assert (run.code, run.stdout) == (0, "database is at the latest revision\n")
    assert await is_up_to_date(url)


async def test_migrate_brings_an_empty_postgresql_database_to_the_latest_revision() -> None:
    async with throwaway_postgres() as url:
        run = await autocharge("migrate", "--database-url", url)

        assert (run.code, run.stdout) == (0, "database is at the latest revision\n")
        assert await is_up_to_date(url)


async def test_an_unknown_tenant_slug_is_a_one_line_error(database_url: str) -> None:
    run = await autocharge("apikey", "create", "--tenant", "nobody", "--role", "admin", "--database-url", database_url)

    assert (run.code, run.stdout, run.stderr) == (1, "", "error: tenant nobody not found\n")


async def test_a_bad_role_is_a_usage_error_naming_the_roles(database_url: str) -> None:
    run = await autocharge("apikey", "create", "--tenant", "acme", "--role", "owner", "--database-url", database_url)

    # Drawn in a box, wrapped at 80 columns: compare the words.
    words = " ".join(re.sub("[│╭╮╰╯─]", " ", run.stderr).split())
    assert run.code == 2
    assert "Invalid value for '--role': Value error, 'owner' is not one of 'admin', 'read_only'." in words
    assert "Traceback" not in run.stderr


async def test_an_unreachable_database_is_a_one_line_error_for_every_command(tmp_path: Path) -> None:
    out_of_reach = f"sqlite+aiosqlite:///{tmp_path}/missing/folder/db"
    cases = {
        "migrate": ["migrate", "--database-url", UNREACHABLE_POSTGRES],
        "tenant create": ["tenant", "create", "Acme", "--database-url", out_of_reach],
        "apikey create": [
            "apikey",
            "create",
            "--tenant",
            "acme",
            "--role",
            "admin",
            "--database-url",
            UNREACHABLE_POSTGRES,
        ],
    }

    runs = dict(zip(cases, await asyncio.gather(*(autocharge(*args) for args in cases.values())), strict=True))

    refused = "error: database unavailable: [Errno 111] Connect call failed ('127.0.0.1', 1)"
    # migrate logs its progress first (console format): the error is its last line, and there is no traceback.
    assert {name: (run.code, run.stderr.splitlines()[-1]) for name, run in runs.items()} == {
        "migrate": (1, refused),
        "tenant create": (1, "error: database unavailable: unable to open database file"),
        "apikey create": (1, refused),
    }
    assert [name for name, run in runs.items() if "Traceback" in run.stderr + run.stdout] == []


async def test_version_prints_the_installed_version_and_the_changelog_names_it() -> None:
    from importlib.metadata import version

    run = await autocharge("--version")

    assert (run.code, run.stdout) == (0, f"autocharge {version('autocharge')}\n")
    changelog = (Path(__file__).parents[2] / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {version('autocharge')} - " in changelog


async def test_apikey_create_list_and_revoke(database_url: str) -> None:
    await _tenant(database_url, "Acme Fleet")
    db = ("--database-url", database_url)
    created = await autocharge(
        "apikey", "create", "--tenant", "acme-fleet", "--role", "read_only", "--name", "fleet", "--expires", "90d",
        "--json", *db,
    )  # fmt: skip
    key = json.loads(created.stdout)
    expires = datetime.fromisoformat(key["expires_at"]) - datetime.now(UTC)
    assert (created.code, key["name"], key["prefix"]) == (0, "fleet", key["key"][:10])
    assert timedelta(days=89) < expires <= timedelta(days=90)

    listed = await autocharge("apikey", "list", "--tenant", "acme-fleet", "--json", *db)
    assert [(k["id"], k["name"], k["revoked_at"]) for k in json.loads(listed.stdout)] == [(key["id"], "fleet", None)]
    assert key["key"] not in listed.stdout
    table = await autocharge("apikey", "list", "--tenant", "acme-fleet", *db)
    assert key["id"] in table.stdout and "fleet" in table.stdout and "used never" in table.stdout

    revoked = await autocharge("apikey", "revoke", key["id"], *db)
    assert (revoked.code, revoked.stdout.startswith(f"revoked {key['id']} ({key['prefix']}…) at ")) == (0, True)
    active = await autocharge("apikey", "list", "--tenant", "acme-fleet", "--json", *db)
    every = await autocharge("apikey", "list", "--tenant", "acme-fleet", "--all", "--json", *db)
    assert json.loads(active.stdout) == []
    assert [k["revoked_at"] is not None for k in json.loads(every.stdout)] == [True]
    [row] = await _rows(database_url, api_keys)
    assert row["revoked_at"] is not None


async def test_apikey_revoke_of_an_unknown_or_malformed_id_and_a_bad_expiry_are_one_line_errors(
    database_url: str,
) -> None:
    db = ("--database-url", database_url)
    unknown = str(uuid4())
    assert (await autocharge("apikey", "revoke", unknown, *db)).stderr == f"error: API key {unknown} not found\n"
    malformed = await autocharge("apikey", "revoke", "nope", *db)
    assert (malformed.code, malformed.stderr) == (1, "error: key id 'nope' is not a UUID\n")
    await _tenant(database_url, "Acme Fleet")
    create = ("apikey", "create", "--tenant", "acme-fleet", "--role", "admin", *db)
    bad = await autocharge(*create, "--expires", "soon")
    assert (bad.code, "expected a time" in bad.stderr) == (2, True)
    past = await autocharge(*create, "--expires", "2020-01-01T00:00")
    assert (past.code, past.stderr) == (1, "error: expiresAt must be in the future\n")


async def test_cli_changes_are_audited_under_the_command_s_name_without_an_api_key(database_url: str) -> None:
    db = ("--database-url", database_url)
    assert (await autocharge("tenant", "create", "Acme Fleet", *db)).code == 0
    create = ("apikey", "create", "--tenant", "acme-fleet", "--role", "admin", "--json", *db)
    key = json.loads((await autocharge(*create, "--name", "ci")).stdout)
    assert (await autocharge(*create, "--expires", "2020-01-01T00:00")).code == 1
    assert (await autocharge("apikey", "revoke", key["id"], *db)).code == 0

    rows = sorted(await _rows(database_url, audit_entries), key=lambda row: row["at"])

    assert [(r["operation"], r["outcome"], r["api_key_id"]) for r in rows] == [
        ("tenant create", "OK", None),
        ("apikey create", "OK", None),
        ("apikey create", "VALIDATION", None),
        ("apikey revoke", "OK", None),
    ]
    assert rows[1]["arguments"] == {"tenant": "acme-fleet", "role": "ADMIN", "name": "ci", "expires": None}
    assert rows[3]["arguments"] == {"id": key["id"]}
    assert {r["tenant_id"] for r in rows} == {UUID(key["tenant_id"])}
