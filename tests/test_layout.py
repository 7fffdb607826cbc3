"""The package's layout is its flow: no module imports a later stage.

Stages, earliest first: intake → validation → portability → planner → submit → journal →
report → lifecycle → ops; ``pipeline``, ``connection`` and ``cli`` sit on top and may import
anything. The foundation (errors, settings, columns, nanp, findings, ...) imports no stage.
``api`` imports nothing but the foundation, and never ``settings`` or ``sandbox``; no stage
reads ``settings`` (the top resolves them and hands values in); only the top (``connection``,
``cli``) reaches the sandbox. Relative imports count like absolute ones.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "batchport"

FOUNDATION = {
    "errors",
    "redaction",
    "progress",
    "columns",
    "nanp",
    "lookups",
    "arrow_text",
    "findings",
    "outputs",
    "limits",
    "settings",
}
STAGES = (
    "intake",
    "validation",
    "portability",
    "planner",
    "submit",
    "journal",
    "report",
    "lifecycle",
    "ops",
)
TOP = {"pipeline", "connection", "cli", "__init__", "__main__"}


def _area(module: str) -> str:
    """The top-level area of ``batchport.x.y`` (``x``), or ``""`` outside the package."""
    parts = module.split(".")
    if parts[0] != "batchport":
        return ""
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    """Every ``batchport`` module that ``path`` imports, at any depth (lazy imports count)."""
    found: set[str] = set()
    package = _module_of(path).split(".")
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                parent = package[: len(package) - node.level + (path.name == "__init__.py")]
                base = ".".join([*parent, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("batchport")}


def _module_of(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).with_suffix("").as_posix().replace("/", ".")


def _modules() -> list[tuple[str, Path]]:
    return [(_module_of(path), path) for path in sorted(PACKAGE.rglob("*.py"))]


def _rank(area: str) -> int:
    if area in FOUNDATION or area == "api":
        return -1
    if area in STAGES:
        return STAGES.index(area)
    return len(STAGES)  # the top, and the sandbox (checked apart)


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v))
def test_no_module_imports_a_later_stage(module: str, path: Path) -> None:
    area = _area(module)
    if area in TOP:
        return
    for imported in _imports(path):
        other = _area(imported)
        if other in ("", area, "__init__"):
            continue
        assert other != "sandbox" or area == "sandbox", f"{module} imports {imported}"
        if area == "sandbox":
            assert other in FOUNDATION - {"settings"}, f"the sandbox imports {imported}"
            continue
        if area in FOUNDATION or area == "api":
            allowed = FOUNDATION - {"settings"} if area == "api" else FOUNDATION
            assert other in allowed, f"{module} ({area}) imports {imported}"
            continue
        assert other not in TOP, f"{module} imports {imported} from the top"
        assert other != "settings", f"{module} reads settings: they are resolved at the top"
        assert _rank(other) <= _rank(area), f"{module} ({area}) imports a later stage: {imported}"


def test_every_area_is_known() -> None:
    areas = {_area(module) for module, _ in _modules()}
    assert areas <= FOUNDATION | set(STAGES) | TOP | {"api", "sandbox"}


def test_importing_the_api_loads_neither_the_sandbox_nor_settings() -> None:
    script = (
        "import sys, batchport.api; "
        "print(sorted(m for m in sys.modules if m.startswith(('batchport.sandbox', "
        "'batchport.settings'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
