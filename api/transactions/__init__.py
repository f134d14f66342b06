"""Charging sessions: history, live updates, remote start and stop."""
