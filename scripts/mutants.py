"""Mutation testing over the modules that build what is sent to the API and decide outcomes.

Run from the clone, with the test extra installed (``pip install -e ".[test]"``)::

    .venv/bin/python scripts/mutants.py                  # every module of [tool.mutmut]
    .venv/bin/python scripts/mutants.py planner submit   # only what you changed

A module is named as in ``only_mutate`` (``batchport/submit/__init__.py``), dotted
(``batchport.submit``) or short (``submit``, ``submit.requests``). mutmut 3, configured under
``[tool.mutmut]`` in pyproject.toml, mutates a copy of the code in ``mutants/`` (rebuilt from
scratch on every run, so no result comes from stale stats) and runs, against each mutant, only
the selected tests that reach the mutated function. mutmut's own output goes to
``mutants/mutmut.log``.

Prints, per module, how many mutants are still alive and, for each, its name, file and line,
status and diff. ``survived``: the tests pass with the mutant; ``no tests``: no selected test
reaches the function. ``--last`` prints the last run's survivors again without running mutmut
(lines are read from the current code). Exit status: 0 when every mutant was killed, 1 when
some are alive, 2 when the modules are unknown or mutmut failed.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
LOG = MUTANTS / "mutmut.log"
#: Where tests/openapi_contract.py looks by default; the copy in mutants/ would look elsewhere.
CONTRACT = ROOT.parent / "shared" / "reference" / "sinch-porting-openapi.yaml"
ALIVE = ("survived", "no tests")
_HUNK = re.compile(r"^@@ -(\d+)")


@dataclass(frozen=True)
class Module:
    """One module mutmut may mutate: ``path`` as in ``only_mutate``, ``name`` dotted."""

    path: str

    @property
    def name(self) -> str:
        """``batchport/submit/__init__.py`` → ``batchport.submit``."""
        dotted = self.path.removesuffix(".py").replace("/", ".")
        return dotted.removesuffix(".__init__")

    @property
    def pattern(self) -> str:
        """The glob naming this module's mutants, and not those of its submodules."""
        return f"{self.name}.x*"

    def answers_to(self, wanted: str) -> bool:
        """True when ``wanted`` (path, dotted or short name) names this module."""
        short = self.name.removeprefix("batchport.")
        return wanted.strip("/") in (self.path, self.name, short)


