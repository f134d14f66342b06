"""Vehicles and their Auto Charge identifiers (EVCCIDs)."""
