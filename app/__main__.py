"""`python -m app`: check the database, then serve Newsgate with uvicorn."""

import asyncio
import sys

import uvicorn

from app.db import make_engine
from app.migrations import SchemaOutOfDate, check_schema_current
from app.settings import get_settings


async def preflight() -> str | None:
    """Why the server cannot start, in one line, or None when it can."""
    settings = get_settings()
    engine = make_engine(settings)
    try:
        await check_schema_current(engine)
    except SchemaOutOfDate as error:
        return str(error)
    except (TimeoutError, OSError, ConnectionError) as error:
        return f"Cannot reach the database at {engine.url!r}: {error}"
    finally:
        await engine.dispose()
    return None


def main() -> None:
    settings = get_settings()
    if problem := asyncio.run(preflight()):
        print(f"newsgate: {problem}", file=sys.stderr)
        raise SystemExit(1)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
