"""`python -m app check|serve`: check the database is reachable, or serve Newsgate with uvicorn."""

import argparse
import asyncio
import sys

import uvicorn
from sqlalchemy import text

from app.db import make_engine
from app.gateway.connection import NewsgateHttpProtocol
from app.migrations import SchemaOutOfDate, check_schema_current
from app.ops import logs, metrics
from app.settings import get_settings


async def problem_with_database(schema_too: bool) -> str | None:
    """Why the server cannot use the database, in one line, or None when it can."""
    engine = make_engine(get_settings())
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        if schema_too:
            await check_schema_current(engine)
    except SchemaOutOfDate as error:
        return str(error)
    except (OSError, ConnectionError, TimeoutError) as error:
        return f"cannot reach the database at {engine.url}: {error}"
    except Exception as error:  # driver errors vary: say what happened, in one line
        return f"cannot use the database at {engine.url}: {type(error).__name__}: {error}"
    finally:
        await engine.dispose()
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    parser.add_argument(
        "command",
        choices=["check", "serve"],
        help="check: is the database reachable; serve: check it is migrated, then serve",
    )
    command = parser.parse_args().command
    if problem := asyncio.run(problem_with_database(schema_too=command == "serve")):
        print(f"newsgate: {problem}", file=sys.stderr)
        raise SystemExit(1)
    if command == "serve":
        settings = get_settings()
        logs.configure(settings.log_level, json=settings.json_logs)
        with metrics.shared_by_workers(settings.workers):
            uvicorn.run(
                "app.main:create_served_app",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=settings.workers,
                log_level=settings.log_level,
                http=NewsgateHttpProtocol,  # uvicorn's httptools, one write per response
                log_config=None,  # logging is ours (app/ops/logs.py), uvicorn's too
                access_log=False,  # app/ops/middleware.py logs each request
                # On SIGTERM: stop accepting, let requests in flight finish (they end within
                # the request timeout), then the lifespan writes the views still waiting.
                timeout_graceful_shutdown=int(settings.request_timeout_seconds) + 5,
            )


if __name__ == "__main__":
    main()
