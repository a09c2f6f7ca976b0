"""Importing actions in other accounts and Regions: ``Region``, ``RoleArn`` and ``ArtifactStores``.

A deploy or invoke action of the template with ``Region`` or with a ``RoleArn`` in another account
becomes the action's ``aws { region R }`` / ``aws { account A }`` (docs/language.md, "Accounts and
Regions"), or the stage's when all its deploy and invoke actions run in the same other place;
pipec then makes the role, the stores and the templates of each place itself, so the
template's own role and stores are not carried. The pipeline's own place is written in its
``aws { }`` block, as the language requires when an action runs elsewhere (E222): its Region is
the one store of ``ArtifactStores`` that no action names (a placeholder when that is not one Region,
or when the template leaves it to ``AWS::Region``), its account a placeholder (a template says it
only at deployment), each with a task. ``Region``/``RoleArn`` on a build, an approval or a source
stay findings: those run where the pipeline runs.
"""

from __future__ import annotations

import re

from pipec.importer import Doc
from pipec.targets.aws.intrinsics import Unresolved

_ROLE_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:iam::([0-9]{12}):role/")
#: the actions that may run elsewhere (targets/aws/accounts.py)
PLACEABLE = {"CodeDeploy", "CodeDeployToECS", "ECS", "S3", "CloudFormation", "Lambda"}
ACCOUNT_PLACEHOLDER = "REPLACE-ME-ACCOUNT"
REGION_PLACEHOLDER = "REPLACE-ME-REGION"


class PlacesImport:
    """Where the template's actions run."""

    def place_of(self, a) -> tuple[str | None, str | None, bool]:
        """(account, region, known) of action ``a`` as written: ``account`` only for a role ARN
        of another, literal account; ``known`` False when a value depends on the deployment."""
        account = region = None
        known = True
        if "RoleArn" in a:
            arn = self.ev.resolve(a.get("RoleArn"))
            m = _ROLE_ACCOUNT.match(arn) if isinstance(arn, str) and not isinstance(arn, Unresolved) else None
            account = m.group(1) if m else None
        if "Region" in a:
            r = self.ev.resolve(a.get("Region"))
            if isinstance(r, str) and not isinstance(r, Unresolved):
                region = r
            else:
                known = False
        return account, region, known

    def placeable(self, a, source: bool) -> bool:
        return not source and self._provider(a)[1] in PLACEABLE

    def record_place(self, block: Doc, a, raw: str) -> None:
        """Remember where ``a`` runs, for :meth:`write_places`; a comment says what happened to a
        role of the template's own account."""
        account, region, known = self.place_of(a)
        if "RoleArn" in a and account is None:
            block.comment(f"Action {raw} assumes a role of the pipeline's account: pipec gives each action the "
                          "permissions it needs through its own roles.")
        if not known:
            self.ctx.skip(block, "template: action Region", f"action {raw}: a Region known only at deployment",
                          a, "Region")
        recorded = self.__dict__.setdefault("_places", [])
        if (account or region) and not any(b is block for b, _a, _r in recorded):  # a change-set pair: once
            recorded.append((block, account, region))

    def artifact_stores(self, p: Doc, value, props, key) -> None:
        """``ArtifactStores``: only the Regions matter (pipec makes a store per Region itself)."""
        regions = []
        for entry in self.items(value, p, props, key):
            r = self.ev.resolve(entry.get("Region")) if isinstance(entry, dict) else None
            regions.append(r if isinstance(r, str) and not isinstance(r, Unresolved) else None)
        self.__dict__["_store_regions"] = regions
        self.__dict__["_stores_at"] = (props, key)

    def write_places(self, p: Doc) -> None:
        """The pipeline's own account and Region, and each placed action's ``aws { account region }``."""
        places = self.__dict__.get("_places", [])
        stores = self.__dict__.get("_store_regions")
        if not places:
            if stores is not None:  # stores in several Regions, and no action that runs elsewhere
                props, key = self.__dict__["_stores_at"]
                self.ctx.skip(p, "template: ArtifactStores",
                              "artifact stores in several Regions (cross-region actions); pipec keeps the artifacts "
                              "in one bucket in the pipeline's Region", props, key)
            return
        stores = stores or []
        kept = [(kind, item) for kind, item in p.items if not (kind == "stmt" and item.startswith("artifact_store"))]
        if len(kept) != len(p.items):  # the stores are pipec's when actions run elsewhere (E407 otherwise)
            p.items[:] = kept
            p.comment("The template's artifact store is not carried: with actions in other accounts or Regions, "
                      "pipec creates the stores, so that the other accounts' policies can name them.")
        p.comment("The template keeps artifacts in one store per Region (ArtifactStores): pipec creates the store "
                  "of each Region an action runs in, with keys and policies for the accounts that read them.")
        named = {r for _b, _a, r in places if r}
        home = [r for r in stores if r is not None and r not in named]
        region = home[0] if len(home) == 1 and None not in stores else None
        if region is None:
            region = REGION_PLACEHOLDER
            self.ctx.task("resource", f"replace {REGION_PLACEHOLDER} with the Region the pipeline runs in")
        own = next((item for kind, item in p.items if kind == "block" and item.header == "aws"), None)
        if own is None:
            index = next((i for i, (kind, item) in enumerate(p.items)
                          if kind == "block" and not item.header.startswith("aws")), len(p.items))
            own = p.insert_block(index, "aws")
        # the account of the pipeline's own role, when the template names it (aws { role })
        roles = [m.group(1) for kind, item in own.items if kind == "stmt"
                 for m in [re.match(r'^role "arn:aws[a-z-]*:iam::([0-9]{12}):role/', item)] if m]
        account = roles[0] if roles else ACCOUNT_PLACEHOLDER
        if not roles:
            self.ctx.task("resource", f"replace {ACCOUNT_PLACEHOLDER} with the AWS account the pipeline runs in")
        own.stmt("account", account)
        own.stmt("region", region)
        staged = self.stage_places(p, places, region)
        for block, account, r in places:
            if any(block is b for b in staged):
                continue
            blk = next((item for kind, item in block.items if kind == "block" and item.header == "aws"), None)
            if blk is None:
                blk = block.block("aws")
            if account:
                blk.stmt("account", account)
            if r and r != region:
                blk.stmt("region", r)

    @staticmethod
    def stage_places(p: Doc, places: list, region: str) -> list[Doc]:
        """Stages whose deploy and invoke actions (two or more, and no build or test, E222) all run
        in one other place get it as the stage's ``aws { }`` block; returns the actions placed so."""
        where = {id(block): (account, r) for block, account, r in places}
        done: list[Doc] = []
        for stage in (b for b in p.blocks() if b.header.startswith("stage ")):
            members = [m for b in stage.blocks() for m in (b.blocks() if b.header == "parallel" else [b])]
            kinds = [m.header.split()[0] for m in members]
            movable = [m for m, kind in zip(members, kinds) if kind in ("deploy", "invoke")]
            places_here = {where.get(id(m)) for m in movable}
            if len(movable) < 2 or {"build", "test"} & set(kinds) or len(places_here) != 1 or None in places_here:
                continue
            (account, r), = places_here
            index = next((i for i, (kind, _) in enumerate(stage.items) if kind == "block"), len(stage.items))
            blk = stage.insert_block(index, "aws")
            if account:
                blk.stmt("account", account)
            if r and r != region:
                blk.stmt("region", r)
            done += movable
        return done
