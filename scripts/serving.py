"""Run a Newsgate server in a child process, on a throwaway database if need be, for
benchmarks and end-to-end tests."""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx2 as httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


def check_port_free(port: int) -> None:
    """RuntimeError when another process listens on `port`: it would answer in place of
    the server about to start there, which exits unseen."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is taken by another process")


@contextmanager
def server(database_url: str, port: int, **settings: str) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m app serve` on `port`, every worker up and answering; stopped (SIGTERM)
    on exit.

    `settings` are extra environment variables, e.g. NEWSGATE_WORKERS="2".
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "NEWSGATE_LOG_LEVEL": "warning",
        # A benchmark's clients all come from one address: measure the server, not the
        # rate limit an anonymous reader has.
        "NEWSGATE_RATE_LIMIT_ANONYMOUS_PER_MINUTE": str(10**9),
        **settings,
    }
    check_port_free(port)
    process = subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=ROOT, env=env)
    try:
        _wait_until_up(port, process, workers=int(env.get("NEWSGATE_WORKERS", "1")))
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def _wait_until_up(port: int, process: subprocess.Popen[bytes], workers: int) -> None:
    """Until each of the server's `workers` has answered.

    Clients that connect while only the first worker is up all land on it and stay there
    (keep-alive), and a benchmark would measure one worker.
    """
    answered: set[int] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            # A new connection each time, so any worker may take it.
            response = httpx.get(f"http://127.0.0.1:{port}/healthz")
            answered.add(response.json()["worker"])
            if len(answered) >= workers:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the server on port {port} did not start {workers} workers")


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def balanced_connections(port: int, count: int, workers: int) -> list[Connection]:
    """`count` kept-alive connections, spread evenly over the server's `workers`, as a load
    balancer would spread them.

    Workers share one listening socket and the kernel hands each new connection to
    whichever is accepting; 64 connections often split 43 to 21, and a benchmark then
    measures the busier worker's core. Each connection asks /healthz which worker holds
    it, and one to a worker that has its share is closed and opened again.
    """
    share = -(-count // workers)  # rounded up
    held: dict[int, int] = {}
    connections: list[Connection] = []
    for _ in range(count * 20):
        if len(connections) == count:
            return connections
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        worker = (await _request(reader, writer, b"GET /healthz", b""))["worker"]
        if held.get(worker, 0) < share:
            held[worker] = held.get(worker, 0) + 1
            connections.append((reader, writer))
        else:
            writer.close()
    raise RuntimeError(f"could not spread {count} connections over {workers} workers: {held}")


async def post(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, document: dict[str, Any]
) -> dict[str, Any]:
    """One GraphQL POST on a kept-alive HTTP/1.1 connection, with a client lean enough
    not to be what a benchmark measures."""
    return await _request(reader, writer, b"POST /graphql", orjson.dumps(document))


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes, body: bytes
) -> dict[str, Any]:
    writer.write(
        b"%s HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (line, len(body), body)
    )
    length = CONTENT_LENGTH.search(await reader.readuntil(b"\r\n\r\n"))
    if length is None:
        raise ValueError("a response without Content-Length")
    response: dict[str, Any] = orjson.loads(await reader.readexactly(int(length.group(1))))
    return response


@contextmanager
def throwaway_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, created through `server_url` and dropped on exit:
    its URL (`postgresql://...`)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(server_url: str, sql: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
