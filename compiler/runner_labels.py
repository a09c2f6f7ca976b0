"""What GitHub runner labels (``github { runs_on ... }``) say of the runner's operating system and
architecture, for E316 (:mod:`pipec.semantic_matrix`) and the shell of the job's steps
(:mod:`pipec.targets.github.jobs`).

Two kinds of labels tell: GitHub-hosted runner labels ("GitHub-hosted runners": ``ubuntu-*``,
``windows-*``, ``macos-*``; ``ubuntu-24.04-arm``, ``ubuntu-22.04-arm`` and ``windows-11-arm`` are
arm64) and the default labels of a self-hosted runner ("Using self-hosted runners in a workflow":
``linux``, ``windows`` or ``macOS`` for the system, ``x64``, ``ARM`` or ``ARM64`` for the
hardware). Any other label (``self-hosted``, a larger runner's own name, ``gpu``) says nothing.
"""

from __future__ import annotations

#: the GitHub-hosted labels whose architecture is known (the "-latest" ones included)
_HOSTED_ARCH = {
    "ubuntu-latest": "x86_64", "ubuntu-22.04": "x86_64", "ubuntu-24.04": "x86_64", "ubuntu-26.04": "x86_64",
    "ubuntu-22.04-arm": "arm64", "ubuntu-24.04-arm": "arm64", "ubuntu-26.04-arm": "arm64",
    "windows-latest": "x86_64", "windows-2022": "x86_64", "windows-2025": "x86_64", "windows-11-arm": "arm64",
}
#: a self-hosted runner's hardware labels ("ARM" is 32-bit ARM)
_SELF_HOSTED_ARCH = {"x64": "x86_64", "arm": "arm", "arm64": "arm64"}


def runner_platform(labels) -> tuple[str | None, str | None]:
    """``(os, arch)`` of a runner with all of ``labels``: os ``linux``, ``windows`` or ``macos``,
    arch ``x86_64``, ``arm64`` or ``arm``; None where the labels do not tell."""
    system = arch = None
    for label in labels:
        x = label.lower()
        if x == "linux" or x.startswith("ubuntu"):
            system = "linux"
        elif x == "windows" or x.startswith("windows-"):
            system = "windows"
        elif x == "macos" or x.startswith("macos-"):
            system = "macos"
        arch = _HOSTED_ARCH.get(x) or _SELF_HOSTED_ARCH.get(x) or arch
    return system, arch


def runs_bash_by_default(labels) -> bool:
    """Whether GitHub's default shell for a ``run`` step is bash on this runner: on Linux and macOS
    it is ``bash -e {0}``; on Windows, and on a runner whose labels do not say, it may be
    PowerShell ("Workflow syntax for GitHub Actions", ``defaults.run.shell``)."""
    return runner_platform(labels)[0] in ("linux", "macos")
