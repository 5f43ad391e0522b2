"""Imports point one way: from the HTTP gateway down to the tables, never back up."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

# Lowest first. A module may import from its own layer and the layers before it.
LAYERS = [
    ["models"],
    ["app.settings", "app.errors", "app.callers", "app.ops"],
    ["app.db", "app.migrations", "app.idempotency", "app.visibility"],
    ["app.related"],
    ["app.data"],
    ["app.popularity"],
    ["app.content"],
    ["app.context"],
    ["resolvers"],
    ["app.gateway"],
    ["app.main", "app.__main__"],
]


def layer_of(module: str) -> int | None:
    for index, prefixes in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    return None


def project_modules() -> list[tuple[str, Path]]:
    found = []
    for package in ("app", "resolvers", "models"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.relative_to(ROOT).parts[1:2] or not path.read_text():
                continue  # Alembic's environment and versions run apart from the app
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append((".".join(parts), path))
    return found


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(
    ("module", "path"), project_modules(), ids=[m for m, _ in project_modules()]
)
def test_imports_point_down(module: str, path: Path) -> None:
    own = layer_of(module)
    assert own is not None, f"{module} belongs to no layer in tests/test_layers.py"
    upward = sorted(
        name for name in imported(path) if (layer := layer_of(name)) is not None and layer > own
    )
    assert not upward, f"{module} (layer {own}) imports from a higher layer: {upward}"
