"""One configuration for every service, read from the environment (pydantic-settings)."""

from __future__ import annotations

import json
from pathlib import Path

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
        default=True, description="Kafka's idempotent producer (off only for the Tansu fallback, which lacks it)"
    )
    kafka_credentials: str | None = Field(
        default=None, description="JSON file (or inline JSON) mapping principal → SASL/SCRAM password")
    production: bool = Field(default=False, description="Refuse to start without keys, tokens and credentials")
    clock_max_jump_days: int = Field(default=92, ge=1, description="Largest step the campaign clock may take")
    db_pool_size: int = Field(default=4, ge=1, description="Connections the consumers, requests and metrics "
                              "share; the outbox relay and each leader loop have one of their own besides")
    metrics_port: int | None = Field(default=None, description="Serve Prometheus /metrics on this port")
    traces_file: str | None = Field(default=None, description="Append finished trace spans here as JSON lines")
    intake_host: str = "127.0.0.1"
    intake_port: int = 8000
    policy_files: str = Field(default="anhui-2023,shaanxi-2023",
                              description="Comma-separated bundled policy names or JSON file paths")
    org_tree_file: str | None = Field(default=None, description="Union tree JSON; default: the bundled one")
    api_tokens: str | None = Field(default=None, description="JSON file mapping API token → {org, user}")
    signing_keys: str | None = Field(
        default=None, description="JSON file (or inline JSON) mapping principal (service name or org code) → HMAC key")


def json_setting(value: str | None) -> dict:
    """A setting that holds JSON inline or names a JSON file; empty when unset."""
    if not value:
        return {}
    text = value if value.lstrip().startswith("{") else Path(value).read_text(encoding="utf-8")
    return json.loads(text)


def ledger_secret(signing_keys: str | None) -> str | None:
    """Disbursement's signing secret, from which the ledger's Ed25519 key is derived."""
    return json_setting(signing_keys).get("disbursement")
