from __future__ import annotations

import subprocess
import sys

import pytest

from infra.pubsub import bus_from_url
from infra.pubsub.memory import MemoryEventBus


async def test_no_url_is_the_memory_bus() -> None:
    bus = bus_from_url(None, queue_size=5)

    assert isinstance(bus, MemoryEventBus)
    await bus.close()


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "rediss://user:secret@redis.example:6380"])
async def test_a_redis_url_is_the_redis_bus(url: str) -> None:
    from infra.pubsub.redis import RedisEventBus

    bus = bus_from_url(url, queue_size=5)

    assert isinstance(bus, RedisEventBus)
    await bus.close()  # never started: nothing was connected


def test_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="amqp"):
        bus_from_url("amqp://localhost", queue_size=5)


def test_the_memory_bus_does_not_import_the_redis_driver() -> None:
    script = "import sys; from infra.pubsub import bus_from_url; bus_from_url(None, 1); print('redis' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"
