"""What each command imports at start-up (issue 18): a fresh ``python -m pipec ...`` must not load modules its command never uses. These tests fail when someone adds an eager import
(at the top of a module on the path) of something heavy: lark's grammar analysis, troposphere,
PyYAML, the importers, the target packages or attrs.

Times are not asserted here (bench/perf.py measures them); the import set is what decides them
and, unlike a time, it is the same on every machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
REFERENCE = ROOT / "examples" / "02-reference.pipe"


#: runs ``python -m pipec ARGV`` in a fresh interpreter and, at exit, writes every module it
#: imported (``sys.modules``: ``-X importtime`` misses modules loaded by importlib.import_module,
#: which is how the registry loads a target)
_RUN = """
import atexit, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
sys.argv[0] = "pipec"
runpy.run_module("pipec", run_name="__main__", alter_sys=True)
"""


def _imported(*argv: str, cwd: Path) -> set[str]:
    """The modules a fresh ``python -m pipec ARGV`` has imported when it exits."""
    out = cwd / "modules.txt"
    run = subprocess.run([sys.executable, "-c", _RUN, str(out), *argv], cwd=cwd, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    names = set(out.read_text().split())
    assert "pipec.cli" in names, run.stderr[-2000:]
    return names


def _under(names: set[str], *prefixes: str) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


#: never imported by any command at run time: the parser is grammar/pipe_parser.py (lark's
#: standalone output), so lark itself, and its grammar loader above all, stay out
NEVER = ("lark",)
#: what building the targets needs, and what only importing or reading files back needs
TARGET_LIBRARIES = ("troposphere", "yaml", "cfn_flip", "awacs")
IMPORTERS = ("pipec.importer", "pipec.import_yaml", "pipec.targets.aws.imports", "pipec.targets.aws.spec_imports",
             "pipec.targets.github.imports", "pipec.targets.gitlab", "pipec.targets.aws.read",
             "pipec.targets.github.read")


def test_check_without_targets_loads_the_language_only(tmp_path):
    names = _imported("check", "--no-targets", str(REFERENCE), cwd=tmp_path)
    assert _under(names, *NEVER, *TARGET_LIBRARIES, *IMPORTERS, "pipec.targets.aws", "pipec.targets.github",
                  "pipec.build", "tree_sitter", "detect_secrets") == []
    assert {"pipec.parser", "pipec.semantic", "pipec.grammar.pipe_parser"} <= names


def test_check_asks_the_targets_without_their_emitters(tmp_path):
    """``pipec check`` reports what ``build`` would through each target's diagnose module
    (tests/test_diagnose.py holds them to the emitters), so neither the emitters nor troposphere
    nor PyYAML are loaded; nor are the readers and importers, nor a configuration reader without a
    configuration file."""
    ref = tmp_path / REFERENCE.name  # away from the repository's pyproject.toml
    ref.write_text(REFERENCE.read_text(encoding="utf-8"), encoding="utf-8")
    names = _imported("check", str(ref), cwd=tmp_path)
    assert _under(names, *NEVER, *TARGET_LIBRARIES, *IMPORTERS, "tomllib", "secrets", "difflib",
                  "pipec.targets.aws.emit", "pipec.targets.github.emit", "pipec.yamlout") == []
    assert {"pipec.targets.aws.diagnose", "pipec.targets.github.diagnose"} <= names


def test_check_makes_its_classes_without_attrs(tmp_path):
    """The syntax tree, the model and the diagnostics are pipec.node classes: importing attrs and
    creating its classes was a quarter of ``pipec check``'s start-up (compiler/node.py). Nor does
    the parser's runtime import logging, dataclasses, inspect or pickle (grammar/shims.py), nor
    argparse's help formatters or the bash syntax check (E210) shutil."""
    names = _imported("check", str(REFERENCE), cwd=tmp_path)
    assert _under(names, "attr", "attrs", "inspect", "dataclasses", "logging", "pickle", "copy", "shutil") == []


def test_check_of_every_example_loads_no_emitter(tmp_path):
    """No example needs its files to be checked (no 'patch' lines, no pipec.lock beside it here)."""
    examples = sorted(p for p in (ROOT / "examples").glob("*.pipe"))
    for path in examples:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    names = _imported("check", *(str(tmp_path / p.name) for p in examples), cwd=tmp_path)
    assert _under(names, *TARGET_LIBRARIES, "pipec.targets.aws.emit", "pipec.targets.github.emit") == []


def test_version_and_explain_code_load_almost_nothing(tmp_path):
    for argv in (("--version",), ("explain", "--code", "W500")):
        names = _imported(*argv, cwd=tmp_path)
        assert _under(names, *NEVER, *TARGET_LIBRARIES, "attr", "attrs", "pipec.diagnostics", "pipec.parser",
                      "pipec.model", "pipec.targets.aws", "pipec.targets.github") == [], argv
        pipec_modules = _under(names, "pipec")
        # the argument parser's choices come from cli_color, cli_init and cli_playground (standard
        # library only: the playground's server and API are imported by the command alone);
        # gc_pause (gc and contextlib) pauses the collector for a one-shot command
        light = {"pipec", "pipec.cli", "pipec.cli_color", "pipec.cli_init", "pipec.cli_playground", "pipec.targets",
                 "pipec.code_docs", "pipec.gc_pause"}
        assert pipec_modules == sorted(light & set(pipec_modules)), argv


def test_version_is_answered_before_the_argument_parser_is_made(tmp_path):
    """``pipec --version`` prints before argparse and every sub-command's parser are made (about 6 ms
    of the 30 ms goal of issue 18); ``test_version`` in test_cli.py checks its output."""
    names = _imported("--version", cwd=tmp_path)
    assert _under(names, "argparse", "shutil", "textwrap") == []


_GC = """
import atexit, gc, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(f"{gc.isenabled()} {gc.get_freeze_count()}"))
sys.argv[0] = "pipec"
runpy.run_module("pipec", run_name="__main__", alter_sys=True)
"""


def test_a_check_leaves_its_objects_to_the_exit(tmp_path):
    """Run as the program, ``pipec check`` keeps the collector paused and freezes what it leaves
    (pipec.gc_pause.freeze_for_exit): no collection over it on the way out. Called in a process
    that goes on (a test, an editor), main leaves the collector as it found it."""
    import gc

    from pipec.cli import main

    out = tmp_path / "gc.txt"
    run = subprocess.run([sys.executable, "-c", _GC, str(out), "check", str(REFERENCE)], cwd=tmp_path,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    enabled, frozen = out.read_text().split()
    assert enabled == "True" and int(frozen) > 10_000
    before = gc.get_freeze_count()
    assert main(["check", "--no-targets", str(REFERENCE)]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == before
