"""The GitHub Actions target read back: the workflow (and what it needs beside it) as a
:class:`pipec.plan.Plan`.

:func:`read` parses, from disk, the workflow under ``OUT/.github/workflows/`` whose header line
says ``GitHub Actions workflow for pipeline NAME``, and where the workflow alone does not say
everything, the files beside it::

    github/NAME.template.yaml            the companion template (CodeDeploy deployment groups and
                                         configurations, SNS topics, CodeBuild projects)
    github/NAME/appspec/ACTION.yml       the appspec of each CodeDeploy deployment
    github/NAME/buildspec/ACTION.yml     the buildspec of each ``run_in_codebuild`` job

The result is meant to equal ``plan.from_model(pipeline, "github")``; tests/test_github_read.py
checks it for every example. The reader is written to grow into an importer of workflows that
people write by hand: it ignores what does not change the plan (runners, permissions, display
names, environments, pins) and refuses, with a ValueError that names the job and the step, what it
cannot map (an unknown action, a script it does not recognise, an ``if:`` it cannot read, a
GitHub pattern operator pipec lacks). It never guesses.

What it relies on, besides the normalisations of :mod:`pipec.plan`:

- *Action names* come from the job's display name ``STAGE / ACTION`` (the job key when there is
  none); an approval's ``ACTION-request`` job belongs to the approval, and ``after`` is the
  closure of ``needs`` through it.
- *The workflow's source*: the name in ``Check out NAME`` of a step that checks out the workflow's
  own repository (no ``repository:`` input). No other file names it, so a workflow whose jobs never
  check the repository out has triggers (and ``run_in_codebuild`` inputs) this reader cannot name:
  it says so instead of guessing.
- *Commands and phases*: one step (id ``phases``) runs every phase in one bash process; its script
  (:func:`read_script`) is read as pipec writes it: a known prelude, then per phase
  ``if pipec_start PHASE WHEN; then`` with the commands as ``{ CMD }; pipec_next && { CMD }``, the
  ``finally`` commands likewise, ``pipec_end PHASE ON_FAILURE`` and ``fi``. A command whose own
  text holds a line ``}; pipec_next && {`` reads as two commands (bash runs both alike). Anything
  else is refused.
- *Patterns*: ``\\c`` is ``c``; a leading ``!`` is an exclude (only after every include: GitHub's
  re-including order has no pipec form); ``X*/**/`` after a character other than ``/`` is pipec's
  ``X**/`` (the emitter's own spelling of it, the same set of values); GitHub's ``?`` and ``+``
  operators are refused. Path filters belong to branch pushes only (GitHub does not evaluate them
  for tag pushes).
- *EC2 revisions*: an ``appspec.yml`` among the files of an artifact that an EC2 deployment
  deploys is the deployment's, not the build's (the deploy job copies the generated appspec over
  it), as in ``plan.from_model``.
- *Invoke payload*: none when the step passes no ``--payload``.
- *Job conditions*: only the parts the emitter joins with ``&&`` (targets/github/guards.py): a
  repository variable ``== 'true'`` (held, W510), the branch guard of runs started by hand (the
  plan's ``manual_branch``, read from the jobs without ``needs``) and ``github.event_name !=
  'pull_request'`` (``pull_request_skips``). An approval's gate is ``closed`` when its job checks
  its environment's required reviewers before it says "Approved".
- *Concurrency*: a workflow-level group without cancelling is ``superseded`` with the whole run
  locked; a group on every job is ``superseded`` with each job locked alone (``lock: job``, which
  pipec no longer writes); none is ``parallel``.
- *Defaults GitHub documents*: a job without ``timeout-minutes`` has 360; a ``pull_request``
  without ``branches`` is for every target branch. A ``pull_request`` without ``types`` is
  refused (GitHub's default includes ``reopened``, which pipec has no event for).

Modules (each a part of the reader, which :class:`.workflow._Reader` inherits)::

    workflow    the reader's state, the whole workflow (its source, concurrency) and the plan's jobs
    triggers    on: back to triggers and variables; GitHub filter patterns as pipec patterns
    jobs        what each step of a job is (its role), and which action a job is
    builds      build jobs: inputs, env, runtimes, secrets, caches, artifacts, run_in_codebuild
    phases      phase scripts and conditions back to phases and commands
    deploys     CodeDeploy, ECS, stacks, buckets and invokes, with the companion template
    approvals   approvals and their request jobs
    common      where a message points (_Where), the job as read (_Job), plain values
"""

