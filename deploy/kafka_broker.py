"""Apache Kafka (KRaft, single node) as the local broker, run from jars that Maven fetched once.

As Kafka's own `bin/` scripts do: format the storage directory (with the SCRAM credentials of
every principal), then run `kafka.Kafka` with a generated `server.properties`. Clients
authenticate with SASL/SCRAM-SHA-256; the StandardAuthorizer denies whatever no ACL allows, so
each principal may write only its own topics (`grant_acls` in `services/shared/kafka.py`).
The log directory is on disk: a killed broker restarted on the same directory keeps its
topics, events and committed offsets.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from deploy.ports import wait_for_port

KAFKA_VERSION = "4.1.1"
ADMIN = "admin"
POM = Path(__file__).parent / "kafka" / "pom.xml"


def java_available() -> bool:
    return shutil.which("java") is not None and shutil.which("mvn") is not None


def jar_cache() -> Path:
    root = os.environ.get("JINQIU_KAFKA_CACHE") or Path.home() / ".cache" / "jinqiu"
    return Path(root) / f"kafka-{KAFKA_VERSION}"


def ensure_jars() -> Path:
    """The broker's jars, fetched from Maven Central on first use (a marker file says complete)."""
    libs = jar_cache() / "libs"
    done = jar_cache() / "complete"
    if not done.exists():
        libs.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
                        f"-DoutputDirectory={libs}", "-DincludeScope=runtime"], check=True)
        done.write_text(KAFKA_VERSION)
    return libs


_LOG4J = """rootLogger.level=WARN
rootLogger.appenderRef.file.ref=FILE
appender.file.type=File
appender.file.name=FILE
appender.file.fileName={log}
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
"""


def _properties(data: Path, port: int, controller_port: int, admin_password: str) -> str:
    jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN}" '
            f'password="{admin_password}";')
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
        f"listeners=SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{port}",
        "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=SASL_PLAINTEXT",
        "sasl.enabled.mechanisms=SCRAM-SHA-256",
        "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256",
        f"listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config={jaas}",
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        # The controller listener is loopback-only and plaintext: its principal is ANONYMOUS.
        f"super.users=User:{ADMIN};User:ANONYMOUS",
        "allow.everyone.if.no.acl.found=false",
        f"log.dirs={data}",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=4",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        # A restart after a kill waits until the controller drops the dead incarnation's session
        # (DUPLICATE_BROKER_REGISTRATION until then): 9 s by default, 10 of a restart's 12 s here.
        "broker.session.timeout.ms=4000",
        "broker.heartbeat.interval.ms=1000",
        "auto.create.topics.enable=false",
        "log.segment.bytes=16777216",
        "num.io.threads=4",
        "num.network.threads=2",
        "",
    ])


def cluster_id_for_kafka() -> str:
    """A random cluster id as Kafka makes them (Uuid.randomUuid): URL-safe base64 of 16 bytes,
    never starting with '-', which the storage tool would read as an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass
class LocalKafka:
    """One broker+controller in `workdir/kafka`, on fixed ports once chosen, so that a restart
    after a kill finds the same log directory at the same address."""

    workdir: Path
    port: int
    controller_port: int
    passwords: dict[str, str]
    heap: str = "512m"
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def _dir(self) -> Path:
        return self.workdir / "kafka"

    def _java(self, main: str, *args: str) -> list[str]:
        """C1 only (the full JIT's compiling cost more than it saved in a bench-length run), and the
        serial collector: on two cores G1's concurrent threads cost more than they save (Kafka's
        CPU per application 0.62 → 0.50 ms on average, six alternated benches; about 30 young pauses
        in a 10,000 bench, at most 34 ms, against G1's ~110, at most 18)."""
        return ["java", f"-Xmx{self.heap}", "-Xms128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={self._dir / 'log4j2.properties'}",
                "-cp", f"{ensure_jars()}/*", main, *args]

    def format(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        (self._dir / "log4j2.properties").write_text(_LOG4J.format(log=self._dir / "server.log"))
        (self._dir / "server.properties").write_text(
            _properties(self._dir / "data", self.port, self.controller_port, self.passwords[ADMIN]))
        cluster_id = cluster_id_for_kafka()
        scram = [arg for name, password in self.passwords.items()
                 for arg in ("--add-scram", f"SCRAM-SHA-256=[name={name},password={password}]")]
        subprocess.run(self._java("kafka.tools.StorageTool", "format", "-t", cluster_id,
                                  "-c", str(self._dir / "server.properties"), *scram),
                       check=True, capture_output=True)

    def start(self, timeout: float = 90) -> None:
        """Start, and return once it listens (or fail with its last log lines if it exits)."""
        with (self._dir / "stdout.log").open("ab") as out:
            self.process = subprocess.Popen(self._java("kafka.Kafka", str(self._dir / "server.properties")),
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_port(self.port, timeout, "Apache Kafka", self.exited)
        except RuntimeError as exc:
            if self.process.poll() is not None:
                raise  # it exited: its last log lines are in the message
            self.kill()  # one that never listened must not linger
            raise RuntimeError(f"{exc}; its log ends:\n{self.exited()}") from None

    def restart(self, attempts: int = 3, timeout: float = 45) -> None:
        """After a kill, at the same address and on the same log directory, as a supervisor would
        (systemd's Restart=on-failure): a start that exits, say because the dead broker's port
        was not yet free, is tried again. Each such exit is reported as a warning with the
        broker's last log lines (shown in pytest's summary), so that it is seen even when a
        later start succeeds; if every start fails, the last one's error is raised. A restart
        listens after about 6.5 s here; one still silent after `timeout` is killed and tried again."""
        for attempt in range(1, attempts + 1):
            try:
                self.start(timeout)
                return
            except RuntimeError as exc:
                if attempt == attempts:
                    raise
                warnings.warn(f"Apache Kafka start {attempt} of {attempts} after a kill failed: {exc}",
                              RuntimeWarning, stacklevel=2)

    def kill(self) -> None:
        """SIGKILL, as a crash would: no controlled shutdown, nothing flushed on purpose."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(20)
        self.kill()

    def exited(self) -> str | None:
        """The end of the broker's log if it has exited, else None."""
        if self.process is None or self.process.poll() is None:
            return None
        logs = [self._dir / "stdout.log", self._dir / "server.log"]
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in logs if p.exists())
