"""``pipec import`` for CodeBuild buildspecs and CodeDeploy appspecs (the read side of
:mod:`pipec.targets.aws.buildspec` and :mod:`pipec.targets.aws.appspec`, for files people wrote).

Two kinds of caller:

- :func:`import_buildspec` / :func:`import_appspec`: a file on its own becomes a whole pipeline:
  ``source app github REPO`` (the ``--repository`` given, else the placeholder ``OWNER/REPO`` and a
  task), ``stage build { build NAME { ... } }`` for a buildspec, and one deploy stage per appspec
  (an appspec given with a buildspec deploys the build's primary artifact; an appspec alone
  deploys the repository).
- :mod:`pipec.targets.aws.imports` (CodePipeline templates) fills the action blocks it writes with
  :func:`build_body` and :func:`deploy_body`, and finds an appspec's compute platform with
  :func:`appspec_platform`.

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

Findings (``construct`` names): ``buildspec: version``, ``buildspec: version 0.1``,
``buildspec: run-as``, ``buildspec: env.shell``, ``buildspec: exported-variables``,
``buildspec: git-credential-helper``, ``buildspec: proxy``, ``buildspec: batch``,
``buildspec: unknown key``, ``buildspec: variable name``, ``buildspec: variable value``,
``buildspec: on-failure retry``, ``buildspec: runtime``, ``buildspec: runtime latest``,
``buildspec: empty command``, ``buildspec: finally without commands``, ``buildspec: artifact option``,
``buildspec: artifact name``, ``buildspec: report option``, ``buildspec: report group ARN``,
``buildspec: report format``, ``buildspec: cache option``.

Deliberately not carried, because pipec derives it itself: ``env.shell: bash`` (pipec's builds run
bash-compatible commands; any other shell is a finding); ``git-credential-helper: no``,
``enable-symlinks: no``, ``on-failure: ABORT`` and ``file_exists_behavior: DISALLOW`` (the
defaults); ``artifacts.name`` when the artifact is an output of a CodePipeline action (CodePipeline
names it; :func:`build_body` is given the names).

Commands must be strings (numbers and booleans are written as YAML shows them); a command that is a
mapping or a list (``- echo a: b`` is a mapping in YAML) is an error (E602), as it is for CodeBuild,
which refuses the buildspec. A script is used for a multi-line command only when it reads back to
the same text (trailing newlines aside); otherwise the command is one quoted string with ``\\n``.

Appspec (docs/language.md, "Deploy actions")::

    EC2  os linux|windows                 os ...
         files: source/destination        copy SOURCE to DESTINATION
         permissions: object/owner/group/mode
                                          permission OBJECT [owner U] [group G] [mode M]
         hooks.EVENT: location/timeout/runas
                                          hook EVENT LOCATION [timeout Ns] [as USER] (several per event)
    ECS  TargetService.Properties: TaskDefinition (<TASK_DEFINITION>: what the deploy action registers
         from task_definition; a fixed ARN: a task to put that definition in taskdef.json),
         LoadBalancerInfo  -> container NAME port N, PlatformVersion -> platform_version,
         NetworkConfiguration.AwsvpcConfiguration -> network subnets ... security_groups ... [public_ip]
         Hooks: - EVENT: FUNCTION          hook EVENT FUNCTION
    Lambda Resources[0].NAME.Properties: Name, Alias, CurrentVersion, TargetVersion
                                          function, alias, versions current V target W (placeholders
                                          <...>: decided at deploy time, which is what pipec does)
         Hooks                            hook EVENT FUNCTION

Findings: ``appspec: version``, ``appspec: os``, ``appspec: unknown key``, ``appspec: files option``,
``appspec: permission option``, ``appspec: permissions on windows``, ``appspec: hook event``,
``appspec: hook timeout``, ``appspec: hook runas on windows``, ``appspec: file_exists_behavior``,
``appspec: resource``, ``appspec: ecs property``, ``appspec: capacity provider strategy``,
``appspec: network``, ``appspec: load balancer info``, ``appspec: lambda versions``,
``appspec: duplicate hook``, ``appspec: unknown platform`` (an appspec given with a buildspec
that is none of the three; alone, such an appspec is Unsupported).

The strategy is not in an appspec (the deployment group chooses it); a standalone import writes the
pipec strategy equal to CodeDeploy's default for a deployment group without one: EC2
``rolling one-at-a-time`` (CodeDeployDefault.OneAtATime), ECS ``blue-green``
(CodeDeployDefault.ECSAllAtOnce: an ECS appspec is always a CodeDeploy blue/green deployment),
Lambda ``all-at-once`` (CodeDeployDefault.LambdaAllAtOnce), with a comment saying so.

``ctx.mapping`` (for the lead's round trip)::

    {"builds": {ACTION: {"version": str, "phases": {PHASE: {"commands": [...], "finally": [...],
                                                              "on_failure": "abort"|"continue"}},
                         "runtimes": {NAME: VERSION}, "env": {N: V}, "secrets": {N: [STORE, REF]},
                         "artifacts": [{"name", "files", "base", "discard_paths"}],
                         "cache": [...], "reports": {NAME: {"format", "files", "base"}}}},
     "deploys": {ACTION: {"platform": "ec2"|"ecs"|"lambda", "os", "files": [[SRC, DST]],
                          "permissions": [[OBJ, OWNER, GROUP, MODE]],
                          "hooks": [[EVENT, TARGET, TIMEOUT_SECONDS|None, RUNAS|None]],
                          "container", "port", "task_definition", "platform_version", "network",
                          "function", "alias", "versions", "needs_test_listener"}}}
"""

