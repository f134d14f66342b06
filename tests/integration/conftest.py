"""Integration fixtures: a fresh migrated database per test (see tests/databases.py)."""

from tests.databases import bus, database, directory, migrated_databases, seed, uow_factory

__all__ = ["bus", "database", "directory", "migrated_databases", "seed", "uow_factory"]
