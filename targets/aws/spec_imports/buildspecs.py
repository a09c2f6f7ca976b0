"""The body of a ``build`` or ``test`` block from a CodeBuild buildspec: :func:`build_body`, used
by :mod:`.standalone` (a buildspec on its own) and by the CodePipeline template importer
(:mod:`pipec.targets.aws.imports.builds`). The read side of :mod:`pipec.targets.aws.buildspec`,
for files people wrote.

Buildspec (docs/language.md, "Build and test actions"; the CodeBuild buildspec reference)::

    version 0.2                      (0.1: mapped, finding "buildspec: version 0.1": every command
                                     ran in a shell of its own there, in one shell in .pipe)
    env.variables N: V               env N = "V"
    env.parameter-store N: P         secret N from ssm "P"
    env.secrets-manager N: REF       secret N from secrets-manager "REF" (id[:json-key[:stage[:id]]], as written)
    phases.P.commands                P { run ... }  (a one-line string: a "command"; several lines: a script)
    phases.P.finally                 finally ...
    phases.P.on-failure              ABORT: the default; CONTINUE: on_failure continue; RETRY...: finding
    phases.install.runtime-versions  runtime NAME VERSION (the eight runtimes .pipe knows; others, and
                                     'latest', are findings)
    artifacts / secondary-artifacts  artifact NAME files ... [base DIR] [discard_paths]
    reports.NAME                     report NAME FORMAT files ... [base DIR] (file-format, default JUNITXML)
    cache.paths                      cache PATH...
    batch (build-list of variables,  matrix { axis ... exclude ... fail_fast ... } (no artifacts
      build-matrix of variables)     or cache: E315); any other batch is a finding

Findings (``construct`` names): ``buildspec: version``, ``buildspec: version 0.1``,
``buildspec: run-as``, ``buildspec: env.shell``, ``buildspec: exported-variables``,
``buildspec: git-credential-helper``, ``buildspec: proxy``, ``buildspec: batch``,
``buildspec: unknown key``, ``buildspec: variable name``, ``buildspec: variable value``,
``buildspec: on-failure retry``, ``buildspec: runtime``, ``buildspec: runtime latest``,
``buildspec: empty command``, ``buildspec: finally without commands``, ``buildspec: artifact option``,
``buildspec: artifact name``, ``buildspec: report option``, ``buildspec: report group ARN``,
``buildspec: report format``, ``buildspec: cache option``.

Deliberately not carried, because pipec derives it itself: ``env.shell: bash`` (pipec's builds run
their commands in bash on both platforms; any other shell is a finding); ``git-credential-helper: no``,
``enable-symlinks: no``, ``on-failure: ABORT`` and ``file_exists_behavior: DISALLOW`` (the
defaults); ``artifacts.name`` when the artifact is an output of a CodePipeline action (CodePipeline
names it; :func:`build_body` is given the names).

Commands must be strings (numbers and booleans are written as YAML shows them); a command that is a
mapping or a list (``- echo a: b`` is a mapping in YAML) is an error (E602), as it is for CodeBuild,
which refuses the buildspec. A script is used for a multi-line command only when it reads back to
the same text (trailing newlines aside); otherwise the command is one quoted string with ``\\n``.

``ctx.mapping["builds"]`` (for the lead's round trip)::

    {ACTION: {"version": str, "phases": {PHASE: {"commands": [...], "finally": [...],
                                                 "on_failure": "abort"|"continue"}},
              "runtimes": {NAME: VERSION}, "env": {N: V}, "secrets": {N: [STORE, REF]},
              "artifacts": [{"name", "files", "base", "discard_paths"}],
              "cache": [...], "reports": {NAME: {"format", "files", "base"}}}}
"""

from __future__ import annotations

import re

from pipec.importer import Doc, name, q, unique, v
from pipec.targets.escape import failing_command
from pipec.targets.aws.spec_imports.common import as_list, header_name, scalar, yes

