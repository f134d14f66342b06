"""The GraphQL back-office API: a Strawberry schema on Starlette, plus CSV exports, health and metrics."""
