"""The cluster's settings, and what the composition root builds with and without Redis (nothing is connected)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from pydantic import ValidationError

from autocharge.main import Autocharge
from autocharge.settings import Settings
from infra.cluster import RoutedChargerCommands
from infra.pubsub.redis import RedisEventBus

TENANT = UUID("00000000-0000-0000-0000-000000000001")


def settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.sqlite'}", **overrides)  # type: ignore[arg-type]


def test_leases_outlive_their_refresh_interval(tmp_path: Path) -> None:
    defaults = settings(tmp_path)
    assert (defaults.presence_ttl_seconds, defaults.presence_refresh_seconds) == (20, 5)
    assert defaults.redis_prefix == "autocharge" and defaults.node_id
    with pytest.raises(ValidationError, match="shorter than presence_ttl_seconds"):
        settings(tmp_path, presence_ttl_seconds=10, presence_refresh_seconds=10)


def test_the_redis_prefix_is_one_word(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        settings(tmp_path, redis_prefix="two words")


async def test_one_process_commands_its_own_chargers(tmp_path: Path) -> None:
    app = Autocharge(settings(tmp_path))
    try:
        assert app.cluster is None
        assert app.deps.commands is app.registry
    finally:
        await app.bus.close()
        await app.database.dispose()


async def test_with_redis_commands_are_routed_through_the_cluster(tmp_path: Path) -> None:
    app = Autocharge(settings(tmp_path, redis_url="redis://127.0.0.1:1/0", node_id="node-7", redis_prefix="p"))
    try:
        assert app.cluster is not None and app.cluster.node_id == "node-7"
        assert isinstance(app.deps.commands, RoutedChargerCommands)
        assert app.deps.commands is app.cluster.commands
        assert isinstance(app.bus, RedisEventBus) and app.bus.channel(TENANT, "chargers") == f"p:{TENANT}:chargers"
    finally:
        assert app.cluster is not None
        await app.cluster.stop()  # never started: closes clients that never connected
        await app.bus.close()
        await app.database.dispose()
