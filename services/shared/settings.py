"""One configuration for every service, read from the environment (pydantic-settings)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JINQIU_", extra="ignore")

    kafka_bootstrap_servers: str | None = Field(
        default=None, validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS")
    )
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL"))
    namespace: str = Field(default="", description="Prefix of topic and consumer group names")
    log_level: str = "INFO"
    log_file: str | None = Field(default=None, description="Append JSON log lines here instead of stderr")
    batch_max_records: int = Field(default=1000, ge=1)
    batch_timeout_ms: int = Field(default=100, ge=1)
    session_timeout_ms: int = Field(default=10_000, ge=1000)
    idempotent_producer: bool = Field(
        default=False, description="Kafka's idempotent producer; Tansu does not support it"
    )
    db_pool_size: int = Field(default=4, ge=1)
    intake_host: str = "127.0.0.1"
    intake_port: int = 8000
    policy_files: str = Field(default="anhui-2023,shaanxi-2023",
                              description="Comma-separated bundled policy names or JSON file paths")
    org_tree_file: str | None = Field(default=None, description="Union tree JSON; default: the bundled one")
    api_tokens: str | None = Field(default=None, description="JSON file mapping API token → {org, user}")
    signing_keys: str | None = Field(default=None, description="JSON file mapping org code → HMAC key")
