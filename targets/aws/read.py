"""The AWS target's read side: a CloudFormation template (with its buildspec and appspec files)
read back from disk as a :class:`pipec.plan.Plan`.

``read(out_dir, pipeline)`` parses ``out_dir/aws/<pipeline>.template.yaml`` with
:mod:`pipec.targets.aws.cfn` (short and long intrinsic forms, resolved where the template decides the
value) and the files the template points at:

- a CodeBuild project's ``Source.BuildSpec``: a path relative to the *source root* (the repository
  as CodeBuild sees it; ``out_dir`` unless told otherwise), or the buildspec's text inline;
- a ``CodeDeployToECS`` action's ``AppSpecTemplatePath``, relative to the source root;
- an EC2 deployment's appspec: the file the build producing its revision copies into the revision
  (pipec's ``cp "$CODEBUILD_SRC_DIR/..." "$CODEBUILD_SRC_DIR/BASE/appspec.yml"``), otherwise
  ``out_dir/aws/<pipeline>/appspec/<action>.yml``;
- a Lambda deployment, which pipec runs as a CodeBuild "deployer" (its buildspec's header says
  ``CodeDeploy deployer for Lambda action X``): the appspec its script hands to CodeDeploy.

The plan is what :func:`pipec.plan.from_model` computes for the same pipeline on ``aws``; the
AWS target's own machinery is removed on the way (normalisation 3: the appspec copy into an EC2
revision and the ``appspec.yml`` it adds to the revision's files; the pipeline variables passed
to every CodeBuild action), and the change-set pair of a CloudFormation deployment
(``X-change-set`` then ``X``) is one job ``X``.

Meant to grow into an importer of templates people write: long or short intrinsic forms and
missing optional keys are accepted (with CodePipeline's, CodeBuild's and CodeDeploy's documented
defaults), but anything the plan cannot express (an unknown action provider, a configuration key
pipec does not know, a value that depends on the deployment) raises :class:`ValueError` naming the
file, the resource or action, and what was not understood.

Where the code is: this module reads the template and walks the pipeline (:class:`_Reader`, with
the value and resource look-ups every part uses); its parts read the sources and triggers
(:mod:`.read_sources`), order the jobs and read the actions that have no files
(:mod:`.read_actions`), read CodeBuild projects and buildspecs (:mod:`.read_codebuild`) and
deployments and appspecs (:mod:`.read_codedeploy`); :mod:`.read_common` holds what they share.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipec import plan
from pipec.targets.aws import cfn, intrinsics
from pipec.targets.aws.read_places import PlacesReaderMixin
from pipec.targets.aws.read_actions import ActionsReaderMixin
from pipec.targets.aws.read_codebuild import CodeBuildReaderMixin
from pipec.targets.aws.read_codedeploy import CodeDeployReaderMixin
from pipec.targets.aws.read_common import Action, as_list
from pipec.targets.aws.read_sources import SourcesReaderMixin


def read(out_dir, pipeline: str | None = None, source_root=None) -> plan.Plan:
    """The plan of the AWS files under ``out_dir`` for ``pipeline`` (the only template in
    ``out_dir/aws`` when None). ``source_root``: the directory buildspec and appspec paths in the
    template are relative to (default ``out_dir``). ValueError for anything it cannot read."""
    out = Path(out_dir)
    root = Path(source_root) if source_root is not None else out
    if pipeline is None:
        found = sorted((out / "aws").glob("*.template.yaml"))
        if len(found) != 1:
            names = ", ".join(p.name for p in found) or "none"
            raise ValueError(f"{out / 'aws'}: expected exactly one *.template.yaml to read, found {names}; "
                             "name the pipeline")
        path = found[0]
    else:
        path = out / "aws" / f"{pipeline}.template.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the template ({exc.strerror or exc})") from None
    return read_template(text, out_dir=out, source_root=root, filename=str(path))


def read_template(text: str, *, out_dir, source_root=None, filename: str = "template") -> plan.Plan:
    """Like :func:`read`, from the template's ``text`` (files it references are still read from
    ``source_root``, default ``out_dir``)."""
    out = Path(out_dir)
    try:
        template = cfn.Template.from_text(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{filename}: not valid YAML or JSON: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{filename}: {exc}") from None
    reader = _Reader(template, out, Path(source_root) if source_root is not None else out, filename)
    try:
        return reader.plan()
    except (KeyError, TypeError, AttributeError, IndexError) as exc:  # a shape the reader did not expect
        raise ValueError(f"{filename}: {reader.current}: cannot read it ({type(exc).__name__}: {exc})") from exc


# ----------------------------------------------------------------------------- the reader


class _Reader(SourcesReaderMixin, ActionsReaderMixin, CodeBuildReaderMixin, CodeDeployReaderMixin, PlacesReaderMixin):
    """Reads one template into a plan (:meth:`plan`); the mixins read the parts of the pipeline."""

    def __init__(self, template: cfn.Template, out_dir: Path, source_root: Path, filename: str):
        self.t = template
        self.out = out_dir
        self.root = source_root
        self.file = filename
        #: EC2 revision artifact -> names of the CodeDeploy (EC2) actions that deploy it
        self.ec2_revisions: dict[str, set[str]] = {}
        #: EC2 revision artifact -> the appspec path (source-root relative) its build copies in
        self.copies: dict[str, str] = {}
        #: while reading a build: copy destination -> (revision artifact, deploy actions of it)
        self._copy_dests: dict[str, tuple[str, set[str]]] = {}
        #: revisions whose appspec copy :meth:`strip_copies` removed from the build being read
        self._copied: set[str] = set()
        #: what is being read, for the message of an error nothing else explains
        self.current = "the pipeline"

    # ------------------------------------------------------------------ errors and values
    def fail(self, where: str, what: str):
        raise ValueError(f"{self.file}: {where}: {what}")

    def value(self, v):
        return self.t.resolve(v)

    def text(self, v, where: str, what: str, default=None) -> str | None:
        """``v`` resolved to a plain string (numbers as written); ValueError when it depends on
        the deployment (a parameter without default, a pseudo parameter, an attribute)."""
        if v is None:
            return default
        r = self.value(v)
        if isinstance(r, cfn.Unresolved):
            self.fail(where, f"{what} depends on the deployment ({r}); pipec can read only values the "
                             "template decides")
        if isinstance(r, bool) or not isinstance(r, (str, int, float)):
            self.fail(where, f"{what} is not a single value: {r!r}")
        return str(r)

    def number(self, v, where: str, what: str, default=None) -> int | None:
        if v is None:
            return default
        r = self.value(v)
        try:
            if isinstance(r, bool):
                raise ValueError
            return int(r)
        except (TypeError, ValueError):
            self.fail(where, f"{what} is not a whole number: {r!r}")

    def resource(self, v, type_: str, where: str, what: str) -> str | None:
        """The logical ID of the resource of ``type_`` that ``v`` refers to: a Ref or GetAtt of it,
        or its name (the resolved name property); None when the template does not define it."""
        lid = intrinsics.referenced_id(v)
        if lid is not None and lid in self.t.resources:
            got = self.t.resources[lid].get("Type")
            if got != type_:
                self.fail(where, f"{what} refers to {lid}, a {got}, not a {type_}")
            return lid
        name = self.value(v)
        if not isinstance(name, str) or isinstance(name, cfn.Unresolved):
            return None
        for lid in self.t.of_type(type_):
            if self.value(intrinsics.declared_name(self.t.resources, lid)) == name:
                return lid
        return None

    def props(self, lid: str) -> dict:
        return self.t.props(lid)

    # ------------------------------------------------------------------ files
    def read_file(self, path: Path, where: str, what: str) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            self.fail(where, f"cannot read {what} {path} ({exc.strerror or exc})")

    # ------------------------------------------------------------------ the pipeline
    def pipeline(self) -> tuple[str, dict]:
        found = self.t.of_type("AWS::CodePipeline::Pipeline")
        if len(found) != 1:
            self.fail("Resources", f"expected one AWS::CodePipeline::Pipeline, found {len(found)}")
        (lid, _res), = found.items()
        return lid, self.props(lid)

    def plan(self) -> plan.Plan:
        lid, props = self.pipeline()
        where = f"pipeline {lid}"
        name = self.text(props.get("Name"), where, "Name")
        if name is None:
            self.fail(where, "has no Name (pipec reads pipelines by name)")
        self.name = name
        mode = (self.text(props.get("ExecutionMode"), where, "ExecutionMode") or "SUPERSEDED").lower()
        if mode not in ("superseded", "queued", "parallel"):
            self.fail(where, f"unknown ExecutionMode {mode.upper()}")
        self.variables = {}
        for v in as_list(props.get("Variables")):
            vname = self.text(v.get("Name"), where, "a variable's Name")
            self.variables[vname] = self.text(v.get("DefaultValue"), where, f"the default of variable {vname}")
        stages = as_list(props.get("Stages"))
        if not stages:
            self.fail(where, "has no Stages")
        sources: dict[str, Action] = {}
        work: list[tuple[str, list[Action]]] = []
        names = [st.get("Name") for st in stages]
        dupes = sorted({str(n) for n in names if names.count(n) > 1})
        if dupes:
            self.fail(where, f"stage names used twice: {', '.join(dupes)}")
        for st in stages:
            sname = st.get("Name")
            actions = []
            for decl in as_list(st.get("Actions")):
                self.current = f"action {decl.get('Name')!r} (stage {sname!r})"
                actions.append(Action(sname, decl, self.current))
            if not actions:
                self.fail(where, f"stage {sname!r} has no actions")
            kinds = {a.category == "Source" for a in actions}
            if kinds == {True}:
                if work:
                    self.fail(f"stage {sname!r}", "source actions are allowed only in the first stage")
                for a in actions:
                    self.check_source(a)
                    sources[a.name] = a
            elif True in kinds:
                self.fail(f"stage {sname!r}", "mixes source actions with other actions")
            else:
                work.append((sname, actions))
        if not sources:
            self.fail(where, "has no Source stage")
        self.sources = sources
        held_stages = {}
        for d in as_list(props.get("DisableInboundStageTransitions")):
            sname = self.text(d.get("StageName"), where, "DisableInboundStageTransitions StageName")
            if sname not in {s for s, _ in work}:
                self.fail(where, f"DisableInboundStageTransitions names stage {sname!r}, which is not a "
                                 "stage after the source stage")
            held_stages[sname] = True
        for _, actions in work:
            for a in actions:
                if a.provider == "CodeDeploy" and a.category == "Deploy" and a.inputs:
                    self.ec2_revisions.setdefault(a.inputs[0], set()).add(a.name)
        jobs = self.jobs(work, held_stages)
        # SUPERSEDED and QUEUED let one execution into a stage at a time (docs/targets.md "Stage locks")
        return plan.Plan(name, "aws", self.triggers(props, where), tuple(sorted(self.variables.items())),
                         mode, tuple(sorted(jobs, key=lambda j: j.id)), "none" if mode == "parallel" else "stage")

