"""An acknowledged view is on disk: it survives the server being killed right after replying."""

import signal
import socket

import httpx2 as httpx
from sqlmodel import col, select

import models
from resolvers.types.node import encode_id
from scripts.serving import server
from tests.factories import make_article


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_acknowledged_views_survive_kill_9(database_url, engine, session):
    article = await make_article(session)
    port = _free_port()
    query = "mutation ($id: ID!) { recordView(articleId: $id) { article { viewCount } } }"
    variables = {"id": encode_id("Article", article.id)}
    acknowledged = 0
    with (
        server(database_url, port) as process,
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        for _ in range(20):
            response = http.post("/graphql", json={"query": query, "variables": variables})
            assert response.json()["data"]["recordView"]["article"]["viewCount"] > acknowledged
            acknowledged += 1
        process.send_signal(signal.SIGKILL)  # no shutdown, no flush: only what was committed
        process.wait()
    async with session() as s:
        stored = await s.exec(
            select(models.Article.view_count).where(col(models.Article.id) == article.id)
        )
        assert stored.one() == acknowledged == 20
