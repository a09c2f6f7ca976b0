"""The round trip of one import (used by bench/import_fidelity.py).

For an imported file, :func:`compare`:

1. compiles the imported ``.pipe`` and builds it for the file's own platform (a workflow for
   GitHub Actions; a buildspec, appspec or CodePipeline template for AWS) into a scratch folder;
2. reads the build back into the normal form with the target's own reader
   (``pipec.targets.github.read`` / ``pipec.targets.aws.read``): a :class:`pipec.plan.Plan`;
3. reads the ORIGINAL file directly into the same terms (the functions ``*_view`` below, which
   use the readers' own pieces where the format is the same: CodeBuild phases, GitHub filters);
4. compares the two, restricted to what the import mapped: the parts that the importer reported
   as not converted (and the jobs or actions it skipped) are left out of both sides.

Components compared, per kind:

- workflow: triggers (push, tag, pull_request, manual, with canonical filters), the jobs imported
  and their ordering (the transitive closure of ``needs``), the commands of each job (lines, in
  order, without the lines the importer adds around a step: the subshell, ``set -eo pipefail``
  (or the ``set`` line of a shell that is bash with options), the subshell with ``set +e`` and
  ``exit 0`` of ``continue-on-error: true``, the ``cd`` of a working-directory and ``export`` of
  step env; a line with a ``${{ }}``
  expression matches what the importer substituted for it);
- buildspec: phases (commands, finally, on-failure), env, secrets, artifacts, cache, reports,
  runtimes;
- appspec: the appspec CodeDeploy receives (files, permissions, hooks, os; ECS and Lambda resources);
- pipeline-template: the actions imported, their kinds and their ordering (stages and run orders).

The result is ``{"equal": bool, "reasons": [...]}``; a reason names the kind and the component
that differs (``workflow: commands``), so the benchmark can count the most frequent ones.
"""

from __future__ import annotations

import re
import shlex
import tempfile
import types
from pathlib import Path


# ----------------------------------------------------------------------------- read back


def read_back(source: str, platform: str):
    """The Plan of the imported ``source`` built for ``platform`` and read back from disk."""
    import pipec
    from pipec.build import EmitContext, generate, write

    pipeline, _ = pipec.compile_text(source, "imported.pipe")
    files = generate(pipeline, EmitContext(source="imported.pipe", prefix=""), [platform])
    with tempfile.TemporaryDirectory(prefix="pipec-rt-") as d:
        write(d, files)
        if platform == "aws":
            from pipec.targets.aws import emit as aws

            return aws.read(d, pipeline.name)
        from pipec.targets.github import emit as github

        return github.read(d, pipeline.name)


# ----------------------------------------------------------------------------- buildspec


def _phases(phases) -> tuple:
    """CodeBuild phases in normal form, read with the AWS reader's own phase reader (restricted
    to what .pipe has: the four phases, commands, finally, on-failure ABORT/CONTINUE)."""
    from pipec import model
    from pipec.targets.aws import read as aws_read

    kept = {}
    for name in model.PHASE_ORDER:
        p = phases.get(name) if isinstance(phases, dict) else None
        if not isinstance(p, dict):
            continue
        q = {k: p[k] for k in ("commands", "finally", "runtime-versions") if k in p}
        if str(p.get("on-failure", "ABORT")).upper() in ("ABORT", "CONTINUE"):
            q["on-failure"] = p.get("on-failure", "ABORT")
        kept[name] = q

    def fail(where, what):
        raise ValueError(f"{where}: {what}")

    stub = types.SimpleNamespace(fail=fail, strip_copies=lambda c: c)
    stub.commands = lambda value, where, what: aws_read._Reader.commands(stub, value, where, what)
    return aws_read._Reader.phases(stub, kept, "original")


