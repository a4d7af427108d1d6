"""Fixtures: real infrastructure per DESIGN §5 (environment → testcontainers → local binaries),
and a fresh database plus a unique topic namespace per test so tests never see each other."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from deploy.local import Endpoints, infrastructure
from services.shared.db import init_connection
from services.shared.settings import Settings
from services.system import prepare_broker
from tests.factories import TEST_KEYS, TOKENS


@pytest.fixture(scope="session")
def endpoints() -> Iterator[Endpoints]:
    with infrastructure() as found:
        yield found


@pytest.fixture
async def settings(endpoints: Endpoints) -> AsyncIterator[Settings]:
    tag = uuid.uuid4().hex[:10]
    admin = await asyncpg.connect(endpoints.database_url)
    await admin.execute(f'CREATE DATABASE "t_{tag}"')
    await admin.close()
    base, _, _ = endpoints.database_url.rpartition("/")
    s = Settings(KAFKA_BOOTSTRAP_SERVERS=endpoints.kafka_bootstrap_servers,
                 DATABASE_URL=f"{base}/t_{tag}", namespace=f"t{tag}.", session_timeout_ms=6000,
                 api_tokens=json.dumps(TOKENS), signing_keys=json.dumps(TEST_KEYS),
                 kafka_credentials=endpoints.kafka_credentials,
                 idempotent_producer=endpoints.origin != "local-tansu")
    await prepare_broker(s)
    yield s


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(settings.database_url)
    await init_connection(conn)
    yield conn
    await conn.close()
