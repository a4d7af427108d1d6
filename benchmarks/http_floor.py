"""What the HTTP stack alone costs per request, for comparison with a filing
(`benchmarks.http_filing`): the same aiohttp client posts the season's forms to a bare Starlette
route, to a FastAPI route taking a JSON body and the bearer dependency, to a FastAPI route that
validates the form as intake does (ApplicationForm), and to intake's own API (its middleware,
span, log line, authority) with the storing cut out: each answers without filing. Each server
is its own process on uvicorn with httptools and uvloop, as intake, logging to /dev/null and
tracing 1% of requests; its CPU per request comes from /proc.

    .venv/bin/python -m benchmarks.http_floor --requests 20000 --concurrency 256
"""

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import aiohttp

from deploy.ports import free_port, wait_for_port
from services.bench.procfs import cpu_seconds
from services.demo.season import generate
from services.intake.domain import application_id_for
from services.intake.handlers import Filed

ANSWER = b'{"application_id":"x","status":"submitted"}'
KINDS = ("starlette", "fastapi", "form", "intake")
TOKEN = "bench-token"


class _FiledAtOnce:
    """Intake's filing desk with the storing cut out: the scope checked, the answer given."""

    def __init__(self, authority) -> None:
        self.authority = authority

    async def file(self, filing):
        self.authority.require_scope(filing.principal.org, filing.form.org_code)
        return Filed(application_id_for(filing.form.org_code, filing.form.submission_id), created=True)


def intake_api():
    from services.intake.api import create_api
    from services.shared.authority import Authority
    from services.shared.settings import Settings

    settings = Settings(signing_keys=json.dumps({"intake": "bench-key"}),
                        api_tokens=json.dumps({TOKEN: {"org": "340000", "user": "bench"}}))
    authority = Authority.from_settings(settings, identity="intake")
    api = create_api(lambda: None, authority)
    api.state.filing_desk = _FiledAtOnce(authority)
    return api


def app(kind: str):
    """The ASGI app of one kind (KINDS)."""
    from fastapi import Depends, FastAPI, Response
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    from starlette.applications import Starlette
    from starlette.routing import Route

    if kind == "starlette":
        async def post(request):
            await request.body()
            return Response(ANSWER, status_code=201, media_type="application/json")
        return Starlette(routes=[Route("/v1/applications", post, methods=["POST"])])
    if kind == "intake":
        return intake_api()
    from services.intake.domain import ApplicationForm

    api = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False})
    bearer = HTTPBearer(auto_error=False)

    async def principal(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str:
        return credentials.credentials if credentials else ""

    # The route's annotations are evaluated as it is defined (this module does not postpone them).
    body_type = ApplicationForm if kind == "form" else dict

    @api.post("/v1/applications", status_code=201)
    async def post_application(form: body_type, _: Annotated[str, Depends(principal)]) -> Response:
        return Response(ANSWER, status_code=201, media_type="application/json")

    return api


def serve(kind: str, port: int) -> None:
    import os
    import tempfile

    import uvicorn
    import uvloop

    from services.shared import tracing
    from services.shared.logging import configure_logging

    configure_logging(stream=open(os.devnull, "w"))  # noqa: SIM115 (for the server's life)
    os.environ |= {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}
    tracing.configure(kind, str(Path(tempfile.mkdtemp(prefix="jinqiu-floor-")) / "traces.jsonl"))
    uvloop.install()
    uvicorn.run(app(kind), host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off",
                http="httptools", loop="uvloop")


async def post_all(port: int, bodies: list[bytes], concurrency: int) -> float:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    queue = iter(bodies)
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}",
                                     connector=aiohttp.TCPConnector(limit=concurrency)) as client:
        async def clerk() -> None:
            for body in queue:
                async with client.post("/v1/applications", data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 201:
                        raise RuntimeError(f"answered {response.status}: {await response.text()}")

        started = time.perf_counter()
        await asyncio.gather(*(clerk() for _ in range(concurrency)))
        return time.perf_counter() - started


def measure(kind: str, bodies: list[bytes], concurrency: int) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.http_floor", "--serve", kind, "--port", str(port)])
    try:
        wait_for_port(port, 20, f"the {kind} server", alive=server.poll)
        before = cpu_seconds(server.pid)
        seconds = asyncio.run(post_all(port, bodies, concurrency))
        spent = cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.wait()
    print(f"{kind:9s} {len(bodies) / seconds:8,.0f} requests/s  server CPU {spent * 1000 / len(bodies):.3f} ms "
          f"per request ({spent / seconds:.2f} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.port)
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")
    forms = generate(args.requests, 2023).applications[:args.requests]
    bodies = [json.dumps(f, ensure_ascii=False).encode() for f in forms]
    for kind in KINDS:
        measure(kind, bodies, args.concurrency)


if __name__ == "__main__":
    main()
