"""The package layout holds: the compiler names no target module.

``compiler/`` (the package ``pipec``) is the language front end and the platform-neutral middle.
It reaches a target only through the registry, :mod:`pipec.targets` (``TARGETS``, ``IMPORTERS``,
``load`` and the few functions it exposes), never by importing ``pipec.targets.aws...`` or
``pipec.targets.github...`` itself. docs/architecture.md describes the layout.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
COMPILER = ROOT / "compiler"
TARGETS = ROOT / "targets"


def _target_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in ``path`` that names something inside pipec.targets
    (a module below it, or a subpackage or module imported from it by name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("pipec.targets.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("pipec.targets."):
                names = [node.module]
            elif node.module == "pipec.targets":
                names = [f"pipec.targets.{a.name}" for a in node.names
                         if (TARGETS / a.name).is_dir() or (TARGETS / f"{a.name}.py").exists()]
            elif node.module == "pipec":
                names = ["pipec.targets" for a in node.names if a.name == "targets"]
            else:
                names = []
        else:
            names = []
        found.extend((node.lineno, n) for n in names)
    return found


def test_compiler_imports_targets_only_through_the_registry():
    found = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for path in sorted(COMPILER.glob("*.py")) for line, name in _target_imports(path)]
    assert found == [], "compiler/ must reach targets through pipec.targets (the registry) only"


def test_the_scan_sees_each_form_of_target_import(tmp_path):
    """The check above fails on each way of naming a target module."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import pipec.targets.aws.emit\n"
        "from pipec.targets.aws import cfn\n"
        "from pipec.targets import github\n"
        "from pipec.targets import escape\n"
        "def f():\n"
        "    from pipec.targets.github.read import read\n"
        "from pipec.targets import load, TARGETS\n"
        "from pipec import model\n",
        encoding="utf-8")
    hits = [name for _, name in _target_imports(sample)]
    assert hits == ["pipec.targets.aws.emit", "pipec.targets.aws", "pipec.targets.github",
                    "pipec.targets.escape", "pipec.targets.github.read"]



# ----------------------------------------------------------------------------- docs/architecture.md

ARCHITECTURE = ROOT / "docs" / "architecture.md"
#: a path in the repository: compiler/x.py, targets/aws/x.py, targets/aws/, tests/golden/, globs allowed
_PATH = re.compile(r"(?<![\w/.-])((?:compiler|targets|grammar|tests|bench|docs|examples)/[\w./*-]*[\w*/])")
#: a dotted name under pipec: a module (pipec.targets.aws.emit) or something in one (pipec.plan.from_model)
_DOTTED = re.compile(r"\bpipec(?:\.[A-Za-z_*][\w*]*)+")


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    if "*" in dotted:  # pipec.semantic_*: at least one module of the compiler matches
        stem = parts[1].replace("*", "")
        return len(parts) == 2 and any(p.stem.startswith(stem) for p in COMPILER.glob("*.py"))
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_every_path_named_in_the_architecture_document_exists():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    paths = sorted(set(_PATH.findall(text)))
    assert len(paths) > 30, paths  # the scan finds the document's paths at all
    missing = [p for p in paths if not (list(ROOT.glob(p.rstrip("/"))) if "*" in p else (ROOT / p).exists())]
    assert missing == []


def test_every_module_named_in_the_architecture_document_exists():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    names = sorted(set(_DOTTED.findall(text)))
    assert len(names) > 20, names
    assert [n for n in names if not _resolves(n)] == []


def test_the_document_checks_catch_a_missing_module():
    """The two checks above fail on a module or a path that does not exist."""
    assert _resolves("pipec.targets.aws.emit") and _resolves("pipec.plan.from_model")
    assert not _resolves("pipec.no_such_module") and not _resolves("pipec.plan.no_such_function")
    assert _PATH.findall("see `compiler/nowhere.py` and targets/aws/x.py") == ["compiler/nowhere.py",
                                                                                "targets/aws/x.py"]
    assert not (ROOT / "compiler/nowhere.py").exists()
