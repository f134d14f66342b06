"""Learning from an RFID tap: whose car was the vehicle token a charger just rejected?

A driver whose car is refused at its first plug-in usually taps their RFID card on the same charger right
after (the AMPECO way of learning a car). The card's user, and that user's one ACTIVE vehicle without an
active identifier when there is exactly one, become the suggestion stored with the unrecognised token.
Nothing is paired: an admin confirms with addVehicleIdentifier, which also drops the unrecognised row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from domain.model import UnrecognisedIdentifier
from domain.ports import UnitOfWork

SUGGESTION_WINDOW = timedelta(seconds=60)


async def learn_from_tap(
    uow: UnitOfWork, charger_id: UUID, user_id: UUID, now: datetime
) -> UnrecognisedIdentifier | None:
    """A known RFID tag of `user_id` was presented on the charger: suggest that user for the vehicle token the
    charger rejected within the window before, if any; the caller commits. Returns the row suggested on."""
    rejected = await uow.unrecognised.last_on_charger(charger_id, since=now - SUGGESTION_WINDOW)
    if rejected is None or rejected.last_seen_at > now:
        return None
    rejected.suggested_user_id = user_id
    rejected.suggested_vehicle_id = await _vehicle_to_suggest(uow, user_id)
    rejected.suggested_at = now
    await uow.unrecognised.suggest(rejected)
    return rejected


async def _vehicle_to_suggest(uow: UnitOfWork, user_id: UUID) -> UUID | None:
    """The user's only ACTIVE vehicle without an active identifier, when there is exactly one."""
    vehicles = await uow.vehicles.for_users([user_id], include_retired=False)
    if not vehicles:
        return None
    identified = {i.vehicle_id for i in await uow.identifiers.for_vehicles([v.id for v in vehicles], False)}
    unidentified = [v.id for v in vehicles if v.id not in identified]
    return unidentified[0] if len(unidentified) == 1 else None
