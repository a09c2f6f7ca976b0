"""A build's platform (``os``, ``arch``) and ``matrix`` in its GitHub Actions job.

* The runner: ``windows-2022`` for Windows (the oldest Windows runner GitHub still offers, the
  nearest to CodeBuild's Windows Server 2019 image), ``ubuntu-24.04-arm`` for arm64; a
  ``github { runs_on ... }`` of the action wins, as for every job.
* Windows: the phases' commands run as one ``shell: powershell`` step each (Windows PowerShell,
  as CodeBuild's ``powershell.exe``; :func:`windows_steps`), and the job's other steps, pipec's
  own bash, under ``defaults: run: shell: bash`` (Git for Windows' bash on the runner).
* A matrix: ``strategy`` with the axes, ``exclude`` and ``include`` as written, ``fail-fast`` and
  ``max-parallel``; the job's name keeps the axis values readable ("test / unit (PYTHON 3.12)");
  each axis is an environment variable of the job, and a runtime version written ``$AXIS`` is
  ``${{ matrix.AXIS }}``; each cell uploads its reports under a name of its own.

GitHub's rules relied on (Workflow syntax): ``jobs.<job_id>.strategy.matrix`` (include, exclude,
at most 256 jobs), ``strategy.fail-fast`` (default true, so pipec always writes it),
``strategy.max-parallel``, ``jobs.<job_id>.defaults.run.shell``, ``steps[*].shell`` (``bash`` on
Windows is Git for Windows' bash; ``powershell`` is Windows PowerShell Desktop).
"""

from __future__ import annotations

from pipec import model
from pipec.semantic_matrix import axis_reference

#: the GitHub-hosted runner of a build's (os, arch) other than Linux x86_64
RUNNERS = {("linux", "arm64"): "ubuntu-24.04-arm", ("windows", "x86_64"): "windows-2022"}
#: the shell of a Windows build's command steps
WINDOWS_SHELL = "powershell"


def windows_steps(phases) -> list[dict]:
    """A Windows build's command steps: one PowerShell step a command (no finally or continue:
    semantic_matrix refuses them), post_build after the build phase ran, as on Linux."""
    from pipec.targets.github.phases import command_steps

    steps = command_steps(phases)
    for step in steps:
        step.pop("shell", None)
        step["shell"] = WINDOWS_SHELL
        step["run"] = step.pop("run")
    return steps


def _after(job: dict, key: str, items: dict) -> dict:
    """``job`` with ``items`` placed right after ``key``, keeping the order of the rest."""
    out: dict = {}
    for k, v in job.items():
        if k not in items:
            out[k] = v
        if k == key:
            out.update(items)
    return out


class Matrices:
    """Runner, shell and matrix of build jobs."""

    def platform_job(self, b: model.Build, job: dict) -> dict:
        """The build job ``job`` with its platform's shell and, with a matrix, run once per cell."""
        extra: dict = {}
        if b.matrix is not None:
            extra["strategy"] = self.strategy(b.matrix)
        if b.os == "windows" and not b.github.has("run_in_codebuild"):
            extra["defaults"] = {"run": {"shell": "bash"}}
        if extra:
            job = _after(job, "runs-on", extra)
        if b.matrix is None:
            return job
        axes = [n for n, _ in b.matrix.axes]
        job["name"] = f"{job['name']} ({', '.join(f'{a} ${{{{ matrix.{a} }}}}' for a in axes)})"
        env = {a: f"${{{{ matrix.{a} }}}}" for a in axes}
        job = _after(job, "timeout-minutes", {"env": {**env, **job.get("env", {})}})
        for step in job["steps"]:
            with_ = step.get("with") or {}
            for key, value in list(with_.items()):
                ref = axis_reference(value) if isinstance(value, str) else None
                if ref in axes and "setup-" in str(step.get("uses", "")):
                    with_[key] = f"${{{{ matrix.{ref} }}}}"
            if str(step.get("name", "")).startswith("Upload report ") and "name" in with_:
                with_["name"] += "-" + "-".join(f"${{{{ matrix.{a} }}}}" for a in axes)
        return job

    @staticmethod
    def strategy(m: model.Matrix) -> dict:
        matrix: dict = {name: list(values) for name, values in m.axes}
        if m.exclude:
            matrix["exclude"] = [dict(cell) for cell in m.exclude]
        if m.include:
            matrix["include"] = [dict(cell) for cell in m.include]
        out: dict = {"fail-fast": m.fail_fast}
        if m.max_parallel:
            out["max-parallel"] = m.max_parallel
        out["matrix"] = matrix
        return out
