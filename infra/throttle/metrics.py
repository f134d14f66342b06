"""The refusal counter of throttled logins, registered on the registry the composition root passes in."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

from domain.services.login_throttle import CredentialKind, Refusal


class AuthRefusalMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.refusals = Counter(
            "autocharge_auth_refusals_total",
            "Refused charger passwords and API keys, by kind (charger, api_key) and reason "
            "(wrong_credential, identity_locked, address_locked)",
            ["kind", "reason"],
            registry=registry,
        )

    def count(self, kind: CredentialKind, reason: Refusal) -> None:
        """domain.services.login_throttle.RefusalCounter."""
        self.refusals.labels(kind.value, reason.value).inc()
