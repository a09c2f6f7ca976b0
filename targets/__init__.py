"""Targets: one package per platform, each emitting, reading back and importing its own files.

This module is the registry: the only place a target or an importer is named. Each platform
package has the same shape:

==================  ============================================================================
module              what it holds
==================  ============================================================================
``emit``            ``emit(pipeline, ctx) -> {relative path: text}``: every file of the target
                    (each starting with pipec's header), and ``read(out_dir, ...)``, which hands
                    over to the read side
``read``            the target's files on disk back into the normal form (:mod:`pipec.plan`)
``imports``         files people wrote by hand for that platform, into ``.pipe``
``patterns``        the platform's glob and trigger-filter dialect, translated from pipec's
==================  ============================================================================

plus what is the platform's own: for AWS the buildspec and appspec formats with their JSON
Schemas (``aws/schemas``), CloudFormation reading (``cfn``), the templates' security defaults
(``security``) and the buildspec/appspec importers (``spec_imports``); for GitHub the action pins
(``actions.json``) and the companion template's once-per-account resources (``account``).
What every target shares sits beside the packages: :mod:`pipec.targets.escape`, the escaping
function for each place a user's string lands.

Modules are imported only when a command needs them, so ``pipec check`` never loads troposphere:
it asks each target's ``diagnose`` module (:data:`DIAGNOSERS`) for what emitting would report.

To add a target: write ``targets/<name>/`` with at least ``emit.py`` (``emit`` and ``read``), add
it to :data:`TARGETS` (and its importers to :data:`IMPORTERS`), add golden files for every example
under ``tests/golden/``, and document its mapping in docs/targets.md.
"""

from __future__ import annotations

import importlib


#: target name -> its emit module. ``pipec build --target all`` runs every target here, in this order.
TARGETS: dict[str, str] = {
    "aws": "pipec.targets.aws.emit",
    "github": "pipec.targets.github.emit",
}

#: target name -> its diagnose module: ``diagnose(pipeline, ctx)`` raises the errors and adds the
#: warnings its ``emit`` would, without making the files (``pipec check``, the language server)
DIAGNOSERS: dict[str, str] = {
    "aws": "pipec.targets.aws.diagnose",
    "github": "pipec.targets.github.diagnose",
}

#: kind of file ``pipec import`` reads -> "module:function" that imports it
IMPORTERS: dict[str, str] = {
    "workflow": "pipec.targets.github.imports:import_workflow",
    "buildspec": "pipec.targets.aws.spec_imports:import_buildspec",
    "appspec": "pipec.targets.aws.spec_imports:import_appspec",
    "pipeline-template": "pipec.targets.aws.imports:import_template",
    "gitlab-ci": "pipec.targets.gitlab.imports:import_gitlab",
}


#: subcommands a target provides: name -> "module:function" taking the parsed arguments
COMMANDS: dict[str, str] = {
    "pins": "pipec.targets.github.pin_lock:command",
}


def command(name: str):
    """The function behind target subcommand ``name``."""
    module, function = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), function)


def explain_difference(rel: str, expected: str, actual: str) -> list[str]:
    """Lines that say what a generated file differs in, for ``pipec build --check``, when its
    target can tell (the GitHub target: a workflow that differs only in action pins); else []."""
    if rel.startswith(".github/workflows/"):
        from pipec.targets.github import pin_lock

        return pin_lock.explain(rel, expected, actual)
    return []


#: target name -> the module that runs its output on this machine (``pipec run``)
RUNNERS: dict[str, str] = {
    "github": "pipec.targets.github.run",
}


def runner(name: str):
    """The module that runs target ``name``'s output locally (KeyError for a target without one)."""
    return importlib.import_module(RUNNERS[name])


def load(name: str):
    """The emit module of target ``name`` (KeyError for an unknown one)."""
    return importlib.import_module(TARGETS[name])


def diagnoser(name: str):
    """The diagnose module of target ``name`` (KeyError for an unknown one)."""
    return importlib.import_module(DIAGNOSERS[name])


def codedeploy_appspec(deploy) -> dict:
    """The AppSpec data CodeDeploy reads for ``deploy`` (a :class:`pipec.model.Deploy` that uses
    CodeDeploy), as plain data. Both targets write this same file, so :mod:`pipec.plan` compares
    deployments by it; it is asked for here so that the compiler names no target module."""
    from pipec.targets.aws import appspec

    return appspec.emit(deploy)


def termination_wait_minutes(strategy, platform: str) -> int | None:
    """The minutes the AWS target's deployment group keeps the original (blue) fleet or task set
    after a successful deployment with ``strategy`` on ``platform`` (TerminationWaitTimeInMinutes;
    None when it writes none): for ``pipec explain`` and the deployment timelines."""
    from pipec.targets.aws import codedeploy

    return codedeploy.termination_wait_minutes(strategy, platform)


def appspec_event_names() -> dict[str, str]:
    """pipec hook event (``validate_service``) -> AppSpec lifecycle event (``ValidateService``), in
    the order the AppSpec file lists them: for ``pipec simulate``, asked for here so that the
    compiler names no target module."""
    from pipec.targets.aws import appspec

    return dict(appspec.EVENTS)
