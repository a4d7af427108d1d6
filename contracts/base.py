"""The base of every published event: frozen, no extra fields, knows its type, topic and key."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import TYPE_PREFIX, Envelope
from contracts.topics import Topic

Fen = Annotated[int, Field(ge=0, description="Amount in integer fen (分); never a float")]
OrgCode = Annotated[str, Field(pattern=r"^\d{6}$", description="Union org code, e.g. 341602")]


class Event(BaseModel):
    """A published fact. Subclasses set NAME, VERSION and TOPIC, and say which field is the key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    NAME: ClassVar[str]
    VERSION: ClassVar[int] = 1
    TOPIC: ClassVar[Topic]
    KEY_FIELD: ClassVar[str]
    ACTING_ORG_FIELD: ClassVar[str | None] = None
    """On events union levels publish: the field naming the org acted on, which must lie in the
    publisher's subtree."""

    @classmethod
    def type_name(cls) -> str:
        return f"{TYPE_PREFIX}{cls.NAME}.v{cls.VERSION}"

    @property
    def key(self) -> str:
        return str(getattr(self, self.KEY_FIELD))

    def to_envelope(
        self,
        *,
        source: str,
        orgcode: str | None = None,
        correlationid: str | None = None,
        causationid: str | None = None,
        subject: str | None = None,
        id: str | None = None,
    ) -> Envelope:
        extra = {"id": id} if id else {}
        return Envelope(
            source=source,
            type=self.type_name(),
            subject=subject or self.key,
            orgcode=orgcode,
            correlationid=correlationid,
            causationid=causationid,
            data=self.model_dump(mode="json"),
            **extra,
        )
