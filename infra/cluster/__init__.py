"""Several processes as one back office: presence of chargers, commands routed to their holder (over Redis)."""

from __future__ import annotations

from domain.ports import UnitOfWorkFactory
from infra.cluster.node import ClusterNode
from infra.cluster.routing import LocalChargers, RoutedChargerCommands

__all__ = ["ClusterNode", "LocalChargers", "RoutedChargerCommands", "redis_cluster"]


def redis_cluster(
    url: str,
    node_id: str,
    local: LocalChargers,
    uow: UnitOfWorkFactory,
    *,
    prefix: str = "autocharge",
    lease_seconds: float = 30,
    refresh_seconds: float = 10,
    command_timeout: float = 35,
) -> ClusterNode:
    """A node whose presence and commands go through the Redis at `url`."""
    from infra.pubsub.commands import RedisCommandChannel
    from infra.pubsub.presence import RedisPresence

    return ClusterNode(
        node_id,
        local,
        RedisPresence(url, prefix=prefix),
        RedisCommandChannel(url, prefix=prefix),
        uow,
        lease_seconds=lease_seconds,
        refresh_seconds=refresh_seconds,
        command_timeout=command_timeout,
    )