#: runtimes .pipe knows (compiler/semantic.py RUNTIMES)
RUNTIMES = ("android", "dotnet", "golang", "java", "nodejs", "php", "python", "ruby")
PHASES = ("install", "pre_build", "build", "post_build")

#: CodeBuild file-format -> .pipe report format
REPORT_FORMATS = {"JUNITXML": "junit", "CUCUMBERJSON": "cucumber", "TESTNGXML": "testng", "NUNITXML": "nunit",
                  "NUNIT3XML": "nunit3", "VISUALSTUDIOTRX": "trx", "CLOVERXML": "clover",
                  "COBERTURAXML": "cobertura", "JACOCOXML": "jacoco", "SIMPLECOV": "simplecov",
                  "LCOVINFO": "lcov"}

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PIPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,99}")
_SCRIPT_BAD = '"""'


def _command(text: str) -> str:
    """A command as .pipe source: a script for a multi-line command that reads back the same."""
    from pipec.transformer import script_text

    if "\n" in text and _SCRIPT_BAD not in text and "\r" not in text:
        src = '"""\n' + text + '\n"""'
        try:
            if script_text(src) == text:
                return src
        except Exception:  # pragma: no cover - script_text does not raise on this input
            pass
    return q(text)


def _commands(ctx, doc: Doc, value, where, key, what: str) -> list[str] | None:
    """The commands of ``where[key]`` as text; None (after ctx.error) when one is not a string."""
    out = []
    items = value if isinstance(value, list) else [value]
    for i, c in enumerate(items):
        here, hk = (value, i) if isinstance(value, list) else (where, key)
        if isinstance(c, (dict, list)):
            ctx.error(f"{what}: command {i + 1} is a {'mapping' if isinstance(c, dict) else 'list'}, not text "
                      "(CodeBuild refuses it too)", here, hk,
                      hint="Quote the command: a ': ' (colon and space) or a leading '- ' makes YAML read a "
                           "mapping or a list, for example - 'echo a: b'.")
            return None
        text = scalar(c)
        text = text.rstrip("\n") if text is not None else ""
        if not text.strip():
            ctx.skip(doc, "buildspec: empty command", f"{what}: an empty command (it does nothing)", here, hk)
            continue
        out.append(text)
    return out