from __future__ import annotations

import re
from pathlib import Path

from pipec.importer import Doc, Unsupported, YDict, name, q, unique, v

# ----------------------------------------------------------------------------- tables

#: runtimes .pipe knows (compiler/semantic.py RUNTIMES)
RUNTIMES = ("android", "dotnet", "golang", "java", "nodejs", "php", "python", "ruby")
PHASES = ("install", "pre_build", "build", "post_build")
#: CodeBuild file-format -> .pipe report format
REPORT_FORMATS = {"JUNITXML": "junit", "CUCUMBERJSON": "cucumber", "TESTNGXML": "testng", "NUNITXML": "nunit",
                  "NUNIT3XML": "nunit3", "VISUALSTUDIOTRX": "trx", "CLOVERXML": "clover",
                  "COBERTURAXML": "cobertura", "JACOCOXML": "jacoco", "SIMPLECOV": "simplecov",
                  "LCOVINFO": "lcov"}
#: appspec lifecycle event -> .pipe hook event
EVENTS = {"ApplicationStop": "application_stop", "BeforeInstall": "before_install",
          "AfterInstall": "after_install", "ApplicationStart": "application_start",
          "ValidateService": "validate_service", "BeforeBlockTraffic": "before_block_traffic",
          "AfterBlockTraffic": "after_block_traffic", "AfterAllowTestTraffic": "after_allow_test_traffic",
          "BeforeAllowTraffic": "before_allow_traffic", "AfterAllowTraffic": "after_allow_traffic"}
PLATFORM_EVENTS = {
    "ec2": ("ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService",
            "BeforeBlockTraffic", "AfterBlockTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"),
    "ecs": ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"),
    "lambda": ("BeforeAllowTraffic", "AfterAllowTraffic"),
}
#: the pipec strategy equal to CodeDeploy's default deployment configuration, per platform
DEFAULT_STRATEGY = {
    "ec2": ("rolling one-at-a-time", "CodeDeployDefault.OneAtATime"),
    "ecs": ("blue-green", "CodeDeployDefault.ECSAllAtOnce"),
    "lambda": ("all-at-once", "CodeDeployDefault.LambdaAllAtOnce"),
}

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLACEHOLDER = re.compile(r"<[A-Za-z0-9_\-]+>")
_PIPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,99}")
_SCRIPT_BAD = '"""'


# ----------------------------------------------------------------------------- small helpers