def buildspec_view(data) -> dict:
    from pipec import plan

    env = data.get("env") if isinstance(data.get("env"), dict) else {}
    plain = tuple(sorted((str(k), str(v)) for k, v in (env.get("variables") or {}).items()))
    secrets = tuple(sorted([(str(k), "ssm", str(v)) for k, v in (env.get("parameter-store") or {}).items()]
                           + [(str(k), "secrets-manager", str(v))
                              for k, v in (env.get("secrets-manager") or {}).items()]))
    phases, runtimes = _phases(data.get("phases") or {})
    arts = data.get("artifacts") if isinstance(data.get("artifacts"), dict) else None
    outputs = []
    if arts:
        specs = [arts] if arts.get("files") else []
        specs += [s for s in (arts.get("secondary-artifacts") or {}).values() if isinstance(s, dict)]
        for s in specs:
            files = s.get("files")
            files = tuple(str(f) for f in (files if isinstance(files, list) else [files]))
            base = s.get("base-directory")
            outputs.append((files, None if base is None else str(base),
                            str(s.get("discard-paths", "no")).lower() in ("yes", "true")))
    cache = data.get("cache") if isinstance(data.get("cache"), dict) else {}
    paths = cache.get("paths") or []
    reports = []
    for r in (data.get("reports") or {}).values():
        if isinstance(r, dict):
            base = r.get("base-directory")
            files = r.get("files") or []
            files = files if isinstance(files, list) else [files]
            reports.append(tuple(f"{str(base).rstrip('/')}/{f}" if base else str(f) for f in files))
    return {
        "phases": phases,
        "env": plain,
        "secrets": secrets,
        "artifacts": tuple(sorted(outputs, key=repr)),
        "cache": tuple(sorted(plan.cache_path(str(c)) for c in (paths if isinstance(paths, list) else [paths]))),
        "reports": tuple(sorted(reports)),
        "runtimes": tuple(sorted((str(k), plan._runtime_version(str(k), str(v))) for k, v in runtimes)),
    }


def build_job_view(job) -> dict:
    sp = dict(job.spec)
    return {
        "phases": sp.get("phases", ()),
        "env": sp.get("env", ()),
        "secrets": sp.get("secrets", ()),
        "artifacts": tuple(sorted(((a.files, a.base, a.flatten) for a in sp.get("outputs", ())), key=repr)),
        "cache": sp.get("cache", ()),
        "reports": tuple(sorted(files for _name, files in sp.get("reports", ()))),
        "runtimes": sp.get("runtimes", ()),
    }


# ----------------------------------------------------------------------------- appspec


