"""Semantic analysis: :class:`pipec.ast.Module` -> validated :class:`pipec.model.Pipeline`.

One pass over the tree builds the model and collects diagnostics; nothing stops at the first
problem. Errors and warnings are returned together, sorted by position. The checks cover names
and references, settings given twice or in conflict, both platforms' limits, deployment
strategies per compute platform, and a few teaching warnings (see docs/diagnostics.md).

Every default the language promises is applied here, so the model says everything explicitly.

:func:`analyze` is the entry point. This module walks the pipeline's top level
(:meth:`_Analyzer.run`) and hands each construct to the mixin that checks its family:

==============================  ===================================================================
:mod:`pipec.semantic_tables`    the tables and limits (:data:`PLATFORM_SETTINGS`, runtimes, hooks,
                                strategies, counts), re-exported here
:mod:`pipec.semantic_base`      the collected diagnostics and the checks every construct uses
:mod:`pipec.semantic_settings`  ``aws { }`` / ``github { }`` settings and ``allow`` lines
:mod:`pipec.semantic_sources`   sources, triggers, filters, schedules
:mod:`pipec.semantic_stages`    stages, run order, ``from`` lines, approvals and invokes
:mod:`pipec.semantic_builds`    build and test actions
:mod:`pipec.semantic_deploys`   deploy actions and strategies
:mod:`pipec.semantic_pipeline`  platform bindings and teaching warnings over the whole pipeline
==============================  ===================================================================

After the walk, :func:`analyze` adds the checks that need the finished model: resource names
(:mod:`pipec.resource_names`) and credentials written in values (:mod:`pipec.secretscan`).
"""

from __future__ import annotations

from pipec import ast, model, secretscan
from pipec.diagnostics import ERROR, Diagnostic, Diagnostics, Span, invalid_value
from pipec.patterns import check_pattern
from pipec.templates import carried, source_of
from pipec.semantic_builds import BuildChecks
from pipec.semantic_deploys import DeployChecks
from pipec.semantic_pipeline import PipelineChecks
from pipec.semantic_settings import SettingsChecks
from pipec.semantic_sources import SourceChecks
from pipec.semantic_stages import StageChecks
from pipec.semantic_tables import (HOOKS, IAM_ACTION, MAX_ACTIONS_PER_STAGE, MAX_DISPATCH_INPUTS, MAX_PATTERNS,
                                   MAX_PR_FILTERS, MAX_PUSH_FILTERS, MAX_STAGES, NAME_MAX, PLATFORM_SETTINGS,
                                   RUNTIMES, SECRETISH, STRATEGIES, TESTISH, looks_production)

#: the names other modules and the tests import from here
__all__ = ["analyze", "check_pattern", "looks_production", "PLATFORM_SETTINGS", "RUNTIMES", "HOOKS",
           "STRATEGIES", "MAX_PATTERNS", "MAX_ACTIONS_PER_STAGE", "MAX_STAGES", "MAX_DISPATCH_INPUTS",
           "MAX_PUSH_FILTERS", "MAX_PR_FILTERS", "NAME_MAX", "SECRETISH", "IAM_ACTION", "TESTISH"]


