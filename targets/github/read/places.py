"""Reading where a job runs: the account of the role it assumes and its Region.

A job the GitHub target places in another account or Region (:mod:`pipec.targets.github.places`)
names that account's role in its ``configure-aws-credentials`` step, with that Region; the
pipeline's own account and Region are in the companion template's ``Metadata`` (``pipec:
account, region``), written only when some job runs elsewhere. :meth:`Places.job_place` gives the
plan's ``account`` and ``region`` (None where they are the pipeline's); :meth:`Places.at_place`
reads a job with the template of its place as the companion, where its CodeDeploy application and
deployment group are.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from pipec.targets.aws import cfn
from pipec.targets.github.read.common import _fail

_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}|\$\{\{ vars\.AWS_ACCOUNT_ID \}\}):role/")


class Places:
    """The place of a job that touches AWS."""

    def own_place(self) -> tuple[str | None, str | None]:
        path = self.out / "github" / f"{self.pipeline}.template.yaml"
        if not path.is_file():
            return None, None
        meta = (self.companion(None).data.get("Metadata") or {}).get("pipec") or {}
        return meta.get("account"), meta.get("region")

    def job_place(self, located) -> tuple[str, str] | None:
        """(account, region) the job's credentials step names, or None without one."""
        steps = [(at, step) for at, role, step in located if role == "credentials"]
        if not steps:
            return None
        at, step = steps[0]
        with_ = step.get("with") or {}
        m = _ROLE.match(str(with_.get("role-to-assume", "")))
        if m is None:
            _fail(at, f"role-to-assume {with_.get('role-to-assume')!r} is not the ARN of an IAM role")
        return m.group(1), str(with_.get("aws-region"))

    def placed_spec(self, spec: tuple, place) -> tuple:
        own_account, own_region = self.own_place()
        if place is None or own_account is None:
            return spec
        account, region = place
        extra = [(k, v) for k, v in (("account", account if account != own_account else None),
                                     ("region", region if region != own_region else None)) if v is not None]
        return tuple(sorted((*spec, *extra))) if extra else spec

    @contextmanager
    def at_place(self, where, place):
        """Read with the place's template as the companion, when the job runs elsewhere."""
        own_account, own_region = self.own_place()
        if place is None or own_account is None or place == (own_account, own_region):
            yield
            return
        account, region = place
        label = account if account.isdigit() else "pipeline-account"
        path = self.out / "github" / self.pipeline / "accounts" / f"{label}-{region}.template.yaml"
        if not path.is_file():
            _fail(where, f"runs in account {account}, Region {region}, but {path.relative_to(self.out)} is missing")
        mine = self._companion
        self._companion = cfn.Template.from_text(path.read_text(encoding="utf-8"))
        try:
            yield
        finally:
            self._companion = mine
