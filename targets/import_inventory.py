"""What an imported file says, item by item, and where each item went (issue 25, items 2 and 4).

:func:`inventory` lists what the ORIGINAL file says, read directly from its YAML/JSON (never from
what the importer mapped): jobs, steps, commands, trigger conditions, permissions, variables,
artifacts (with their names) and environments. :func:`account` then says of each item where it is
in the import:

- ``mapped``: it is in the ``.pipe`` (the statements, not the comments): a command's text (with
  each ``${{ }}`` expression allowed to have been replaced), a job's action, a variable's name, an
  artifact's name, a trigger's ``on`` line or pattern;
- ``reported``: a finding (``# not converted``, W600) points at the item's line or at the line of
  what holds it (a command's step, a pattern's filter, a scope's ``permissions``);
- ``ignored``: a documented normalisation (docs/migration.md, "How inputs are read" and the
  ``ignored`` reasons below): read access in ``permissions``, ``id-token: write`` (pipec writes
  OIDC itself), comment lines in scripts;
- ``lost``: none of these. The silent-loss test (tests/test_import_inventory.py) requires none;
  bench/import_fidelity.py reports the share of each category that is ``mapped``.
"""

from __future__ import annotations

import re

import attrs

CATEGORIES = ("job", "step", "command", "trigger", "permission", "variable", "artifact", "environment",
              "concurrency")
#: an expression, with the single quotes around it when it is a whole quoted word (the importer
#: writes '${{ X }}' as "${X}")
_EXPR = re.compile(r"'\$\{\{[^']*?\}\}'|\$\{\{.*?\}\}", re.S)
_ESCAPE = re.compile(r"\\(.)")
_ON_LINE = {"push": "on push", "pull_request": "on pull_request", "pull_request_target": "on pull_request",
            "workflow_dispatch": "on manual", "workflow_call": "on manual", "schedule": "on schedule"}
_PR_TYPES = {"opened": "opened", "synchronize": "updated", "closed": "closed"}
_FILTERS = ("branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore")


@attrs.define
class Item:
    category: str
    text: str
    line: int | None
    anchors: set = attrs.Factory(set)     # lines a finding about it may point at
    ignored: str | None = None            # the documented reason it is not carried
    check: object = None                  # how to find it in the .pipe: a callable(code) -> bool
    status: str = "lost"
    job: str | None = None                # the workflow job it belongs to
    alt: str | None = None                # a command's documented translation (a runner-file write)


def _line(container, key) -> int | None:
    from pipec.importer import pos_of

    pos = pos_of(container, key)
    return pos[0] if pos else None


def _text(x) -> str:
    return "" if x is None else str(x)


def _code(source: str) -> str:
    """The statements of a ``.pipe`` source, comments dropped, string escapes read."""
    lines = [x for x in source.splitlines() if not x.strip().startswith("#")]
    return _ESCAPE.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), "\n".join(lines))


#: an expression the importer writes as a shell variable of the same name (an input, a variable)
_AS_VARIABLE = re.compile(r"\$\{\{\s*(?:inputs|env|vars|github\.event\.inputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _has_command(line: str):
    parts = [p.strip() for p in _EXPR.split(line) if p.strip()]
    if not parts:
        # a line of expressions only (a continuation line such as '  ${{ inputs.x }} \'): found
        # when each is there as the shell variable the importer writes for it
        names = _AS_VARIABLE.findall(line)
        whole = len(names) == len(_EXPR.findall(line))
        return lambda code: bool(names) and whole and all(f"${{{n}}}" in code or f"${n}" in code for n in names)
    return lambda code: all(p in code for p in parts)


def _has_word(word: str):
    rx = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])")
    return lambda code: bool(rx.search(code))


def _has_action(name: str):
    from pipec.importer import name as pipe_name

    rx = re.compile(rf"^\s*(?:build|test|deploy|approve|invoke)\s+{re.escape(pipe_name(name, 'job'))}(?:-\S+)?\s",
                    re.M | re.I)
    return lambda code: bool(rx.search(code))


# ----------------------------------------------------------------------------- workflows


