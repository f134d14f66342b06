"""Concurrent use: a token charging on one charger is answered ConcurrentTx on every other one.

A vehicle identifier or RFID tag belongs to one car or one card: the same token charging on two chargers at
once is a copied or spoofed one. Only ACTIVE transactions the back office accepted count, so a refused start
(stored, since the charger may already deliver energy) never locks the token out; and only other chargers
count, so a retried start, or a card tapped to end its own session, is never concurrent. A refused start is
attributed to no user or vehicle: the session of a copied token is not the driver's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID

from domain.model import AuthorizationStatus, TransactionOrigin

if TYPE_CHECKING:
    from domain.services.authorization import Verdict


def _applies(verdict: Verdict) -> bool:
    # A remote start's token is a one-off made for that start: it never charges elsewhere.
    return verdict.accepted and verdict.origin is not TransactionOrigin.REMOTE


def refuse_concurrent(verdict: Verdict, in_use_on: UUID | None) -> Verdict:
    """The verdict, turned into ConcurrentTx when an accepted token is charging on the charger `in_use_on`."""
    if in_use_on is None or not _applies(verdict):
        return verdict
    return replace(
        verdict, status=AuthorizationStatus.CONCURRENT_TX, in_use_on=in_use_on, user_id=None, vehicle_id=None
    )