def _phase(ctx, b: Doc, phases, pname: str, record: dict, runtimes: dict) -> bool:
    """Write phase ``pname``; False after an error."""
    p = phases.get(pname)
    if p is None:
        return True
    if not isinstance(p, dict):
        ctx.error(f"phase {pname} is not a mapping of commands", phases, pname,
                  hint=f"Write '{pname}:' then 'commands:' and a list of commands.")
        return False
    commands: list[str] = []
    finally_: list[str] = []
    on_failure = None
    for key, value in p.items():
        if value is None and key in ("commands", "finally", "runtime-versions", "on-failure"):
            continue  # an empty key (its entries commented out, typically): nothing to convert
        if key == "commands":
            got = _commands(ctx, b, value, p, key, f"phase {pname}")
            if got is None:
                return False
            commands = got
        elif key == "finally":
            got = _commands(ctx, b, value, p, key, f"phase {pname}, finally")
            if got is None:
                return False
            finally_ = got
        elif key == "on-failure":
            text = str(value).strip().upper() if isinstance(value, str) else None
            if text == "ABORT":
                pass
            elif text == "CONTINUE":
                on_failure = "continue"
            elif text is not None and text.startswith("RETRY"):
                ctx.skip(b, "buildspec: on-failure retry",
                         f"phase {pname}: on-failure {value} (retry the phase) has no .pipe form; the phase "
                         "fails on the first failing command", p, key)
            else:
                ctx.error(f"phase {pname}: on-failure {value!r} is not ABORT, CONTINUE or RETRY", p, key,
                          hint="Write ABORT or CONTINUE.")
                return False
        elif key == "runtime-versions" and pname == "install":
            if not isinstance(value, dict):
                ctx.error("runtime-versions is not a mapping of runtime: version", p, key,
                          hint="Write, for example, 'nodejs: 20'.")
                return False
            for rname, ver in value.items():
                text = scalar(ver)
                if not text:
                    ctx.skip(b, "buildspec: runtime", f"runtime {rname} has no version", value, rname,
                             hint="Write a version, for example 'nodejs: 20'.")
                    continue
                if rname not in RUNTIMES:
                    ctx.skip(b, "buildspec: runtime",
                             f"runtime {rname} {text}: .pipe knows the runtimes {', '.join(RUNTIMES)}",
                             value, rname)
                elif text.lower() == "latest":
                    ctx.skip(b, "buildspec: runtime latest",
                             f"runtime {rname} latest: .pipe needs a version (the image's latest changes with "
                             "the image, and GitHub has no such version)", value, rname,
                             hint="Write the version the build image installs, for example 'runtime nodejs 20'.")
                else:
                    b.stmt("runtime", rname, v(text))
                    runtimes[rname] = text
        elif key == "run-as":
            ctx.skip(b, "buildspec: run-as",
                     f"phase {pname}: run-as {value} (run the phase's commands as that Linux user); .pipe runs "
                     "them as the build's default user", p, key)
        else:
            ctx.skip(b, "buildspec: unknown key", f"phase {pname}: '{key}' is not a buildspec phase setting",
                     p, key)
    if not commands:
        if finally_:
            ctx.skip(b, "buildspec: finally without commands",
                     f"phase {pname} has 'finally' commands but no commands ({'; '.join(finally_)})", p, "finally")
        return True
    blk = b.block(pname)
    blk.stmt("run", *(_command(c) for c in commands))
    if finally_:
        blk.stmt("finally", *(_command(c) for c in finally_))
    if on_failure:
        blk.stmt("on_failure", on_failure)
    record[pname] = {"commands": commands, "finally": finally_, "on_failure": on_failure or "abort"}
    return True


def _env(ctx, b: Doc, env, rec: dict) -> bool:
    if env is None:
        return True
    if not isinstance(env, dict):
        ctx.error("env is not a mapping", hint="Write 'env:' then 'variables:' and NAME: value lines.")
        return False
    seen: set = set()

    def var_ok(group, vname) -> bool:
        if not _ENV_NAME.fullmatch(str(vname)):
            ctx.skip(b, "buildspec: variable name",
                     f"env variable '{vname}': .pipe accepts only letters, digits and '_' in variable names",
                     group, vname)
            return False
        if vname in seen:
            ctx.skip(b, "buildspec: variable name",
                     f"env variable '{vname}' is set twice (CodeBuild keeps the later one); the first is kept",
                     group, vname)
            return False
        seen.add(vname)
        return True

    for key, value in env.items():
        if value is None and key in ("variables", "parameter-store", "secrets-manager", "exported-variables"):
            continue  # an empty key: nothing to convert
        if key == "variables":
            if not isinstance(value, dict):
                ctx.error("env.variables is not a mapping of NAME: value", env, key)
                return False
            for vname, val in value.items():
                text = scalar(val)
                if text is None:
                    ctx.skip(b, "buildspec: variable value",
                             f"env variable {vname} has a list or mapping as its value", value, vname)
                    continue
                if var_ok(value, vname):
                    b.stmt("env", str(vname), "=", q(text))
                    rec["env"][str(vname)] = text
        elif key in ("parameter-store", "secrets-manager"):
            if not isinstance(value, dict):
                ctx.error(f"env.{key} is not a mapping of NAME: reference", env, key)
                return False
            store = "ssm" if key == "parameter-store" else "secrets-manager"
            for vname, ref in value.items():
                text = scalar(ref)
                if not text:
                    ctx.skip(b, "buildspec: variable value",
                             f"env.{key}: {vname} names no parameter or secret", value, vname)
                    continue
                if var_ok(value, vname):
                    b.stmt("secret", str(vname), "from", store, q(text))
                    rec["secrets"][str(vname)] = [store, text]
        elif key == "shell":
            if value != "bash":
                ctx.skip(b, "buildspec: env.shell",
                         f"env.shell {value}: the commands ran in {value}; .pipe builds run them in bash "
                         "(docs/language.md, \"Run time\")", env, key)
        elif key == "exported-variables":
            ctx.skip(b, "buildspec: exported-variables",
                     f"env.exported-variables ({', '.join(map(str, as_list(value)))}): the build exported these "
                     "variables to later CodePipeline actions; .pipe has no build output variables", env, key)
        elif key == "git-credential-helper":
            if yes(value) is not False:
                ctx.skip(b, "buildspec: git-credential-helper",
                         "env.git-credential-helper: CodeBuild's Git credential helper gave the commands Git "
                         "credentials for the source's provider; .pipe does not set it up", env, key)
        else:
            ctx.skip(b, "buildspec: unknown key", f"env: '{key}' is not a buildspec env setting", env, key)
    return True


