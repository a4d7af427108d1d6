"""A FastAPI route served without FastAPI's generic argument solving, for the route that takes
the August peak (POST /v1/applications). It is declared and documented like every other route,
from its endpoint's signature; serving it, the same three steps are written out: the bearer
token to a principal (refused first, as the dependency was), the JSON body to its model in one
pass (pydantic's `model_validate_json`), refusals as the same `RequestValidationError`. FastAPI's
dependency solving and body handling were about 100 µs of a filing's 0.75-1.0 ms (measured with
`python -m benchmarks.http_floor`)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from services.intake.deps import bearer_principal, principal_of


class DirectRoute(APIRoute):
    """For an endpoint taking exactly one JSON body (a pydantic model), the current principal and
    the request; any other signature is refused when the route is made, not served wrongly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        needs = self.dependant
        body = needs.body_params[0].field_info.annotation if len(needs.body_params) == 1 else None
        if (not (isinstance(body, type) and issubclass(body, BaseModel))
                or [d.call for d in needs.dependencies] != [principal_of]
                or needs.path_params or needs.query_params or needs.header_params or needs.cookie_params
                or needs.request_param_name is None):
            raise TypeError(f"{self.path}: a direct route takes one JSON body, the principal and the request")
        self.body_name, self.body_model = needs.body_params[0].name, body
        self.principal_name, self.request_name = needs.dependencies[0].name, needs.request_param_name

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            principal = bearer_principal(request)
            body = await _json_body(request, self.body_model)
            return await endpoint(**{self.body_name: body, self.principal_name: principal, self.request_name: request})

        return handle


async def _json_body(request: Request, model: type[BaseModel]) -> BaseModel:
    """The body as `model`, or the refusal FastAPI gives (a body not declared JSON is refused as
    not an object, as FastAPI's strict content type refuses it). Its size is bounded by
    `BodyLimit` before it gets here."""
    body = await request.body()
    try:
        if _is_json(request.headers.get("content-type", "")):
            return model.model_validate_json(body)
        return model.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()], body=body) from None


def _is_json(content_type: str) -> bool:
    kind = content_type.partition(";")[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))
