"""The package works as a built wheel, not only as an editable install: the grammar is package
data, the three mapped packages are inside, and the installed command runs."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _build_wheel(out: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, cwd=out,
    )
    wheels = list(out.glob("pipec-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contains_grammar_and_packages_and_runs(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("pipec/grammar/pipe.lark", "pipec/grammar/__init__.py", "pipec/__init__.py",
                     "pipec/cli.py", "pipec/parser.py", "pipec/targets/__init__.py",
                     "pipec/targets/aws/__init__.py", "pipec/targets/aws/emit.py",
                     "pipec/targets/aws/schemas/buildspec.schema.json",
                     "pipec/targets/aws/schemas/appspec.schema.json",
                     # the GitHub target's pin table, read at run time next to its pins module
                     "pipec/targets/github/emit.py", "pipec/targets/github/pins.py",
                     "pipec/targets/github/actions.json",
                     # the GitHub target's subpackages
                     "pipec/targets/github/imports/__init__.py", "pipec/targets/github/read/__init__.py",
                     # pipec run's stand-in actions, an action and a sub-action
                     "pipec/targets/github/run/__init__.py",
                     "pipec/targets/github/run/standins/actions/checkout/action.yml",
                     "pipec/targets/github/run/standins/actions/cache/restore/action.yml"):
        assert required in names, f"{required} missing from {wheel.name}"
    assert not any(n.startswith(("compiler/", "grammar/", "targets/", "tests/")) for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "pipec = pipec.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

    # install the wheel's files into a plain folder and run the command from there, away from
    # the source tree, so that only the wheel's contents can be used
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, text=True)
    env = dict(os.environ, PYTHONPATH=str(target))
    where = subprocess.run([sys.executable, "-c", "import pipec, pipec.grammar; print(pipec.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    assert where.stdout.strip().startswith(str(target))
    pins = subprocess.run([sys.executable, "-c", "from pipec.targets.github import pins; "
                           "print(pins.PINS_PATH); print(len(pins.pins()))"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    pins_path, count = pins.stdout.split()
    assert pins_path.startswith(str(target)) and int(count) > 0, pins.stdout
    run = subprocess.run([sys.executable, "-m", "pipec", "check", str(ROOT / "examples" / "02-reference.pipe")],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "ok" in run.stdout
    # 'pipec explain --code' reads docs/diagnostics.md, which the wheel carries as package data
    assert "pipec/docs/diagnostics.md" in names
    code = subprocess.run([sys.executable, "-m", "pipec", "explain", "--code", "W500"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert code.returncode == 0, code.stderr
    assert code.stdout.startswith("W500: all-at-once deployment to production") and "Corrected:" in code.stdout