def _patterns(ctx, spec, key, what) -> list[str] | None:
    files = []
    value = spec.get(key)
    for i, f in enumerate(as_list(value)):
        text = scalar(f)
        if text is None:
            ctx.error(f"{what}: {key} entry {i + 1} is not a path", value if isinstance(value, list) else spec,
                      i if isinstance(value, list) else key)
            return None
        if text:
            files.append(text)
    return files


def _artifact(ctx, b: Doc, aname: str, spec, what: str, rec: dict) -> bool:
    """Write ``artifact aname`` from an artifacts (or secondary-artifacts) entry."""
    if not isinstance(spec, dict):
        ctx.error(f"{what} is not a mapping", hint="Write 'files:' with a list of paths.")
        return False
    files = _patterns(ctx, spec, "files", what)
    if files is None:
        return False
    if not files:
        ctx.error(f"{what} has no files", spec, hint="Add 'files:' with the paths to collect, such as '**/*'.")
        return False
    words = ["artifact", aname, "files", *(v(f) for f in files)]
    base = spec.get("base-directory")
    if base is not None and scalar(base):
        words += ["base", v(scalar(base))]
    flat = False
    for key, value in spec.items():
        if key in ("files", "base-directory", "name", "secondary-artifacts"):
            continue
        if key == "discard-paths":
            flat = yes(value)
            if flat is None:
                ctx.error(f"{what}: discard-paths {value!r} is not yes or no", spec, key)
                return False
        elif key == "enable-symlinks" and yes(value) is False:
            continue
        elif key in ("exclude-paths", "enable-symlinks", "s3-prefix"):
            meaning = {"exclude-paths": "paths left out of the artifact",
                       "enable-symlinks": "symbolic links kept in the zip",
                       "s3-prefix": "a prefix for the artifact's S3 key (builds outside CodePipeline)"}[key]
            ctx.skip(b, "buildspec: artifact option", f"{what}: {key} ({meaning}) has no .pipe form", spec, key)
        else:
            ctx.skip(b, "buildspec: unknown key", f"{what}: '{key}' is not a buildspec artifact setting", spec, key)
    if flat:
        words.append("discard_paths")
    b.stmt(*words)
    rec["artifacts"].append({"name": aname, "files": files, "base": scalar(base) if base is not None else None,
                             "discard_paths": bool(flat)})
    return True