class _Analyzer(SettingsChecks, SourceChecks, StageChecks, BuildChecks, DeployChecks, PipelineChecks):
    """One analysis of one file: the pipeline's top level here, each construct in its mixin."""

    # ------------------------------------------------------------------ top level
    def header_span(self, p: ast.Pipeline) -> Span | None:
        """The words ``pipeline NAME`` of ``p`` (its span is the whole block)."""
        s, text = p.span, self.module.source
        if s is None or s.file is not None or not text:
            return None
        end = text.find(p.name, s.start_pos)
        if end < 0 or "\n" in text[s.start_pos:end]:
            return None
        end += len(p.name)
        return Span(s.line, s.column, s.line, s.column + end - s.start_pos - 1, s.start_pos, end)

    def run(self) -> model.Pipeline:
        p = self.module.pipeline
        self.check_name(p.name, p.span, "pipeline")
        mode = "superseded"
        mode_span = None
        variables: list[model.Variable] = []
        store = model.ArtifactStore()
        sources: list[model.Source] = []
        stage_nodes: list[ast.Stage] = []
        blocks: list[ast.PlatformBlock] = []
        seen: dict = {}
        var_names: dict = {}
        for item in p.body:
            if isinstance(item, ast.ModeStmt):
                if self.once(seen, "mode", item, "the execution mode"):
                    mode = item.mode
                    mode_span = item.span
            elif isinstance(item, ast.VariableStmt):
                if item.name in var_names:
                    self.err("E200", f"variable '{item.name}' is defined twice", item.span,
                             f"Rename one of them; the first is at {self.at(var_names[item.name].span)}.")
                else:
                    var_names[item.name] = item
                    self.check_name(item.name, item.span, "variable", 128)
                    if "${{" in (item.default or "") + (item.description or ""):
                        self.err("E206", f"variable '{item.name}' has '${{{{' in its default or description",
                                 item.span, "GitHub reads '${{' in a workflow_dispatch input as the start of an "
                                 "expression, and no expression is allowed there, so the workflow would not "
                                 "load. Write the text another way (for example '$ {{').")
                    variables.append(model.Variable(item.name, item.default, item.description,
                                                    span=item.span))
            elif isinstance(item, ast.StoreStmt):
                if self.once(seen, "artifact_store", item, "the artifact store"):
                    if item.bucket is None and item.key is None:
                        self.err("E205", "the artifact store needs a bucket, a key or both", item.span,
                                 'Write \'artifact_store bucket "my-artifacts"\' to use an existing bucket, '
                                 '\'artifact_store key "alias/pipeline"\' to have pipec create one encrypted '
                                 "with that KMS key, or both.")
                    store = model.ArtifactStore(item.bucket, item.key)
            elif isinstance(item, ast.Source):
                sources.append(self.source(item))
            elif isinstance(item, ast.Stage):
                stage_nodes.append(item)
            elif isinstance(item, ast.PlatformBlock):
                blocks.append(item)
        aws, github, stray = self.settings(blocks, "pipeline")
        # the runner of jobs that name none, for E316 (semantic_matrix.runner_checks)
        self.pipeline_runs_on = next((item for block in blocks if block.platform == "github" for item in block.body
                                      if isinstance(item, ast.Setting) and item.key == "runs_on"), None)
        for s in stray:  # grammar allows secret lines in github blocks; not at pipeline level
            self.err("E207", "secrets belong to the build or test action that uses them", s.span,
                     "Move this 'secret' line into the github { } block of that action.")
        if len(variables) > MAX_DISPATCH_INPUTS:
            self.err("E409", f"pipeline '{p.name}' has {len(variables)} variables", variables[MAX_DISPATCH_INPUTS].span,
                     f"GitHub accepts at most {MAX_DISPATCH_INPUTS} workflow_dispatch inputs, and each variable is "
                     "one. Combine related settings into one variable (for example a JSON value).")
        if not sources:
            self.err("E300", f"pipeline '{p.name}' has no source", p.span,
                     "Add a source before the first stage, for example: "
                     'source app github "my-org/my-repo" { branch main }.')
        if not stage_nodes:
            self.err("E301", f"pipeline '{p.name}' has no stages", p.span,
                     "A pipeline needs at least two stages: the sources (made from the 'source' "
                     "lines) and at least one stage with an action, such as a build.")
        # CodePipeline's stages: the sources' stage and every stage not bound to GitHub
        on_aws = [st for st in stage_nodes if getattr(st, "via", None) != "github"]
        if len(on_aws) + 1 > MAX_STAGES:  # the sources make CodePipeline's first stage
            self.err("E303", f"pipeline '{p.name}' has {len(on_aws) + 1} stages in CodePipeline, counting the "
                     "sources' stage", on_aws[MAX_STAGES - 1].span,
                     f"CodePipeline allows at most {MAX_STAGES} stages in a pipeline, the source stage "
                     "included; merge stages, or split the pipeline into several .pipe files.")
        self.unique([(s.name, s.span) for s in sources], "source")
        self.check_schedules(sources)

        # stages and actions
        self.produced: dict[str, tuple] = {}  # artifact -> (stage index, run order, action name, span, binding)
        for s in sources:
            self.produced[s.name] = (-1, 0, s.name, s.span, None)
        stage_names: dict = {}
        action_names: dict = {}
        for s in sources:
            action_names[s.name] = s
        stages = []
        for index, st in enumerate(stage_nodes):
            if st.name in stage_names:
                self.err("E200", f"stage '{st.name}' is defined twice", st.span,
                         f"Stage names must be unique; the first is at {self.at(stage_names[st.name].span)}.")
            stage_names[st.name] = st
            if st.name.lower() == "source":
                self.err("E200", "the stage name 'source' is taken by the sources", st.span,
                         "pipec puts the source actions in a first stage named Source; choose another name.")
            self.check_name(st.name, st.span, "stage")
            stages.append(self.stage(st, index, action_names, sources))
        self.check_bindings(sources, stages)
        pipeline = model.Pipeline(
            name=p.name, sources=tuple(sources), stages=tuple(stages), mode=mode,
            variables=tuple(variables), artifact_store=store, aws=aws, github=github,
            filename=self.file, mode_span=mode_span, header_span=self.header_span(p),
        )
        from pipec import semantic_places  # accounts and Regions: E220-E222, then the model's fields

        semantic_places.check(self.module, self.err)
        pipeline = semantic_places.place(pipeline)
        self.teaching(pipeline)
        from pipec import shell_state  # E210: one bash -n for every command of the pipeline

        builds = [a for st in stages for a in st.actions if isinstance(a, model.Build) and a.os == "linux"]
        by_file: dict[str, list] = {}  # builds expanded from a template are read in its file's text
        for b in builds:
            by_file.setdefault(source_of(self.module, b.span)[0], []).append(b)
        for file, group in by_file.items():
            source = source_of(self.module, group[0].span)[1]
            self.diags.extend(carried(shell_state.syntax(group, file, source), group[0].span))
        return pipeline


