"""Alembic migrations: the only way a schema is made (see infra/db/migrate.py)."""
