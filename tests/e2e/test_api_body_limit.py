"""HTTP request bodies are capped as they arrive: 413 with a VALIDATION error, whether the size is declared or
the body is streamed in chunks; requests within the cap are served as before."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from autocharge.main import Autocharge
from tests.e2e import harness
from tests.e2e.harness import running, tenant_access

LIMIT = 4096


async def _post(server: Autocharge, key: str, content: bytes | AsyncIterator[bytes]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=server.api_url, timeout=30) as client:
        return await client.post("/graphql", content=content, headers=headers)


async def test_a_body_over_the_cap_is_refused_declared_or_streamed(database_url: str) -> None:
    async with running(harness.test_settings(database_url, api_max_body_bytes=LIMIT)) as server:
        acme = await tenant_access(server, "Acme Fleet")
        padding = " " * LIMIT
        declared = await _post(server, acme.admin.key, ('{"query": "{ me { role } }"' + padding + "}").encode())

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked transfer encoding
            yield b'{"query": "{ me { role } }"'
            for _ in range(8):
                yield b" " * 1024
            yield b"}"

        streamed = await _post(server, acme.admin.key, chunks())
        within = await _post(server, acme.admin.key, b'{"query": "{ me { role } }"}')

    for refused in (declared, streamed):
        assert refused.status_code == 413
        [error] = refused.json()["errors"]
        assert error["extensions"] == {"code": "VALIDATION", "limit": "body_bytes"}
        assert error["message"] == f"request body over the maximum of {LIMIT} bytes"
    assert within.status_code == 200
    assert within.json() == {"data": {"me": {"role": "ADMIN"}}}
