from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from autocharge.certs import DevCertificates, write_dev_ca
from autocharge.main import Autocharge
from tests.databases import MigratedDatabases, migrated_databases  # noqa: F401  (a fixture)
from tests.e2e.harness import TenantAccess, running, tenant_access, test_settings


@pytest.fixture
async def database_url(migrated_databases: MigratedDatabases, tmp_path: Path) -> str:  # noqa: F811
    """A fresh migrated database: SQLite by default, PostgreSQL when AUTOCHARGE_TEST_DATABASE_URL says so."""
    return await migrated_databases.fresh(tmp_path)


@pytest.fixture
async def server(database_url: str) -> AsyncIterator[Autocharge]:
    async with running(test_settings(database_url)) as app:
        yield app


@pytest.fixture
async def acme(server: Autocharge) -> TenantAccess:
    return await tenant_access(server, "Acme Fleet")


@pytest.fixture
async def globex(server: Autocharge) -> TenantAccess:
    return await tenant_access(server, "Globex Charging")


@pytest.fixture(scope="session")
def dev_certificates(tmp_path_factory: pytest.TempPathFactory) -> DevCertificates:
    """`autocharge certs dev`'s CA, server certificate (127.0.0.1) and client certificates for CP-1 and CP-2."""
    return write_dev_ca(tmp_path_factory.mktemp("dev-ca"), "127.0.0.1", ("CP-1", "CP-2"))


@pytest.fixture(scope="session")
def foreign_certificates(tmp_path_factory: pytest.TempPathFactory) -> DevCertificates:
    """Another CA, with a client certificate for CP-1 that the server's CA did not sign."""
    return write_dev_ca(tmp_path_factory.mktemp("foreign-ca"), "127.0.0.1", ("CP-1",))
