"""An acknowledged view is on disk: it survives the server being killed right after replying."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
from sqlmodel import col, select

import models
from resolvers.types.node import encode_id
from tests.factories import make_article

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url, "PORT": str(port)}
    env["NEWSGATE_LOG_LEVEL"] = "warning"
    server = subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the server did not start")


async def test_acknowledged_views_survive_kill_9(database_url, engine, session):
    article = await make_article(session)
    port = _free_port()
    server = _serve(database_url, port)
    query = "mutation ($id: ID!) { recordView(articleId: $id) { article { viewCount } } }"
    acknowledged = 0
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(20):
                response = http.post(
                    "/graphql",
                    json={"query": query, "variables": {"id": encode_id("Article", article.id)}},
                )
                assert response.json()["data"]["recordView"]["article"]["viewCount"] > acknowledged
                acknowledged += 1
    finally:
        server.send_signal(signal.SIGKILL)  # no shutdown, no flush: only what was committed
        server.wait()
    async with session() as s:
        stored = await s.exec(
            select(models.Article.view_count).where(col(models.Article.id) == article.id)
        )
        assert stored.one() == acknowledged == 20
