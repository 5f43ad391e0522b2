"""/healthz (the process answers) and /readyz (it can serve: the database is reachable and
migrated, Redis reachable when configured), for load balancers and orchestrators.

Each answers within READY_BUDGET_SECONDS even when a dependency hangs: a check that takes
longer counts as failed.
"""

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.migrations import current_revisions, head_revisions

READY_BUDGET_SECONDS = 0.06  # well under 100 ms, leaving room to answer on a busy machine


async def healthz(request: Request) -> Response:
    # The worker's process ID tells a load test when every worker is up (scripts/serving.py).
    return JSONResponse({"status": "ok", "worker": os.getpid()})


class Readiness:
    """GET /readyz. A check that overruns its budget is reported as failed but not
    cancelled: cancelling a driver mid-conversation can leave its connection unusable.
    It goes on in the background, and the next probe waits for it rather than starting
    another, so a hung dependency holds at most one check per process."""

    def __init__(self) -> None:
        self._checks: dict[str, asyncio.Task[str]] = {}

    async def readyz(self, request: Request) -> Response:
        checks = {"database": _database}
        if request.state.redis is not None:
            checks["redis"] = _redis
        results = await asyncio.gather(
            *(self._within_budget(name, check, request) for name, check in checks.items())
        )
        report = dict(zip(checks, results, strict=True))
        ready = all(result == "ok" for result in results)
        return JSONResponse(
            {
                "status": "ready" if ready else "unavailable",
                "checks": report,
                "worker": os.getpid(),
            },
            status_code=200 if ready else 503,
        )

    async def _within_budget(
        self, name: str, check: Callable[[Request], Coroutine[Any, Any, str]], request: Request
    ) -> str:
        task = self._checks.get(name)
        if task is None or task.done():
            task = self._checks[name] = asyncio.create_task(check(request))
            # A check that ends after its probe gave up on it fails quietly: the next says why.
            task.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            return await asyncio.wait_for(asyncio.shield(task), READY_BUDGET_SECONDS)
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
