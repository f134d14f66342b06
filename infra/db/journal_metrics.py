"""Prometheus figures of the frame journal (Real-Time Logs), on the registry the composition root passes in."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge


class JournalMetrics:
    """Without a registry the figures go to one of their own: every journal in a test process can have them."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self.written = Counter(
            "ocpp_log_frames_written_total", "OCPP frames stored in the Real-Time Logs", registry=registry
        )
        self.escaped = Counter(
            "ocpp_log_frames_escaped_total",
            "OCPP frames stored in an escaped or cut form, the original kept in the raw column",
            registry=registry,
        )
        self.dead_letters = Counter(
            "ocpp_log_dead_letters_total",
            "OCPP frames the log could not store, set aside in the ocpp_log_dead_letters table",
            registry=registry,
        )
        self.dropped = Counter(
            "ocpp_log_frames_dropped_total",
            "OCPP frames lost by the log: queue full, still queued at shutdown, or not even set aside",
            ["reason"],
            registry=registry,
        )
        self.write_failures = Counter(
            "ocpp_log_write_failures_total",
            "Failed writes of the frame log: 'unavailable' (database unreachable) or 'rejected' (the data)",
            ["kind"],
            registry=registry,
        )
        self.database_unavailable = Gauge(
            "ocpp_log_database_unavailable", "1 while the frame log cannot reach the database", registry=registry
        )
        self._queued = Gauge("ocpp_log_frames_queued", "OCPP frames appended but not stored yet", registry=registry)

    def watch_queue(self, pending: Callable[[], float]) -> None:
        """The queue gauge reads the journal's own count when scraped: nothing to update per frame."""
        self._queued.set_function(pending)
