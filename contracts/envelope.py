"""The CloudEvents 1.0 envelope every jinqiu message travels in (structured content mode)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from contracts.ledger_format import compact_bytes

CONTENT_TYPE = "application/cloudevents+json"
TYPE_PREFIX = "cn.jinqiu."


class Envelope(BaseModel):
    """A CloudEvent: the immutable fact plus who said it, when, and why.

    Extensions (lowercase per the CloudEvents naming rule): `correlationid` ties every event of
    one business flow together, `causationid` names the event that caused this one, `orgcode`
    is the union the event is published for, `signer` the principal (a service, the scheduler,
    the bank, or a union's org code) whose key made `signature`, an HMAC over every other
    attribute (contracts/signing.py).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str = Field(description="URI of the producer, e.g. /jinqiu/intake or /union/341602")
    type: str = Field(description="cn.jinqiu.<name>.v<version>")
    subject: str | None = Field(default=None, description="The aggregate the fact is about")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    correlationid: str | None = None
    causationid: str | None = None
    orgcode: str | None = Field(default=None, description="Publishing union's org code")
    signer: str | None = Field(default=None, description="Principal whose key signed the event")
    signature: str | None = Field(default=None, description="HMAC-SHA256 of all other attributes, by the signer")
    data: dict[str, Any]

    def to_json(self) -> str:
        """Structured-mode JSON; absent optional attributes are left out rather than null."""
        return self.to_bytes().decode()

    def attributes(self) -> dict[str, Any]:
        """Every attribute as JSON values, as `model_dump(mode="json")` gives them (a property test
        holds it to that) at a third of the cost: `data` is JSON values already (an event's own
        JSON dump, or parsed JSON), so only the time needs writing. Signing, checking and writing
        each event start here."""
        values = dict(self.__dict__)
        values["time"] = json_time(self.time)
        return values

    def to_bytes(self) -> bytes:
        """UTF-8, no spaces (`compact_bytes`)."""
        return compact_bytes({k: v for k, v in self.attributes().items() if v is not None or k == "data"})

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)

    @property
    def event_name(self) -> str:
        """`application.submitted` from `cn.jinqiu.application.submitted.v1`."""
        return self.type.removeprefix(TYPE_PREFIX).rsplit(".", 1)[0]

    @property
    def version(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])


def json_time(moment: datetime) -> str:
    """An ISO 8601 time as pydantic writes it in JSON: naive and UTC times (every time jinqiu
    makes) written here, any other offset by pydantic itself."""
    offset = moment.utcoffset()
    if offset is None:
        return moment.isoformat()
    if not offset:
        return moment.replace(tzinfo=None).isoformat() + "Z"
    return _TIME.dump_python(moment, mode="json")


_TIME = TypeAdapter(datetime)


def kafka_headers() -> list[tuple[str, bytes]]:
    """Structured mode: the whole event is the value; only the content type is a header."""
    return [("content-type", CONTENT_TYPE.encode())]
