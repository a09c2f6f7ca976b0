"""The GitLab importer's entry: :class:`_Pipeline` composes the configuration (:mod:`.config`),
reads when each job runs (:mod:`.conditions`), turns jobs into actions (:mod:`.jobs`) and lays
them out: one pipec stage per GitLab stage, in the order of ``stages``; inside a stage, jobs that
``needs`` another job of the same stage come after it; ``when: manual`` jobs come after an
``approve`` action; artifacts of earlier jobs are inputs (``from``) copied into the working
folder, as GitLab extracts them there.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipec.targets.escape import failing_command
from pipec import importer
from pipec.importer import Doc, q, v
from pipec.targets.gitlab.imports.common import PLACEHOLDER_REPO, SOURCE, Action, scalar
from pipec.targets.gitlab.imports.conditions import Conditions, _union
from pipec.targets.gitlab.imports.config import DEFAULT_KEYS, Config
from pipec.targets.gitlab.imports.jobs import Jobs
from pipec.targets.gitlab.imports.rules import KINDS, When

DEFAULT_STAGES = ["build", "test", "deploy"]
MAX_ACTIONS = 50       # CodePipeline's actions per stage
MAX_INPUTS = 5         # CodeBuild's input artifacts per action


class _Pipeline(Config, Conditions, Jobs):
    """One ``.gitlab-ci.yml`` being imported."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.notes = Doc("")
        self.current_notes: Doc | None = None
        self.taken: set[str] = {SOURCE}
        self.default_branch = "main"
        self.default_branch_used = False
        self.changes_at = None
        self.schedules_named = False     # the file names scheduled pipelines in a condition
        self.pipeline_variables: dict[str, tuple[str, str]] = {}

    def notes_for(self, _owner) -> Doc:
        return self.current_notes if self.current_notes is not None else self.notes

    # ------------------------------------------------------------------ entry
    def run(self) -> Doc:
        ctx = self.ctx
        self.compose()
        cfg = self.config
        wf = cfg.get("workflow") if isinstance(cfg.get("workflow"), dict) else {}
        title = scalar(wf.get("name")) if "name" in wf else None
        if not title or "$" in title:
            # the repository's name, else the file's (".gitlab-ci.yml" gives "gitlab-ci")
            repo = ctx.repository if isinstance(ctx.repository, str) and "/" in ctx.repository else None
            title = repo.rsplit("/", 1)[1] if repo else Path(ctx.file).name.lstrip(".").rsplit(".", 1)[0]
        self.pipeline = importer.name(title, "gitlab")
        ctx.pipeline_name = self.pipeline
        p = Doc(f"pipeline {self.pipeline}")
        p.stmt("mode", "parallel")
        p.items.extend(self.notes.items)
        self.notes = p
        for key, (line, col) in getattr(ctx.data, "dups", None) or ():
            at = importer.YDict()
            at.pos, at.src, at.kpos, at.vpos = (line, col), ctx.file, {}, {}
            ctx.skip(p, "gitlab: duplicate key", f"the key '{key}' is written twice in one mapping; GitLab (Ruby's "
                     "YAML) keeps the last, and so does this import", at)
        self.top_level(p, cfg, wf)
        src = Doc(f"source {SOURCE} github {q(self.repo(p))}")
        p.items.append(("block", src))
        jobs = self.read_jobs(p)
        self.triggers(p, src, wf, jobs)
        self.layout(p, jobs)
        return p

    def repo(self, p: Doc) -> str:
        repo = self.ctx.repository
        if isinstance(repo, str) and re.fullmatch(r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+", repo):
            return repo
        p.comment("Placeholder: the GitHub repository the project moves to.")
        self.ctx.task("repository", f"replace the placeholder {PLACEHOLDER_REPO} with the GitHub repository the "
                                    "project moves to (or give --repository OWNER/REPO); to keep the code on GitLab, "
                                    "write a gitlab source and run the stages 'via aws'")
        return PLACEHOLDER_REPO

    def top_level(self, p: Doc, cfg, wf):
        ctx = self.ctx
        for k in wf:
            if k not in ("rules", "name"):
                ctx.skip(p, "gitlab: workflow setting", f"workflow setting '{k}' has no .pipe equivalent", wf, k)
        defaults = cfg.get("default")
        for k in defaults if isinstance(defaults, dict) else ():
            if k not in DEFAULT_KEYS:
                ctx.skip(p, "gitlab: unknown key", f"'default: {k}' is not a key GitLab gives every job", defaults, k)
        if "services" in cfg:
            ctx.skip(p, "gitlab: services", "service containers have no CodeBuild equivalent", cfg, "services")
        glob = cfg.get("variables")
        if glob is not None and not isinstance(glob, dict):
            ctx.skip(p, "gitlab: variables", "the global variables are not a mapping", cfg, "variables")
        for name, raw in glob.items() if isinstance(glob, dict) else ():
            if isinstance(raw, dict) and ("description" in raw or "options" in raw):
                text = scalar(raw.get("value", ""))
                if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)) and text is not None:
                    desc = scalar(raw.get("description")) or ""
                    self.pipeline_variables[str(name)] = (text, desc)
                    words = ["variable", str(name), "=", q(text)]
                    if desc.strip():
                        words += ["description", q(" ".join(desc.split()))]
                    p.stmt(*words)
                    if "options" in raw:
                        ctx.skip(p, "gitlab: variable options", f"the choices of variable {name} are not enforced",
                                 raw, "options")

    # ------------------------------------------------------------------ jobs
    def read_jobs(self, p: Doc) -> list[dict]:
        """Each visible job: its key, stage, When, manual flag, actions and position."""
        ctx, cfg = self.ctx, self.config
        stages = cfg.get("stages", cfg.get("types"))
        if not (isinstance(stages, list) and all(isinstance(s, str) for s in stages)):
            if stages is not None:
                ctx.skip(p, "gitlab: stages", "'stages' is not a list of names; GitLab's default stages are used",
                         cfg, "stages")
            stages = list(DEFAULT_STAGES)
        self.stages = [".pre"] + [s for s in stages if s not in (".pre", ".post")] + [".post"]
        # one bash -n for every script of the file (a job whose script bash cannot read is not converted)
        texts, owners = [], []
        for key, job in self.job_items():
            for part in ("before_script", "script", "after_script"):
                for item in self.script_items(job, part):
                    text = scalar(item) if not isinstance(item, (dict, list)) else None
                    if text and text.strip():
                        texts.append(text.rstrip("\n"))
                        owners.append(key)
        self.not_bash = {}
        for i in sorted(importer.not_bash(texts)):
            self.not_bash.setdefault(owners[i], texts[i])
        out = []
        for key, job in self.job_items():
            self.current_notes = Doc("")
            rec = self.read_job(key, job)
            self.current_notes = None
            if rec is not None:
                out.append(rec)
        return out

    def read_job(self, key: str, job) -> dict | None:
        ctx, notes = self.ctx, self.current_notes
        cfg = self.config
        counts = ctx.mapping.setdefault("counts", {"jobs": 0, "jobs_mapped": 0, "scripts": 0, "scripts_mapped": 0})
        counts["jobs"] += 1
        counts["scripts"] += sum(len(self.script_items(job, k)) for k in ("before_script", "script", "after_script"))
        stage = scalar(job.get("stage", "test")) or "test"
        if stage not in self.stages:
            ctx.skip(notes, "gitlab: stage", f"job '{key}' is in stage '{stage}', which 'stages' does not list; it "
                     "is put after the listed stages", job, "stage")
            self.stages.insert(len(self.stages) - 1, stage)
        when = scalar(job.get("when", "on_success"))
        if "rules" in job:
            for k in ("only", "except"):
                if k in job:
                    ctx.skip(notes, "gitlab: only/except", f"job '{key}' has both rules and {k}; GitLab refuses "
                             "that, and the rules are read", job, k)
            cond, manual = self.rules_when(job, "rules", When(), f"job '{key}'")
        else:
            cond, manual = self.only_except(job, key, When()), False
        # a manual job outside rules does not hold the later stages back (allow_failure defaults to
        # true); one from rules does (allow_failure defaults to false)
        optional = when == "manual" and job.get("allow_failure", True) is not False
        manual = manual or when == "manual"
        if when in ("never", "on_failure"):
            self.notes.items.extend(notes.items)
            ctx.skip(self.notes, "gitlab: job when", f"job '{key}' runs 'when: {when}'; it is not imported "
                     + ("(it never runs)" if when == "never" else "(pipec actions run when the ones before them "
                        "succeed)"), job, "when")
            return None
        if when in ("always", "delayed"):
            ctx.skip(notes, "gitlab: job when", f"job '{key}' runs 'when: {when}'; here it runs when the actions "
                     "before it succeed", job, "when")
        if cond is None:
            self.notes.items.extend(notes.items)
            ctx.skip(self.notes, "gitlab: job never runs", f"the conditions of job '{key}' match no pipeline pipec "
                     "can start; it is not imported", job, "rules" if "rules" in job else "only")
            return None
        actions = []
        matrix = self.matrix_of(job)
        # a matrix: one action whose axes are variables of each cell (their names given, so that
        # the scripts' reads of them are known; the values are the cells')
        for combo in [dict.fromkeys(matrix[1], "")] if matrix else self.instances(key, job):
            a = self.action(key, job, combo, stage)
            if matrix:
                for n in matrix[1]:
                    a.env.pop(n, None)
                a.matrix = matrix[0]
            if "trigger" in job:
                ctx.skip(a.notes, "gitlab: trigger", f"job '{key}' starts another pipeline (a child or another "
                         "project's); import that pipeline on its own", job, "trigger")
            elif "script" not in job:
                ctx.skip(a.notes, "gitlab: job without script", f"job '{key}' has no script", job, None)
            if a.placeholder:   # its commands are for another shell (see the finding); its variables stay
                a.commands = a.commands + [failing_command(f"job {key} was not converted; see the "
                                                                    "comments above")]
            elif not a.commands:
                ctx.skip(a.notes, "gitlab: job with nothing to run", f"job '{key}' has no command that could be "
                         "converted; its one command fails until you replace it", cfg, key)
                a.commands = [failing_command(f"job {key} was not converted; see the comments above")]
                a.placeholder = True
            self.environment(a, key, job, manual)
            actions.append(a)
        actions[0].notes.items[0:0] = notes.items   # the findings about its conditions
        if not actions[0].placeholder:
            counts["jobs_mapped"] += 1
            counts["scripts_mapped"] += actions[0].scripts_mapped
        needs = job.get("needs")
        explicit = needs is not None
        names, art_from = [], []
        for i, n in enumerate(needs if isinstance(needs, list) else []):
            name = n if isinstance(n, str) else n.get("job") if isinstance(n, dict) else None
            if not isinstance(name, str):
                ctx.skip(actions[0].notes, "gitlab: needs", f"a need of job '{key}' names another pipeline or "
                         "project; it is left out", needs, i)
                continue
            names.append(name)
            if not (isinstance(n, dict) and n.get("artifacts") is False):
                art_from.append(name)
        if explicit and not isinstance(needs, list):
            ctx.skip(actions[0].notes, "gitlab: needs", f"the needs of job '{key}' are not a list", job, "needs")
            explicit = False
        deps = job.get("dependencies")
        if isinstance(deps, list):
            art_from = [d for d in deps if isinstance(d, str)]
        elif not explicit:
            art_from = None   # every job of the stages before
        return {"key": key, "stage": stage, "when": cond, "manual": manual, "actions": actions, "needs": names,
                "explicit_needs": explicit, "artifacts_from": art_from, "job": job, "optional": optional}

    def environment(self, a: Action, key, job, manual):
        ctx = self.ctx
        env = job.get("environment")
        if env is None:
            return
        name = env.get("name") if isinstance(env, dict) else env
        name = scalar(name) if not isinstance(name, (dict, list)) else None
        if not name or "$" in name:
            ctx.skip(a.notes, "gitlab: environment", f"the environment of job '{key}' is computed", job, "environment")
            return
        a.github.append(f"environment {v(name)}")
        ctx.task("reviewers", f"check the protection rules of the GitHub environment {name} (GitLab's protected "
                              "environment and deployment approvals do not carry over)")
        a.env_name = name
        a.env_url = None
        if isinstance(env, dict):
            for k, val in env.items():
                url = scalar(val) if k == "url" else None
                if k == "name":
                    continue
                if k == "url" and manual and url and "$" not in url and url.startswith(("http://", "https://")):
                    a.env_url = url
                    continue
                ctx.skip(a.notes, "gitlab: environment setting", f"environment setting '{k}' of job '{key}' has no "
                         ".pipe equivalent", env, k)

    # ------------------------------------------------------------------ triggers
    def triggers(self, p: Doc, src: Doc, wf, jobs: list[dict]):
        ctx = self.ctx
        if "rules" in wf:
            pipeline, _manual = self.rules_when(wf, "rules", When(), "the workflow")
            pipeline = pipeline or When(())
        else:
            pipeline = _union([j["when"] for j in jobs]) if jobs else When(("push", "tag", "schedule", "manual"))
            if pipeline.joined and not any(j["when"].joined for j in jobs):
                ctx.skip(src, "gitlab: conditions joined", "the jobs select pipelines by branch in some rules and by "
                         "changed paths in others; the pipeline's triggers use the wider filter", self.config, None)
        lines = pipeline.lines()
        for j in jobs:
            less = j["when"].narrower(pipeline)
            if less:
                ctx.skip(j["actions"][0].notes, "gitlab: job condition", f"on GitLab job '{j['key']}' runs in fewer "
                         f"pipelines ({'; '.join(less)}); here it runs in every run of the pipeline", j["job"],
                         "rules" if "rules" in j["job"] else "only" if "only" in j["job"] else "except")
        src.stmt("branch", v(self.default_branch))
        if self.default_branch_used:
            ctx.task("variable", f"check the default branch: $CI_DEFAULT_BRANCH is read as {self.default_branch}")
        if pipeline.kinds["schedule"] is not None and self.schedules_named:
            ctx.skip(src, "gitlab: schedule", "GitLab's pipeline schedules are project settings, not part of the "
                     "file; add an 'on schedule \"CRON\"' line for each", wf or self.config, "rules" if wf else None)
            ctx.task("resource", "copy the project's pipeline schedules (Build > Pipeline schedules) as "
                                 "'on schedule' lines")
        if self.changes_at is not None:
            ctx.skip(src, "gitlab: changes", "GitLab evaluates 'changes' as true for a new branch's first push, for "
                     "tags, schedules and 'Run pipeline'; here the paths filter applies to every push and pull "
                     "request", *self.changes_at)
        ctx.mapping["triggers"] = {k: pipeline.kinds[k] is not None for k in KINDS}
        if pipeline.widened:
            ctx.skip(src, "gitlab: too many patterns", "a filter has more patterns than CodePipeline accepts (8) and "
                     "they cannot be joined into {a,b} groups; it is left out, so the pipeline runs in more cases: "
                     + ", ".join(pipeline.widened), wf or self.config, "rules" if wf else None)
        for line in lines:
            src.stmt(line)
        if not lines:
            src.comment("No condition of the file maps to a pipec trigger: the pipeline starts only by hand.")
            src.stmt("on manual")

    # ------------------------------------------------------------------ stages
    def layout(self, p: Doc, jobs: list[dict]):
        ctx = self.ctx
        by_stage: dict[str, list[dict]] = {}
        for j in jobs:
            by_stage.setdefault(j["stage"], []).append(j)
        index = {s: i for i, s in enumerate(self.stages)}
        stage_of = {j["key"]: j["stage"] for j in jobs}
        produced: dict[str, list[str]] = {}       # job key -> artifact names, once emitted
        earlier: list[str] = []                    # jobs of the stages written so far
        stage_names: set = {"source"}
        ctx.mapping["jobs"] = {j["key"]: [a.name for a in j["actions"]] for j in jobs}
        ctx.mapping["placeholders"] = sorted(a.name for j in jobs for a in j["actions"] if a.placeholder)
        ctx.mapping["commands"] = sum(len(a.commands) + len(a.final) for j in jobs for a in j["actions"]
                                      if not a.placeholder)
        written = 0
        for stage in self.stages:
            members = by_stage.get(stage, [])
            if not members:
                continue
            level = self.levels(members, stage, stage_of, index)
            doc = Doc(f"stage {importer.unique(importer.name(stage, 'stage'), stage_names)}")
            count = 0
            for lv in sorted(set(level.values())):
                group = [j for j in members if level[j["key"]] == lv]
                autos = [a for j in group if not j["manual"] for a in j["actions"]]
                manual = [j for j in group if j["manual"]]
                for j in group:
                    self.inputs(j, produced, earlier, stage_of, index)
                    self.stricter(j, earlier, stage_of, index)
                approvals = [self.approval(j) for j in manual]
                for items in (autos, approvals, [a for j in manual for a in j["actions"]]):
                    room = MAX_ACTIONS - count
                    if len(items) > room:
                        ctx.skip(doc, "gitlab: stage too large", f"stage '{stage}' would hold more than {MAX_ACTIONS} "
                                 "actions, CodePipeline's limit; the rest are not imported", self.config, "stages")
                        items = items[:max(room, 0)]
                    if not items:
                        continue
                    parent = doc if len(items) == 1 else doc.block("parallel")
                    for item in items:
                        if isinstance(item, Doc):
                            parent.items.append(("block", item))
                        else:
                            self.emit(parent, item)
                            written += 1
                    count += len(items)
                for j in group:
                    produced[j["key"]] = [a.artifact for a in j["actions"] if a.artifact]
            earlier += [j["key"] for j in members]
            if count:
                p.items.append(("block", doc))
        if not written:
            if not self.ctx.data.get("include"):
                raise importer.Unsupported("gitlab: nothing to import", "the file has no job pipec can import (a "
                                           "file of templates only: import the .gitlab-ci.yml that uses it)",
                                           self.config, None)
            # The jobs are in included files pipec could not read: keep the pipeline's place, with
            # one action that fails until a person imports them.
            a = Action("includes", importer.unique("included-jobs", self.taken), "build")
            ctx.skip(a.notes, "gitlab: jobs in includes", "every job of this pipeline is in included files pipec "
                     "could not read (see the include findings); import them with their files, then replace this "
                     "action", self.ctx.data, "include")
            a.commands = [failing_command("the jobs of this pipeline are in included files that were "
                                                   "not imported")]
            a.placeholder = True
            ctx.mapping["placeholders"] = [a.name]
            doc = Doc("stage build")
            self.emit(doc, a)
            p.items.append(("block", doc))

    def levels(self, members, stage, stage_of, index) -> dict[str, int]:
        """Each job's place in its stage: after the jobs of the same stage it needs."""
        ctx = self.ctx
        keys = {j["key"]: j for j in members}
        level: dict[str, int] = {}

        def walk(k, seen):
            if k in level:
                return level[k]
            if k in seen:
                return 0
            deps = [n for n in keys[k]["needs"] if n in keys and n != k]
            level[k] = 1 + max((walk(d, seen | {k}) for d in deps), default=-1)
            return level[k]

        for j in members:
            walk(j["key"], frozenset())
            for n in j["needs"]:
                if n not in stage_of:
                    ctx.skip(j["actions"][0].notes, "gitlab: needs", f"job '{j['key']}' needs '{n}', which is not "
                             "an imported job of this file", j["job"], "needs")
                elif index[stage_of[n]] > index[stage]:
                    ctx.skip(j["actions"][0].notes, "gitlab: needs", f"job '{j['key']}' needs '{n}' of a later "
                             "stage, which GitLab refuses; the need is left out", j["job"], "needs")
        return level

    def stricter(self, j, earlier, stage_of, index):
        if not j["explicit_needs"]:
            return
        closure, todo = set(), list(j["needs"])
        jobs_needs = self._needs
        while todo:
            n = todo.pop()
            if n not in closure:
                closure.add(n)
                todo += jobs_needs.get(n, [])
        waits = [k for k in earlier if k not in closure]
        if waits:
            self.ctx.skip(j["actions"][0].notes, "gitlab: needs", f"on GitLab job '{j['key']}' starts as soon as "
                          f"{', '.join(j['needs']) or 'the pipeline starts'}; here it also waits for "
                          f"{', '.join(waits[:5])}{' and others' if len(waits) > 5 else ''} (stages run one after "
                          "another)", j["job"], "needs")

    @property
    def _needs(self) -> dict:
        return {k: [n for n in (job.get("needs") or []) if isinstance(n, str)]
                if isinstance(job, dict) and isinstance(job.get("needs"), list) else []
                for k, job in self.config.items() if isinstance(k, str)}

    def inputs(self, j, produced, earlier, stage_of, index):
        """The artifacts ``j`` receives: from the jobs it names (needs, dependencies) or, by default,
        from every job of the stages before, copied into the working folder."""
        wanted = j["artifacts_from"]
        sources = [k for k in (earlier if wanted is None else wanted) if k in produced]
        names = [n for k in sources for n in produced[k]]
        if not names:
            return
        if len(names) > MAX_INPUTS - 1:
            self.ctx.skip(j["actions"][0].notes, "gitlab: artifacts passed", f"job '{j['key']}' receives "
                          f"{len(names)} artifacts on GitLab; an action takes at most {MAX_INPUTS - 1} besides the "
                          f"source, so it gets {', '.join(names[:MAX_INPUTS - 1])}", j["job"],
                          "dependencies" if "dependencies" in j["job"] else "needs" if "needs" in j["job"] else None)
            names = names[:MAX_INPUTS - 1]
        for a in j["actions"]:
            a.inputs = [SOURCE] + names
            a.commands[0:0] = [f'cp -R "$CODEBUILD_SRC_DIR_{n}/." .' for n in names]

    def approval(self, j) -> Doc:
        a = j["actions"][0]
        name = importer.unique(importer.name(f"{j['key']}-approval", "approval"), self.taken)
        d = Doc(f"approve {name}")
        job = j["job"]
        msg = scalar(job.get("manual_confirmation")) if "manual_confirmation" in job else None
        d.stmt("message", q(" ".join((msg or f"Run {j['key']} (a manual job on GitLab)").split())))
        url = getattr(a, "env_url", None)
        if url:
            d.stmt("url", q(url))
        if j["optional"]:
            self.ctx.skip(d, "gitlab: manual job", f"job '{j['key']}' waits for a person on GitLab too, but there "
                          "the later stages do not wait for it (a manual job outside rules may be skipped); here they "
                          "do", job, "when")
        return d
