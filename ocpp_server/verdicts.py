"""What the OCPP server logs about a verdict, the same on both versions."""

from __future__ import annotations

from typing import Any

from domain.model import AuthorizationStatus
from domain.services.authorization import Verdict


def log_verdict(log: Any, verdict: Verdict, action: str) -> None:
    """A token refused as ConcurrentTx is logged: it is how a copied or spoofed identifier shows itself."""
    if verdict.status is AuthorizationStatus.CONCURRENT_TX:
        log.warning(
            "token in use on another charger",
            action=action,
            id_tag=verdict.id_tag,
            origin=verdict.origin.value,
            in_use_on_charger_id=str(verdict.in_use_on) if verdict.in_use_on else None,  # None: a retried start
        )
