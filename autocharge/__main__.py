"""`python -m autocharge`: the same command as `autocharge` (used to start the workers of `serve --workers`)."""

from autocharge.cli import app

app()