def _thaw(value):
    if isinstance(value, tuple) and value and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str)
                                                  for x in value):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def appspec_view(data) -> dict:
    """The appspec's meaning: EC2 files, permissions, hooks (location, timeout, runas) and os;
    ECS and Lambda resources and hooks. Keys compared case-sensitively, values as strings."""
    def norm(v):
        if isinstance(v, dict):
            return {str(k): norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return None if v is None else str(v)

    data = norm(data)
    out = {"os": data.get("os", "linux") if ("files" in data or "hooks" in data and "Resources" not in data) else None}
    out["files"] = [(f.get("source"), f.get("destination")) for f in data.get("files") or [] if isinstance(f, dict)]
    # restricted to what .pipe maps: entries with pattern/except/acls/context/type are reported, not mapped
    # (``pattern: "**"`` is CodeDeploy's default: every file)
    perms = [{k: v for k, v in p.items() if not (k == "pattern" and v == "**")}
             for p in data.get("permissions") or [] if isinstance(p, dict)]
    out["permissions"] = [tuple(sorted((k, str(v)) for k, v in p.items()))
                          for p in perms if set(p) <= {"object", "owner", "group", "mode"}]
    hooks = data.get("hooks") or data.get("Hooks") or {}
    if isinstance(hooks, list):  # ECS/Lambda: a list of {Hook: function}
        hooks = {k: v for h in hooks if isinstance(h, dict) for k, v in h.items()}
    out["hooks"] = {}
    for name, spec in hooks.items():
        if isinstance(spec, list):
            # a timeout that is not a number is reported, not mapped
            out["hooks"][name] = [(s.get("location"), s.get("timeout", "3600") if str(s.get("timeout", "3600")).isdigit()
                                   else None, s.get("runas")) for s in spec if isinstance(s, dict)]
        else:
            out["hooks"][name] = spec
    resources = data.get("Resources") or []
    res = []
    for r in resources if isinstance(resources, list) else []:
        for _name, body in (r.items() if isinstance(r, dict) else []):
            props = (body or {}).get("Properties") or {}
            lb = props.get("LoadBalancerInfo") or {}
            res.append(((body or {}).get("Type"), props.get("TaskDefinition"), lb.get("ContainerName"),
                        lb.get("ContainerPort"), props.get("PlatformVersion"), props.get("Name"),
                        props.get("Alias"), props.get("CurrentVersion"), props.get("TargetVersion")))
    out["resources"] = res
    return out


# ----------------------------------------------------------------------------- templates


def _after_from_layout(layout: list[list[list[str]]]) -> dict[str, frozenset]:
    """stages -> run-order groups -> action ids, as 'must finish before' sets."""
    before, done = {}, set()
    for stage in layout:
        for group in stage:
            for a in group:
                before[a] = frozenset(done)
            done.update(group)
    return before


_CATEGORY_KIND = {"Build": "build", "Test": "build", "Approval": "approval", "Invoke": "invoke"}
_DEPLOY_KIND = {"CodeDeploy": "deploy", "CodeDeployToECS": "deploy", "ECS": "deploy",
                "CloudFormation": "stack", "S3": "bucket"}


def template_view(data, mapping: dict) -> dict:
    """Imported actions (.pipe names), their kinds, and their ordering in the original template."""
    actions = mapping.get("actions") or {}
    pipeline = None
    for res in (data.get("Resources") or {}).values():
        if isinstance(res, dict) and res.get("Type") == "AWS::CodePipeline::Pipeline":
            pipeline = res
            break
    props = (pipeline or {}).get("Properties") or {}
    layout, kinds = [], {}
    for stage in props.get("Stages") or []:
        if not isinstance(stage, dict):
            continue
        groups: dict[int, list[str]] = {}
        for act in stage.get("Actions") or []:
            if not isinstance(act, dict):
                continue
            key = f"{stage.get('Name')}/{act.get('Name')}"
            if key not in actions:
                continue
            tid = act.get("ActionTypeId") or {}
            cat = tid.get("Category")
            if cat == "Source":
                continue
            name = actions[key].split("/")[-1]
            if name in kinds:  # a change set's execution: one .pipe action with its creation
                continue
            kinds[name] = _CATEGORY_KIND.get(cat) or _DEPLOY_KIND.get(tid.get("Provider"), str(cat))
            try:
                order = int(act.get("RunOrder", 1))
            except (TypeError, ValueError):
                order = 1
            groups.setdefault(order, []).append(name)
        if groups:
            layout.append([groups[k] for k in sorted(groups)])
    return {"kinds": kinds, "after": _after_from_layout(layout)}


def plan_template_view(back, names) -> dict:
    jobs = {j.id: j for j in back.jobs}
    keep = {n for n in names if n in jobs}
    return {"kinds": {n: jobs[n].kind for n in names if n in jobs},
            "after": {n: frozenset(jobs[n].after) & keep for n in keep}}


# ----------------------------------------------------------------------------- workflows


_DOWNLOAD_COPY = re.compile(r'mkdir -p .* && cp -R "\$CODEBUILD_SRC_DIR_[A-Za-z0-9_]+/\." ')
#: the set line of the subshell the importer writes around a step: -e and pipefail, or the options
#: of a shell that is bash with options (targets/github/imports/shells.py)
_WRAP_HEAD = re.compile(r"set [-+]e(o pipefail| -o pipefail)?( -[uvx]+)?$")


def _workflow_triggers(on, mapped: dict) -> frozenset:
    """The original's triggers, read with the GitHub reader's own trigger reader, restricted to
    the events the importer converted (pull_request: the event types pipec has)."""
    from pipec.targets.github.read import common as read_common
    from pipec.targets.github.read import triggers as read_triggers

    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = {e: None for e in on}
    kept = {}
    for event, body in (on or {}).items():
        if event not in ("push", "pull_request", "workflow_dispatch", "schedule") or not mapped.get(event):
            continue
        if event == "schedule":  # the crons the importer could convert (the others are findings)
            from pipec import cron

            crons, seen = [], set()
            for entry in body if isinstance(body, list) else []:
                try:
                    text = str(entry["cron"])
                    if cron.interval(text) >= cron.MIN_INTERVAL and cron.canonical(text) not in seen:
                        seen.add(cron.canonical(text))
                        crons.append({"cron": text})
                except (cron.CronError, KeyError, TypeError):
                    continue
            kept[event] = crons[:cron.MAX_SCHEDULES]
            continue
        body = dict(body) if isinstance(body, dict) else {}
        allowed = {"branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore", "types"}
        body = {k: (["main" if p == "$default-branch" else p for p in x] if isinstance(x, list) else x)
                for k, x in body.items() if k in allowed}  # starter templates: main (a task says so)
        if event == "pull_request":
            kinds = body.get("types", ["opened", "synchronize", "reopened"])
            kinds = [kinds] if isinstance(kinds, str) else kinds
            body["types"] = [t for t in kinds if t in read_triggers.PR_EVENTS]
        if event == "workflow_dispatch":
            body = {}
        kept[event] = body
    stub = types.SimpleNamespace(where=read_common._Where("original"), need_source=lambda where, why: "app",
                                 dispatch_inputs=lambda where, body: None)
    stub.push = lambda where, body: read_triggers.Triggers.push(stub, where, body)
    stub.pull_request = lambda where, body: read_triggers.Triggers.pull_request(stub, where, body)
    stub.schedule = read_triggers.Triggers.schedule
    stub._pair = read_triggers.Triggers._pair
    return read_triggers.Triggers.triggers(stub, kept) if kept else frozenset()


def _script_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip() and not ln.strip().startswith("#")]


