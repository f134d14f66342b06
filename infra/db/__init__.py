"""The database adapter: SQLModel tables, tenant-scoped repositories, the unit of work, the frame journal."""

from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from infra.db.frame_journal import BatchedFrameJournal
from infra.db.migrate import is_up_to_date, upgrade_database
from infra.db.unit_of_work import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "BatchedFrameJournal",
    "Database",
    "SqlDirectory",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "is_up_to_date",
    "upgrade_database",
]
