"""The package works as a built wheel, not only as an editable install: the grammar is package
data, the three mapped packages are inside, and the installed command runs."""

import os
import re
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
                     # the parser lark's standalone generator wrote: pipec imports no lark at run time
                     "pipec/grammar/pipe_parser.py",
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
    # 'pipec lsp' reads docs/language.md for its hovers (pipec.lsp_docs)
    assert "pipec/docs/language.md" in names
    code = subprocess.run([sys.executable, "-m", "pipec", "explain", "--code", "W500"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert code.returncode == 0, code.stderr
    assert code.stdout.startswith("W500: all-at-once deployment to production") and "Corrected:" in code.stdout
    # 'pipec playground' serves the page built from playground/, which the wheel carries: every
    # file of compiler/playground_assets/ (tests/test_playground.py keeps them fresh)
    assets = ROOT / "compiler" / "playground_assets"
    shipped = {"pipec/playground_assets/" + p.relative_to(assets).as_posix() for p in assets.rglob("*") if p.is_file()}
    assert shipped and shipped <= names, sorted(shipped - names)[:5]
    table = subprocess.run([sys.executable, "-c", "from pipec.playground_server import asset_table; "
                            "print(len(asset_table()))"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert table.returncode == 0 and int(table.stdout) == len(shipped) + 1, table.stdout + table.stderr  # and /


def test_metadata_license_classifiers_and_keywords():
    import tomllib

    from trove_classifiers import classifiers as known

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # MIT for pipec, MPL-2.0 for the parser lark's standalone generator writes (its header says
    # so); ISC and BSD-3-Clause (and MIT, and DOMPurify's MPL-2.0) for the npm packages the
    # playground's page bundles, each named with its licence in THIRD-PARTY-LICENSES.txt
    assert project["license"] == "MIT AND MPL-2.0 AND ISC AND BSD-3-Clause"
    third = "compiler/playground_assets/THIRD-PARTY-LICENSES.txt"
    assert project["license-files"] == ["LICENSE", "LICENSES/MPL-2.0.txt", third]
    fields = set(re.findall(r"^\S+ \d\S*: (.+)$", (ROOT / third).read_text(), re.M))
    assert fields == {"MIT", "ISC", "BSD-3-Clause", "(MPL-2.0 OR Apache-2.0)", "the licence below"}, fields
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    assert (ROOT / "LICENSES" / "MPL-2.0.txt").read_text().startswith("Mozilla Public License Version 2.0\n")
    assert "Mozilla Public License, v. 2.0" in (ROOT / "grammar" / "pipe_parser.py").read_text()[:2000]
    unknown = [c for c in project["classifiers"] if c not in known]
    assert not unknown, f"not on PyPI's list of classifiers: {unknown}"
    # PEP 639: a license expression excludes License classifiers (PyPI refuses both)
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    assert "github-actions" in project["keywords"] and "codepipeline" in project["keywords"]


def test_sdist_builds_and_installs_in_a_fresh_environment(tmp_path):
    """python -m build --sdist, then pip install of the sdist into a new virtual environment (its
    dependencies from the configured indexes) and the installed command runs, away from the
    source tree. The sdist leaves the tests out (they run from the repository: README, Set up)."""
    import tarfile

    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "-o", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, text=True, cwd=tmp_path)
    [sdist] = tmp_path.glob("pipec-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
        pkg_info = tar.extractfile(next(m for m in tar.getmembers() if m.name.endswith("/PKG-INFO")
                                        and m.name.count("/") == 1)).read().decode()
    for required in ("LICENSE", "README.md", "pyproject.toml", "grammar/pipe.lark", "docs/diagnostics.md",
                     "targets/github/actions.json", "targets/aws/schemas/buildspec.schema.json",
                     "targets/github/run/standins/actions/checkout/action.yml"):
        assert required in names, f"{required} missing from {sdist.name}"
    assert not any(name.startswith("tests/") for name in names)
    assert "License-Expression: MIT AND MPL-2.0" in pkg_info and "License-File: LICENSE" in pkg_info
    assert "License-File: LICENSES/MPL-2.0.txt" in pkg_info

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(sdist)], check=True,
                   capture_output=True, text=True, cwd=tmp_path)
    run = subprocess.run([str(venv / "bin" / "pipec"), "check", str(ROOT / "examples" / "02-reference.pipe")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0 and "ok" in run.stdout, run.stderr
    licence = list((venv / "lib").glob("python3*/site-packages/pipec-*.dist-info/licenses/LICENSE"))
    assert len(licence) == 1, licence