from __future__ import annotations


import re
from pathlib import Path

import yaml

from pipec import plan
from pipec.importer import yaml12
from pipec.targets.github.read.common import SETUP_ACTIONS
from pipec.targets.github.read.phases import read_script, split_chain
from pipec.targets.github.read.triggers import PR_EVENTS, pipec_pattern, read_filter
from pipec.targets.github.read.workflow import _Reader

#: what other modules use (the importer of hand-written workflows, tests)
__all__ = ["PR_EVENTS", "SETUP_ACTIONS", "load_workflow", "pipec_pattern", "read", "read_filter", "read_script", "split_chain",
           "workflows"]


WORKFLOW_DIR = Path(".github") / "workflows"
HEADER = re.compile(r"^# Generated by pipec from .* \(pipeline (?P<name>[^;() ]+)(; source \S+ is \S+, where this "
                    r"workflow runs)?\)\. Do not edit")


@yaml12
class WorkflowLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when available
    """A safe loader that reads scalars as GitHub does (YAML 1.2 core): booleans are only
    true/false, so the key ``on`` stays the string "on"; no timestamps; a key that appears twice
    in one mapping is an error."""


def _mapping(loader, node, deep=False):
    loader.flatten_mapping(node)
    out = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError("while reading a mapping", node.start_mark,
                                                    "a key must be a scalar", key_node.start_mark)
        if key in out:
            raise yaml.constructor.ConstructorError("while reading a mapping", node.start_mark,
                                                    f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


WorkflowLoader.add_constructor("tag:yaml.org,2002:map", _mapping)


def load_workflow(text: str):
    """A workflow's YAML as plain data, the way GitHub reads it (``on`` stays "on")."""
    return yaml.load(text, Loader=WorkflowLoader)  # noqa: S506 - a SafeLoader subclass


def workflows(out_dir) -> dict[str, Path]:
    """pipeline name -> workflow file, for every workflow under ``out_dir/.github/workflows``
    whose header line names a pipeline."""
    found: dict[str, Path] = {}
    folder = Path(out_dir) / WORKFLOW_DIR
    if not folder.is_dir():
        return found
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
        m = HEADER.match(first)
        if not m:
            continue
        name = m.group("name")
        if name in found:
            raise ValueError(f"{found[name]} and {path} both say they are the workflow for pipeline '{name}'")
        found[name] = path
    return found


def read(out_dir, pipeline: str | None = None) -> plan.Plan:
    """The plan of the GitHub Actions workflow for ``pipeline`` under ``out_dir`` (the only one
    there when ``pipeline`` is None), read from disk. ValueError for what cannot be read or
    mapped, naming the file, job and step."""
    out = Path(out_dir)
    found = workflows(out)
    if pipeline is None:
        if len(found) != 1:
            raise ValueError(f"{out / WORKFLOW_DIR}: " + (
                "no workflow generated by pipec" if not found else
                f"workflows for several pipelines ({', '.join(sorted(found))}): say which one to read"))
        pipeline = next(iter(found))
    if pipeline not in found:
        raise ValueError(f"{out / WORKFLOW_DIR}: no workflow for pipeline '{pipeline}'"
                         + (f" (there are: {', '.join(sorted(found))})" if found else ""))
    path = found[pipeline]
    try:
        data = load_workflow(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    return _Reader(out, path, pipeline, data).plan()
