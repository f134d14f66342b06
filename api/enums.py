"""The domain's enums, exposed to GraphQL under their own names and values.

Registering them (rather than copying them) keeps one list of values; the types modules import
this module so the registration happens before any schema is built.
"""

from __future__ import annotations

import strawberry

from domain import model as dm

for _enum in (
    dm.ApiRole,
    dm.VehicleStatus,
    dm.IdentifierStatus,
    dm.IdentifierSource,
    dm.ConnectionState,
    dm.LogDirection,
    dm.OcppMessageType,
    dm.TransactionOrigin,
    dm.TransactionStatus,
    dm.PairingStatus,
):
    strawberry.enum(_enum)