def workflow_view(data, mapping: dict, sequential_matrix: bool = True) -> dict | None:
    from pipec.targets.github.imports import runner_files, shells

    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        return None
    placeholders = set(mapping.get("placeholders") or ())
    actions = {k: [a for a in names if a not in placeholders] for k, names in (mapping.get("jobs") or {}).items()}
    compared = {a for names in actions.values() for a in names}

    def needs(k):
        n = jobs.get(k, {}).get("needs") if isinstance(jobs.get(k), dict) else None
        return [n] if isinstance(n, str) else [x for x in n or [] if isinstance(x, str)]

    def closure(k, seen=None):
        seen = set() if seen is None else seen
        for n in needs(k):
            if n not in seen:
                seen.add(n)
                closure(n, seen)
        return seen

    after = {}
    for k, names in actions.items():
        before = {a for j in closure(k) for a in actions.get(j, [])}
        strategy = jobs[k].get("strategy") if isinstance(jobs[k], dict) else None
        one_at_a_time = (sequential_matrix and isinstance(strategy, dict)
                         and str(strategy.get("max-parallel")) == "1")
        for n, a in enumerate(names):
            # a matrix with max-parallel 1 runs its combinations one after another, in order
            after[a] = frozenset((before | (set(names[:n]) if one_at_a_time else set())) & compared)
    commands = {}
    for k, names in actions.items():
        steps = jobs[k].get("steps") or []
        for a in names:
            kept = (mapping.get("steps") or {}).get(a, [])
            main = [i for i, final in kept if not final]
            final = [i for i, f in kept if f]
            lines = []
            defaults = [((d.get("defaults") or {}).get("run") or {}) if isinstance(d, dict) else {}
                        for d in (jobs[k], data)]
            for i in main + final:
                step = steps[i] if i < len(steps) and isinstance(steps[i], dict) else {}
                run = step.get("run")
                if run is None:
                    continue
                # a step's working-directory and env are lines of its script in .pipe
                wd = step.get("working-directory", defaults[0].get("working-directory",
                                                                   defaults[1].get("working-directory")))
                if wd not in (None, "", ".") and not re.fullmatch(r"\$\{\{\s*github\.workspace\s*\}\}/?", str(wd)):
                    shell = step.get("shell", defaults[0].get("shell", defaults[1].get("shell")))
                    options = shells.bash_options(shell) if isinstance(shell, str) else None
                    # (the workspace is the folder a job starts in; without -e the cd stops the step itself)
                    lines.append(f"cd {shlex.quote(str(wd))}" + (" || exit" if options and not options[0] else ""))
                lines += [f"export {n}=${{{{ value }}}}" for n in (step.get("env") or {})]
                script = _script_lines(str(run))
                # runner-file writes as the shell statements the importer writes (a documented mapping:
                # targets/github/imports/runner_files.py)
                sid = step.get("id") if isinstance(step.get("id"), str) else None
                translated = [a, i] in (mapping.get("runner_statements") or [])
                writes = runner_files.statements(script, sid) if translated else None
                lines += [writes[j][0] if writes and j in writes else x for j, x in enumerate(script)]
            commands[a] = tuple(lines)
    return {"triggers": _workflow_triggers(data.get("on"), mapping.get("triggers") or {}),
            "after": after, "commands": commands}