def _workflow(data) -> list[Item]:
    out: list[Item] = []
    on = data.get("on")
    on_line = _line(data, "on")
    events = on.items() if isinstance(on, dict) else [(e, None) for e in (on if isinstance(on, list) else [on])]
    for n, (event, body) in enumerate(events):
        event = _text(event)
        key_line = _line(on, event) if isinstance(on, dict) else _line(on, n) if isinstance(on, list) else on_line
        want = _ON_LINE.get(event)
        # a trigger dropped for one of its filters is reported at that filter's key
        entries = {_line(body, i) for i in range(len(body))} if isinstance(body, list) else {
            _line(body, k) for k in body} if isinstance(body, dict) else set()
        out.append(Item("trigger", event, key_line, {key_line, on_line, *entries},
                        check=(lambda code, w=want: w is not None and w in code),
                        ignored="an empty schedule list starts no run" if event == "schedule" and
                        isinstance(body, list) and not body else None))
        if not isinstance(body, dict):
            if event == "schedule" and isinstance(body, list):
                for i, s in enumerate(body):
                    cron = _text(s.get("cron")) if isinstance(s, dict) else ""
                    ln = _line(body, i)
                    out.append(Item("trigger", f"schedule {cron}", ln, {ln, key_line},
                                    check=lambda code, c=cron: c in code))
            continue
        # a trigger left out for one of its patterns is reported at that pattern: its other
        # patterns go with it
        for fkey in _FILTERS:
            pats = body.get(fkey)
            if isinstance(pats, list) and hasattr(pats, "ipos"):
                entries |= {_line(pats, i) for i in range(len(pats))}
        out[-1].anchors |= entries
        for fkey in _FILTERS:
            pats = body.get(fkey)
            pats = [pats] if isinstance(pats, str) else pats if isinstance(pats, list) else []
            fl = _line(body, fkey)
            for i, pat in enumerate(pats):
                # the importer writes a starter workflow's $default-branch as main, with a task
                p = _text(pat).lstrip("!").replace("$default-branch", "main")
                out.append(Item("trigger", f"{event} {fkey} {pat}", _line(pats, i) if isinstance(pats, list) and
                                hasattr(pats, "ipos") else fl, {fl, key_line, *entries}, check=_has_word(p)))
        types = body.get("types")
        for t in types if isinstance(types, list) else []:
            word = _PR_TYPES.get(_text(t))
            out.append(Item("trigger", f"{event} types {t}", _line(body, "types"), {_line(body, "types"), key_line},
                            check=lambda code, w=word: w is not None and re.search(rf"on pull_request\b.*\b{w}\b",
                                                                                  code) is not None))
        inputs = body.get("inputs")
        for name in inputs if isinstance(inputs, dict) else []:
            ln = _line(inputs, name)
            out.append(Item("variable", f"input {name}", ln, {ln}, check=_has_word(f"variable {name}")))
    out += _permissions(data, None)
    out += _concurrency(data, None)
    out += _env(data.get("env"), {_line(data, "env")})
    jobs = data.get("jobs") if isinstance(data.get("jobs"), dict) else {}
    for key, job in jobs.items():
        if not isinstance(job, dict):
            continue
        start = len(out)
        out += _job(key, job, jobs)
        for it in out[start + 1:]:
            it.job = _text(key)
    return out


