"""Kafka plumbing: client credentials per principal, topics and ACLs, the outbox's producer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest
from faststream.security import BaseSecurity, SASLScram256

from contracts.access import PRINCIPALS, READS, writes
from contracts.topics import ALL_TOPICS, Topic
from services.shared.backoff import Backoff
from services.shared.settings import Settings, json_setting

log = structlog.get_logger(__name__)

ADMIN = "admin"
SCRAM = "SCRAM-SHA-256"


class MissingCredentials(RuntimeError):
    """Credentials are configured, but none for this principal."""


def _password(settings: Settings, principal: str) -> str | None:
    credentials = json_setting(settings.kafka_credentials)
    if not credentials:
        return None  # an unsecured broker (the Tansu fallback): production mode refuses this
    if principal not in credentials:
        raise MissingCredentials(f"no Kafka credentials for principal {principal!r}")
    return credentials[principal]


def acts_as_admin(settings: Settings) -> bool:
    """Whether these settings may administer the broker: its admin's credentials, or none at all
    (an unsecured broker). A service given only its own credentials may not."""
    credentials = json_setting(settings.kafka_credentials)
    return not credentials or ADMIN in credentials


def client_options(settings: Settings, principal: str) -> dict:
    """aiokafka keyword arguments that connect as `principal` (SASL/SCRAM when configured)."""
    options = {"bootstrap_servers": settings.kafka_bootstrap_servers}
    password = _password(settings, principal)
    if password is not None:
        options |= {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": SCRAM,
                    "sasl_plain_username": principal, "sasl_plain_password": password}
    return options


def faststream_security(settings: Settings, principal: str) -> BaseSecurity | None:
    password = _password(settings, principal)
    return SASLScram256(principal, password) if password is not None else None


def make_producer(settings: Settings, principal: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **client_options(settings, principal),
        acks="all",
        enable_idempotence=settings.idempotent_producer,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )


async def ensure_topics(settings: Settings, principal: str = ADMIN, topics: tuple[Topic, ...] = ALL_TOPICS) -> None:
    """Create missing topics with their partition counts (auto-creation is off); idempotent."""
    admin = AIOKafkaAdminClient(**client_options(settings, principal))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t.physical(settings.namespace), num_partitions=t.partitions, replication_factor=1)
                   for t in topics if t.physical(settings.namespace) not in existing]
        if missing:
            response = await admin.create_topics(missing)
            errors = [(name, code) for name, code, *_ in response.topic_errors if code not in (0, 36)]
            if errors:  # 36: created meanwhile by another instance
                raise RuntimeError(f"topics not created: {errors}")
            log.info("topics_created", topics=[t.name for t in missing])
    finally:
        await admin.close()


# Kafka protocol codes (org.apache.kafka.common.acl / resource).
_TOPIC, _GROUP = 2, 3
_LITERAL, _PREFIXED = 3, 4
_READ, _WRITE, _CREATE, _DESCRIBE = 3, 4, 5, 8
_ALLOW = 3
_ANY = 1


def acl_entries(namespace: str) -> list[tuple[int, str, int, str, int]]:
    """(resource type, name, pattern, principal, operation) for every grant the system needs:
    each principal writes the topics of its events, reads its inputs, and may (re)create both."""
    entries = []
    for principal in PRINCIPALS:
        written, read = writes(principal), READS.get(principal, ())
        for topic in {*written, *read}:
            operations = [_DESCRIBE, _CREATE]
            operations += [_WRITE] if topic in written else []
            operations += [_READ] if topic in read else []
            entries += [(_TOPIC, topic.physical(namespace), _LITERAL, principal, op) for op in operations]
        if read:
            entries.append((_GROUP, namespace, _PREFIXED, principal, _READ))
    return entries


class _CreateAcls(CreateAclsRequest):
    """All the ACLs in one request (v1, with pattern types): one controller write, not seventy."""

    def __init__(self, creations: list[tuple]) -> None:
        self._creations = creations

    def build(self, request_struct_class):
        if request_struct_class.API_VERSION < 1:
            raise RuntimeError("the broker does not support ACL pattern types (CreateAcls v1)")
        return request_struct_class(self._creations)


async def _until_in_force(admin: AIOKafkaAdminClient, wanted: set[tuple[str, str, int]], timeout: float = 15.0) -> None:
    """The controller has committed the ACLs; wait until the broker's authorizer applies them too."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await admin._send_request(DescribeAclsRequest(_ANY, None, _ANY, None, None, _ANY, _ANY))
        bound = {(resource[1], acl[0], acl[2]) for resource in response.resources for acl in resource[3]}
        if wanted <= bound:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError(f"{len(wanted - bound)} ACLs not in force after {timeout}s")
        await asyncio.sleep(0.05)


async def grant_acls(settings: Settings) -> None:
    """As the broker's admin, grant the ACLs of `acl_entries` for the settings' namespace."""
    if _password(settings, ADMIN) is None:
        return  # an unsecured broker has no ACLs to set
    admin = AIOKafkaAdminClient(**client_options(settings, ADMIN))
    await admin.start()
    try:
        creations = [(kind, name or "*", pattern if name else _LITERAL, f"User:{principal}", "*", operation, _ALLOW)
                     for kind, name, pattern, principal, operation in acl_entries(settings.namespace)]
        response = await admin._send_request(_CreateAcls(creations))  # aiokafka has no public CreateAcls call
        failed = [r for r in response.creation_responses if r[0] != 0]
        if failed:
            raise RuntimeError(f"ACLs refused: {failed[:5]}")
        await _until_in_force(admin, {(c[1], c[3], c[5]) for c in creations})
    finally:
        await admin.close()


async def wait_for_broker(settings: Settings, principal: str = ADMIN, timeout: float = 60.0) -> None:
    """Until the broker answers a metadata request, retrying with jittered exponential backoff."""
    deadline, backoff = asyncio.get_running_loop().time() + timeout, Backoff(cap=5.0)
    while True:
        admin = AIOKafkaAdminClient(**client_options(settings, principal), request_timeout_ms=3000)
        try:
            await admin.start()
            await admin.list_topics()
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
        finally:
            await admin.close()
        await backoff.wait()


@dataclass(frozen=True)
class GroupLag:
    group: str
    lag: int


async def group_lag(settings: Settings, group: str, topics: tuple[Topic, ...], principal: str = ADMIN) -> GroupLag:
    partitions = [TopicPartition(t.physical(settings.namespace), p) for t in topics for p in range(t.partitions)]
    admin = AIOKafkaAdminClient(**client_options(settings, principal))
    consumer = AIOKafkaConsumer(**client_options(settings, principal))
    try:  # both closed even when the broker is down and a start fails
        await admin.start()
        await consumer.start()
        committed = await admin.list_consumer_group_offsets(settings.namespace + group, partitions=partitions)
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
        await admin.close()
    lag = sum(max(0, ends[tp] - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0))
              for tp in partitions)
    return GroupLag(group, lag)
