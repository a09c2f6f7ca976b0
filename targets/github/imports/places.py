"""The AWS accounts and Regions of a workflow's jobs: ``aws-actions/configure-aws-credentials``
steps become the pipeline's ``aws { account region }``, or findings that say what to write.

A ``role-to-assume`` ARN names the account a job's commands work in (``arn:aws:iam::ACCOUNT:role/
NAME``), its ``aws-region`` the Region. Every job of a workflow becomes a build or test action,
and those run where the pipeline runs (docs/language.md, "Accounts and Regions": an account or
Region on a build is E222), so:

- the place most jobs' roles share (the first job's on a tie) becomes the pipeline's ``aws {
  account region }``; the GitHub target then assumes roles in that account and Region, and the
  AWS target's templates say where they belong;
- a job whose role is in another account or Region is a finding (``workflow: AWS account``)
  that says which ``aws { }`` block to give the deployment once it is a deploy or invoke action
  (or its stage);
- an account or Region given by an expression (``${{ vars.X }}``, ``${{ secrets.X }}``) is known
  only during a GitHub run: a finding that says to write its value.

Credentials steps without a role ARN (access keys, a role name) say nothing about the account:
their Region alone is handled as before (``github { aws_region }``, :mod:`.workflow`).
"""

from __future__ import annotations

import re

from pipec.importer import Doc, v
from pipec.targets.github.imports.common import _scalar

ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::([0-9]{12}):role/\S+")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]")
#: an account ID written as an expression inside a role ARN: arn:aws:iam::${{ vars.X }}:role/NAME
_ARN_WITH_EXPRESSION = re.compile(r"arn:aws[a-z-]*:iam::(\$\{\{.*?\}\}):role/\S+")


class Places:
    """Where each job's AWS credentials point, and the pipeline's place made of them."""

    def credentials_place(self, a, with_) -> None:
        """Record the account and Region of one credentials step of the current job (action
        ``a``); report those given by an expression, beside the action."""
        ctx, key = self.ctx, self.current_key
        places = self.job_places
        role, region = with_.get("role-to-assume"), with_.get("aws-region")
        role = _scalar(role) if role is not None else None
        account = None
        if isinstance(role, str):
            m = ROLE_ARN.fullmatch(role.strip())
            if m:
                account = m.group(1)
            elif "${{" in role:
                inner = _ARN_WITH_EXPRESSION.fullmatch(role.strip())
                what = f"its account is {inner.group(1)}" if inner else f"the role is {role}"
                ctx.skip(a.notes, "workflow: AWS account", f"job '{key}' assumes a role whose account is known only "
                         f"during a GitHub run ({what})", with_, "role-to-assume",
                         hint="Write the account's 12-digit ID in the pipeline's aws { account ... } block (or, "
                              "for a deploy or invoke action, in its own aws { } block or its stage's).")
        if isinstance(region, str) and "${{" in region:
            ctx.skip(a.notes, "workflow: AWS region", f"job '{key}' uses the Region {region}, known only during a "
                     "GitHub run", with_, "aws-region",
                     hint="Write the Region's code in the pipeline's aws { region ... } block (or github { "
                          "aws_region ... }), such as region eu-west-1.")
        region = region if isinstance(region, str) and REGION.fullmatch(region) else None
        if account is not None and key not in places:
            places[key] = (account, region, with_)

    def place_pipeline(self, p: Doc) -> bool:
        """The pipeline's ``aws { account region }`` from the jobs' role ARNs, and a finding for
        each job elsewhere; False when no credentials step names an account."""
        places = self.job_places
        if not places:
            return False
        counts: dict = {}
        for account, region, _ in places.values():
            counts[(account, region)] = counts.get((account, region), 0) + 1
        own = max(counts, key=lambda place: counts[place])  # the first of the most common (dicts keep order)
        if own[1] is None and len(self.regions) == 1 and not self.region_unknown:
            own = (own[0], next(iter(self.regions)))
        index = p.items.index(("block", self.pipeline_github))
        aws = p.insert_block(index, "aws")
        aws.stmt("account", v(own[0]))
        if own[1] is not None:
            aws.stmt("region", v(own[1]))
        for key, (account, region, where) in places.items():
            region = region or own[1]
            if (account, region) == own:
                continue
            there = f"account {account}" + (f", Region {region}" if region else "")
            block = f"aws {{ account {account}" + (f"  region {region}" if region and region != own[1] else "") + " }"
            self.ctx.skip(p, "workflow: AWS account",
                          f"job '{key}' assumes a role in {there}, but its action is a build, which runs where the "
                          f"pipeline runs (account {own[0]}" + (f", Region {own[1]}" if own[1] else "") + ")",
                          where, "role-to-assume",
                          hint=f"Write the deployment it makes as a deploy or invoke action with {block} (one "
                               "setting per line), on the action or on its stage (docs/language.md, \"Accounts and "
                               "Regions\"); or give the build's commands a role of that account themselves.")
        return True
