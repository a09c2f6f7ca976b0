"""A build job's platform and matrix read back (the reverse of targets/github/matrix.py).

The platform is the runner: a ``windows-*`` label is Windows x86_64, a label ending ``-arm`` is
Linux arm64, and a job whose commands run in ``shell: powershell`` is Windows whatever its label
(a self-hosted runner). A matrix is ``strategy.matrix``, its cells computed as GitHub does for
what pipec writes: the product of the axes, without the cells an ``exclude`` matches, then each
``include`` that names every axis as one more cell (an include that extends other cells, as
GitHub also allows, is not pipec's and is refused). ``fail-fast`` is true when not written, as
on GitHub.
"""

from __future__ import annotations

import itertools
import re

from pipec import plan
from pipec.runner_labels import runs_bash_by_default
from pipec.targets.github.read.common import _fail

_AXIS_VALUE = re.compile(r"\$\{\{ matrix\.([A-Za-z_][A-Za-z0-9_]*) \}\}")


class MatrixReader:
    """Part of the GitHub reader's build jobs (:mod:`.builds`)."""

    def job_matrix(self, where, job: dict) -> tuple | None:
        """The plan's matrix of ``job``'s strategy (None without one); sets the axes the job's
        env and setup steps may name."""
        self.axes = ()
        strategy = job.get("strategy")
        if strategy is None:
            return None
        if not isinstance(strategy, dict) or set(strategy) - {"fail-fast", "max-parallel", "matrix"}:
            _fail(where, "a strategy other than fail-fast, max-parallel and matrix is not understood")
        matrix = strategy.get("matrix")
        if not isinstance(matrix, dict):
            _fail(where, "strategy.matrix must be a mapping (a fromJSON matrix is not pipec's)")
        axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
        for k, v in axes.items():
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                _fail(where, f"matrix axis {k} must be a list of strings (a YAML number such as 3.10 loses digits)")
        names = list(axes)
        cells = [tuple(zip(names, values)) for values in itertools.product(*axes.values())]
        for ex in matrix.get("exclude") or []:
            cells = [c for c in cells if not set(ex.items()) <= set(c)]
        for inc in matrix.get("include") or []:
            if set(inc) != set(names):
                _fail(where, f"matrix include {inc!r} does not name every axis")
            cell = tuple((n, str(inc[n])) for n in names)
            if cell in cells:
                _fail(where, f"matrix include {inc!r} is already a cell")
            cells.append(cell)
        self.axes = tuple(names)
        limit = strategy.get("max-parallel")
        return plan.spec(cells=tuple(sorted(cells)), fail_fast=bool(strategy.get("fail-fast", True)),
                         max_parallel=None if limit is None else int(limit))

    def axis_env(self, name: str, value) -> bool:
        """Whether the job's env entry ``name: value`` is a matrix axis (``${{ matrix.NAME }}``)."""
        m = _AXIS_VALUE.fullmatch(value) if isinstance(value, str) else None
        return bool(m and m.group(1) == name and name in self.axes)

    def axis_version(self, version):
        """A setup step's version: ``${{ matrix.AXIS }}`` is the runtime version ``$AXIS``."""
        m = _AXIS_VALUE.fullmatch(version) if isinstance(version, str) else None
        return f"${m.group(1)}" if m and m.group(1) in self.axes else version

    @staticmethod
    def job_platform(where, job: dict, located) -> tuple | None:
        """(os, arch) of a build job's runner; None for Linux x86_64."""
        labels = job.get("runs-on")
        labels = [labels] if isinstance(labels, str) else list(labels or [])
        shells = {step.get("shell") for _, role, step in located if role == "command"}
        if any(str(x).startswith("ubuntu-") for x in labels) and "powershell" in shells:
            _fail(where, "PowerShell steps on a Linux runner: a Windows build runs on a windows-* runner")
        windows = any(str(x).startswith("windows-") for x in labels) or shells == {"powershell"}
        if windows:
            if shells != {"powershell"}:
                _fail(where, "a Windows build's commands run in shell: powershell, as in CodeBuild's powershell.exe")
            if (job.get("defaults") or {}) != {"run": {"shell": "bash"}}:
                _fail(where, "a Windows build job runs pipec's own steps in bash (defaults: run: shell: bash)")
            return ("windows", "x86_64")
        check_defaults(where, job, container_ok=True)
        if any(str(x).endswith("-arm") for x in labels):
            return ("linux", "arm64")
        return None


def check_defaults(where, job: dict, container_ok: bool) -> None:
    """The ``defaults`` of a job that is not a Windows build: ``run: shell: bash`` on a job whose
    runner labels name no Linux or macOS runner (pipec runs every step in bash, which such a runner
    may not use by default: :mod:`pipec.runner_labels`) and, with ``container_ok``, on a container
    job (pipec's own steps run in bash rather than the container's sh); nothing otherwise."""
    labels = job.get("runs-on")
    labels = [labels] if isinstance(labels, str) else list(labels or [])
    bash_default = {"run": {"shell": "bash"}}
    unnamed = not runs_bash_by_default(str(x) for x in labels)
    if unnamed and job.get("defaults") != bash_default:
        _fail(where, f"a job on runner labels {labels!r}, which name no Linux or macOS runner, runs its steps in "
              "bash (defaults: run: shell: bash)")
    if "defaults" in job and not ((unnamed or (container_ok and "container" in job))
                                  and job["defaults"] == bash_default):
        _fail(where, "'defaults' on this job has no pipec equivalent: pipec writes it on Windows builds, container "
              "builds and jobs on runner labels that name no system")


def action_of(name: str) -> str:
    """A matrix job's name without its cell's values: ``test / unit (PYTHON ${{ matrix.PYTHON }})``."""
    return re.sub(r" \((?:[A-Za-z_][A-Za-z0-9_]* \$\{\{ matrix\.[A-Za-z0-9_]+ \}\}(?:, )?)+\)$", "", name)
