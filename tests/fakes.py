"""In-memory stand-ins for the ports the handlers use (cosmicpython's FakeRepository style)."""

from __future__ import annotations

from contracts.base import Event
from services.shared.errors import Refused
from services.shared.eventstore import ConcurrencyError
from services.verification.repository import published
from services.verification.review import Review


class FakeReviews:
    """Review streams in a dict; what verification would publish, in a list."""

    def __init__(self) -> None:
        self.streams: dict[str, list[Event]] = {}
        self.published: list[Event] = []

    async def get(self, application_id: str) -> Review:
        if application_id not in self.streams:
            raise Refused("application_not_found", application_id)
        return Review.fold(self.streams[application_id])

    async def save(self, current: Review | None, events: list[Event]) -> None:
        key = current.application_id if current else events[0].application_id
        stream = self.streams.setdefault(key, [])
        if len(stream) != (current.version if current else 0):
            raise ConcurrencyError(key)
        stream.extend(events)
        self.published += [e for e in events if published(e)]
