"""The one settings class: read from AUTOCHARGE_* variables, overridden by CLI flags, passed down explicitly."""

from __future__ import annotations

import os
import socket
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./autocharge.db"


def _default_node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOCHARGE_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    # Unset: one process, events stay in memory. Set: processes share events, presence and commands.
    redis_url: str | None = None
    node_id: str = Field(default_factory=_default_node_id)

    host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=0, le=65535)
    ocpp_port: int = Field(default=9000, ge=0, le=65535)

    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    # OCPP
    heartbeat_interval_seconds: int = Field(default=300, ge=1)
    # A charger silent for this long (no frame, no pong) is marked disconnected.
    charger_idle_timeout_seconds: float = Field(default=900, gt=0)
    ocpp_max_frame_bytes: int = Field(default=65536, ge=1024)
    ocpp_command_timeout_seconds: float = Field(default=30, gt=0)
    log_retention_days: int = Field(default=30, ge=1)

    # GraphQL
    graphql_max_depth: int = Field(default=12, ge=2)
    subscription_queue_size: int = Field(default=1000, ge=1)

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("database_url must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
