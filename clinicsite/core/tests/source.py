"""Reading the project's own source, for tests that keep the apps' dependencies one way."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import clinicsite

ROOT = Path(clinicsite.__file__).resolve().parent


def modules(app: str) -> Iterator[tuple[str, Path]]:
    """Every non-test, non-migration Python module of ``clinicsite.<app>``: (dotted name, path)."""
    base = ROOT / app
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports(module: str, path: Path) -> set[str]:
    """The modules a file imports (``from x import y`` gives ``x`` and ``x.y``), relative
    imports resolved against the module's package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def strings(path: Path) -> Iterator[str]:
    """Every string literal in a file (docstrings included)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
