"""The package layout keeps its rules: core never reaches up into the add-on, the numpy tier
imports where torch and librosa are missing, and every docstring's test file exists."""

import ast
import re
import subprocess
import sys

from build import NOT_IN_BLENDER
from tests.conftest import ROOT

CORE = ROOT / "core"


def _imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_core_module_imports_the_add_on_or_bpy():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imported_modules(path) if m.split(".")[0] in ("motionbeat_addon", "bpy")
        )
        for path in CORE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_package_inits_import_nothing():
    for init in [*CORE.rglob("__init__.py"), ROOT / "motionbeat_addon" / "__init__.py"]:
        top_level = ast.parse(init.read_text()).body
        imports = [n for n in top_level if isinstance(n, ast.Import | ast.ImportFrom)]
        assert all(
            isinstance(n, ast.ImportFrom) and n.module in ("pathlib", "__future__") for n in imports
        ), init


BLOCKED = """
import importlib, importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "librosa", "bpy"):
            raise ImportError(f"{name} is blocked")
sys.meta_path.insert(0, Block())
for name in sys.argv[1:]:
    importlib.import_module(name)
print(len(sys.argv) - 1)
"""


def test_the_numpy_tier_imports_with_torch_and_librosa_blocked():
    """Every module the Blender wheel ships (all of core but ``build.NOT_IN_BLENDER``)."""
    shipped = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted(CORE.rglob("*.py"))
        if path.relative_to(CORE).as_posix() not in NOT_IN_BLENDER
    ]
    assert "core.generate" in shipped and "core.choreography.library_build" not in shipped
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED, *shipped], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout) == len(shipped)


def test_every_module_left_out_of_the_wheel_needs_torch_or_librosa():
    """So the list cannot go stale: each one fails to import with them blocked."""
    for relative in NOT_IN_BLENDER:
        if relative.endswith(".py"):
            name = "core." + relative.removesuffix(".py").replace("/", ".")
            result = subprocess.run(
                [sys.executable, "-c", BLOCKED, name], capture_output=True, text=True, cwd=ROOT
            )
            assert result.returncode != 0 and "is blocked" in result.stderr, name


def test_every_test_file_a_docstring_names_exists():
    named = set()
    folders = ("core", "motionbeat_addon", "training", "tests", "benchmarks")
    sources = [
        p for folder in folders for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md")
    ]
    for path in [*sources, *ROOT.glob("*.md")]:
        named |= set(re.findall(r"tests/(test_\w+\.py)", path.read_text(errors="replace")))
    missing = sorted(n for n in named if not (ROOT / "tests" / n).is_file())
    assert missing == []
