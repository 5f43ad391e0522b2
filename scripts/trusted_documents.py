"""Write the trusted documents manifest: the only operations a server will run when
NEWSGATE_TRUSTED_DOCUMENTS names the manifest.

Each .graphql file (directories are searched) is one document, as a client sends it:
one or more operations with their fragments. Each is checked against the schema, then
listed under its SHA-256, which clients send as `extensions.persistedQuery.sha256Hash`.

    .venv/bin/python scripts/trusted_documents.py frontend/queries -o trusted-documents.json
"""

import argparse
import sys
from pathlib import Path

import orjson
from graphql import GraphQLError, parse, validate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.gateway.persisted import sha256
from resolvers.schema import schema


def _documents(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.graphql")) if path.is_dir() else [path])
    return found


def _problems(query: str) -> list[str]:
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error.message]
    return [error.message for error in validate(schema._schema, document)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+", type=Path, help=".graphql files or directories")
    parser.add_argument(
        "-o", "--output", type=Path, default=Path("trusted-documents.json"), help="the manifest"
    )
    args = parser.parse_args()
    manifest: dict[str, str] = {}
    failed = False
    for path in _documents(args.paths):
        query = path.read_text()
        if problems := _problems(query):
            failed = True
            for problem in problems:
                print(f"{path}: {problem}", file=sys.stderr)
            continue
        digest = sha256(query)
        manifest[digest] = query
        print(f"{digest}  {path}")
    if failed:
        raise SystemExit("trusted_documents: no manifest written; fix the documents above")
    if not manifest:
        raise SystemExit("trusted_documents: no .graphql documents found")
    args.output.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    print(f"wrote {len(manifest)} documents to {args.output}")


if __name__ == "__main__":
    main()
