"""CodeBuild ``buildspec.yml``: one per build or test action, and the JSON Schema pipec ships for it.

:func:`emit` turns a :class:`pipec.model.Build` into the buildspec as plain data, in a fixed key
order; :func:`render` writes it as YAML with pipec's header. The mapping (documented with a table
in docs/formats.md, "buildspec.yml")::

    env NAME = value            env.variables            (values always strings)
    secret N from ssm REF       env.parameter-store      N: REF
    secret N from secrets-manager REF
                                env.secrets-manager      N: REF (id[:json-key...] as written)
    runtime R V                 phases.install.runtime-versions
    codeartifact T domain D ... phases.install.commands, first: aws codeartifact login ...
                                (maven, which that command does not support: export
                                CODEARTIFACT_AUTH_TOKEN=$(aws codeartifact get-authorization-token ...))
    install/pre_build/build/post_build
                                phases.<phase>.commands / finally / on-failure (CONTINUE only;
                                ABORT is CodeBuild's default and is not written)
    artifact (one)              artifacts: files, base-directory, discard-paths, name
    artifact (several)          the first is also the primary artifact (the reference requires
                                artifacts/files), and every one of them is a secondary artifact
                                keyed by its name: CodePipeline takes *all* outputs of a
                                multi-output action from secondary-artifacts, matching output
                                artifact names to artifact identifiers
    cache PATH...               cache.paths
    report NAME FORMAT ...      reports.NAME: files, base-directory, file-format
    (extra_post_build)          appended to phases.post_build.commands (created if needed): the
                                AWS target's copies of appspec.yml into EC2 revisions

Commands are copied from the model as written, in order; a multi-line script stays one command
(one string, which :mod:`pipec.yamlout` writes as a ``|`` block). Output is deterministic: the
same model always gives the same text.

:data:`SCHEMA_PATH` is the JSON Schema (draft 2020-12) for buildspec files, written from the
CodeBuild User Guide; :func:`validate` checks data against it (jsonschema is imported only
then: it is a test-time dependency). :func:`load` reads buildspec YAML the way the schema
expects it (YAML 1.1 like CodeBuild, keys as written, duplicate keys refused).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from pipec import model, yamlout
from pipec.model import LOGIN_TOOLS, codeartifact_login  # noqa: F401 (shared with the GitHub target)

#: the JSON Schema for buildspec files, shipped with the package
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "buildspec.schema.json"

#: pipec report format -> CodeBuild ``file-format`` (build-spec-ref, reports/file-format;
#: LCOV INFO is listed on the "Create code coverage reports" page)
REPORT_FORMATS: dict[str, str] = {
    "junit": "JUNITXML",
    "cucumber": "CUCUMBERJSON",
    "testng": "TESTNGXML",
    "nunit": "NUNITXML",
    "nunit3": "NUNIT3XML",
    "trx": "VISUALSTUDIOTRX",
    "clover": "CLOVERXML",
    "cobertura": "COBERTURAXML",
    "jacoco": "JACOCOXML",
    "simplecov": "SIMPLECOV",
    "lcov": "LCOVINFO",
}

_ON_FAILURE = {"abort": None, "continue": "CONTINUE"}


# ----------------------------------------------------------------------------- emit


#: the shell CodeBuild runs every command in: bash, as the GitHub target's phases step does
#: ("For Linux operating systems, supported shell tags are: bash, /bin/sh", build-spec-ref.html
#: "env/shell"; CodeBuild's default shell is not documented). docs/language.md, "Run time".
SHELL = "bash"


def _env(build: model.Build) -> dict:
    from pipec.targets.aws.batch import WINDOWS_SHELL

    env: dict = {"shell": WINDOWS_SHELL if build.os == "windows" else SHELL}
    if build.env:
        env["variables"] = {v.name: str(v.value) for v in build.env}
    ssm = {s.name: s.ref for s in build.secrets if s.store == "ssm"}
    if ssm:
        env["parameter-store"] = ssm
    manager = {s.name: s.ref for s in build.secrets if s.store == "secrets-manager"}
    if manager:
        env["secrets-manager"] = manager
    unknown = sorted({s.store for s in build.secrets} - {"ssm", "secrets-manager"})
    if unknown:
        raise ValueError(f"build {build.name}: unknown secret store {', '.join(unknown)}")
    return env


def _phase(build: model.Build, name: str, phase: model.Phase | None, extra: tuple[str, ...]) -> dict | None:
    commands: list[str] = []
    if name == "install":
        commands.extend(codeartifact_login(login) for login in build.codeartifact)
    if phase is not None:
        commands.extend(c.text for c in phase.commands)
    commands.extend(extra)
    finally_commands = [c.text for c in phase.finally_commands] if phase is not None else []
    runtimes = {r: str(v) for r, v in build.runtimes} if name == "install" else {}
    if not (commands or finally_commands or runtimes):
        return None
    out: dict = {}
    if runtimes:
        out["runtime-versions"] = runtimes
    if commands:
        out["commands"] = commands
    if finally_commands:
        out["finally"] = finally_commands
    if phase is not None:
        try:
            on_failure = _ON_FAILURE[phase.on_failure]
        except KeyError:
            raise ValueError(f"build {build.name}: unknown on_failure {phase.on_failure!r} "
                             f"in phase {name}") from None
        if on_failure:
            out["on-failure"] = on_failure
    return out


def _phases(build: model.Build, extra_post_build: tuple[str, ...]) -> dict:
    by_name = {p.name: p for p in build.phases}
    unknown = sorted(set(by_name) - set(model.PHASE_ORDER))
    if unknown:
        raise ValueError(f"build {build.name}: unknown phase {', '.join(unknown)}")
    phases = {}
    for name in model.PHASE_ORDER:
        made = _phase(build, name, by_name.get(name), tuple(extra_post_build) if name == "post_build" else ())
        if made is not None:
            phases[name] = made
    return phases


def _artifact(out: model.OutputArtifact) -> dict:
    spec: dict = {"files": list(out.files)}
    if out.base:
        spec["base-directory"] = out.base
    if out.discard_paths:
        spec["discard-paths"] = "yes"
    spec["name"] = out.name
    return spec


def _artifacts(outputs: tuple[model.OutputArtifact, ...]) -> dict | None:
    if not outputs:
        return None
    artifacts = _artifact(outputs[0])
    if len(outputs) > 1:
        artifacts["secondary-artifacts"] = {o.name: _artifact(o) for o in outputs}
    return artifacts


def _report(report: model.Report) -> dict:
    try:
        file_format = REPORT_FORMATS[report.format]
    except KeyError:
        raise ValueError(f"report {report.name}: unknown format {report.format!r}") from None
    spec: dict = {"files": list(report.files)}
    if report.base:
        spec["base-directory"] = report.base
    spec["file-format"] = file_format
    return spec


def emit(build: model.Build, *, extra_post_build: tuple[str, ...] = ()) -> dict:
    """The buildspec of ``build`` as plain data (dicts in a fixed key order, lists, strings and the
    number 0.2). ``extra_post_build`` commands run last in post_build (which is created if the
    build has none)."""
    from pipec.targets.aws.batch import batch

    data: dict = {"version": 0.2}
    env = _env(build)
    if env:
        data["env"] = env
    if build.matrix is not None:
        data["batch"] = batch(build)
    data["phases"] = _phases(build, tuple(extra_post_build))
    artifacts = _artifacts(build.outputs)
    if artifacts:
        data["artifacts"] = artifacts
    if build.cache:
        data["cache"] = {"paths": list(build.cache)}
    if build.reports:
        data["reports"] = {r.name: _report(r) for r in build.reports}
    return data


def render(build: model.Build, source: str, *, extra_post_build: tuple[str, ...] = ()) -> str:
    """The buildspec file of ``build``: pipec's header naming ``source``, then the YAML."""
    return (yamlout.header(source, f"buildspec for {build.kind} action {build.name}")
            + yamlout.dump(emit(build, extra_post_build=extra_post_build)))