def _scalar(x) -> str | None:
    """A YAML scalar as the text a shell or CodeBuild sees; None for mappings and lists."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if x is None:
        return ""
    if isinstance(x, (str, int, float)):
        return str(x)
    return None


def _yes(x) -> bool | None:
    """A yes/no switch (YAML 1.1 meaning); None when it is neither."""
    if isinstance(x, bool):
        return x
    if isinstance(x, str) and x.lower() in ("yes", "true", "on", "y"):
        return True
    if isinstance(x, str) and x.lower() in ("no", "false", "off", "n"):
        return False
    return None


def _list(x) -> list:
    """A value that may be one item or a list of them."""
    if x is None:
        return []
    if isinstance(x, list):
        return list(x)
    return [x]


def _raw_number(ctx, container, key):
    """The text of a number exactly as written (``0755`` stays ``0755``), when the position is known."""
    value = container.get(key)
    pos = container.vpos.get(key) if isinstance(container, YDict) else None
    if pos and isinstance(value, int) and not isinstance(value, bool):
        lines = ctx.text.splitlines()
        if 0 < pos[0] <= len(lines):
            m = re.match(r"['\"]?([0-9]+)", lines[pos[0] - 1][pos[1] - 1:])
            if m:
                return m.group(1)
    return _scalar(value)


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


def _ci(mapping, key: str):
    """``mapping[key]``, the key compared without case; None when absent or not a mapping."""
    if not isinstance(mapping, dict):
        return None
    if key in mapping:
        return mapping[key]
    low = key.lower()
    return next((val for k, val in mapping.items() if str(k).lower() == low), None)


def _task(ctx, kind: str, text: str) -> None:
    """A manual task, on one line (the header prints each task as a comment line)."""
    ctx.task(kind, " ".join(text.split()))


def _header_name(block: Doc) -> str:
    parts = block.header.split()
    return parts[1] if len(parts) > 1 else block.header


# ----------------------------------------------------------------------------- buildspec


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
        text = _scalar(c)
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
                text = _scalar(ver)
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
                text = _scalar(val)
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
                text = _scalar(ref)
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
                         f"env.shell {value}: the commands ran in {value}; .pipe builds run them in the "
                         "image's default shell (bash-compatible commands)", env, key)
        elif key == "exported-variables":
            ctx.skip(b, "buildspec: exported-variables",
                     f"env.exported-variables ({', '.join(map(str, _list(value)))}): the build exported these "
                     "variables to later CodePipeline actions; .pipe has no build output variables", env, key)
        elif key == "git-credential-helper":
            if _yes(value) is not False:
                ctx.skip(b, "buildspec: git-credential-helper",
                         "env.git-credential-helper: CodeBuild's Git credential helper gave the commands Git "
                         "credentials for the source's provider; .pipe does not set it up", env, key)
        else:
            ctx.skip(b, "buildspec: unknown key", f"env: '{key}' is not a buildspec env setting", env, key)
    return True


def _patterns(ctx, spec, key, what) -> list[str] | None:
    files = []
    value = spec.get(key)
    for i, f in enumerate(_list(value)):
        text = _scalar(f)
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
    if base is not None and _scalar(base):
        words += ["base", v(_scalar(base))]
    flat = False
    for key, value in spec.items():
        if key in ("files", "base-directory", "name", "secondary-artifacts"):
            continue
        if key == "discard-paths":
            flat = _yes(value)
            if flat is None:
                ctx.error(f"{what}: discard-paths {value!r} is not yes or no", spec, key)
                return False
        elif key == "enable-symlinks" and _yes(value) is False:
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
    rec["artifacts"].append({"name": aname, "files": files, "base": _scalar(base) if base is not None else None,
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
            text = _scalar(raw) or ""
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
        if base is not None and _scalar(base):
            words += ["base", v(_scalar(base))]
        for key, value in spec.items():
            if key in ("files", "base-directory", "file-format"):
                continue
            if key == "discard-paths":
                if _yes(value):
                    ctx.skip(b, "buildspec: report option", f"report {rname}: discard-paths (report files "
                             "flattened) has no .pipe form", spec, key)
            else:
                ctx.skip(b, "buildspec: unknown key", f"report {rname}: '{key}' is not a report setting", spec, key)
        b.stmt(*words)
        rec["reports"][rn] = {"format": fmt, "files": files, "base": _scalar(base) if base is not None else None}
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


def build_body(ctx, block: Doc, data, artifact_names: list[str] | None = None) -> list[str]:
    """Fill an existing ``build NAME { }`` block from buildspec ``data`` (a YDict).

    ``artifact_names``: the CodePipeline action's output artifact names (OutputArtifacts order): one
    name gets the primary artifact (or the only secondary one); several names are matched to
    ``secondary-artifacts`` by identifier, as CodePipeline does. None: the buildspec's own names
    (``artifacts.name`` when it is a .pipe name, else ``NAME-out``; the secondary identifiers).
    Returns the .pipe names of the artifacts written, in order (with ``artifact_names`` given, each
    is ``importer.name()`` of the given name, parallel to it). Invalid structure: ``ctx.error`` and
    ``[]``; the caller should stop when ``ctx.errors`` is not empty."""
    action = _header_name(block)
    rec: dict = {"version": None, "phases": {}, "runtimes": {}, "env": {}, "secrets": {}, "artifacts": [],
                 "cache": [], "reports": {}}
    ctx.mapping.setdefault("builds", {})[action] = rec
    if not isinstance(data, dict):
        ctx.error("the buildspec is not a mapping", hint="A buildspec starts with 'version: 0.2' and 'phases:'.")
        return []
    version = data.get("version")
    rec["version"] = _scalar(version)
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
    if "batch" in data:
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
    if not rec["phases"]:
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


# ----------------------------------------------------------------------------- appspec


def appspec_platform(data) -> str | None:
    """``ec2``, ``ecs`` or ``lambda`` for appspec data, or None when it cannot tell."""
    if not isinstance(data, dict):
        return None
    for key in ("Resources", "resources"):
        resources = data.get(key)
        if isinstance(resources, list):
            for item in resources:
                if isinstance(item, dict):
                    for body in item.values():
                        if isinstance(body, dict):
                            kind = body.get("Type", body.get("type"))
                            if kind == "AWS::ECS::Service":
                                return "ecs"
                            if kind == "AWS::Lambda::Function":
                                return "lambda"
    if any(k in data for k in ("os", "files", "permissions", "file_exists_behavior")) or isinstance(
            data.get("hooks"), dict):
        return "ec2"
    return None


def _rec_deploy(ctx, block: Doc, platform: str) -> dict:
    rec = {"platform": platform, "hooks": []}
    ctx.mapping.setdefault("deploys", {})[_header_name(block)] = rec
    return rec


def _ec2_hooks(ctx, d: Doc, hooks, windows: bool, rec: dict) -> bool:
    if hooks is None:
        return True
    if not isinstance(hooks, dict):
        ctx.error("hooks is not a mapping of lifecycle event: scripts", hint="Write 'hooks:' then, for example, "
                  "'AfterInstall:' with a list of '- location: scripts/x.sh'.")
        return False
    for event, scripts in hooks.items():
        if scripts is None:
            continue
        if event not in PLATFORM_EVENTS["ec2"]:
            ctx.skip(d, "appspec: hook event", f"hook {event}: not a lifecycle event .pipe can hook on EC2 "
                     f"({', '.join(PLATFORM_EVENTS['ec2'])})", hooks, event)
            continue
        if not isinstance(scripts, list):
            ctx.error(f"hooks.{event} is not a list of scripts", hooks, event,
                      hint="Write '- location: scripts/x.sh' under the event.")
            return False
        entries = []
        for i, s in enumerate(scripts):
            if not isinstance(s, dict) or not _scalar(s.get("location")):
                ctx.error(f"hooks.{event}: script {i + 1} has no location", scripts, i,
                          hint="Each script is a mapping with 'location' (and optional 'timeout', 'runas').")
                return False
            entries.append(s)
        total = 0
        for s in entries:
            t = s.get("timeout")
            if isinstance(t, int) and not isinstance(t, bool):
                total += t
        drop_timeouts = len(entries) > 1 and total > 3600
        if drop_timeouts:
            ctx.skip(d, "appspec: hook timeout", f"hooks.{event}: the scripts' timeouts add up to {total} "
                     "seconds, more than the hour CodeDeploy allows one event; they are left out", hooks, event)
        for s in entries:
            words = ["hook", EVENTS[event], v(_scalar(s["location"]))]
            timeout = None
            for key, value in s.items():
                if key == "location":
                    continue
                if key == "timeout":
                    if drop_timeouts:
                        continue
                    if isinstance(value, str) and value.strip().isdigit():
                        value = int(value.strip())
                    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3600:
                        ctx.skip(d, "appspec: hook timeout", f"hooks.{event} {s['location']}: timeout {value} is "
                                 "not 1 to 3600 seconds", s, key)
                        continue
                    timeout = value
                elif key == "runas":
                    if windows:
                        ctx.skip(d, "appspec: hook runas on windows", f"hooks.{event} {s['location']}: runas "
                                 f"{value} (CodeDeploy ignores it on Windows)", s, key)
                else:
                    ctx.skip(d, "appspec: unknown key", f"hooks.{event} {s['location']}: '{key}' is not a hook "
                             "script setting", s, key)
            if timeout is not None:
                words += ["timeout", f"{timeout}s"]
            runas = _scalar(s.get("runas")) if "runas" in s and not windows else None
            if runas:
                words += ["as", v(runas)]
            d.stmt(*words)
            rec["hooks"].append([EVENTS[event], _scalar(s["location"]), timeout, runas or None])
    return True


def _ec2(ctx, d: Doc, data, rec: dict) -> bool:
    os_name = data.get("os", "linux")
    windows = False
    if "os" in data:
        if os_name in ("linux", "windows"):
            windows = os_name == "windows"
            d.stmt("os", os_name)
        else:
            ctx.skip(d, "appspec: os", f"os {os_name}: CodeDeploy knows linux and windows; read as linux",
                     data, "os")
            os_name = "linux"
    rec["os"] = os_name
    rec["files"], rec["permissions"] = [], []
    files = data.get("files")
    if files is not None:
        if not isinstance(files, list):
            ctx.error("files is not a list of source/destination pairs", data, "files",
                      hint="Write '- source: /' and 'destination: /var/www/app'.")
            return False
        for i, f in enumerate(files):
            if (not isinstance(f, dict) or "source" not in f or _scalar(f.get("source")) is None
                    or not _scalar(f.get("destination"))):
                ctx.error(f"files: entry {i + 1} needs a source and a destination", files, i)
                return False
            for key in f:
                if key not in ("source", "destination"):
                    ctx.skip(d, "appspec: files option", f"files: '{key}' of {f['source']} is not an appspec "
                             "files setting (source and destination); not converted", f, key)
            src = _scalar(f["source"]) or "/"
            dst = _scalar(f["destination"])
            d.stmt("copy", v(src), "to", v(dst))
            rec["files"].append([src, dst])
    perms = data.get("permissions")
    if perms is not None:
        if not isinstance(perms, list):
            ctx.error("permissions is not a list", data, "permissions", hint="Write '- object: /path' with owner, "
                      "group and mode.")
            return False
        if windows and perms:
            ctx.skip(d, "appspec: permissions on windows", "permissions on Windows instances (the CodeDeploy "
                     "agent fails such a deployment)", data, "permissions")
            perms = []
        for i, p in enumerate(perms):
            if not isinstance(p, dict) or not _scalar(p.get("object")):
                ctx.error(f"permissions: entry {i + 1} has no object", perms, i)
                return False
            obj = _scalar(p["object"])
            narrowing = [k for k in ("pattern", "except", "type") if k in p
                         and not (k == "pattern" and p[k] == "**")
                         and not (k == "type" and sorted(map(str, _list(p[k]))) == ["directory", "file"])]
            if narrowing:
                ctx.skip(d, "appspec: permission option",
                         f"permission {obj}: {', '.join(narrowing)} (which files it applies to) has no .pipe form; "
                         "the whole permission is left out rather than applied to every file", p, narrowing[0])
                continue
            words = ["permission", v(obj)]
            owner = _scalar(p.get("owner")) if "owner" in p else None
            group = _scalar(p.get("group")) if "group" in p else None
            mode = _raw_number(ctx, p, "mode") if "mode" in p else None
            if mode is not None and not re.fullmatch(r"[0-7]{3,4}", mode):
                ctx.skip(d, "appspec: permission option", f"permission {obj}: mode {mode} is not an octal mode",
                         p, "mode")
                mode = None
            if owner:
                words += ["owner", v(owner)]
            if group:
                words += ["group", v(group)]
            if mode:
                words += ["mode", v(mode)]
            for key in p:
                if key in ("object", "owner", "group", "mode", "pattern", "type"):
                    continue
                if key in ("acls", "context"):
                    ctx.skip(d, "appspec: permission option", f"permission {obj}: {key} ("
                             f"{'access control lists' if key == 'acls' else 'the SELinux context'}) has no .pipe "
                             "form", p, key)
                else:
                    ctx.skip(d, "appspec: unknown key", f"permission {obj}: '{key}' is not a permission setting",
                             p, key)
            d.stmt(*words)
            rec["permissions"].append([obj, owner or None, group or None, mode])
    if not _ec2_hooks(ctx, d, data.get("hooks"), windows, rec):
        return False
    feb = data.get("file_exists_behavior")
    if feb is not None and str(feb).upper() != "DISALLOW":
        ctx.skip(d, "appspec: file_exists_behavior", f"file_exists_behavior {feb} (what to do with files already "
                 "on the instance); .pipe deployments use CodeDeploy's default, DISALLOW", data,
                 "file_exists_behavior")
    for key in data:
        if key not in ("version", "os", "files", "permissions", "hooks", "file_exists_behavior"):
            ctx.skip(d, "appspec: unknown key", f"'{key}' is not an EC2 appspec key", data, key)
    return True


def _function_hooks(ctx, d: Doc, data, platform: str, rec: dict) -> bool:
    key = "Hooks" if "Hooks" in data else ("hooks" if "hooks" in data else None)
    if key is None or data[key] is None:
        return True
    hooks = data[key]
    items = hooks if isinstance(hooks, list) else [hooks] if isinstance(hooks, dict) else None
    if items is None:
        ctx.error("Hooks is not a list of 'EVENT: function' entries", data, key,
                  hint="Write '- BeforeAllowTraffic: my-check-function'.")
        return False
    seen: set = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            ctx.error(f"Hooks entry {i + 1} is not 'EVENT: function'", hooks if isinstance(hooks, list) else data,
                      i if isinstance(hooks, list) else key)
            return False
        for event, fn in item.items():
            target = _scalar(fn)
            if not target:
                ctx.error(f"hook {event} names no Lambda function", item, event)
                return False
            if event not in PLATFORM_EVENTS[platform]:
                ctx.skip(d, "appspec: hook event", f"hook {event} {target}: not a lifecycle event of a {platform} "
                         f"deployment ({', '.join(PLATFORM_EVENTS[platform])})", item, event)
                continue
            if event in seen:
                ctx.skip(d, "appspec: duplicate hook", f"hook {event} is given twice; the first ({target} is the "
                         "second) is kept", item, event)
                continue
            seen.add(event)
            d.stmt("hook", EVENTS[event], v(target))
            rec["hooks"].append([EVENTS[event], target, None, None])
    rec["needs_test_listener"] = "AfterAllowTestTraffic" in seen
    return True


def _resources(ctx, d: Doc, data, kind: str):
    """(the first resource's name, its body) of type ``kind``; findings for the others."""
    key = "Resources" if "Resources" in data else "resources"
    resources = data.get(key)
    if not isinstance(resources, list) or not resources:
        ctx.error("Resources is not a list with one resource", data, key if key in data else None,
                  hint="Write 'Resources:' then '- TargetService:' (ECS) or '- my-function:' (Lambda).")
        return None
    found = None
    for i, item in enumerate(resources):
        if not isinstance(item, dict):
            ctx.error(f"Resources entry {i + 1} is not a mapping", resources, i)
            return None
        for rname, body in item.items():
            if not isinstance(body, dict):
                ctx.error(f"resource {rname} is not a mapping with Type and Properties", item, rname)
                return None
            if found is None and body.get("Type", body.get("type")) == kind:
                found = (rname, body)
            else:
                ctx.skip(d, "appspec: resource", f"resource {rname}: a deployment moves one {kind} (this one is "
                         "not converted)", item, rname)
    if found is None:
        ctx.error(f"the appspec has no resource of type {kind}", data, key)
        return None
    props = found[1].get("Properties", found[1].get("properties"))
    if not isinstance(props, dict):
        ctx.error(f"resource {found[0]} has no Properties", found[1])
        return None
    for k in found[1]:
        if k not in ("Type", "type", "Properties", "properties"):
            ctx.skip(d, "appspec: unknown key", f"resource {found[0]}: '{k}' is not a resource key", found[1], k)
    return found[0], props


def _ecs(ctx, d: Doc, data, rec: dict) -> bool:
    got = _resources(ctx, d, data, "AWS::ECS::Service")
    if got is None:
        return False
    rname, props = got
    for key, value in props.items():
        if key == "TaskDefinition":
            text = _scalar(value) or ""
            rec["task_definition"] = text
            if not _PLACEHOLDER.fullmatch(text.strip()):
                d.comment("The appspec names a fixed task definition (see the task above); pipec registers the")
                d.comment("task definition file of the input artifact (task_definition, default taskdef.json).")
                _task(ctx, "resource", f"{_header_name(d)}: put the task definition {text} in the deployed artifact "
                         f"as taskdef.json (aws ecs describe-task-definition --task-definition {text} "
                         "--query taskDefinition)")
        elif key == "LoadBalancerInfo":
            ok = isinstance(value, dict)
            cname = _scalar(value.get("ContainerName")) if ok else None
            port = value.get("ContainerPort") if ok else None
            if isinstance(port, str) and port.strip().isdigit():
                port = int(port.strip())
            if not cname or not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
                ctx.skip(d, "appspec: load balancer info", f"LoadBalancerInfo {value!r}: needs ContainerName and a "
                         "ContainerPort from 1 to 65535", props, key)
                continue
            for k in value:
                if k not in ("ContainerName", "ContainerPort"):
                    ctx.skip(d, "appspec: unknown key", f"LoadBalancerInfo: '{k}' is not a setting", value, k)
            d.stmt("container", v(cname), "port", str(port))
            rec["container"], rec["port"] = cname, port
        elif key == "PlatformVersion":
            text = _scalar(value)
            if text:
                d.stmt("platform_version", v(text))
                rec["platform_version"] = text
        elif key == "NetworkConfiguration":
            # CodeDeploy's own examples spell these keys both ways (AwsvpcConfiguration, awsvpcConfiguration)
            aws = _ci(value, "AwsvpcConfiguration")
            subnets = [_scalar(s) for s in _list(_ci(aws, "Subnets"))] if isinstance(aws, dict) else []
            groups = [_scalar(s) for s in _list(_ci(aws, "SecurityGroups"))] if isinstance(aws, dict) else []
            public = str(_ci(aws, "AssignPublicIp") or "DISABLED").upper() if isinstance(aws, dict) else ""
            if not subnets or not groups or not all(subnets) or not all(groups) or public not in (
                    "ENABLED", "DISABLED"):
                ctx.skip(d, "appspec: network", "NetworkConfiguration: .pipe needs Subnets and SecurityGroups "
                         "(and AssignPublicIp ENABLED or DISABLED)", props, key)
                continue
            words = ["network", "subnets", *(v(s) for s in subnets), "security_groups", *(v(g) for g in groups)]
            if public == "ENABLED":
                words.append("public_ip")
            d.stmt(*words)
            rec["network"] = {"subnets": subnets, "security_groups": groups, "public_ip": public == "ENABLED"}
            for k in aws:
                if str(k).lower() not in ("subnets", "securitygroups", "assignpublicip"):
                    ctx.skip(d, "appspec: unknown key", f"AwsvpcConfiguration: '{k}' is not a setting", aws, k)
        elif key == "CapacityProviderStrategy":
            ctx.skip(d, "appspec: capacity provider strategy", "CapacityProviderStrategy (where the new tasks "
                     "run: Fargate, Fargate Spot or an Auto Scaling group provider) has no .pipe form; the "
                     "service's own strategy applies", props, key)
        else:
            ctx.skip(d, "appspec: ecs property", f"TargetService property '{key}' has no .pipe form", props, key)
    if "container" not in rec:
        ctx.skip(d, "appspec: load balancer info", "the appspec names no container and port (LoadBalancerInfo); "
                 "a CodeDeploy ECS deployment needs them", props)
    if not _function_hooks(ctx, d, data, "ecs", rec):
        return False
    for key in data:
        if key not in ("version", "Resources", "resources", "Hooks", "hooks"):
            ctx.skip(d, "appspec: unknown key", f"'{key}' is not an ECS appspec key", data, key)
    return True


def _lambda(ctx, d: Doc, data, rec: dict) -> bool:
    got = _resources(ctx, d, data, "AWS::Lambda::Function")
    if got is None:
        return False
    rname, props = got
    fn = _scalar(props.get("Name"))
    alias = _scalar(props.get("Alias"))
    if not fn or not alias:
        ctx.error(f"resource {rname} needs Name and Alias", props, hint="Write 'Name: my-function' and "
                  "'Alias: live'.")
        return False
    d.stmt("function", v(fn))
    d.stmt("alias", v(alias))
    rec["function"], rec["alias"] = fn, alias
    cur, tgt = _scalar(props.get("CurrentVersion")), _scalar(props.get("TargetVersion"))
    pinned = [x for x in (cur, tgt) if x and not _PLACEHOLDER.fullmatch(x.strip())]
    if len(pinned) == 2 and cur.isdigit() and tgt.isdigit() and int(cur) > 0 and int(tgt) > 0 and int(cur) != int(tgt):
        d.stmt("versions", "current", cur, "target", tgt)
        rec["versions"] = [cur, tgt]
    elif pinned:
        ctx.skip(d, "appspec: lambda versions", f"CurrentVersion {cur} / TargetVersion {tgt}: .pipe pins both "
                 "versions (two different published version numbers) or neither; the versions are found at "
                 "deploy time", props, "CurrentVersion" if "CurrentVersion" in props else "TargetVersion")
    for key in props:
        if key not in ("Name", "Alias", "CurrentVersion", "TargetVersion"):
            ctx.skip(d, "appspec: unknown key", f"resource {rname}: property '{key}' has no .pipe form", props, key)
    if not _function_hooks(ctx, d, data, "lambda", rec):
        return False
    for key in data:
        if key not in ("version", "Resources", "resources", "Hooks", "hooks"):
            ctx.skip(d, "appspec: unknown key", f"'{key}' is not a Lambda appspec key", data, key)
    return True


def deploy_body(ctx, block: Doc, data, platform: str) -> None:
    """Fill an existing ``deploy NAME to PLATFORM { }`` block from appspec ``data``: EC2 ``os``,
    ``copy``, ``permission`` and ``hook`` lines; ECS ``container``, ``platform_version``,
    ``network`` and hooks (a fixed task definition: a comment and a task); Lambda ``function``,
    ``alias``, ``versions`` and hooks. It does not write ``from``, the targets (instances, cluster,
    service, listeners, target groups) or the strategy: the caller does. An ECS appspec with an
    AfterAllowTestTraffic hook needs a ``test_listener`` from the caller
    (``ctx.mapping["deploys"][NAME]["needs_test_listener"]``). Invalid structure: ``ctx.error``."""
    rec = _rec_deploy(ctx, block, platform)
    if not isinstance(data, dict):
        ctx.error("the appspec is not a mapping", hint="An appspec starts with 'version: 0.0'.")
        return
    version = data.get("version")
    if version is None or str(version) not in ("0.0", "0"):
        ctx.skip(block, "appspec: version", f"version {version}: CodeDeploy's appspec version is 0.0; read as "
                 "0.0", data, "version" if "version" in data else None)
    if platform == "ec2":
        _ec2(ctx, block, data, rec)
    elif platform == "ecs":
        _ecs(ctx, block, data, rec)
    elif platform == "lambda":
        _lambda(ctx, block, data, rec)
    else:
        ctx.error(f"unknown compute platform {platform!r}")


# ----------------------------------------------------------------------------- standalone pipelines


def _pipeline(ctx, taken: set) -> Doc:
    pname = name(Path(ctx.file).stem, "pipeline", 100)
    ctx.pipeline_name = pname
    p = Doc(f"pipeline {pname}")
    repo = ctx.repository
    if not repo:
        p.comment("The repository is not in the file: replace OWNER/REPO.")
        _task(ctx, "repository", "replace the placeholder repository OWNER/REPO with the repository that holds "
                 f"{Path(ctx.file).name}")
        repo = "OWNER/REPO"
    p.stmt("source", "app", "github", q(repo))
    taken.add("app")
    return p


def _add_deploy(ctx, p: Doc, data, path: str, artifact: str | None, taken: set, stages: set) -> None:
    """One deploy stage for appspec ``data`` (from ``path``), deploying ``artifact`` (None: the
    repository, through a packaging build for EC2)."""
    platform = appspec_platform(data)
    if platform is None:
        raise Unsupported("appspec: unknown platform", f"{Path(path).name}: not an EC2, ECS or Lambda appspec "
                          "(no os/files/hooks, and no AWS::ECS::Service or AWS::Lambda::Function resource)", data)
    base = name(Path(path).stem, "deploy", 60)
    if platform == "ec2" and artifact is None:
        st = p.block(f"stage {unique('package', stages)}")
        bname = unique("revision", taken)
        b = st.block(f"build {bname}")
        b.comment("CodePipeline deployed the repository itself; pipec deploys a revision that a build produces")
        b.comment("(it puts the generated appspec.yml in it), so this build packages the repository's files.")
        b.stmt("build", q("echo Packaging the repository as the CodeDeploy revision"))
        artifact = unique(f"{bname}-files", taken)
        b.stmt("artifact", artifact, "files", q("**/*"))
    st = p.block(f"stage {unique('deploy', stages)}")
    dname = unique(base if base != "app" else "deploy", taken)
    d = st.block(f"deploy {dname} to {platform}")
    if platform in ("ec2", "ecs"):
        d.stmt("from", artifact or "app")
    strategy, config = DEFAULT_STRATEGY[platform]
    if platform == "ec2":
        d.comment("The appspec does not say which instances: replace the tag.")
        d.stmt("instances", "tag", "Name", "=", "REPLACE-ME-instance-tag")
        _task(ctx, "resource", f"{dname}: replace the instance tag Name = REPLACE-ME-instance-tag with the tag of "
                 "the instances to deploy to")
    elif platform == "ecs":
        d.comment("The appspec does not name the cluster, service, listener or target groups: replace them.")
        d.stmt("cluster", "REPLACE-ME-cluster")
        d.stmt("service", "REPLACE-ME-service")
        d.stmt("listener", q("REPLACE-ME-listener-arn"))
        d.stmt("target_groups", "REPLACE-ME-blue-target-group", "REPLACE-ME-green-target-group")
        _task(ctx, "resource", f"{dname}: replace REPLACE-ME-cluster, REPLACE-ME-service, REPLACE-ME-listener-arn "
                 "and the two target groups with the ECS service's")
    d.comment(f"An appspec has no strategy: this is CodeDeploy's default, {config}.")
    d.stmt("strategy", strategy)
    deploy_body(ctx, d, data, platform)
    rec = ctx.mapping.get("deploys", {}).get(dname, {})
    if platform == "ecs":
        if artifact != "app":
            _task(ctx, "resource", f"{dname}: the deployment registers taskdef.json from the artifact {artifact}; "
                  "make sure the build puts the task definition file there")
        if rec.get("needs_test_listener"):
            d.stmt("test_listener", q("REPLACE-ME-test-listener-arn"))
            _task(ctx, "resource", f"{dname}: replace REPLACE-ME-test-listener-arn with the test listener's ARN")
        if "container" not in rec:
            d.stmt("container", "REPLACE-ME-container", "port", "80")
            _task(ctx, "resource", f"{dname}: replace the container REPLACE-ME-container and port 80 with the "
                     "container and port the load balancer sends traffic to")


def import_buildspec(ctx) -> Doc | None:
    """A buildspec (with any appspecs given with it) as a whole pipeline."""
    taken: set = set()
    stages: set = set()
    p = _pipeline(ctx, taken)
    bname = unique(name(Path(ctx.file).stem, "build", 60), taken)
    if bname == "app":
        bname = unique("build", taken)
    st = p.block(f"stage {unique('build', stages)}")
    b = st.block(f"build {bname}")
    written = build_body(ctx, b, ctx.data)
    if ctx.errors:
        return None
    for a in written:
        taken.add(a.lower())
    for path, comp in sorted(ctx.companions.items()):
        text, data, kind = comp
        if kind != "appspec":
            continue
        ctx.used_companions.add(path)
        if appspec_platform(data) is None:
            ctx.skip(None, "appspec: unknown platform", f"{Path(path).name}: not an EC2, ECS or Lambda appspec; "
                     "no deploy stage for it", data)
            continue
        artifact = written[0] if written else None
        if artifact is None and appspec_platform(data) == "ecs":
            artifact = "app"
        _add_deploy(ctx, p, data, path, artifact, taken, stages)
        if ctx.errors:
            return None
    return p


def import_appspec(ctx) -> Doc | None:
    """An appspec on its own as a whole pipeline: the repository, deployed."""
    taken: set = set()
    stages: set = set()
    p = _pipeline(ctx, taken)
    _add_deploy(ctx, p, ctx.data, ctx.file, "app" if appspec_platform(ctx.data) == "ecs" else None, taken, stages)
    if ctx.errors:
        return None
    return p


__all__ = ["build_body", "appspec_platform", "deploy_body", "import_buildspec", "import_appspec"]