def plan_workflow_view(back, mapping: dict, original: dict) -> dict:
    jobs = {j.id: j for j in back.jobs}
    compared = set(original["after"])
    after = {a: frozenset(jobs[a].after) & compared for a in compared if a in jobs}
    commands = {}
    guarded = set(mapping.get("guards") or ())
    from_actions = set(mapping.get("action_commands") or ())
    helpers = set(mapping.get("helper_commands") or ())
    for a in original["commands"]:
        if a not in jobs:
            continue
        lines = []
        for ph in dict(jobs[a].spec).get("phases", ()):
            cmds = ph.commands + ph.finally_commands
            if a in guarded and ph.name == "build":  # the importer's failing guard of a job condition
                cmds = cmds[1:]
            for c in cmds:
                if c.rstrip("\n") in from_actions:
                    continue  # a uses step the importer wrote as commands: compared in everything()
                if c.rstrip("\n") in helpers:
                    continue  # the runner files' emulation around a step (runner_files.emulated)
                body = c.split("\n")
                if body[:3] == ["(", "set +e", "("] and body[-2:] == ["exit 0", ")"]:
                    body = body[2:-2]  # continue-on-error: the step's subshell in one that ends with status 0
                if body[:1] == ["("] and body[-1:] == [")"] and len(body) > 2 and _WRAP_HEAD.match(body[1]):
                    body = body[2:-1]  # the importer's subshell and shell options around a step
                body = _powershell_env(body)
                for ln in body:
                    if _DOWNLOAD_COPY.match(ln.strip()) or ln.startswith('export GITHUB_ENV="$github_files/') or \
                            re.match(r'export GITHUB_(ENV|OUTPUT|PATH)="\$github_files/', ln):
                        continue
                    lines += _script_lines(ln)
        commands[a] = tuple(lines)
    triggers = back.triggers
    if not (mapping.get("triggers") or {}).get("workflow_dispatch"):
        triggers = frozenset(t for t in triggers if t.kind != "manual")  # the importer's 'no trigger' default
    return {"triggers": triggers, "after": after, "commands": commands}


_PS_SAVE = re.compile(r"\$pipec_env_([A-Za-z_][A-Za-z0-9_]*) = \$env:\1$")


def _powershell_env(body: list[str]) -> list[str]:
    """A PowerShell step's own env as the importer writes it for an ``os windows`` build
    (targets/github/imports/shells.powershell_env: the variables saved, set, the script in ``try``,
    put back in ``finally``) read as the ``export NAME=...`` lines and the script, as the original
    view writes a step's env (a documented normalisation: the lines around a step's commands)."""
    names = []
    while len(names) < len(body) and _PS_SAVE.match(body[len(names)]):
        names.append(_PS_SAVE.match(body[len(names)]).group(1))
    n = len(names)
    if not names or body[2 * n: 2 * n + 1] != ["try {"] or body[-(n + 2):] != \
            ["} finally {"] + [f"  $env:{x} = $pipec_env_{x}" for x in names] + ["}"]:
        return body
    return [f"export {x}=" for x in names] + body[2 * n + 1: -(n + 2)]


def _same_commands(original: dict, got: dict) -> bool:
    """Line by line, a line of the original that holds an expression (${{ }}) matches whatever the
    importer substituted for it."""
    if set(original) != set(got):
        return False
    for a, lines in original.items():
        back = got[a]
        if len(lines) != len(back):
            return False
        if any(o != b and "${{" not in o and not (o.startswith("export ") and b.startswith(o.split("=")[0] + "="))
               for o, b in zip(lines, back)):
            return False
    return True