def _job(key, job, jobs) -> list[Item]:
    out: list[Item] = []
    if True:
        jl = _line(jobs, key)
        # a finding about the whole job points at its key, its condition, its matrix or its call
        janchors = {jl, *(_line(job, k) for k in ("if", "strategy", "uses", "runs-on") if k in job)}
        out.append(Item("job", _text(key), jl, janchors, check=_has_action(_text(key))))
        out += _permissions(job, jl)
        out += _concurrency(job, jl)
        out += _env(job.get("env"), {_line(job, "env"), jl})
        env = job.get("environment")
        ename = env.get("name") if isinstance(env, dict) else env
        if ename is not None:
            el = _line(job, "environment")
            out.append(Item("environment", _text(ename), el, {el, jl}, check=_has_word(f"environment {ename}")))
        steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        for i, step in enumerate(steps):
            if not isinstance(step, dict):
                continue
            sl = _line(steps, i)
            cmds = []
            if isinstance(step.get("run"), str):
                from pipec.targets.github.imports import runner_files

                real = [x.strip() for x in step["run"].splitlines() if x.strip() and not x.strip().startswith("#")]
                sid = step.get("id") if isinstance(step.get("id"), str) else None
                # a runner-file write is in the .pipe as the shell statement it stands for (runner_files.py)
                writes = dict(enumerate(real)) | {j: w for j, (w, _o) in (
                    runner_files.statements(real, sid) or {}).items()} if "GITHUB_" in step["run"] or \
                    "::set-output" in step["run"] else {}
                for line in step["run"].splitlines():
                    s = line.strip()
                    if not s:
                        continue
                    if s.startswith("#"):
                        cmds.append(Item("command", s, sl, {sl}, ignored="a comment line of a script"))
                    else:
                        alt = writes.get(real.index(s)) if s in real and writes else None
                        cmds.append(Item("command", s, sl, {sl, jl}, check=_has_command(s) if alt in (None, s) else (
                            lambda code, x=_has_command(s), y=_has_command(alt): x(code) or y(code)),
                            alt=alt if alt != s else None))
                out.append(Item("step", f"{key}[{i}] run", sl, {sl},
                                check=lambda code, cs=tuple(c for c in cmds if c.check):
                                any(c.check(code) for c in cs)))
                out += cmds
            else:
                uses = _text(step.get("uses"))
                creds = uses.split("@")[0].lower() == "aws-actions/configure-aws-credentials"
                w = step.get("with") if isinstance(step.get("with"), dict) else {}
                from pipec.targets.github.imports.actions import _setup_default

                unchanged = uses.split("@")[0].lower() == "actions/setup-node" and "node-version" not in w and \
                    _setup_default("actions/setup-node", uses, w) == ""
                out.append(Item("step", f"{key}[{i}] {uses}", sl, {sl}, check="no-finding", ignored=(
                    "pipec writes the AWS credentials of its jobs itself (an OIDC step for the jobs that use "
                    "AWS, with the role pipec creates; a task names the role the workflow assumed)") if creds
                    else "setup-node without a version leaves the runner's Node as it is (the image's, here)"
                    if unchanged else None))
                if "upload-artifact" in uses:
                    name = _text(w.get("name", "artifact")).strip()  # the action trims its inputs
                    # the .pipe name may spell '-' '_' or '.' differently; an expression (a matrix
                    # value) is each expanded cell's value there, as a .pipe name spells it
                    rx = re.compile(r"\bartifact " + r"[-_.A-Za-z0-9]+".join(
                        re.sub(r"[-_.]", "[-_.]", "".join(re.escape(ch) if ch not in "-_." else ch for ch in part))
                        for part in _EXPR.split(name)))
                    out.append(Item("artifact", name, sl, {sl, _line(w, "name")},
                                    check=lambda code, r=rx: r.search(code) is not None))
            step_env = _env(step.get("env"), {_line(step, "env"), sl})
            if _text(step.get("uses")).split("@")[0].lower() == "actions/cache":
                for it in step_env:  # read only by the cache key, which pipec does not carry (documented)
                    it.ignored = "env of a cache step: only its key reads it, and a .pipe cache has no key"
            out += step_env
    return out


def _permissions(holder, job_line) -> list[Item]:
    perms = holder.get("permissions") if isinstance(holder, dict) else None
    if perms is None:
        return []
    pl = _line(holder, "permissions")
    if isinstance(perms, str):
        ignored = None if perms.strip() == "write-all" else "read access: pipec grants its jobs what they need"
        return [Item("permission", perms, pl, {pl, job_line}, ignored=ignored)]
    out = []
    for scope, value in perms.items() if isinstance(perms, dict) else []:
        ignored = None
        if _text(value) in ("read", "none"):
            ignored = "read access: pipec grants its jobs the permissions its own steps need"
        elif _text(scope) == "id-token":
            ignored = "id-token: write: pipec writes OIDC credentials for the jobs that use AWS"
        sl = _line(perms, scope)
        out.append(Item("permission", f"{scope}: {value}", sl, {pl, job_line, sl}, ignored=ignored))
    return out


