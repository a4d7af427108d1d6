"""A bad day: PostgreSQL or the broker killed with SIGKILL under load and started again. Nothing
acknowledged is lost, and the season completes with every application decided and paid once.
Each test runs on its own PostgreSQL and broker, which it kills; the shared ones are untouched."""

import asyncio
import contextlib
import csv
import json
import secrets
import tempfile
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
import pytest
from rich.console import Console

from contracts.access import PRINCIPALS
from deploy.kafka_broker import ADMIN, java_available
from deploy.local import apache_kafka, free_port, local_postgres
from services.demo.run import play
from services.demo.season import generate
from services.shared.settings import Settings
from services.system import IntakeHttp, prepare_broker
from tests.factories import TEST_KEYS, TOKENS, auth, form
from tests.integration.services import running
from tests.kafka_helpers import eventually


@contextlib.contextmanager
def scratch_dir():
    """Outside pytest's root-only tmp tree, so that PostgreSQL's unprivileged user can enter it."""
    with tempfile.TemporaryDirectory(prefix="jinqiu-restart-") as tmp:
        yield Path(tmp)


async def file_until_stopped(client: httpx.AsyncClient, start: int, acknowledged: set[str], stop: asyncio.Event,
                             answers: Counter) -> None:
    i = start
    while not stop.is_set():
        try:
            response = await client.post("/v1/applications", json=form(i), headers=auth())
            answers[response.status_code] += 1
            if response.status_code in (200, 201):
                acknowledged.add(response.json()["application_id"])
        except httpx.HTTPError:
            answers["no answer"] += 1
        i += 4


async def test_no_acknowledged_filing_is_lost_when_postgres_is_killed(endpoints):
    with scratch_dir() as workdir, local_postgres(workdir) as pg:
        settings = Settings(KAFKA_BOOTSTRAP_SERVERS=endpoints.kafka_bootstrap_servers, DATABASE_URL=pg.url,
                            namespace=f"pgkill{secrets.token_hex(4)}.", api_tokens=json.dumps(TOKENS),
                            signing_keys=json.dumps(TEST_KEYS), kafka_credentials=endpoints.kafka_credentials)
        await prepare_broker(settings)
        acknowledged, answers, stop = set(), Counter(), asyncio.Event()
        async with running(settings, "intake") as (intake,):
            http = IntakeHttp(intake, "127.0.0.1", free_port())
            await http.start()
            async with httpx.AsyncClient(base_url=http.url, timeout=10) as client:
                filers = [asyncio.create_task(file_until_stopped(client, n, acknowledged, stop, answers))
                          for n in range(4)]
                await eventually(lambda: asyncio.sleep(0, len(acknowledged)), lambda n: n >= 150)
                await asyncio.to_thread(pg.kill)
                await asyncio.sleep(1)
                await asyncio.to_thread(pg.start)
                before = len(acknowledged)
                await eventually(lambda: asyncio.sleep(0, len(acknowledged)), lambda n: n >= before + 150, 60)
                stop.set()
                await asyncio.gather(*filers)
            await http.stop()
        conn = await asyncpg.connect(pg.url)
        try:
            stored = {r["application_id"] for r in await conn.fetch("SELECT application_id FROM intake.applications")}
        finally:
            await conn.close()
    assert answers[201] >= 300 and answers[500] == 0, answers
    assert acknowledged - stored == set()  # every 201 survived the crash


@pytest.mark.skipif(not java_available(), reason="needs Apache Kafka (Java and Maven)")
async def test_a_season_completes_when_the_broker_is_killed_and_restarted(tmp_path):
    season = generate(200, 11)
    (tmp_path / "logs").mkdir()
    with scratch_dir() as workdir, local_postgres(workdir) as pg:
        passwords = {name: secrets.token_hex(8) for name in (ADMIN, *PRINCIPALS)}
        (workdir / "credentials.json").write_text(json.dumps(passwords))
        with apache_kafka(workdir, passwords) as kafka:
            settings = Settings(KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap, DATABASE_URL=pg.url,
                                signing_keys=json.dumps(TEST_KEYS),
                                kafka_credentials=str(workdir / "credentials.json"))

            async def reviewed() -> int:
                with contextlib.suppress(asyncpg.UndefinedTableError):
                    return await conn.fetchval("SELECT count(*) FROM verification.reviews")
                return 0

            async def kill_broker_mid_season() -> int:
                await eventually(reviewed, lambda n: n > 40, 120)
                await asyncio.to_thread(kafka.kill)
                killed_at = await reviewed()
                await asyncio.sleep(3)
                await asyncio.to_thread(kafka.start)
                return killed_at

            conn = await asyncpg.connect(pg.url)
            try:
                outcome, killed_at = await asyncio.gather(play(settings, season, tmp_path, Console(quiet=True)),
                                                  kill_broker_mid_season())
            finally:
                await conn.close()
    assert outcome.audit.passed, outcome.audit.violations
    with (tmp_path / "decisions.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(season.applications) + len(season.refiled_by_city)
    assert killed_at < len(rows)  # the broker died mid-season, not after it
    grants = Counter(json.loads(line)["data"]["application_id"]
                     for line in (tmp_path / "ledger.jsonl").read_text().splitlines()
                     if json.loads(line)["data"]["kind"] == "grant")
    reversed_once = outcome.reissued
    assert sum(grants.values()) - len(grants) == reversed_once  # a second grant only after a refused card
