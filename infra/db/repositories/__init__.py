"""Tenant-scoped repositories: each is built for one tenant and one session, and reads only that tenant's rows."""

from infra.db.repositories.chargers import (
    SqlChargerRepository,
    SqlConnectorRepository,
    SqlUnrecognisedIdentifierRepository,
)
from infra.db.repositories.logs import SqlLogRepository
from infra.db.repositories.pairing import SqlPairingRepository
from infra.db.repositories.people import SqlRfidTagRepository, SqlUserRepository
from infra.db.repositories.stations import SqlChargerSettingRepository, SqlLocalListRepository
from infra.db.repositories.transactions import SqlRemoteStartRepository, SqlTransactionRepository
from infra.db.repositories.vehicles import SqlIdentifierRepository, SqlVehicleRepository

__all__ = [
    "SqlChargerRepository",
    "SqlChargerSettingRepository",
    "SqlConnectorRepository",
    "SqlIdentifierRepository",
    "SqlLocalListRepository",
    "SqlLogRepository",
    "SqlPairingRepository",
    "SqlRemoteStartRepository",
    "SqlRfidTagRepository",
    "SqlTransactionRepository",
    "SqlUnrecognisedIdentifierRepository",
    "SqlUserRepository",
    "SqlVehicleRepository",
]
