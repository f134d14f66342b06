"""The test Redis, shared by every test that needs one: skipped when it is missing, except in CI."""

from __future__ import annotations

import os
from uuid import uuid4

import pytest
import redis

REDIS_URL = os.environ.get("AUTOCHARGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DOWN_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(scope="module")
def redis_url() -> str:
    """The test Redis; missing, its tests are skipped, except in CI where they fail."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is required in CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def prefix() -> str:
    """A key and channel prefix of its own, so concurrent runs never hear each other."""
    return f"test-{uuid4().hex}"