def _later_producers(module: ast.Module) -> dict[str, tuple[str, Span]]:
    """Every artifact produced anywhere in the file: name -> (action name, span). Used to tell
    'used before it is produced' (E202) from 'unknown' (E201)."""
    out: dict[str, tuple[str, Span]] = {}

    def visit(items):
        for it in items:
            if isinstance(it, ast.Stage):
                visit(it.body)
            elif isinstance(it, ast.Parallel):
                visit(it.body)
            elif isinstance(it, ast.BuildAction):
                for b in it.body:
                    if isinstance(b, ast.ArtifactStmt):
                        out.setdefault(b.name, (it.name, b.span))
            elif isinstance(it, ast.InvokeAction):
                for b in it.body:
                    if isinstance(b, ast.Field) and b.keyword == "artifact":
                        out.setdefault(b.value, (it.name, b.span))

    visit(module.pipeline.body)
    return out
def analyze(module: ast.Module) -> tuple[model.Pipeline, list[Diagnostic]]:
    """Build the validated model. Returns ``(pipeline, warnings)``; raises
    :class:`~pipec.diagnostics.Diagnostics` with every error and warning when there are errors."""
    an = _Analyzer(module)
    an._later_producers = _later_producers(module)
    pipeline = an.run()
    if not any(d.severity == ERROR for d in an.diags):
        from pipec import resource_names

        def invalid(node, what, value, rule):
            an.err("E206", invalid_value(value, what), getattr(node, "span", None),
                   f"The {what} must be {rule}.")

        resource_names.check(pipeline, invalid)
    # W503 from the values themselves (pipec.secretscan); it replaces the name-based W503 of the
    # same line, since it says more precisely what and where the secret is
    found = secretscan.check(module)
    by_value = {span for span, _ in found}
    diags = [d for d in an.diags if not (d.code == "W503" and d.span in by_value)] + [d for _, d in found]
    # detect-secrets' inline allowlist comment ('# pragma: allowlist secret') silences W503 there
    diags = [d for d in diags if not (d.code == "W503" and secretscan.allowlisted(source_of(module, d.span)[1], d.span))]
    from pipec import placeholders  # W601: what pipec import left for a person to fill in

    diags += placeholders.check(module.source or "", module.filename)
    diags += module.warnings  # from the expansion of templates (pipec.templates)
    diags = sorted((d.relocated() for d in diags), key=Diagnostic.sort_key)
    if any(d.severity == ERROR for d in diags):
        raise Diagnostics(diags)
    return pipeline, diags
