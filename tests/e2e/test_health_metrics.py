"""/metrics over HTTP: Prometheus text with the API's and the OCPP server's figures, after real traffic."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, charger, http_get


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_graphql_and_ocpp_traffic_in_prometheus_text(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1")
    await acme.read_only("{ users { totalCount } }")
    await acme.read_only.raw('mutation { createUser(input: {email: "x@acme.example", name: "X"}) { id } }')
    async with charger(server, "CP-1") as station:
        await station.boot()
        response = await http_get(server, "/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = _samples(response.text)
    assert {
        "queries": samples[("api_graphql_operations_total", (("type", "query"),))],
        "mutations": samples[("api_graphql_operations_total", (("type", "mutation"),))],
        "forbidden": samples[("api_graphql_errors_total", (("code", "FORBIDDEN"),))],
        "graphql posts": samples[
            ("api_http_requests_total", (("method", "POST"), ("path", "/graphql"), ("status", "200")))
        ],
        "boot notifications": samples[
            (
                "ocpp_frames_total",
                (("action", "BootNotification"), ("direction", "FROM_CHARGER"), ("message_type", "CALL")),
            )
        ],
        "accepted handshakes": samples[("ocpp_handshakes_total", (("outcome", "accepted"),))],
        "connected 1.6 chargers": samples[("ocpp_connected_chargers", (("version", "1.6"),))],
    } == {
        "queries": 1,
        "mutations": 2,
        "forbidden": 1,
        "graphql posts": 3,
        "boot notifications": 1,
        "accepted handshakes": 1,
        "connected 1.6 chargers": 1,
    }