def _concurrency(holder, job_line) -> list[Item]:
    """A workflow's concurrency is ``mode`` in .pipe; a job's is a finding."""
    value = holder.get("concurrency") if isinstance(holder, dict) else None
    if value is None:
        return []
    cl = _line(holder, "concurrency")
    group = value.get("group") if isinstance(value, dict) else value
    anchors = {cl, job_line}
    if isinstance(value, dict):
        anchors |= {_line(value, k) for k in value}
    check = (lambda code: re.search(r"^\s*mode ", code, re.M) is not None) if job_line is None else None
    return [Item("concurrency", f"group {group}", cl, anchors, check=check)]


def _env(env, anchors) -> list[Item]:
    out = []
    for name in env if isinstance(env, dict) else []:
        ln = _line(env, name)
        out.append(Item("variable", _text(name), ln, {ln, *anchors}, check=_has_word(_text(name))))
    return out


# ----------------------------------------------------------------------------- AWS files


def _buildspec(data) -> list[Item]:
    out: list[Item] = []
    if "phases" not in data and isinstance(data.get("containers"), dict) and data["containers"]:
        first = next(iter(data["containers"].values()))
        data = first if isinstance(first, dict) else data
    out.append(Item("job", "buildspec", 1, {1}, check=lambda code: re.search(r"^\s*(build|test) ", code, re.M)
                    is not None))
    phases = data.get("phases") if isinstance(data.get("phases"), dict) else {}
    for pname, phase in phases.items():
        pl = _line(phases, pname)
        if not isinstance(phase, dict):
            continue
        cmds = []
        for key in ("commands", "finally"):
            lst = phase.get(key)
            for i, c in enumerate(lst if isinstance(lst, list) else []):
                cl = _line(lst, i)
                for line in _text(c).splitlines():
                    s = line.strip()
                    if s and not s.startswith("#"):
                        cmds.append(Item("command", s, cl, {cl, pl, _line(phase, key)}, check=_has_command(s)))
        out.append(Item("step", _text(pname), pl, {pl}, check=lambda code, cs=tuple(cmds):
                        any(c.check(code) for c in cs) or not cs))
        out += cmds
    env = data.get("env") if isinstance(data.get("env"), dict) else {}
    for part in ("variables", "parameter-store", "secrets-manager", "exported-variables"):
        vals = env.get(part)
        names = vals if isinstance(vals, list) else list(vals) if isinstance(vals, dict) else []
        for i, n in enumerate(names):
            ln = _line(vals, n if isinstance(vals, dict) else i)
            out.append(Item("variable", f"{part} {n}", ln, {ln, _line(env, part)}, check=_has_word(_text(n))))
    arts = data.get("artifacts") if isinstance(data.get("artifacts"), dict) else None
    if arts is not None:
        al = _line(data, "artifacts")
        if "files" in arts:
            out.append(Item("artifact", f"primary {_text(arts.get('name', ''))}".strip(), al,
                            {al, _line(arts, "name")}, check=_has_word("artifact")))
        sec = arts.get("secondary-artifacts") if isinstance(arts.get("secondary-artifacts"), dict) else {}
        for ident, spec in sec.items():
            il = _line(sec, ident)
            out.append(Item("artifact", _text(ident), il, {il}, check=_has_word(f"artifact {ident}")))
            if isinstance(spec, dict) and "name" in spec:
                nl = _line(spec, "name")
                out.append(Item("artifact", f"{ident} name {spec['name']}", nl, {nl},
                                check=_has_word(f"artifact {spec['name']}")))
    return out


def _appspec(data) -> list[Item]:
    out: list[Item] = []
    hooks = data.get("hooks")
    entries = hooks.items() if isinstance(hooks, dict) else [
        (k, x) for h in hooks if isinstance(h, dict) for k, x in h.items()] if isinstance(hooks, list) else []
    for event, scripts in entries:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", _text(event)).lower()
        out.append(Item("step", _text(event), None, set(), check=lambda code, a=_text(event), b=snake:
                        _has_word(a)(code) or _has_word(b)(code)))
        for s in scripts if isinstance(scripts, list) else [scripts]:
            loc = _text(s.get("location")) if isinstance(s, dict) else _text(s)
            if loc:
                out.append(Item("command", loc, None, set(), check=lambda code, x=loc: x in code))
    files = data.get("files")
    for i, f in enumerate(files if isinstance(files, list) else []):
        if isinstance(f, dict) and f.get("destination"):
            dest = _text(f["destination"])
            ln = _line(files, i)
            out.append(Item("artifact", f"{f.get('source')} -> {dest}", ln, {ln}, check=lambda code, d=dest: d in code))
    return out


