"""/healthz (the process answers) and /readyz (it can serve: the database is reachable and
migrated, Redis reachable when configured), for load balancers and orchestrators.

Each answers within READY_BUDGET_SECONDS even when a dependency hangs: a check that takes
longer counts as failed.
"""

import asyncio
import os
from collections.abc import Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.migrations import current_revisions, head_revisions

READY_BUDGET_SECONDS = 0.08  # under the 100 ms a probe allows, with room to answer


async def healthz(request: Request) -> Response:
    # The worker's process ID tells a load test when every worker is up (scripts/serving.py).
    return JSONResponse({"status": "ok", "worker": os.getpid()})


async def readyz(request: Request) -> Response:
    checks = {"database": _database(request)}
    if request.state.redis is not None:
        checks["redis"] = _redis(request)
    results = await asyncio.gather(*(_within_budget(check) for check in checks.values()))
    report = dict(zip(checks, results, strict=True))
    ready = all(result == "ok" for result in results)
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": report, "worker": os.getpid()},
        status_code=200 if ready else 503,
    )


async def _within_budget(check: Coroutine[Any, Any, str]) -> str:
    try:
        async with asyncio.timeout(READY_BUDGET_SECONDS):
            return await check
    except TimeoutError:
        return f"no answer within {READY_BUDGET_SECONDS * 1000:.0f} ms"
    except Exception as error:  # whatever the driver raises, say it in one line
        return f"{type(error).__name__}: {error}".splitlines()[0]


async def _database(request: Request) -> str:
    async with request.state.engine.connect() as connection:
        current = await connection.run_sync(current_revisions)
    if current != head_revisions():
        return f"schema at {', '.join(sorted(current)) or 'nothing'}, not the code's"
    return "ok"


async def _redis(request: Request) -> str:
    await request.state.redis.ping()
    return "ok"
