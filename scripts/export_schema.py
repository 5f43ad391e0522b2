"""Write the GraphQL schema, as the code defines it, to schema.graphql (or check it is current)."""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resolvers.schema import schema  # noqa: E402

SCHEMA_FILE = ROOT / "schema.graphql"


def printed_schema() -> str:
    return schema.as_str() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args()
    if args.check:
        stale = not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text() != printed_schema()
        if stale:
            print("schema.graphql is stale: run `make schema`", file=sys.stderr)
        raise SystemExit(1 if stale else 0)
    SCHEMA_FILE.write_text(printed_schema())
    print(f"wrote {SCHEMA_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