def _template(data) -> list[Item]:
    out: list[Item] = []
    resources = data.get("Resources") if isinstance(data.get("Resources"), dict) else {}
    pipe = next((r for r in resources.values() if isinstance(r, dict)
                 and r.get("Type") == "AWS::CodePipeline::Pipeline"), None)
    props = pipe.get("Properties") if isinstance(pipe, dict) and isinstance(pipe.get("Properties"), dict) else {}
    from pipec.targets.aws import intrinsics

    sections = {k: data.get(k) if isinstance(data.get(k), dict) else None
                for k in ("Parameters", "Conditions", "Mappings")}
    ev = intrinsics.Evaluator(resources=resources, parameters=sections["Parameters"],
                              conditions=sections["Conditions"], mappings=sections["Mappings"])

    def branch(x):
        """An Fn::If item as the importer reads it: the branch the parameters' defaults choose
        (None when it cannot be evaluated: the importer reports it)."""
        while isinstance(x, dict) and list(x) == ["Fn::If"] and isinstance(x["Fn::If"], list) \
                and len(x["Fn::If"]) == 3:
            cond, yes, no = x["Fn::If"]
            value = ev.condition(cond) if isinstance(cond, str) else None
            if value is None:
                return None
            x = yes if value else no
        return x

    stages = props.get("Stages") if isinstance(props.get("Stages"), list) else []
    for si, st in enumerate(stages):
        st = branch(st)
        if not isinstance(st, dict) or not isinstance(st.get("Name"), str):
            continue  # AWS::NoValue (a branch without the stage), or a name pipec reports
        sl = _line(stages, si)
        actions = st.get("Actions") if isinstance(st.get("Actions"), list) else []
        actions = [branch(a) for a in actions]
        for ai, a in enumerate(actions):
            if not isinstance(a, dict):
                continue
            al = _line(actions, ai)
            anchors = {al, *(_line(a, k) for k in a), *(_line(a.get("Configuration"), k) for k in
                                                         (a.get("Configuration") or {}) if isinstance(
                                                             a.get("Configuration"), dict))}
            category = (a.get("ActionTypeId") or {}).get("Category") if isinstance(a.get("ActionTypeId"), dict) \
                else None
            name = _text(a.get("Name"))
            provider = a["ActionTypeId"].get("Provider") if isinstance(a.get("ActionTypeId"), dict) else None
            if category == "Source":
                out.append(Item("trigger", f"source {name} ({provider})", al, anchors,
                                check=lambda code: "source " in code))
            elif provider == "CloudFormation":  # a change set's two actions are one stack deploy
                cfg = a.get("Configuration") if isinstance(a.get("Configuration"), dict) else {}
                mode = cfg.get("ActionMode") if isinstance(cfg.get("ActionMode"), str) else "CREATE_UPDATE"
                out.append(Item("job", f"{name} (CloudFormation {mode})", al, anchors,
                                check=lambda code, f=_has_action(name): f(code) or " to cloudformation {" in code))
            else:
                out.append(Item("job", name, al, anchors, check=_has_action(name)))
            for o in a.get("OutputArtifacts") or [] if isinstance(a.get("OutputArtifacts"), list) else []:
                if isinstance(o, dict) and isinstance(o.get("Name"), str) and o["Name"]:
                    from pipec.importer import name as pipe_name

                    out.append(Item("artifact", _text(o["Name"]), al, anchors,
                                    check=_has_word(pipe_name(_text(o["Name"]), "artifact"))))
        sources_only = bool(actions) and all(isinstance(a, dict) and isinstance(a.get("ActionTypeId"), dict)
                                             and a["ActionTypeId"].get("Category") == "Source" for a in actions)
        out.append(Item("step", _text(st.get("Name")), sl, {sl, _line(st, "Name")},
                        check=(lambda code: "source " in code) if sources_only else
                        lambda code, n=_text(st.get("Name")): re.search(
                            rf"^\s*stage {re.escape(__import__('pipec.importer', fromlist=['name']).name(n, 'stage'))}\b",
                            code, re.M) is not None))
    for v in props.get("Variables") or [] if isinstance(props.get("Variables"), list) else []:
        if isinstance(v, dict) and v.get("Name"):
            out.append(Item("variable", _text(v["Name"]), _line(props, "Variables"), {_line(props, "Variables")},
                            check=_has_word(_text(v["Name"]))))
    for ti, t in enumerate(props.get("Triggers") or [] if isinstance(props.get("Triggers"), list) else []):
        tl = _line(props["Triggers"], ti)
        git = t.get("GitConfiguration") if isinstance(t, dict) else None
        for kind in ("Push", "PullRequest"):
            for f in (git or {}).get(kind) or [] if isinstance(git, dict) else []:
                for part in ("Branches", "FilePaths", "Tags"):
                    for inc in ("Includes", "Excludes"):
                        pats = ((f or {}).get(part) or {}).get(inc) if isinstance(f, dict) and isinstance(
                            f.get(part), dict) else None
                        for p in pats if isinstance(pats, list) else []:
                            out.append(Item("trigger", f"{kind} {part} {inc} {p}", tl, {tl, *(
                                _line(git, k) for k in git)}, check=_has_word(_text(p).strip("*/") or _text(p))))
    return out