def _artifacts(ctx, b: Doc, arts, names: list[str] | None, action: str, rec: dict) -> list[str] | None:
    if arts is None:
        if names:
            ctx.error(f"the action has output artifacts ({', '.join(names)}) but the buildspec has no 'artifacts'",
                      hint="Add 'artifacts:' with the files the build produces.")
            return None
        return []
    if not isinstance(arts, dict):
        ctx.error("artifacts is not a mapping", hint="Write 'artifacts:' then 'files:' with a list of paths.")
        return None
    secondary = arts.get("secondary-artifacts")
    if secondary is not None and not isinstance(secondary, dict):
        ctx.error("secondary-artifacts is not a mapping of identifier: artifact", arts, "secondary-artifacts")
        return None
    secondary = secondary or {}
    has_primary = "files" in arts
    written: list[str] = []
    taken: set = {"app", action.lower()}  # the standalone pipeline's source and the action itself
    if names:
        clean = [name(n, "artifact", 100) for n in names]
        if len(names) == 1:
            spec = arts if has_primary else secondary.get(names[0])
            if spec is None and len(secondary) == 1:
                spec = next(iter(secondary.values()))
            if spec is None:
                ctx.error(f"output artifact {names[0]} is not among the buildspec's artifacts", arts,
                          hint="Give the buildspec 'files' under 'artifacts', or a secondary artifact with "
                               "this identifier.")
                return None
            if not _artifact(ctx, b, clean[0], spec, f"artifact {names[0]}", rec):
                return None
            written.append(clean[0])
        else:
            for n, c in zip(names, clean):
                spec = secondary.get(n)
                if spec is None:
                    ctx.error(f"output artifact {n} is not among the buildspec's secondary-artifacts "
                              "(CodePipeline matches several outputs to them by identifier)", arts,
                              "secondary-artifacts" if secondary else None,
                              hint=f"Add a secondary artifact '{n}:' with its files.")
                    return None
                if not _artifact(ctx, b, c, spec, f"secondary artifact {n}", rec):
                    return None
                written.append(c)
        if len(names) > 1:
            unused = [k for k in secondary if k not in names]
        elif has_primary:
            unused = list(secondary)
        else:
            unused = [k for k in secondary if k != names[0]] if names[0] in secondary else []
        for k in unused:
            ctx.skip(b, "buildspec: artifact option",
                     f"secondary artifact {k} is not an output of the CodePipeline action, which ignores it",
                     secondary, k)
        return written
    # standalone: the primary artifact, then the secondary ones
    if has_primary:
        raw = arts.get("name")
        base = f"{action}-out"
        if raw is not None:
            text = scalar(raw) or ""
            if _PIPE_NAME.fullmatch(text):
                base = text
            else:
                ctx.skip(b, "buildspec: artifact name",
                         f"artifacts.name {text!r} (the name of the artifact CodeBuild uploads outside "
                         f"CodePipeline) is not a .pipe name; the artifact is called {base}", arts, "name")
        aname = unique(base, taken)
        if not _artifact(ctx, b, aname, arts, "artifacts", rec):
            return None
        written.append(aname)
    for ident, spec in secondary.items():
        aname = unique(name(ident, "artifact", 100), taken)
        raw = spec.get("name") if isinstance(spec, dict) else None
        if raw is not None and (scalar(raw) or "") != aname:
            ctx.skip(b, "buildspec: artifact name",
                     f"secondary artifact {ident} is uploaded as {scalar(raw)!r} outside CodePipeline; the .pipe "
                     f"artifact is named after its identifier, {aname}", spec, "name")
        if not _artifact(ctx, b, aname, spec, f"secondary artifact {ident}", rec):
            return None
        written.append(aname)
    return written


