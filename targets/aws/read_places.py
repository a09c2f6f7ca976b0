"""Reading where an action runs: its ``RoleArn`` and ``Region``, and the template of that place.

An action pipec places in another account or Region (:mod:`pipec.targets.aws.accounts`) carries
``RoleArn``, a role of the account it runs in, and ``Region`` when that is not the pipeline's; the
pipeline's own account and Region are in the template's ``Metadata`` (``pipec: account, region``).
:meth:`PlacesReaderMixin.place` gives the plan's ``account`` and ``region`` of an action (None
where it is the pipeline's), and :meth:`PlacesReaderMixin.at_home` reads an action with the
template of its place in hand, where its CodeDeploy application and deployment group are. A part
of the reader in :mod:`pipec.targets.aws.read`.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from pipec.targets.aws import cfn

_ROLE_ARN = re.compile(r"^arn:(?:aws[a-z-]*|\$\{AWS::Partition\}):iam::([0-9]{12}):role/(.+)$")


class PlacesReaderMixin:
    """``RoleArn`` and ``Region`` of the actions into the plan's ``account`` and ``region``."""

    def own_place(self) -> tuple[str | None, str | None]:
        meta = (self.t.data.get("Metadata") or {}).get("pipec") or {}
        return meta.get("account"), meta.get("region")

    def role_account(self, a) -> str | None:
        raw = a.decl.get("RoleArn")
        if raw is None:
            return None
        if isinstance(raw, dict) and set(raw) == {"Fn::Sub"} and isinstance(raw["Fn::Sub"], str):
            raw = raw["Fn::Sub"]
        if not isinstance(raw, str):
            raw = self.text(raw, a.where, "RoleArn")
        m = _ROLE_ARN.match(raw)
        if m is None:
            self.fail(a.where, f"RoleArn {raw!r} is not the ARN of an IAM role")
        return m.group(1)

    def place(self, a) -> tuple[str | None, str | None]:
        """(account, region) of ``a`` for the plan: None where it runs where the pipeline runs."""
        own_account, own_region = self.own_place()
        account = self.role_account(a)
        region = self.text(a.decl.get("Region"), a.where, "Region")
        if account is not None and own_account is None:
            self.fail(a.where, "has a RoleArn, but the template does not say the pipeline's own account "
                               "(Metadata pipec account)")
        return (None if account == own_account else account), (None if region == own_region else region)

    def placed_spec(self, a, spec: tuple) -> tuple:
        account, region = self.place(a)
        extra = [(k, v) for k, v in (("account", account), ("region", region)) if v is not None]
        return tuple(sorted((*spec, *extra))) if extra else spec

    @contextmanager
    def at_home(self, a):
        """Read ``a`` with the template of the account and Region it runs in, when it is placed
        elsewhere (aws/PIPELINE/targets/ACCOUNT-REGION.template.yaml beside the pipeline's)."""
        if a.decl.get("RoleArn") is None:
            yield
            return
        own_account, own_region = self.own_place()
        account = self.role_account(a) or own_account
        region = self.text(a.decl.get("Region"), a.where, "Region") or own_region
        path = self.out / "aws" / self.name / "targets" / f"{account}-{region}.template.yaml"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.fail(a.where, f"runs in account {account}, Region {region}, but {path} cannot be read "
                               f"({exc.strerror or exc})")
        mine = self.t
        self.t = cfn.Template.from_text(text)
        try:
            yield
        finally:
            self.t = mine