_READERS = {"workflow": _workflow, "buildspec": _buildspec, "appspec": _appspec, "pipeline-template": _template}


def inventory(kind: str, data) -> list[Item]:
    """Every item the original file ``data`` (of ``kind``) says, with how to find it."""
    if not isinstance(data, dict) or kind not in _READERS:
        return []
    return _READERS[kind](data)


def account(result, data) -> list[Item]:
    """The inventory of ``data`` with each item's status in ``result`` (an import Result)."""
    items = inventory(result.kind, data)
    raw = "\n".join(x for x in (result.source or "").splitlines() if not x.strip().startswith("#"))
    read = _code(result.source or "")  # quoted strings read; a """ script is raw text
    code = read + "\n" + raw if raw else ""
    own = str(result.files[0]) if result.files else None
    lines = {u.line for u in result.unconverted if u.line is not None and (u.file is None or u.file == own)}
    placeholders = set((result.mapping or {}).get("placeholders") or [])
    never = set((result.mapping or {}).get("never") or []) - {None}
    for it in items:
        if it.ignored:
            it.status = "ignored"
            continue
        if it.check == "no-finding":
            mapped = bool(code) and not ({it.line} & lines)
        else:
            mapped = bool(code) and it.check is not None and bool(it.check(code))
        if it.category == "job" and result.kind == "workflow" and it.text in placeholders:
            mapped = False
        if mapped:
            it.status = "mapped"
        elif (it.anchors - {None}) & lines:
            it.status = "reported"
        elif (it.anchors - {None}) & never:
            it.status, it.ignored = "ignored", "a step whose condition is false at import time (runner.os...)"
    # what a job holds goes with the job: a job left out with a finding reports its steps too
    left_out = {it.text for it in items if it.category == "job" and it.status == "reported"}
    for it in items:
        if it.status == "lost" and it.job in left_out:
            it.status = "reported"
        elif it.status == "mapped" and it.check == "no-finding":
            # a uses step is mapped when nothing was said about it: not when its condition is false
            # at import (it does not run), nor when its whole job was left out
            if it.line in never:
                it.status, it.ignored = "ignored", "a step whose condition is false at import time (runner.os...)"
            elif it.job in left_out:
                it.status = "reported"
    return items


def shares(items: list[Item]) -> dict:
    """Per category: (mapped, total) over the items that are not documented normalisations."""
    out = {}
    for c in CATEGORIES:
        its = [i for i in items if i.category == c and i.status != "ignored"]
        out[c] = (sum(i.status == "mapped" for i in its), len(its))
    return out
