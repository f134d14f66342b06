"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from tests.api.harness import Api


async def test_health_is_always_ok(api: Api) -> None:
    api.directory.down = "database unreachable"
    response = await api.http.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready_follows_the_database(api: Api) -> None:
    assert (await api.http.get("/ready")).status_code == 200
    api.directory.down = "database unreachable"
    response = await api.http.get("/ready")
    assert response.status_code == 503
    assert response.json()["reason"] == "database unreachable"


async def test_metrics_count_operations_errors_and_requests(api: Api) -> None:
    await api.data("{ me { role } }")
    await api.error("{ me { role } }", key=None)
    text = (await api.http.get("/metrics")).text
    assert 'api_graphql_operations_total{type="query"} 2.0' in text
    assert 'api_graphql_errors_total{code="UNAUTHENTICATED"} 1.0' in text
    assert 'api_http_requests_total{method="POST",path="/graphql",status="200"} 2.0' in text
    assert "api_http_request_duration_seconds_bucket" in text


async def test_graphiql_in_a_browser(api: Api) -> None:
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_an_unknown_operation_name_is_a_bad_request(api: Api) -> None:
    body = {"query": "query A { me { role } }", "operationName": "B"}
    response = await api.http.post("/graphql", json=body, headers={"Authorization": "Bearer x"})
    assert response.status_code == 400
    assert "B" in response.text
