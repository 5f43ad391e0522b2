"""Newsgate's read path against a hand-written floor, operation by operation: uncached,
or with the response cache warm (--cache).

Seeds (or reuses) a PostgreSQL database, starts Newsgate in its production profile and
the floor (scripts/floor.py: asyncpg and orjson, one SQL statement per operation), checks
that both give byte-identical JSON for every read it will send, reads each once so
that the database's cache holds the working set for both, then drives each
operation with wrk over kept-alive connections, after a warm-up, Newsgate and the floor
in turn: FrontPage, ArticlePage (pages read Zipf-wise), Popular, Search, Trivial, and,
after all of them, the Mix (70% article pages each followed by the view it counts, 20%
front pages, 10% most viewed), whose writes set work going that would slow what came
next. For each it reports requests per second, p50/p95/p99 latency, the server
processes' own CPU time per request, the SQL statements per request as PostgreSQL counts
them (pg_stat_statements), PostgreSQL's CPU per request, Newsgate's resident memory
after the run, and Newsgate's figures as ratios of the floor's. Absolute figures drift
on a shared machine; the ratios, measured minutes apart in the same run, are what to
compare. --compare sets each row's p95 against another run's (say, 1,000,000 articles
against 20,000). With --cache memory (or redis) Newsgate keeps answers in its response
cache, filled by reading every request once before measuring; the floor stays uncached.

By default PostgreSQL is a private server in var/bench-pg (initdb on first use, its own
port, pg_stat_statements loaded), so nothing else on the machine is touched and seeded
databases are kept between runs:

    .venv/bin/python scripts/bench.py                                # 20,000 articles
    .venv/bin/python scripts/bench.py --articles 1000000 --connections 1
    .venv/bin/python scripts/bench.py --operations FrontPage --duration 5
    .venv/bin/python scripts/bench.py --cache memory --connections 32

wrk comes from Debian's package (`make bench-tools` installs it).
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx2 as httpx
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.floor import global_id  # noqa: E402
from scripts.private_postgres import PrivatePostgres  # noqa: E402
from scripts.serving import check_port_free, server  # noqa: E402

# A first read on a cold database of a million articles may take seconds (disk reads).
COLD_READ_SECONDS = 120
PRIVATE_FOLDER = ROOT / "var" / "bench-pg"
PRIVATE_PORT = 55432
# Durable as in production: the view-counting Mix writes, and pays for its commits.
PRIVATE_SETTINGS = {"fsync": "on", "full_page_writes": "on", "synchronous_commit": "on"}

FRONT_PAGE = """query FrontPage {
  latestNews(first: 20) {
    id slug title summary publishedAt readingTimeMinutes
    author { name }
    category { name slug }
    tags { name slug }
  }
}"""
POPULAR = """query Popular {
  popularArticles(window: WEEK, first: 10) { rank views article { slug title author { name } } }
}"""
SEARCH = """query Search($query: String!) {
  search(query: $query, first: 20) { edges { node { slug title } } }
}"""
ARTICLE_PAGE = """query ArticlePage($slug: String!) {
  article(slug: $slug) {
    id slug title body publishedAt readingTimeMinutes
    author { name bio }
    category { name slug }
    tags { name slug }
    views(window: WEEK)
    related(first: 5) { slug title author { name } }
  }
}"""
RECORD_VIEW = """mutation RecordView($id: ID!) { recordView(articleId: $id) { counted } }"""
TRIVIAL = "query Trivial { __typename }"
SEARCH_WORDS = ["flood", "budget", "election", "football", "vaccine", "rail", "court", "market"]
ZIPF_EXPONENT = 1.1  # article pages: a few stories take most readers
MIX_LENGTH = 5_000  # requests in the Mix's sequence, sent in turn


@dataclass
class Operation:
    name: str
    bodies: list[bytes]  # the requests, sent in turn
    checked: list[bytes] | None = None  # those compared with the floor's (default: all)


@dataclass
class Measurement:
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_ms_per_request: float
    statements_per_request: float | None
    database_cpu_ms_per_request: float | None
    errors: int
    resident_mb: float  # the server's memory after the run


@dataclass
class Row:
    operation: str
    connections: int
    newsgate: Measurement
    floor: Measurement
    ratios: dict[str, float] = field(default_factory=dict)


def body(document: str, name: str, variables: dict[str, Any] | None = None) -> bytes:
    request = {"query": document, "operationName": name, "variables": variables or {}}
    return json.dumps(request, separators=(",", ":")).encode()


NAMES = ["FrontPage", "ArticlePage", "Popular", "Search", "Trivial", "Mix"]


def operations(articles: list[tuple[str, str]], seed: int) -> list[Operation]:
    """The operations, over `articles` ((slug, id) of published ones, most viewed first),
    read Zipf-wise as readers read them."""
    rng = random.Random(seed)
    weights = [1 / rank**ZIPF_EXPONENT for rank in range(1, len(articles) + 1)]
    read = rng.choices(articles, weights, k=MIX_LENGTH)
    front, popular = body(FRONT_PAGE, "FrontPage"), body(POPULAR, "Popular")
    pages = [body(ARTICLE_PAGE, "ArticlePage", {"slug": slug}) for slug, _ in read]
    mix: list[bytes] = []
    for (_, pk), page in zip(read, pages, strict=True):
        draw = rng.random()
        if draw < 0.7:  # a page, and the view it counts
            mix += [page, body(RECORD_VIEW, "RecordView", {"id": pk})]
        else:
            mix.append(front if draw < 0.9 else popular)
    distinct = list(dict.fromkeys(pages))[:50]
    return [
        Operation("FrontPage", [front]),
        Operation("ArticlePage", pages, distinct),
        Operation("Popular", [popular]),
        Operation("Search", [body(SEARCH, "Search", {"query": w}) for w in SEARCH_WORDS]),
        Operation("Trivial", [body(TRIVIAL, "Trivial")]),
        # Its reads are the operations above, checked there; its views are not compared.
        Operation("Mix", mix, []),
    ]


async def _published(database: str) -> list[tuple[str, str]]:
    connection = await asyncpg.connect(database)
    try:
        rows = await connection.fetch(
            "SELECT id, slug FROM article WHERE status = 'published' AND published_at <= now()"
            " ORDER BY view_count DESC, id DESC LIMIT 100000"
        )
    finally:
        await connection.close()
    return [(row["slug"], global_id("Article", row["id"])) for row in rows]


# --- the database -------------------------------------------------------------------


async def _scalar(dsn: str, sql: str, *args: Any) -> Any:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


def prepare_database(server_dsn: str, articles: int, seed: int) -> str:
    """The URL of a database seeded with `articles` articles (made when missing)."""
    name = f"newsgate_bench_{articles}_{seed}"
    database = server_dsn.rsplit("/", 1)[0] + f"/{name}"
    exists = asyncio.run(_scalar(server_dsn, "SELECT 1 FROM pg_database WHERE datname = $1", name))
    if not exists:
        asyncio.run(_scalar(server_dsn, f'CREATE DATABASE "{name}"'))
    env = {**os.environ, "DATABASE_URL": database}
    subprocess.run(
        [str(ROOT / ".venv/bin/alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True
    )
    count = asyncio.run(_scalar(database, "SELECT count(*) FROM article"))
    if count != articles:
        tqdm.write(f"seeding {articles:,} articles into {name}")
        seeding = ["--database-url", database, "--articles", str(articles), "--seed", str(seed)]
        subprocess.run(
            [sys.executable, "scripts/seed.py", *seeding, "--reset"], cwd=ROOT, check=True
        )
    elif not asyncio.run(_scalar(database, "SELECT 1 FROM related_article LIMIT 1")):
        tqdm.write(f"computing related lists in {name}")  # seeded before related news existed
        backfilling = ["scripts/backfill_related.py", "--database-url", database]
        subprocess.run([sys.executable, *backfilling], cwd=ROOT, check=True)
    asyncio.run(_scalar(database, "VACUUM ANALYZE"))
    return database


class Statements:
    """SQL statements PostgreSQL ran in one database, from pg_stat_statements."""

    def __init__(self, server_dsn: str, database: str) -> None:
        self.server_dsn = server_dsn
        self.database = database.rsplit("/", 1)[1]
        try:
            asyncio.run(_scalar(server_dsn, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"))
            asyncio.run(_scalar(server_dsn, "SELECT count(*) FROM pg_stat_statements"))
            self.available = True
        except asyncpg.PostgresError as error:
            tqdm.write(f"statements per request: not counted ({error})")
            self.available = False

    def reset(self) -> None:
        if self.available:
            asyncio.run(_scalar(self.server_dsn, "SELECT pg_stat_statements_reset()"))

    def count(self) -> int | None:
        if not self.available:
            return None
        sql = (
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1"
        )
        return int(asyncio.run(_scalar(self.server_dsn, sql, self.database)))

    def breakdown(self) -> list[tuple[int, str]]:
        """The statements since the last reset, most called first (for --show-sql)."""
        sql = (
            "SELECT calls, query FROM pg_stat_statements s JOIN pg_database d "
            "ON d.oid = s.dbid WHERE d.datname = $1 ORDER BY calls DESC LIMIT 12"
        )

        async def fetch() -> list[tuple[int, str]]:
            connection = await asyncpg.connect(self.server_dsn)
            try:
                rows = await connection.fetch(sql, self.database)
            finally:
                await connection.close()
            return [(row["calls"], " ".join(row["query"].split())[:110]) for row in rows]

        return asyncio.run(fetch())


# --- processes ------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> set[int]:
    """`root` and every process below it."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text() if entry.isdigit() else ""
        except OSError:
            continue
        if stat:
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, changed = {root}, True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                changed = True
    return tree