# ----------------------------------------------------------------------------- schema


@functools.lru_cache(maxsize=None)
def schema() -> dict:
    """The shipped JSON Schema, parsed (cached)."""
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=None)
def _validator():
    import jsonschema  # test-time dependency: only needed when validating

    return jsonschema.Draft202012Validator(schema())


def _where(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(error) -> str:
    # an anyOf/oneOf failure says only "is not valid under any of the given schemas": name the
    # most relevant alternative's reason instead
    if error.context:
        from jsonschema.exceptions import best_match

        inner = best_match(error.context)
        if inner is not None:
            return _message(inner)
    return error.message


def validate(data) -> list[str]:
    """Every way ``data`` breaks the buildspec schema, as ``"where: what"`` sentences sorted by
    location (empty when the data is valid)."""
    errors = sorted(_validator().iter_errors(data),
                    key=lambda e: ([str(p) for p in e.absolute_path], e.message))
    return [f"{_where(e.absolute_path)}: {_message(e)}" for e in errors]


# ----------------------------------------------------------------------------- reading YAML


def load(text: str):
    """Parse buildspec YAML as CodeBuild reads it (YAML 1.1: ``yes`` is a boolean, ``0.2`` a
    number), keeping mapping keys exactly as written (strings) and dates as strings. Raises
    ``yaml.YAMLError`` for malformed YAML and for a key that appears twice in one mapping."""
    import yaml

    return yaml.load(text, Loader=_loader())


@functools.lru_cache(maxsize=None)
def _loader():
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    # keep timestamps as written: an unquoted date is a string to CodeBuild's commands
    Loader.yaml_implicit_resolvers = {
        ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for ch, resolvers in base.yaml_implicit_resolvers.items()
    }

    def mapping(loader, node, deep=False):
        loader.flatten_mapping(node)
        out = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, "a key must be a scalar", key_node.start_mark)
            key = key_node.value
            if key in out:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
            out[key] = loader.construct_object(value_node, deep=deep)
        return out

    Loader.add_constructor("tag:yaml.org,2002:map", mapping)
    return Loader
