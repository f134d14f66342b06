"""Use cases: plain async functions taking a unit of work, a command and what else they need.

Each opens its unit of work, changes entities, commits; events go out after the commit.
"""
