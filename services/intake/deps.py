"""What intake's HTTP handlers, API and console alike, get from the app: its pool and authority."""

from __future__ import annotations

import asyncpg
from fastapi import Request

from services.shared.authority import Authority

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pool_of(request: Request) -> asyncpg.Pool:
    return request.app.state.pool_getter()


def authority_of(request: Request) -> Authority:
    return request.app.state.authority
