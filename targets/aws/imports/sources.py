"""The source stage: CodeStarSourceConnection (github, bitbucket or gitlab by the connection's
``ProviderType``), GitHub version 1 (OAuth), CodeCommit and S3 sources.

A source is named after its output artifact (in ``.pipe`` a source *is* its artifact). Each
source's block records whether the template detects changes (``detect``), which
:mod:`.triggers` reads to write ``on`` lines.
"""

from __future__ import annotations

import json
import re

from pipec import importer
from pipec.importer import Doc, q, v
from pipec.targets.aws.imports.stages import KNOWN_CONFIG

CONNECTION_PROVIDERS = {"GitHub": "github", "Bitbucket": "bitbucket", "GitLab": "gitlab"}


class Sources:
    """The sources of the first stage, one ``source`` block each."""

    def source_stage(self, p: Doc, st):
        if not isinstance(st, dict):
            self.ctx.error("the first stage is not a mapping", st)
            return
        for a in self.items(st.get("Actions"), p, st, "Actions"):
            if not isinstance(a, dict):
                continue
            type_id = self.get(a, "ActionTypeId") or {}
            category = self.text(type_id.get("Category"), None, type_id, "Category", "Category") \
                if isinstance(type_id, dict) else None
            if category != "Source":
                self.ctx.skip(p, "template: action in the source stage",
                              f"action {a.get('Name')!r} of the first stage is not a source action", a, "Name")
                continue
            self.source(p, a, type_id)
        for k in st:
            if k not in ("Name", "Actions"):
                self.ctx.skip(p, "template: stage property", f"property {k} of the source stage", st, k)

    def source(self, p: Doc, a, type_id):
        ctx = self.ctx
        provider = self.text(type_id.get("Provider"), None, type_id, "Provider", "Provider") or "?"
        owner = self.text(type_id.get("Owner"), None, type_id, "Owner", "Owner") or "AWS"
        aname = self.text(a.get("Name"), None, a, "Name", "an action name") or "source"
        outputs = [o.get("Name") for o in self.items(a.get("OutputArtifacts")) if isinstance(o, dict)]
        art = outputs[0] if outputs and isinstance(outputs[0], str) else aname
        cfg = self.get(a, "Configuration") or {}
        if not isinstance(cfg, dict):
            cfg = {}
        kind = {("AWS", "CodeStarSourceConnection"): "connection", ("ThirdParty", "GitHub"): "github1",
                ("AWS", "CodeCommit"): "codecommit", ("AWS", "S3"): "s3"}.get((owner, provider))
        if kind is None:
            ctx.skip(p, "template: source provider" if provider != "ECR" else "template: ECR source",
                     f"source action {aname} ({owner}/{provider}): pipec sources are Git repositories and S3 "
                     "objects", a, "ActionTypeId")
            return
        name = importer.unique(importer.name(art, "source"), self.action_names)
        self.artifact_names.add(name.lower())
        block = Doc(f"source {name}")
        known = KNOWN_CONFIG[{"connection": "CodeStarSourceConnection", "github1": "GitHub",
                               "codecommit": "CodeCommit", "s3": "S3"}[kind]]
        if kind == "connection":
            header = self.connection_source(block, a, cfg, name)
        elif kind == "github1":
            header = self.github_v1_source(block, a, cfg, aname)
        elif kind == "codecommit":
            header = self.codecommit_source(block, a, cfg)
        else:
            header = self.s3_source(block, a, cfg)
        if header is None:
            self.action_names.discard(name.lower())
            self.artifact_names.discard(name.lower())
            for kind_, item in block.items:
                if kind_ == "comment":
                    p.comment(item)
            return
        for k in cfg:
            if k not in known:
                ctx.skip(block, "template: action configuration", f"source {aname}: configuration {k}", cfg, k)
        self.action_extras(block, a, aname, source=True)
        provider_word, location = header
        block.header = f"source {name} {provider_word} {v(location)}"
        p.items.append(("block", block))
        self.sources[name] = (provider_word, block, a)
        self.source_order.append(name)
        self.source_actions[aname] = name
        if isinstance(art, str):
            self.artifacts[art] = name
            ctx.mapping["sources"][art] = name
        for extra in outputs[1:]:
            ctx.skip(block, "template: extra output artifact", f"source {aname}: a second output artifact {extra}",
                     a, "OutputArtifacts")

    def connection_source(self, block: Doc, a, cfg, name):
        conn = self.get(cfg, "ConnectionArn", block)
        provider = "github"
        lid = self.lid_of(conn, ("AWS::CodeStarConnections::Connection", "AWS::CodeConnections::Connection")) \
            if conn is not None else None
        if lid is not None:
            ptype = self.text(self.props(lid).get("ProviderType"), block, self.props(lid), "ProviderType",
                              "the connection's provider") or "GitHub"
            if ptype not in CONNECTION_PROVIDERS:
                self.ctx.skip(None, "template: connection provider",
                              f"connection {lid} is for {ptype}, which pipec sources do not support",
                              self.props(lid), "ProviderType")
                block.comment(f"not converted: a connection to {ptype}")
                return None
            provider = CONNECTION_PROVIDERS[ptype]
            block.comment(f"The template creates connection {lid}: pipec creates its own connection, which must be "
                          "authorised once in the console.")
            self.ctx.task("connection", f"authorise the connection of source {name} in the CodePipeline console "
                                        "(Settings > Connections)")
        repo = self.text(self.get(cfg, "FullRepositoryId"), block, cfg, "FullRepositoryId", "the repository",
                         required=True, placeholder=self.ctx.repository or "OWNER/REPO",
                         check=lambda s: re.fullmatch(r"[^/\s]+/[^\s]+", s) is not None, task_kind="repository")
        if repo is None:
            repo = self.ctx.repository or "OWNER/REPO"
            self.ctx.task("repository", f"set the repository of source {name}")
        if lid is None and conn is not None:
            arn = self.text(conn, block, cfg, "ConnectionArn", "the connection ARN",
                            check=lambda s: s.startswith("arn:"))
            if arn is not None and "REPLACE-ME" not in arn:
                block.stmt("connection", "arn", q(arn))
                block.comment("The provider of an existing connection is not in the template: github assumed.")
                self.ctx.task("connection", f"check that the connection of source {name} is a GitHub connection "
                                            "(otherwise write bitbucket or gitlab)")
            else:
                block.comment("The connection's ARN is known only at deployment: pipec creates a connection "
                              "(github assumed).")
                self.ctx.task("connection", f"authorise the connection of source {name} in the CodePipeline console")
        fmt = self.branch_and_format(block, cfg)
        if fmt == "CODEBUILD_CLONE_REF":
            block.stmt("clone", "full")
        elif fmt not in (None, "CODE_ZIP"):
            self.ctx.skip(block, "template: OutputArtifactFormat", f"OutputArtifactFormat {fmt}", cfg,
                          "OutputArtifactFormat")
        detect = self.flag(self.get(cfg, "DetectChanges"), block, cfg, "DetectChanges", "DetectChanges") \
            if "DetectChanges" in cfg else True
        block.detect = detect is not False
        return provider, repo

    def github_v1_source(self, block: Doc, a, cfg, aname):
        owner = self.text(self.get(cfg, "Owner"), block, cfg, "Owner", "the repository owner", required=True,
                          placeholder="OWNER", task_kind="repository")
        repo = self.text(self.get(cfg, "Repo"), block, cfg, "Repo", "the repository", required=True,
                         placeholder="REPO", task_kind="repository")
        location = f"{owner or 'OWNER'}/{repo or 'REPO'}"
        if not re.fullmatch(r"[^/\s]+/[^/\s]+", location):
            location = self.ctx.repository or "OWNER/REPO"
            block.comment(f"Placeholder: the template's repository {location!r} is not owner/name.")
            self.ctx.task("repository", f"set the repository of source {aname}")
        branch = self.text(self.get(cfg, "Branch"), block, cfg, "Branch", "the branch", required=True,
                           placeholder="main", task_kind="repository")
        self.ctx.skip(block, "template: GitHub OAuth source",
                      f"source {aname} uses GitHub version 1 (an OAuth token); pipec uses a CodeConnections "
                      "connection instead, and the token is not converted", cfg, "OAuthToken" if "OAuthToken" in cfg
                      else None)
        self.ctx.task("connection", f"create and authorise a GitHub connection for source {aname} (it replaces the "
                                    "OAuth token)")
        if branch:
            block.stmt("branch", v(branch))
        poll = self.polls(block, cfg)
        webhook = any(r.get("Type") == "AWS::CodePipeline::Webhook" for r in self.resources.values())
        block.detect = poll or webhook
        if not poll and webhook:
            block.comment("Started by the template's webhook: pipec starts it on pushes.")
        return "github", location

    def branch_and_format(self, block: Doc, cfg) -> str | None:
        """Writes the branch of a Git source (``BranchName``, a placeholder and a task without one);
        returns its ``OutputArtifactFormat``, which each kind of source reads its own way."""
        branch = self.text(self.get(cfg, "BranchName"), block, cfg, "BranchName", "the branch", required=True,
                           placeholder="main", task_kind="repository")
        if branch:
            block.stmt("branch", v(branch))
        return self.text(self.get(cfg, "OutputArtifactFormat"), block, cfg, "OutputArtifactFormat",
                         "OutputArtifactFormat")

    def polls(self, block: Doc, cfg) -> bool:
        """Whether the source polls for changes: ``PollForSourceChanges``, true unless it says false."""
        if "PollForSourceChanges" not in cfg:
            return True
        return self.flag(self.get(cfg, "PollForSourceChanges"), block, cfg, "PollForSourceChanges",
                         "PollForSourceChanges") is not False

    def _rule_for(self, source: str) -> bool:
        for res in self.resources.values():
            if res.get("Type") != "AWS::Events::Rule":
                continue
            pattern = (res.get("Properties") or {}).get("EventPattern") if isinstance(res.get("Properties"),
                                                                                      dict) else None
            if source in json.dumps(pattern, default=str):
                return True
        return False

    def codecommit_source(self, block: Doc, a, cfg):
        repo = self.text(self.get(cfg, "RepositoryName"), block, cfg, "RepositoryName", "the repository",
                         required=True, placeholder="REPLACE-ME-repository", task_kind="repository")
        if repo is None:
            return None
        if self.lid_of(self.get(cfg, "RepositoryName"), "AWS::CodeCommit::Repository"):
            block.comment("The template creates this CodeCommit repository (infrastructure, not imported).")
        fmt = self.branch_and_format(block, cfg)
        if fmt == "CODEBUILD_CLONE_REF":
            self.ctx.skip(block, "template: CodeCommit full clone",
                          "OutputArtifactFormat CODEBUILD_CLONE_REF (a full clone) of a CodeCommit source; pipec "
                          "gives CodeCommit sources as a copy of the files", cfg, "OutputArtifactFormat")
        block.detect = self.polls(block, cfg) or self._rule_for("aws.codecommit")
        return "codecommit", repo

    def s3_source(self, block: Doc, a, cfg):
        bucket = self.text(self.get(cfg, "S3Bucket"), block, cfg, "S3Bucket", "the source bucket", required=True,
                           placeholder="REPLACE-ME-bucket")
        key = self.text(self.get(cfg, "S3ObjectKey"), block, cfg, "S3ObjectKey", "the object key", required=True,
                        placeholder="REPLACE-ME-key.zip")
        if bucket is None or key is None:
            return None
        block.stmt("key", v(key))
        block.detect = self.polls(block, cfg) or self._rule_for("aws.s3")
        return "s3", bucket