# ----------------------------------------------------------------------------- everything the original says


def _strings(value, out: list) -> list:
    """Every key and string of a generated file (YAML or JSON), in order."""
    if isinstance(value, dict):
        for k, x in value.items():
            out.append(str(k))
            _strings(x, out)
    elif isinstance(value, list):
        for x in value:
            _strings(x, out)
    elif value is not None:
        out.append(str(value))
    return out


def rebuilt_text(source: str, platform: str) -> str:
    """The keys and strings of every file ``pipec build`` writes for ``platform``, one per line."""
    import yaml

    import pipec
    from pipec.build import EmitContext, generate

    pipeline, _ = pipec.compile_text(source, "imported.pipe")
    files = generate(pipeline, EmitContext(source="imported.pipe", prefix=""), [platform])
    out: list = []
    for name, content in sorted(files.items()):
        text = content if isinstance(content, str) else content.decode("utf-8", "replace")
        try:
            _strings(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)), out)
        except yaml.YAMLError:
            out.append(text)
    return "\n".join(out)


def _needles(item, kind: str) -> list[str]:
    """What must be in the rebuilt file for ``item`` to be there (read in the original's terms)."""
    from pipec import importer
    from pipec.targets.import_inventory import _EXPR

    text = item.text
    if item.category == "command":
        return [p.strip() for p in _EXPR.split(text) if p.strip()]
    if item.category == "concurrency":
        return ["concurrency"] if kind == "workflow" else [text]
    if item.category == "job" and "(CloudFormation " in text:  # a change set action: by its mode
        return [text.rsplit(" ", 1)[-1].rstrip(")")]
    if item.category == "trigger" and text.startswith("source ") and text.endswith(")"):
        return [text.rsplit("(", 1)[-1].rstrip(")")]  # a source action of the same provider
    if item.category == "artifact" and text.startswith("primary"):
        return ["artifacts", "files"]
    if item.category in ("job", "environment"):
        return [importer.name(text, "job")] if item.category == "job" else [text]
    if item.category == "variable":
        return [text.split()[-1]]
    if item.category == "artifact":
        return [importer.name(text.split()[-1], "artifact")] if kind != "appspec" else [text.split(" -> ")[-1]]
    if item.category == "trigger":
        words = text.split()
        if kind == "workflow" and len(words) == 1:
            return [{"workflow_call": "workflow_dispatch"}.get(text, text)]
        if kind == "pipeline-template" and words[0] == "source":
            return [importer.name(words[1], "source")]
        return [words[-1].lstrip("!").replace("$default-branch", "main")]
    if item.category == "step":  # a uses step: the action, at whatever ref pipec pins
        if kind != "workflow":
            return [text]
        action = text.split("] ")[-1].split("@")[0]
        from pipec.targets.github.imports.third_party import AS_COMMANDS

        # an action the importer maps to its commands (third_party.py): those commands, not the action
        return [AS_COMMANDS.get(action.lower(), action)]
    return [text]


def _norm(text: str, item) -> str:
    """Artifact names compared with '-', '_' and '.' alike (a documented normalisation: pipec names
    are made of letters, digits, '-' and '_', and the importer may spell one for another)."""
    if item is not None and item.category != "artifact":
        return text
    return re.sub(r"[-_.]", "-", text)


def everything(result, path: str, text: str | None) -> dict:
    """Issue 25 item 6: each item the ORIGINAL says (pipec.targets.import_inventory: triggers, jobs, steps,
    commands, permissions, variables, environments, concurrency, artifacts) compared with the
    file rebuilt for the original's platform: ``equal`` (it is in the rebuilt file),
    ``normalisation`` (a documented one: the inventory's ``ignored`` reasons), ``finding`` (the
    import reported it) or ``loss`` (none of these). Returns the counts and the first losses."""
    import attrs

    from pipec import importer
    from pipec.targets.import_inventory import account

    if text is None:
        text = Path(path).read_text(encoding="utf-8")
    items = account(result, importer.load(text, path))
    rebuilt = rebuilt_text(result.source, importer.PLATFORM[result.kind])
    flat = _norm(rebuilt, None)
    counts = {"equal": 0, "normalisation": 0, "finding": 0, "loss": 0}
    losses = []
    for it in items:
        if it.status == "ignored":
            counts["normalisation"] += 1
        elif all(_norm(n, it) in (flat if it.category == "artifact" else rebuilt)
                 for n in _needles(it, result.kind)) or (it.alt is not None and all(
                     n in rebuilt for n in _needles(attrs.evolve(it, text=it.alt), result.kind))):
            counts["equal"] += 1
        elif it.status == "reported":
            counts["finding"] += 1
        elif it.category == "trigger" and it.status == "mapped" and result.kind == "workflow" and \
                len(it.text.split()) == 3 and it.text.split()[-1] == "**":
            counts["normalisation"] += 1  # a filter of '**' matches every name: the rebuilt trigger has none
        else:
            counts["loss"] += 1
            losses.append(f"{it.category}: {it.text[:80]}")
    return {"counts": counts, "losses": losses}


