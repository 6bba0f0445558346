"""kit's layers hold: no module imports one above its own layer, and no import goes round in a circle.

The contracts live in pyproject.toml (`[tool.importlinter]`) and docs/architecture.md draws them;
these tests run the real `lint-imports` on kit, and on a copy of kit with a removed circle put back.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` run from `where`, on the kit package found there."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env={"PYTHONPATH": str(where), "PATH": str(LINT_IMPORTS.parent), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_kit_imports_itself_back_through_others():
    # imports inside functions count too: grimp reads every import statement
    assert cycles(grimp.build_graph("kit", cache_dir=None)) == []


def test_the_cycle_finder_sees_a_circle():
    graph = grimp.ImportGraph()
    for importer, imported in (("kit.a", "kit.b"), ("kit.b", "kit.c"), ("kit.c", "kit.a"), ("kit.c", "kit.d")):
        graph.add_import(importer=importer, imported=imported)
    assert cycles(graph) == [["kit.a", "kit.b", "kit.c"]]


def test_the_layer_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# the circles this layout removed, each put back as it was: an import inside a function
REMOVED_CIRCLES = [
    pytest.param(
        "kit/activities/needs.py", "from kit.meeting.lifecycle import get_contribution", "Layers", id="activity-logic"
    ),
    pytest.param(
        "kit/activities/checkin.py", "from kit.network.networks import known_skills", "Layers", id="activity-network"
    ),
    pytest.param(
        "kit/publishing/minutes.py",
        "from kit.meeting import privacy",
        "Publishing never imports the meeting logic",
        id="minutes-privacy",
    ),
    pytest.param(
        "kit/publishing/webhook.py", "from kit.live.state import room", "Publishing never imports", id="publishing-live"
    ),
    pytest.param("kit/core/models.py", "from kit.activities import activity_for", "The ground", id="ground-activities"),
]


@pytest.mark.parametrize(("path", "statement", "contract"), REMOVED_CIRCLES)
def test_putting_a_removed_circle_back_breaks_a_contract(tmp_path, path, statement, contract):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(
        ROOT / "kit", tmp_path / "kit", ignore=shutil.ignore_patterns("static", "templates", "translations")
    )
    module = tmp_path / path
    module.write_text(
        module.read_text(encoding="utf-8") + f"\n\ndef _put_back() -> None:\n    {statement}  # noqa\n",
        encoding="utf-8",
    )
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert contract in result.stdout.split("Broken contracts", 1)[-1], result.stdout
