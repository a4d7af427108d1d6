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
from contracts.reviews import ClockTicked
from deploy.kafka_broker import ADMIN, java_available
from deploy.local import apache_kafka, local_postgres
from deploy.ports import free_port
from services.audit.verify import verify_lines
from services.demo.bank import BankSimulator
from services.demo.run import FILING_DAY, NOTICE_OVER, play
from services.demo.season import generate
from services.reports.outputs import write_ledger
from services.season.publishing import Publishers
from services.shared.authority import Authority
from services.shared.settings import Settings
from services.system import IntakeHttp, prepare_broker
from tests import service_logs
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
                await asyncio.to_thread(kafka.restart)
                return killed_at

            conn = await asyncpg.connect(pg.url)
            try:
                outcome, killed_at = await asyncio.gather(play(settings, season, tmp_path, Console(quiet=True)),
                                                  kill_broker_mid_season())
            except Exception:
                print(f"broker: {kafka.exited() or 'running'}\n{service_logs.summary(tmp_path / 'logs')}")
                raise
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


async def fetch_or_none(url: str, sql: str):
    """A query on a database that may be restarting: None while it cannot answer."""
    try:
        conn = await asyncpg.connect(url, timeout=2)
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        return await conn.fetch(sql)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return None
    finally:
        await conn.close()


async def file_until_acknowledged(client: httpx.AsyncClient, form_: dict, token: str, acknowledged: dict,
                                  answers: Counter) -> None:
    """As a county's client would: retry while intake answers 503 or not at all, stop at an answer."""
    while True:
        try:
            response = await client.post("/v1/applications", json=form_, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError:
            answers["no answer"] += 1
            await asyncio.sleep(0.2)
            continue
        answers[response.status_code] += 1
        if response.status_code != 503:
            if response.status_code in (200, 201):
                acknowledged[form_["submission_id"]] = response.json()["application_id"]
            return
        await asyncio.sleep(0.2)


async def test_a_season_completes_when_postgres_is_killed_mid_filing(endpoints, tmp_path):
    season = generate(150, 5)
    forms = [f for f in season.applications if not f.get("relative_of_staff")]
    tokens = {f"t-{org}": {"org": org, "user": f"staff-{org}"} for org in {f["org_code"] for f in forms}}
    token_of = {p["org"]: t for t, p in tokens.items()}
    with scratch_dir() as workdir, local_postgres(workdir) as pg:
        settings = Settings(KAFKA_BOOTSTRAP_SERVERS=endpoints.kafka_bootstrap_servers, DATABASE_URL=pg.url,
                            namespace=f"pgseason{secrets.token_hex(4)}.", api_tokens=json.dumps(tokens),
                            signing_keys=json.dumps(TEST_KEYS), kafka_credentials=endpoints.kafka_credentials)
        await prepare_broker(settings)
        authority = Authority.from_settings(settings)
        publishers, bank = Publishers(settings, authority), BankSimulator(settings, authority, set())
        acknowledged, answers = {}, Counter()
        await publishers.start()
        try:
            async with running(settings, "intake", "verification", "disbursement", "employment") as (intake, *_):
                http = IntakeHttp(intake, "127.0.0.1", free_port())
                await asyncio.gather(http.start(), bank.start())
                await publishers.publish([*season.funds, *season.registry, ClockTicked(today=FILING_DAY)])
                opened = sum(1 for e in season.registry if type(e).__name__ == "HardshipFileOpened")
                await eventually(lambda: fetch_or_none(pg.url, "SELECT (SELECT count(*) FROM verification.clock) "
                                                       "+ (SELECT count(*) FROM verification.hardship_files) AS n"),
                                 lambda rows: rows is not None and rows[0]["n"] == opened + 1, 60)
                async with httpx.AsyncClient(base_url=http.url, timeout=10) as client:
                    limit = asyncio.Semaphore(6)

                    async def file(form_: dict) -> None:
                        async with limit:
                            await file_until_acknowledged(client, form_, token_of[form_["org_code"]],
                                                          acknowledged, answers)

                    async def kill_postgres_mid_filing() -> None:
                        await eventually(lambda: asyncio.sleep(0, len(acknowledged)), lambda n: n >= len(forms) // 3)
                        await asyncio.to_thread(pg.kill)
                        await asyncio.sleep(1)
                        await asyncio.to_thread(pg.start)

                    await asyncio.gather(kill_postgres_mid_filing(), *(file(f) for f in forms))
                await eventually(lambda: fetch_or_none(pg.url, "SELECT application_id FROM verification.reviews"),
                                 lambda rows: rows is not None and len(rows) >= len(acknowledged), 120)
                await publishers.publish([ClockTicked(today=NOTICE_OVER)])  # every notice has begun: end them
                decided = await eventually(
                    lambda: fetch_or_none(pg.url, "SELECT application_id, decision, amount_fen FROM verification.decisions"),
                    lambda rows: rows is not None and len(rows) >= len(acknowledged), 120)
                approved = {r["application_id"] for r in decided if r["decision"] == "approved" and r["amount_fen"] > 0}
                await eventually(
                    lambda: fetch_or_none(pg.url, "SELECT status FROM disbursement.payments"),
                    lambda rows: rows is not None and len(rows) == len(approved)
                    and all(r["status"] in ("settled", "awaiting_funds") for r in rows), 120)
                await eventually(lambda: fetch_or_none(pg.url, "SELECT id FROM disbursement.ledger_postings"),
                                 lambda rows: rows == [], 60)
                await http.stop()
        finally:
            await asyncio.gather(bank.stop(), publishers.stop(), return_exceptions=True)
        conn = await asyncpg.connect(pg.url)
        try:
            grants = await conn.fetch("SELECT application_id, count(*) AS n FROM disbursement.ledger_entries "
                                      "WHERE kind = 'grant' GROUP BY application_id")
            await write_ledger(conn, tmp_path / "ledger.jsonl")
        finally:
            await conn.close()
    assert answers[500] == 0 and answers[503] + answers["no answer"] > 0, answers  # the kill was felt, not hidden
    assert set(acknowledged.values()) == {r["application_id"] for r in decided}  # each acknowledged filing decided
    assert all(g["n"] == 1 for g in grants) and {g["application_id"] for g in grants} <= approved  # paid once
    report = verify_lines((tmp_path / "ledger.jsonl").read_text().splitlines())
    assert report.passed, report.violations
