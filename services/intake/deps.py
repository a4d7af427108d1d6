"""What intake's HTTP handlers, API and console alike, get from the app: its pool and authority."""

from __future__ import annotations

from typing import Annotated

import asyncpg
import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from services.shared.authority import Authority, Principal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pool_of(request: Request) -> asyncpg.Pool:
    return request.app.state.pool_getter()


def authority_of(request: Request) -> Authority:
    return request.app.state.authority


# The staff's API token, as the OpenAPI document's bearer scheme. Not refused here (auto_error):
# a missing or wrong token is refused by the authority, in the API's own answer (401, ErrorList).
_bearer = HTTPBearer(auto_error=False, scheme_name="api_token",
                     description="每个工会账号的访问令牌：Authorization: Bearer <令牌>")


async def principal_of(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    return _principal(request, credentials.credentials if credentials else None)


def bearer_principal(request: Request) -> Principal:
    """`principal_of` without FastAPI's dependency solving: the token read as HTTPBearer reads it."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    return _principal(request, token if scheme.lower() == "bearer" else None)


def _principal(request: Request, token: str | None) -> Principal:
    principal = request.app.state.authority.principal(token)
    structlog.contextvars.bind_contextvars(org=principal.org, user=principal.user)
    return principal


# Dependencies are coroutines: FastAPI runs a plain `def` dependency in a worker thread, a thread
# hand-off per dependency per request (12% of intake's time filing, profiled with py-spy).
async def _pool(request: Request) -> asyncpg.Pool:
    return pool_of(request)


async def _authority(request: Request) -> Authority:
    return authority_of(request)


PoolDep = Annotated[asyncpg.Pool, Depends(_pool)]
AuthorityDep = Annotated[Authority, Depends(_authority)]
CurrentPrincipal = Annotated[Principal, Depends(principal_of)]