def _reports(ctx, b: Doc, reports, rec: dict) -> bool:
    if not isinstance(reports, dict):
        ctx.error("reports is not a mapping of report group: settings", hint="Write 'reports:' then 'NAME:' "
                  "with 'files:'.")
        return False
    taken: set = set()
    for rname, spec in reports.items():
        if not isinstance(spec, dict):
            ctx.error(f"report {rname} is not a mapping", reports, rname)
            return False
        if str(rname).startswith("arn:") or "$" in str(rname):
            ctx.skip(b, "buildspec: report group ARN",
                     f"report group {rname}: an existing report group (an ARN, or a variable holding one); .pipe "
                     "creates the action's own report groups", reports, rname)
            continue
        files = _patterns(ctx, spec, "files", f"report {rname}")
        if files is None:
            return False
        if not files:
            ctx.error(f"report {rname} has no files", reports, rname)
            return False
        raw_format = spec.get("file-format", "JUNITXML")
        fmt = REPORT_FORMATS.get(str(raw_format).upper())
        if fmt is None:
            ctx.skip(b, "buildspec: report format", f"report {rname}: file-format {raw_format} is not one "
                     "CodeBuild reads", spec, "file-format")
            continue
        rn = unique(name(rname, "report", 100), taken)
        words = ["report", rn, fmt, "files", *(v(f) for f in files)]
        base = spec.get("base-directory")
        if base is not None and scalar(base):
            words += ["base", v(scalar(base))]
        for key, value in spec.items():
            if key in ("files", "base-directory", "file-format"):
                continue
            if key == "discard-paths":
                if yes(value):
                    ctx.skip(b, "buildspec: report option", f"report {rname}: discard-paths (report files "
                             "flattened) has no .pipe form", spec, key)
            else:
                ctx.skip(b, "buildspec: unknown key", f"report {rname}: '{key}' is not a report setting", spec, key)
        b.stmt(*words)
        rec["reports"][rn] = {"format": fmt, "files": files, "base": scalar(base) if base is not None else None}
    return True


def _cache(ctx, b: Doc, cache, rec: dict) -> bool:
    if not isinstance(cache, dict):
        ctx.error("cache is not a mapping", hint="Write 'cache:' then 'paths:' with a list of paths.")
        return False
    paths = _patterns(ctx, cache, "paths", "cache")
    if paths is None:
        return False
    for key in cache:
        if key == "paths":
            continue
        if key in ("key", "fallback-keys", "action"):
            meaning = {"key": "the S3 cache's key", "fallback-keys": "keys tried when the key has no cache",
                       "action": "restore or save only"}[key]
            ctx.skip(b, "buildspec: cache option", f"cache.{key} ({meaning}) has no .pipe form; the paths are "
                     "cached", cache, key)
        else:
            ctx.skip(b, "buildspec: unknown key", f"cache: '{key}' is not a cache setting", cache, key)
    seen = []
    for p in paths:
        if p not in seen:
            seen.append(p)
    if seen:
        b.stmt("cache", *(v(p) for p in seen))
        rec["cache"] = seen
    return True


def _legacy_containers(ctx, block: Doc, data):
    """The legacy layout, where the phases sit under ``containers: NAME:`` (one build per
    container): the first container's keys are read as the buildspec's, the others are findings."""
    containers = data.get("containers")
    if "phases" in data or not isinstance(containers, dict) or not containers:
        return data
    names = list(containers)
    first = containers[names[0]]
    if not isinstance(first, dict):
        return data
    ctx.skip(block, "buildspec: containers layout",
             f"the legacy 'containers:' layout: the phases of container '{names[0]}' are imported as the build's",
             data, "containers")
    for other in names[1:]:
        ctx.skip(block, "buildspec: containers layout",
                 f"container '{other}' is a second build of the legacy layout: write it as another build action",
                 containers, other)
    merged = type(data)((k, x) for k, x in data.items() if k != "containers")
    for attr in ("pos", "src"):
        setattr(merged, attr, getattr(data, attr, None))
    merged.kpos = dict(getattr(data, "kpos", {}))
    merged.vpos = dict(getattr(data, "vpos", {}))
    for k, x in first.items():
        merged.setdefault(k, x)
        merged.kpos.setdefault(k, getattr(first, "kpos", {}).get(k))
        merged.vpos.setdefault(k, getattr(first, "vpos", {}).get(k))
    return merged


