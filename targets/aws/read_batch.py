"""A CodeBuild project's platform and batch build read back (the reverse of :mod:`.batch`).

The platform (``os``, ``arch``) is the project's environment type; a matrix is the buildspec's
``batch: build-list`` (each task's variables are its cell), run only when the CodePipeline action
says ``BatchEnabled`` and the project has a ``BuildBatchConfig`` that lets every cell start
(``MaximumBuildsAllowed``); ``fast-fail`` is ``fail_fast`` and the project's
``ConcurrentBuildLimit`` is ``max_parallel``.
"""

from __future__ import annotations

from pipec import plan

#: environment type -> (os, arch)
PLATFORMS = {"LINUX_CONTAINER": ("linux", "x86_64"), "ARM_CONTAINER": ("linux", "arm64"),
             "WINDOWS_SERVER_2019_CONTAINER": ("windows", "x86_64"),
             "WINDOWS_SERVER_2022_CONTAINER": ("windows", "x86_64")}


class BatchReader:
    """Part of the AWS reader's CodeBuild actions (:mod:`.read_codebuild`)."""

    def platform(self, lid: str) -> tuple | None:
        """(os, arch) of project ``lid``; None for Linux x86_64 (the plan's default)."""
        kind = (self.props(lid).get("Environment") or {}).get("Type", "LINUX_CONTAINER")
        if kind not in PLATFORMS:
            self.fail(f"project {lid}", f"environment type {kind!r} is not understood")
        found = PLATFORMS[kind]
        return None if found == ("linux", "x86_64") else found

    def matrix(self, a, lid: str, data: dict, where: str) -> tuple | None:
        """The plan's matrix of the batch build in buildspec ``data``, None without one."""
        enabled = str(a.raw_config.get("BatchEnabled", "false")).lower() == "true"
        batch = data.get("batch")
        if batch is None:
            if enabled:
                self.fail(a.where, "BatchEnabled without a batch section in the buildspec")
            return None
        if not enabled:
            self.fail(a.where, "the buildspec has a batch section, which the action runs only with BatchEnabled")
        if not isinstance(batch, dict) or set(batch) - {"fast-fail", "build-list"} or "build-list" not in batch:
            self.fail(where, "a batch other than fast-fail and build-list is not understood")
        cells = []
        for task in batch["build-list"] or []:
            if not isinstance(task, dict) or set(task) - {"identifier", "env"} or set(task.get("env") or {}) - {"variables"}:
                self.fail(where, f"batch task {task!r} sets more than its variables")
            variables = (task.get("env") or {}).get("variables") or {}
            cells.append(tuple((str(k), str(v)) for k, v in variables.items()))
        config = self.props(lid).get("BuildBatchConfig")
        if not isinstance(config, dict) or "ServiceRole" not in config:
            self.fail(f"project {lid}", "a batch build needs BuildBatchConfig with a ServiceRole")
        allowed = (config.get("Restrictions") or {}).get("MaximumBuildsAllowed")
        if allowed is not None and int(allowed) < len(cells):
            self.fail(f"project {lid}", f"MaximumBuildsAllowed {allowed} is fewer than the {len(cells)} cells")
        limit = self.props(lid).get("ConcurrentBuildLimit")
        return plan.spec(cells=tuple(sorted(cells)), fail_fast=bool(batch.get("fast-fail", False)),
                         max_parallel=None if limit is None else int(limit))
