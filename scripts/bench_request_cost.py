"""CPU time per request of the whole app in process, without a network or an HTTP client:
what the gateway, logging and metrics add to each request.

    .venv/bin/python scripts/bench_request_cost.py                 # { __typename }, 20,000 times
    .venv/bin/python scripts/bench_request_cost.py --runs 5 --requests 50000

It migrates a throwaway SQLite database (or reads --database-url, whose server's CPU is
not counted), starts the app's lifespan, then calls the ASGI app directly, many times in
a row, and prints microseconds per request (the best of --runs). Run it on two checkouts
to compare them; settings come from the environment (NEWSGATE_LOG_LEVEL,
NEWSGATE_LOG_FORMAT, NEWSGATE_ENV ...). Log lines go to /dev/null.

    .venv/bin/python scripts/bench_request_cost.py --database-url \
        postgresql+asyncpg://postgres@127.0.0.1:55432/newsgate_bench_20000_42 \
        --query "$(.venv/bin/python -c 'from scripts.bench import FRONT_PAGE; print(FRONT_PAGE)')"
"""

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def measure(requests: int, runs: int, body: bytes, sink: TextIO) -> list[float]:
    from app.main import create_served_app

    app = create_served_app()  # as `python -m app serve` runs it, garbage collector tuning too
    for handler in logging.getLogger().handlers:  # measure the formatting, not the terminal
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)
    startup: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    started: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    state: dict[str, Any] = {}
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "state": state}, startup.get, started.put)
    )
    assert (await started.get())["type"] == "lifespan.startup.complete"
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    message = {"type": "http.request", "body": body, "more_body": False}
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return message

    async def send(reply: MutableMapping[str, Any]) -> None:
        if reply["type"] == "http.response.start":
            statuses.append(reply["status"])

    results = []
    for _ in range(runs):
        begun = time.process_time()
        for _ in range(requests):
            await app({**scope, "state": dict(state)}, receive, send)
        results.append((time.process_time() - begun) / requests * 1e6)
    assert set(statuses) == {200}, set(statuses)
    await startup.put({"type": "lifespan.shutdown"})
    await lifespan
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--query", default="{ __typename }")
    parser.add_argument(
        "--database-url",
        help="an existing database to read (say, the benchmark's), instead of SQLite",
    )
    args = parser.parse_args()
    os.environ.setdefault("NEWSGATE_RATE_LIMIT_ANONYMOUS_PER_MINUTE", str(10**9))
    with tempfile.TemporaryDirectory() as folder:
        if args.database_url:
            os.environ["DATABASE_URL"] = args.database_url
        else:
            os.environ["DATABASE_URL"] = f"sqlite+aiosqlite:///{folder}/bench.db"
            subprocess.run(
                [sys.executable, "-m", "alembic", "upgrade", "head"],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        body = json.dumps({"query": args.query}).encode()
        with open(os.devnull, "w") as sink:
            results = asyncio.run(measure(args.requests, args.runs, body, sink))
    print(
        f"{min(results):.1f} us per request (best of {args.runs}: "
        f"{', '.join(f'{r:.1f}' for r in results)})"
    )


if __name__ == "__main__":
    main()
