"""Prometheus figures of the OCPP server, registered on the registry the composition root passes in."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ocpp_server.frames import known_action


class OcppMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.frames = Counter(
            "ocpp_frames_total",
            "OCPP-J frames by direction, message type and action",
            ["direction", "message_type", "action"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            "ocpp_handler_seconds",
            "Time to answer a charger's CALL, by action",
            ["action"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.call_errors = Counter(
            "ocpp_call_errors_total", "CALLERRORs sent to chargers, by error code", ["code"], registry=registry
        )
        self.connected = Gauge(
            "ocpp_connected_chargers",
            "Chargers connected to this process, by OCPP version",
            ["version"],
            registry=registry,
        )
        self.handshakes = Counter(
            "ocpp_handshakes_total", "Websocket handshakes, by outcome", ["outcome"], registry=registry
        )
        self.answered_before_stored = Counter(
            "ocpp_answers_sent_before_stored_total",
            "Answers sent to chargers before they and their CALL were stored (the database was out)",
            registry=registry,
        )
        self.commands = Counter(
            "ocpp_commands_total",
            "Commands sent to chargers, by OCPP action (e.g. Reset) and outcome",
            ["action", "outcome"],
            registry=registry,
        )

        self.throttled_calls = Counter(
            "ocpp_throttled_calls_total",
            "Charger CALLs over the connection's rate limit, by outcome (refused with a CALLERROR, or closed)",
            ["outcome"],
            registry=registry,
        )

        # Each labelled child looked up once: labels() takes a lock and builds a key on every call, which is
        # measurable at two frames per call, thousands of calls a second.
        self._frame_counters: dict[tuple[str, str, str], Any] = {}

    def frame(self, direction: str, message_type: str, action: str | None) -> None:
        # Actions come from the charger: only the spec's names become label values, so labels (and the children
        # kept here) stay few.
        key = (direction, message_type, known_action(action))
        counter = self._frame_counters.get(key)
        if counter is None:
            counter = self._frame_counters[key] = self.frames.labels(*key)
        counter.inc()
