"""Union staff at intake's API in the demo and `jinqiu bench`: each request under its union's
token. aiohttp, not httpx: the harness shares the two cores with the system it measures, and
httpx took a quarter of them at the filing peak (profiled)."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import orjson


class StaffRequestFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes

    def json(self):
        return orjson.loads(self.body)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise StaffRequestFailed(f"HTTP {self.status_code}: {self.body[:500].decode(errors='replace')}")


class StaffHttp:
    def __init__(self, base_url: str, token_of: dict[str, str], timeout: float = 30) -> None:
        self.base_url, self.token_of = base_url, token_of
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> StaffHttp:
        self.session = aiohttp.ClientSession(base_url=self.base_url, timeout=self.timeout,
                                             connector=aiohttp.TCPConnector(limit=64))
        return self

    async def __aexit__(self, *_) -> None:
        await self.session.close()

    async def post(self, org: str, path: str, body: dict | None = None) -> Answer:
        async with self.session.post(path, data=orjson.dumps(body), headers={
                "Authorization": f"Bearer {self.token_of[org]}", "Content-Type": "application/json"}) as response:
            return Answer(response.status, await response.read())