def build_body(ctx, block: Doc, data, artifact_names: list[str] | None = None) -> list[str]:
    """Fill an existing ``build NAME { }`` block from buildspec ``data`` (a YDict).

    ``artifact_names``: the CodePipeline action's output artifact names (OutputArtifacts order): one
    name gets the primary artifact (or the only secondary one); several names are matched to
    ``secondary-artifacts`` by identifier, as CodePipeline does. None: the buildspec's own names
    (``artifacts.name`` when it is a .pipe name, else ``NAME-out``; the secondary identifiers).
    Returns the .pipe names of the artifacts written, in order (with ``artifact_names`` given, each
    is ``importer.name()`` of the given name, parallel to it). Invalid structure: ``ctx.error`` and
    ``[]``; the caller should stop when ``ctx.errors`` is not empty."""
    action = header_name(block)
    rec: dict = {"version": None, "phases": {}, "runtimes": {}, "env": {}, "secrets": {}, "artifacts": [],
                 "cache": [], "reports": {}}
    ctx.mapping.setdefault("builds", {})[action] = rec
    if not isinstance(data, dict):
        ctx.error("the buildspec is not a mapping", hint="A buildspec starts with 'version: 0.2' and 'phases:'.")
        return []
    data = _legacy_containers(ctx, block, data)
    version = data.get("version")
    rec["version"] = scalar(version)
    if version is None:
        ctx.skip(block, "buildspec: version", "the buildspec has no version (CodeBuild needs one); read as 0.2",
                 data)
    elif str(version) == "0.1":
        ctx.skip(block, "buildspec: version 0.1",
                 "version 0.1 ran each command in a shell of its own (a 'cd' or variable did not carry to the "
                 "next command); .pipe runs them in one shell, as version 0.2 does", data, "version")
    elif str(version) != "0.2":
        ctx.skip(block, "buildspec: version", f"version {version} is not a buildspec version; read as 0.2",
                 data, "version")
    known = {"version", "env", "phases", "artifacts", "reports", "cache", "run-as", "proxy", "batch"}
    for key, value in data.items():
        if key in known:
            continue
        ctx.skip(block, "buildspec: unknown key", f"'{key}' is not a buildspec key", data, key)
    if "run-as" in data:
        ctx.skip(block, "buildspec: run-as", f"run-as {data['run-as']} (run every command as that Linux user); "
                 ".pipe runs them as the build's default user", data, "run-as")
    if "proxy" in data:
        ctx.skip(block, "buildspec: proxy", "proxy (upload artifacts and logs through an explicit proxy server) "
                 "has no .pipe form", data, "proxy")
    matrix = _batch_matrix(data) if "batch" in data else None
    if matrix is not None:  # the batch's builds differ only in their variables: a matrix (issue 26)
        m = block.block("matrix")
        for line in matrix:
            m.stmt(line)
    elif "batch" in data:
        ctx.skip(block, "buildspec: batch", "batch (several coordinated builds: build list, graph, matrix or "
                 "fanout) has no .pipe form; write one build action per build of the batch", data, "batch")
    if not _env(ctx, block, data.get("env"), rec):
        return []
    phases = data.get("phases")
    runtimes: dict = {}
    if phases is not None and not isinstance(phases, dict):
        ctx.error("phases is not a mapping", data, "phases", hint="Write 'phases:' then 'build:' and "
                  "'commands:'.")
        return []
    phases = phases or {}
    for key in phases:
        if key not in PHASES:
            ctx.skip(block, "buildspec: unknown key", f"phases: '{key}' is not a build phase (install, pre_build, "
                     "build, post_build)", phases, key)
    for pname in PHASES:
        if not _phase(ctx, block, phases, pname, rec["phases"], runtimes):
            return []
    rec["runtimes"] = runtimes
    if not rec["phases"] and "batch" in data and matrix is None:
        # never a build that passes while doing nothing (issue 25): the builds of a batch-only
        # buildspec are elsewhere, so this one fails with a message until a person writes them
        block.comment("The buildspec's builds are a batch (see above): this command fails until you replace it.")
        block.stmt("build", q(failing_command(f"{action}: the buildspec is a batch of builds; write "
                                              "their commands")))
        ctx.task("resource", f"{action}: write the build's commands (the buildspec was a batch of builds)")
    elif not rec["phases"]:
        block.comment("The buildspec runs no commands: 'true' does nothing (a .pipe build needs a command).")
        block.stmt("build", q("true"))
    written = _artifacts(ctx, block, data.get("artifacts"), artifact_names, action, rec)
    if written is None:
        return []
    if data.get("reports") is not None and not _reports(ctx, block, data["reports"], rec):
        return []
    if data.get("cache") is not None and not _cache(ctx, block, data["cache"], rec):
        return []
    return written


