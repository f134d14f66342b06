"""Chargers: registration, connection state, connectors and live status."""
