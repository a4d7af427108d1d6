"""The one way to refuse: a stable English code for machines, a Chinese message for union staff."""

from __future__ import annotations


class Refused(Exception):
    """Refused input or act: HTTP 4xx from the API, a dead letter with this reason on Kafka."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message