# ----------------------------------------------------------------------------- compare


def _trimmed(value):
    """``value`` with the final newline of every command removed: a YAML block scalar (``|``)
    ends its text with one, a ``.pipe`` script does not, and bash runs both alike."""
    from pipec import plan

    if isinstance(value, plan.Phase):
        return plan.Phase(value.name, tuple(c.rstrip("\n") for c in value.commands),
                          tuple(c.rstrip("\n") for c in value.finally_commands), value.on_failure, value.when)
    if isinstance(value, dict):
        return {k: _trimmed(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_trimmed(v) for v in value)
    return value


def compare(result, path: str, text: str | None) -> dict:
    from pipec import importer

    if text is None:
        text = Path(path).read_text(encoding="utf-8")
    data = importer.load(text, path)
    platform = importer.PLATFORM[result.kind]
    back = read_back(result.source, platform)
    kind = result.kind
    if kind == "buildspec":
        builds = [j for j in back.jobs if j.kind == "build"]
        original, got = buildspec_view(data), build_job_view(builds[0]) if builds else {}
    elif kind == "appspec":
        deploys = [j for j in back.jobs if j.kind == "deploy"]
        original = appspec_view(data)
        got = appspec_view(_thaw(dict(deploys[0].spec).get("appspec"))) if deploys else {}
        for hook, entries in original["hooks"].items():  # unmapped timeouts: left out of both sides
            if isinstance(entries, list) and isinstance(got.get("hooks", {}).get(hook), list):
                got["hooks"][hook] = [(g[0], None, g[2]) if i < len(entries) and entries[i][1] is None else g
                                      for i, g in enumerate(got["hooks"][hook])]
    elif kind == "pipeline-template":
        original = template_view(data, result.mapping)
        got = plan_template_view(back, list(original["kinds"]))
    else:
        # max-parallel 1 beside other jobs is reported (not converted): its combinations run in parallel
        original = workflow_view(data, result.mapping, sequential_matrix=not any(
            u.construct == "workflow: max-parallel" for u in result.unconverted))
        if original is None:
            return {"equal": False, "reasons": [f"{kind}: no reading of the original"]}
        got = plan_workflow_view(back, result.mapping, original)
        if _same_commands(original["commands"], got["commands"]):
            got["commands"] = original["commands"]
        if any(u.construct == "workflow: ordering made stricter" for u in result.unconverted) and all(
                original["after"].get(a, frozenset()) <= b for a, b in got["after"].items()):
            got["after"] = original["after"]  # reported: every original 'needs' holds, and more

    if kind == "buildspec":  # runtimes the importer reported as not converted ('latest', unknown names)
        mapped = {str(r[0]) if isinstance(r, (list, tuple)) else str(r)
                  for b in (result.mapping.get("builds") or {}).values() for r in b.get("runtimes") or ()}
        original["runtimes"] = tuple(r for r in original["runtimes"] if r[0] in mapped)
    original, got = _trimmed(original), _trimmed(got)
    reasons = [f"{kind}: {c}" for c in original if original[c] != got.get(c)]
    detail = {c: {"original": repr(original[c])[:400], "round trip": repr(got.get(c))[:400]}
              for c in original if original[c] != got.get(c)}
    return {"equal": not reasons, "reasons": reasons, "detail": detail}