def process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by `root` and every process below it, those that have
    exited included (PostgreSQL's backends of closed connections): a process's own time,
    and that of its children it has reaped."""
    total = 0.0
    for pid in process_tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(ticks) for ticks in fields[11:15]) / CLOCK_TICKS
    return total


def process_tree_resident_mb(root: int) -> float:
    """The resident memory of the largest process of the tree (a worker), in MB."""
    largest = 0
    for pid in process_tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                largest = max(largest, int(line.split()[1]))
    return largest / 1024


@contextmanager
def floor_server(database: str, port: int, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable, "-m", "uvicorn", "scripts.floor:app", "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
        "--loop", "uvloop", "--http", "httptools",
    ]  # fmt: skip
    check_port_free(port)
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "DATABASE_URL": database})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(f"http://127.0.0.1:{port}/", content=body(TRIVIAL, "Trivial"))
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the floor did not start") from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- load -----------------------------------------------------------------------------

WRK_SCRIPT = """
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
local headers = {["Content-Type"] = "application/json"}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/graphql", headers, bodies[(n % #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "p50": %d, "p95": %d, "p99": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def wrk(port: int, bodies: Path, connections: int, seconds: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        # One thread: the load generator shares the machine's cores with what it measures.
        command = [
            "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", script.name, f"http://127.0.0.1:{port}/graphql",
        ]  # fmt: skip
        env = {**os.environ, "BENCH_BODIES": str(bodies)}
        output = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    finally:
        os.unlink(script.name)
    last = output.stdout.strip().splitlines()[-1]
    result: dict[str, Any] = json.loads(last)
    return result


@dataclass
class Target:
    name: str
    port: int
    pid: int


class Bench:
    def __init__(self, args: argparse.Namespace, statements: Statements, db_pid: int | None):
        self.args = args
        self.statements = statements
        self.db_pid = db_pid
        self.folder = Path(tempfile.mkdtemp(prefix="newsgate-bench-"))

    def bodies_file(self, operation: Operation) -> Path:
        path = self.folder / f"{operation.name}.jsonl"
        path.write_bytes(b"\n".join(operation.bodies) + b"\n")
        return path

    def measure(self, target: Target, operation: Operation, connections: int) -> Measurement:
        bodies = self.bodies_file(operation)
        wrk(target.port, bodies, connections, self.args.warmup)
        self.statements.reset()
        cpu = process_tree_cpu(target.pid)
        db_cpu = process_tree_cpu(self.db_pid) if self.db_pid else None
        seconds = self.args.mix_duration if operation.name == "Mix" else self.args.duration
        result = wrk(target.port, bodies, connections, seconds)
        cpu = process_tree_cpu(target.pid) - cpu
        if db_cpu is not None and self.db_pid:
            db_cpu = process_tree_cpu(self.db_pid) - db_cpu
        count = self.statements.count()
        if self.args.show_sql and count is not None:
            for calls, query in self.statements.breakdown():
                tqdm.write(f"    {target.name} {operation.name}: {calls:>7} x {query}")
        requests = max(1, result["requests"])
        return Measurement(
            requests_per_second=result["requests"] / (result["duration_us"] / 1e6),
            p50_ms=result["p50"] / 1000,
            p95_ms=result["p95"] / 1000,
            p99_ms=result["p99"] / 1000,
            cpu_ms_per_request=cpu * 1000 / requests,
            statements_per_request=count / requests if count is not None else None,
            database_cpu_ms_per_request=db_cpu * 1000 / requests if db_cpu is not None else None,
            errors=result["errors"],
            resident_mb=process_tree_resident_mb(target.pid),
        )


def check_identical(newsgate: Target, floor: Target, chosen: list[Operation]) -> None:
    """Fail the run unless both answer every request with the same bytes."""
    with httpx.Client(timeout=COLD_READ_SECONDS) as client:
        for operation in chosen:
            for request in operation.bodies if operation.checked is None else operation.checked:
                answers = [
                    client.post(
                        f"http://127.0.0.1:{target.port}/graphql",
                        content=request,
                        headers={"Content-Type": "application/json"},
                    ).content
                    for target in (newsgate, floor)
                ]
                if answers[0] != answers[1]:
                    raise SystemExit(
                        f"{operation.name}: Newsgate and the floor answer differently to "
                        f"{request.decode()}\nNewsgate: {answers[0][:600]!r}\n"
                        f"floor:    {answers[1][:600]!r}"
                    )
    tqdm.write(
        f"identical answers from Newsgate and the floor: {', '.join(o.name for o in chosen)}"
    )


def warm_cache(targets: list[Target], chosen: list[Operation]) -> None:
    """Read every page of the workload once through each target before measuring: the
    database's cache then holds the working set for both, rather than the one measured
    first paying misses the second is spared (at 1,000,000 articles the Zipf draw of
    article pages reaches far more rows than PostgreSQL keeps in memory); a response
    cache holds every answer."""
    reads = {request for o in chosen for request in o.bodies if b"RecordView" not in request}
    with httpx.Client(timeout=COLD_READ_SECONDS) as client:
        for target in targets:
            for request in tqdm(sorted(reads), desc=f"warming {target.name}", leave=False):
                client.post(
                    f"http://127.0.0.1:{target.port}/graphql",
                    content=request,
                    headers={"Content-Type": "application/json"},
                )


def wait_for_counted_views(database: str, seconds: float = 300) -> None:
    """Wait until Newsgate's popularity refresh has taken in every view a Mix of an
    earlier run left queued (popularity_dirty), which it would otherwise work through
    while the first operations are measured."""
    deadline = time.monotonic() + seconds
    queued = "SELECT count(*) FROM popularity_dirty"
    while left := asyncio.run(_scalar(database, queued)):
        if time.monotonic() > deadline:
            raise SystemExit(f"{left} articles still wait for their popularity refresh")
        tqdm.write(f"waiting for the popularity refresh of {left} articles an earlier run viewed")
        time.sleep(5)


def ratios(newsgate: Measurement, floor: Measurement) -> dict[str, float]:
    def ratio(a: float | None, b: float | None) -> float:
        return round(a / b, 3) if a is not None and b else float("nan")

    return {
        "requests_per_second": ratio(newsgate.requests_per_second, floor.requests_per_second),
        "p50": ratio(newsgate.p50_ms, floor.p50_ms),
        "p99": ratio(newsgate.p99_ms, floor.p99_ms),
        "cpu_per_request": ratio(newsgate.cpu_ms_per_request, floor.cpu_ms_per_request),
    }


def table(rows: list[Row]) -> str:
    def number(value: float | None, digits: int = 2) -> str:
        return "—" if value is None else f"{value:,.{digits}f}"

    lines = [
        "| operation | conns | Newsgate req/s | floor req/s | Newsgate / floor | p50 ms N / F "
        "| p99 ms N / F | server CPU ms/req N / F | SQL statements/req N / F "
        "| db CPU ms/req N / F | Newsgate MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        n, f = row.newsgate, row.floor
        lines.append(
            f"| {row.operation} | {row.connections} | {n.requests_per_second:,.0f} "
            f"| {f.requests_per_second:,.0f} | {row.ratios['requests_per_second']:.2f} "
            f"| {n.p50_ms:.2f} / {f.p50_ms:.2f} | {n.p99_ms:.2f} / {f.p99_ms:.2f} "
            f"| {n.cpu_ms_per_request:.3f} / {f.cpu_ms_per_request:.3f} "
            f"| {number(n.statements_per_request)} / {number(f.statements_per_request)} "
            f"| {number(n.database_cpu_ms_per_request, 3)} "
            f"/ {number(f.database_cpu_ms_per_request, 3)} | {n.resident_mb:.0f} |"
        )
    return "\n".join(lines)


def compared(rows: list[Row], other: dict[str, Any]) -> str:
    """Newsgate's p95 latency in this run against the same row of another (--compare)."""
    before = {(r["operation"], r["connections"]): r["newsgate"] for r in other["rows"]}
    lines = [
        f"| operation | conns | p95 ms here | p95 ms in {other['arguments']['articles']} "
        "articles | here / there |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        there = before.get((row.operation, row.connections))
        if there is not None:
            lines.append(
                f"| {row.operation} | {row.connections} | {row.newsgate.p95_ms:.2f} "
                f"| {there['p95_ms']:.2f} | {row.newsgate.p95_ms / there['p95_ms']:.2f} |"
            )
    return "\n".join(lines)


def run(args: argparse.Namespace, server_dsn: str, db_pid: int | None) -> list[Row]:
    database = prepare_database(server_dsn, args.articles, args.seed)
    articles = asyncio.run(_published(database))
    chosen = [o for o in operations(articles, args.seed) if o.name in args.operations]
    connections = [int(c) for c in args.connections.split(",")]
    statements = Statements(server_dsn, database)
    bench = Bench(args, statements, db_pid)
    settings = {
        "NEWSGATE_ENV": "production",
        "NEWSGATE_WORKERS": str(args.workers),
        "NEWSGATE_RESPONSE_CACHE": args.cache,
        "NEWSGATE_REDIS_PREFIX": f"newsgate-bench-{os.getpid()}:",
    }
    if args.cache == "redis":
        settings["REDIS_URL"] = args.redis_url
    rows: list[Row] = []
    seconds = {o.name: args.mix_duration if o.name == "Mix" else args.duration for o in chosen}
    total = len(connections) * 2 * sum(args.warmup + seconds[o.name] for o in chosen)
    with (
        server(database, args.port, **settings) as newsgate_process,
        floor_server(database, args.floor_port, args.workers) as floor_process,
    ):
        newsgate = Target("Newsgate", args.port, newsgate_process.pid)
        floor = Target("floor", args.floor_port, floor_process.pid)
        check_identical(newsgate, floor, chosen)
        # Uncached, the floor warms the database for both; cached, Newsgate fills its cache.
        warm_cache([floor] if args.cache == "off" else [floor, newsgate], chosen)
        wait_for_counted_views(database)
        # The Mix's views set work going for a while after it (their popularity refresh,
        # autovacuum) that would take PostgreSQL's CPU from whatever ran next: the Mix
        # runs after every read.
        order = [(count, o) for count in connections for o in chosen if o.name != "Mix"]
        order += [(count, o) for count in connections for o in chosen if o.name == "Mix"]
        with tqdm(total=total, unit="s", desc="measuring") as progress:
            for count, operation in order:
                measured = {}
                for target in (newsgate, floor):
                    progress.set_postfix_str(f"{operation.name}, {count} conns, {target.name}")
                    measured[target.name] = bench.measure(target, operation, count)
                    progress.update(args.warmup + seconds[operation.name])
                row = Row(operation.name, count, measured["Newsgate"], measured["floor"])
                row.ratios = ratios(row.newsgate, row.floor)
                rows.append(row)
    shutil.rmtree(bench.folder, ignore_errors=True)
    return sorted(
        rows, key=lambda row: (connections.index(row.connections), NAMES.index(row.operation))
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    names = NAMES
    parser.add_argument("--articles", type=int, default=20_000, help="default: 20,000")
    parser.add_argument("--seed", type=int, default=42, help="of the seeded data (default: 42)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to use instead of the private one (postgresql://…/postgres)",
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (default: 1)")
    parser.add_argument("--connections", default="1,32", help="comma-separated (default: 1,32)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds before each one")
    parser.add_argument(
        "--mix-duration", type=int, default=10, help="seconds of the Mix (600: the memory check)"
    )
    parser.add_argument(
        "--compare", type=Path, help="a --json file of another run: p95 of each row against it"
    )
    parser.add_argument("--operations", nargs="+", default=names, choices=names)
    parser.add_argument(
        "--cache",
        choices=["off", "memory", "redis"],
        default="off",
        help="Newsgate's response cache (default: off, the uncached path)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="for --cache redis")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--show-sql", action="store_true", help="print each run's statements")
    parser.add_argument("--port", type=int, default=8101, help="Newsgate's (default: 8101)")
    parser.add_argument("--floor-port", type=int, default=8102, help="default: 8102")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench-tools` installs it")
    if args.database_url:
        rows = run(args, args.database_url.replace("+asyncpg", ""), None)
    else:
        postgres = PrivatePostgres(PRIVATE_FOLDER, PRIVATE_PORT, PRIVATE_SETTINGS)
        started = not postgres.running()
        if started:
            postgres.start()
        try:
            pid = int((postgres.data / "postmaster.pid").read_text().split()[0])
            rows = run(args, postgres.url.replace("+asyncpg", ""), pid)
        finally:
            if started:
                postgres.stop()
    print(table(rows))
    if args.compare:
        print(compared(rows, json.loads(args.compare.read_text())))
    if args.json:
        results = {
            "arguments": {name: str(value) for name, value in vars(args).items()},
            "rows": [asdict(row) for row in rows],
        }
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