def configured_modules() -> list[Module]:
    """The modules of ``[tool.mutmut] only_mutate`` in pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [Module(path) for path in config["tool"]["mutmut"]["only_mutate"]]


def pick(modules: Sequence[Module], wanted: Sequence[str]) -> list[Module]:
    """The modules named in ``wanted`` (all of ``modules`` when empty).

    Raises ``ValueError`` naming the ones that are not configured.
    """
    if not wanted:
        return list(modules)
    unknown = [w for w in wanted if not any(m.answers_to(w) for m in modules)]
    if unknown:
        offered = ", ".join(m.name for m in modules)
        raise ValueError(
            f"not configured for mutation: {', '.join(unknown)} (offered: {offered}; add a "
            "module to [tool.mutmut] only_mutate and its tests to the test selection)"
        )
    return [m for m in modules if any(m.answers_to(w) for w in wanted)]


def mutmut_command() -> Path:
    """The ``mutmut`` beside this Python, else on PATH; raises ``FileNotFoundError``."""
    beside = Path(sys.executable).parent / "mutmut"
    found = beside if beside.is_file() else shutil.which("mutmut")
    if found is None:
        raise FileNotFoundError('mutmut is not installed: pip install -e ".[test]"')
    return Path(found)


def run_mutmut(mutmut: Path, modules: Sequence[Module], max_children: int) -> int:
    """Mutate ``modules`` from a clean ``mutants/`` and test every mutant; mutmut's exit code.

    Naming the mutants makes mutmut test each of them again rather than trust a cached result.
    """
    shutil.rmtree(MUTANTS, ignore_errors=True)
    MUTANTS.mkdir()
    env = dict(os.environ)
    env.setdefault("BATCHPORT_OPENAPI_PATH", str(CONTRACT))
    command = [str(mutmut), "run", "--max-children", str(max_children)]
    with LOG.open("w", encoding="utf-8") as log:
        done = subprocess.run(
            [*command, *(m.pattern for m in modules)], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    return done.returncode


def statuses(mutmut: Path) -> dict[str, str]:
    """Every mutant of the last run → its status (``killed``, ``survived``, ``no tests``...)."""
    done = subprocess.run(
        [str(mutmut), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    pairs = (line.strip().rpartition(": ") for line in done.stdout.splitlines() if ": " in line)
    return {name: status for name, _, status in pairs}


def mutated_functions(module: Module) -> dict[str, str]:
    """Name → source of each function mutmut wrote into its copy of ``module``.

    mutmut keeps every function's original as ``<name>__mutmut_orig`` beside its mutants
    ``<name>__mutmut_<n>``; reading them here costs one parse per module instead of one
    ``mutmut show`` process per mutant.
    """
    source = (MUTANTS / module.path).read_text(encoding="utf-8")
    lines = source.splitlines()
    return {
        node.name: "\n".join(lines[node.lineno - 1 : node.end_lineno]).strip()
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name
    }


def plain_name(mangled: str) -> str:
    """``x_split_sizes`` → ``split_sizes``; ``xǁSubmissionǁclosed`` → ``closed``."""
    return mangled.split("ǁ")[2] if mangled.startswith("xǁ") else mangled[2:]


def diff_of(mutant: str, functions: dict[str, str]) -> list[str]:
    """The unified diff (one line of context) from the original function to ``mutant``."""
    generated = mutant.rpartition(".")[2]
    stem = generated.partition("__mutmut_")[0]
    before, after = (
        functions[name].replace(name, plain_name(stem), 1).splitlines()
        for name in (f"{stem}__mutmut_orig", generated)
    )
    return list(difflib.unified_diff(before, after, n=1, lineterm=""))[2:]


def function_line(module: Module, mutant: str) -> int:
    """The line of the ``def`` mutmut mutated for ``mutant``; 0 when it cannot be found."""
    mangled = mutant.removeprefix(module.name + ".").partition("__mutmut_")[0]
    wanted = mangled.split("ǁ")[1:3] if mangled.startswith("xǁ") else [mangled[2:]]
    scope: list[ast.stmt] = ast.parse((ROOT / module.path).read_text(encoding="utf-8")).body
    line = 0
    for part in wanted:
        node = next((n for n in scope if getattr(n, "name", None) == part), None)
        if node is None:
            return 0
        scope, line = getattr(node, "body", []), node.lineno
    return line


def changed_line(diff: Sequence[str], first_line: int) -> int:
    """The file line of the first line the mutant removes, given the function's first line."""
    line = first_line
    for text in diff:
        hunk = _HUNK.match(text)
        if hunk:
            line = first_line + int(hunk.group(1)) - 1
        elif text.startswith("-"):
            return line
        elif text.startswith(" "):
            line += 1
    return first_line


def report(modules: Sequence[Module], found: dict[str, str]) -> int:
    """Print the mutants still alive per module, with file, line and diff; returns their count."""
    alive_total = 0
    for module in modules:
        mine = {name: status for name, status in found.items() if fnmatch(name, module.pattern)}
        alive = sorted((n for n, s in mine.items() if s in ALIVE), key=_natural)
        alive_total += len(alive)
        counts = ", ".join(f"{sum(s == k for s in mine.values())} {k}" for k in ALIVE)
        print(f"\n== {module.name}: {len(alive)} of {len(mine)} mutants alive ({counts})")
        functions = mutated_functions(module) if alive else {}
        for name in alive:
            diff = diff_of(name, functions)
            line = changed_line(diff, function_line(module, name))
            print(f"\n-- {name}  {module.path}:{line}  {mine[name]}")
            print("\n".join(diff))
    return alive_total


def _natural(name: str) -> tuple[str, int]:
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run mutmut, print the survivors; the exit status (see above)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("modules", nargs="*", help="modules to mutate [default: all configured]")
    parser.add_argument(
        "--max-children", type=int, default=os.cpu_count() or 2, help="parallel test workers"
    )
    parser.add_argument(
        "--last", action="store_true", help="print the last run's survivors without running again"
    )
    args = parser.parse_args(argv)
    try:
        modules = pick(configured_modules(), args.modules)
        mutmut = mutmut_command()
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.last and not MUTANTS.is_dir():
        print(f"error: no previous run in {MUTANTS}", file=sys.stderr)
        return 2
    started = time.monotonic()
    if not args.last:
        print(f"mutating {', '.join(m.name for m in modules)} (log: {LOG})", flush=True)
        if run_mutmut(mutmut, modules, args.max_children) != 0:
            print(LOG.read_text(encoding="utf-8")[-3000:], file=sys.stderr)
            print(f"error: mutmut failed; its output is in {LOG}", file=sys.stderr)
            return 2
    alive = report(modules, statuses(mutmut))
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    print(f"\n{alive} mutant(s) alive; took {minutes} min {seconds} s")
    return 1 if alive else 0


if __name__ == "__main__":
    sys.exit(main())
