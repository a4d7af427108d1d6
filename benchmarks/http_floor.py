"""What the HTTP stack alone costs per request, for comparison with a filing
(`benchmarks.http_filing`): the same aiohttp client posts the season's forms to a bare Starlette
route, to a FastAPI route taking a JSON body and the bearer dependency, and to a FastAPI route
that validates the form as intake does (ApplicationForm) and answers without filing. Each
server is its own process on uvicorn with httptools and uvloop, as intake; its CPU per request
comes from /proc.

    .venv/bin/python -m benchmarks.http_floor --requests 20000 --concurrency 256
"""

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Annotated

import aiohttp

from deploy.local import free_port
from services.bench.procfs import cpu_seconds
from services.demo.season import generate

ANSWER = b'{"application_id":"x","status":"submitted"}'


def app(kind: str):
    """The ASGI app of one kind: `starlette`, `fastapi` or `form`."""
    from fastapi import Depends, FastAPI, Response
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    from starlette.applications import Starlette
    from starlette.routing import Route

    if kind == "starlette":
        async def post(request):
            await request.body()
            return Response(ANSWER, status_code=201, media_type="application/json")
        return Starlette(routes=[Route("/v1/applications", post, methods=["POST"])])
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
    import uvicorn
    import uvloop

    uvloop.install()
    uvicorn.run(app(kind), host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off",
                http="httptools", loop="uvloop")


async def post_all(port: int, bodies: list[bytes], concurrency: int) -> float:
    headers = {"Authorization": "Bearer t", "Content-Type": "application/json"}
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


async def until_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def measure(kind: str, bodies: list[bytes], concurrency: int) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "benchmarks.http_floor", "--serve", kind, "--port", str(port)])
    try:
        asyncio.run(until_listening(port))
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
    parser.add_argument("--serve", choices=("starlette", "fastapi", "form"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.port)
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")
    forms = generate(args.requests, 2023).applications[:args.requests]
    bodies = [json.dumps(f, ensure_ascii=False).encode() for f in forms]
    for kind in ("starlette", "fastapi", "form"):
        measure(kind, bodies, args.concurrency)


if __name__ == "__main__":
    main()
