"""Benchmark view counting over HTTP: group commit against one transaction per view.

Creates a throwaway PostgreSQL database, seeds it, then for each mode starts the server,
lets concurrent clients send `recordView` for a while, stops the server, and checks that
the stored counts equal exactly the views the server acknowledged (exit 1 otherwise).
Prints acknowledged views per second, p50 and p99 latency, and how many times faster
group commit is than one transaction per view, round by round.

    .venv/bin/python scripts/bench_views.py                # 3 rounds, 64 clients, 20 s a run
    .venv/bin/python scripts/bench_views.py --seconds 5 --rounds 1 --clients 16
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import uvloop
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resolvers.types.node import encode_id  # noqa: E402
from scripts.serving import Connection, balanced_connections, post, server, throwaway_database  # noqa: E402

RECORD = """mutation ($id: ID!, $visitor: String) {
  recordView(articleId: $id, visitorId: $visitor) { counted article { viewCount } }
}"""


@dataclass
class Run:
    mode: str
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    counted: Counter[str] = field(default_factory=Counter)  # acknowledged views per article ID
    failures: int = 0

    @property
    def acknowledged(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def _client(connection: Connection, ids: list[str], run: Run, stop_at: float) -> None:
    rng = random.Random()
    reader, writer = connection
    try:
        while time.monotonic() < stop_at:
            article_id = rng.choice(ids)
            # Half the views carry a visitor ID from a small pool, so repeat visits happen.
            visitor = f"visitor-{rng.randrange(500)}" if rng.random() < 0.5 else None
            document = {"query": RECORD, "variables": {"id": article_id, "visitor": visitor}}
            started = time.perf_counter()
            try:
                payload = (await post(reader, writer, document))["data"]["recordView"]
            except (KeyError, TypeError, ValueError):
                run.failures += 1
                continue
            run.latencies_ms.append((time.perf_counter() - started) * 1000)
            if payload["counted"]:
                run.counted[article_id] += 1
    finally:
        writer.close()


async def _load(
    port: int, workers: int, ids: list[str], clients: int, seconds: float, run: Run
) -> None:
    connections = await balanced_connections(port, clients, workers)
    started = time.monotonic()
    stop_at = started + seconds
    tasks = [asyncio.create_task(_client(c, ids, run, stop_at)) for c in connections]
    with tqdm(total=int(seconds), desc=run.mode, unit="s") as progress:
        while not all(task.done() for task in tasks):
            await asyncio.sleep(1)
            progress.n = min(int(seconds), int(time.monotonic() - started))
            progress.set_postfix(views=run.acknowledged)
    await asyncio.gather(*tasks)
    run.seconds = time.monotonic() - started


async def _stored_counts(dsn: str) -> Counter[int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT a.id, a.view_count, coalesce(sum(b.views), 0) AS bucketed "
            "FROM article a LEFT JOIN article_view_bucket b ON b.article_id = a.id GROUP BY a.id"
        )
    finally:
        await connection.close()
    for row in rows:
        if row["view_count"] != row["bucketed"]:
            raise SystemExit(f"article {row['id']}: total {row['view_count']} != buckets")
    return Counter({row["id"]: row["view_count"] for row in rows})


async def _bench(args: argparse.Namespace, dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        ids = [
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM article WHERE status = 'published' ORDER BY id LIMIT $1",
                args.articles,
            )
        ]
        # Start from zero, so stored counts are exactly what the runs added.
        await connection.execute("UPDATE article SET view_count = 0")
        await connection.execute("DELETE FROM article_view_bucket")
        await connection.execute("DELETE FROM article_view_visitor")
        # Neither mode's first round should pay for the seed: clean up after it, and write
        # out its dirty pages, so no vacuum or checkpoint of the seed's work lands in a run.
        await connection.execute("VACUUM ANALYZE")
        await connection.execute("CHECKPOINT")
    finally:
        await connection.close()
    global_ids: dict[str, int] = {encode_id("Article", pk): pk for pk in ids}
    throughput: dict[str, list[float]] = {}
    exact = True
    modes = [("naive", 0.0)] if args.naive else [("group commit", args.flush_ms), ("naive", 0.0)]
    # Modes alternate over several rounds: on a shared machine the ratio within a round
    # is steadier than any single figure.
    for mode, flush_ms in modes * args.rounds:
        before = await _stored_counts(dsn)
        run = Run(mode)
        settings = {
            "NEWSGATE_WORKERS": str(args.workers),
            # A fixed pool, so neither mode pays for opening overflow connections under load.
            "NEWSGATE_DB_POOL_SIZE": "20",
            "NEWSGATE_DB_MAX_OVERFLOW": "0",
            "NEWSGATE_VIEW_FLUSH_MS": str(flush_ms),
        }
        with server(dsn, args.port, **settings):
            await _load(args.port, args.workers, list(global_ids), args.clients, args.seconds, run)
        added = await _stored_counts(dsn) - before
        expected = Counter({global_ids[gid]: n for gid, n in run.counted.items()})
        exact = exact and added == expected
        verdict = "exact" if added == expected else f"MISMATCH by {added - expected}"
        tqdm.write(
            f"{mode:>13}: {run.acknowledged / run.seconds:8.0f} views/s acknowledged, "
            f"p50 {run.percentile(0.5):6.1f} ms, p99 {run.percentile(0.99):6.1f} ms, "
            f"{run.failures} failed; stored counts vs acknowledged: {verdict}"
        )
        throughput.setdefault(mode, []).append(run.acknowledged / run.seconds)
    if len(throughput) == 2:
        ratios = [g / n for g, n in zip(*throughput.values(), strict=True)]
        print(
            "group commit / naive throughput per round: "
            + ", ".join(f"{ratio:.1f}x" for ratio in ratios)
            + f"; median {statistics.median(ratios):.1f}x"
        )
    if not exact:
        raise SystemExit("stored counts differ from acknowledged views")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--server-url", default="postgresql://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL database to connect to while creating the benchmark's own")  # fmt: skip
    add("--clients", type=int, default=64, help="concurrent clients (64)")
    add("--seconds", type=float, default=20, help="length of each run (20)")
    add("--articles", type=int, default=1000, help="articles viewed (1000)")
    add("--flush-ms", type=float, default=5, help="group commit interval (5)")
    add("--port", type=int, default=8300, help="port for the server (8300)")
    add("--workers", type=int, default=2, help="server worker processes (2)")
    add("--rounds", type=int, default=3, help="alternating rounds of the modes (3)")
    add("--naive", action="store_true", help="run only the naive mode")
    args = parser.parse_args()
    with throwaway_database(args.server_url, "newsgate_bench") as dsn:
        env = {**os.environ, "DATABASE_URL": dsn}
        for command in (
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            [sys.executable, "scripts/seed.py", "--articles", str(max(args.articles * 2, 2000))],
        ):
            subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        # uvloop, as the server uses: the clients share its cores, and cost less on it.
        uvloop.run(_bench(args, dsn))


if __name__ == "__main__":
    main()