_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _batch_matrix(data) -> list[str] | None:
    """The lines of a ``matrix { }`` block meaning what the buildspec's ``batch`` does, or None:
    a ``build-list`` whose tasks set only variables (the same names in each: the axes, their values
    in order of first use, and the cells the list lacks as excludes) or a ``build-matrix`` whose
    only dynamic part is variables (the axes); ``fast-fail`` is ``fail_fast``. Not for a buildspec
    with artifacts or a cache, which a matrix build may not have (E315)."""
    import itertools

    batch = data.get("batch")
    if not isinstance(batch, dict) or data.get("artifacts") or data.get("cache"):
        return None
    kinds = [k for k in ("build-list", "build-matrix") if k in batch]
    if set(batch) - {"fast-fail", "build-list", "build-matrix"} or len(kinds) != 1:
        return None
    ff = batch.get("fast-fail", False)
    if not isinstance(ff, bool):
        return None
    axes: dict[str, list[str]] = {}
    cells: list[tuple] = []
    if kinds == ["build-list"]:
        tasks = batch["build-list"]
        if not isinstance(tasks, list) or not tasks:
            return None
        for t in tasks:
            if not isinstance(t, dict) or set(t) - {"identifier", "env"}:
                return None
            env = t.get("env")
            if not isinstance(env, dict) or set(env) != {"variables"} or not isinstance(env["variables"], dict):
                return None
            names = [str(k) for k in env["variables"]]
            if not names or (axes and names != list(axes)) or not all(_SHELL_NAME.fullmatch(n) for n in names):
                return None
            values = [scalar(x) for x in env["variables"].values()]
            if any(x is None or x == "" for x in values):
                return None
            for n, x in zip(names, values):
                axes.setdefault(n, [])
                if x not in axes[n]:
                    axes[n].append(x)
            cells.append(tuple(values))
        if len(set(cells)) != len(cells):
            return None
    else:
        spec = batch["build-matrix"]
        if not isinstance(spec, dict) or spec.get("static") or set(spec) - {"static", "dynamic"}:
            return None
        dyn = spec.get("dynamic")
        if not isinstance(dyn, dict) or set(dyn) != {"env"} or not isinstance(dyn["env"], dict) \
                or set(dyn["env"]) != {"variables"} or not isinstance(dyn["env"]["variables"], dict):
            return None
        for k, vals in dyn["env"]["variables"].items():
            texts = [scalar(x) for x in vals] if isinstance(vals, list) else [scalar(vals)]
            if not _SHELL_NAME.fullmatch(str(k)) or any(x is None or x == "" for x in texts) or \
                    len(set(texts)) != len(texts):
                return None
            axes[str(k)] = texts
        if not axes:
            return None
        cells = list(itertools.product(*axes.values()))
    product = list(itertools.product(*axes.values()))
    missing = [c for c in product if c not in cells]
    if len(product) > 256 or len(missing) > 50:
        return None
    lines = [" ".join(["axis", n, *(v(x) for x in vals)]) for n, vals in axes.items()]
    lines += [" ".join(["exclude", *(f"{n}={v(x)}" for n, x in zip(axes, c))]) for c in missing]
    lines.append(f"fail_fast {'on' if ff else 'off'}")
    return lines
