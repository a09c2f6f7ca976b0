"""``aws { }`` and ``github { }`` blocks: their settings checked against the table, and ``allow`` lines.

:meth:`SettingsChecks.settings` is called for the pipeline and for every action with its blocks;
the table it checks against is :data:`pipec.semantic_tables.PLATFORM_SETTINGS`, and the values'
own rules are in :mod:`pipec.setting_values`.
"""

from __future__ import annotations

from pipec import ast, model, patches, setting_values
from pipec.diagnostics import did_you_mean, invalid_value
from pipec.semantic_base import Checker
from pipec.semantic_tables import IAM_ACTION, PLATFORM_SETTINGS


class SettingsChecks(Checker):
    """Platform blocks: known keys (E204), value counts and values (E206), ``allow`` lines (E207)."""

    def settings(self, blocks: list[ast.PlatformBlock], where: str, grants: list | None = None):
        """The blocks' settings, checked against PLATFORM_SETTINGS; ``secret`` lines are returned
        for the caller to check, ``allow`` lines appended to ``grants`` (None: not allowed here)."""
        out = {"aws": [], "github": []}
        patch_lines: dict[str, list] = {"aws": [], "github": []}
        secrets = []
        seen_blocks: dict = {}
        for block in blocks:
            self.once(seen_blocks, block.platform, block, f"the {block.platform} block")
            table = PLATFORM_SETTINGS.get((where, block.platform), {})
            seen_keys: dict = {}
            for item in block.body:
                if isinstance(item, ast.SecretStmt):
                    secrets.append(item)
                    continue
                if isinstance(item, ast.PatchStmt):
                    made = self.patch(item, block.platform, where)
                    if made is not None:
                        patch_lines[block.platform].append(made)
                    continue
                if isinstance(item, ast.AllowStmt):
                    if grants is None:
                        self.err("E207", "'allow' gives permissions to the commands of a build or test action",
                                 item.span, "Move this line into the aws { } block of the build or test action "
                                 "whose commands need it; pipec grants other actions what they need itself.")
                    elif self.grant_ok(item):
                        grants.append(model.Grant(item.actions, item.resources, span=item.span))
                    continue
                spec = table.get(item.key)
                if spec is None:
                    known = ", ".join(sorted(table)) or "none"
                    place = {"pipeline": "pipeline level", "stage": "stages"}.get(where, f"{where} actions")
                    self.err("E204", f"'{item.key}' is not a setting of {block.platform} blocks in {place}",
                             item.span,
                             f"Settings known here: {known}.{did_you_mean(item.key, table)}")
                    continue
                lo, hi, desc = spec
                if item.key != "tag":
                    self.once(seen_keys, item.key, item, f"'{item.key}'")
                if len(item.values) < lo or (hi is not None and len(item.values) > hi):
                    count = (f"exactly {lo}" if lo == hi else
                             f"at least {lo}" if hi is None else f"{lo} to {hi}")
                    self.err("E206", f"'{item.key}' takes {count} value{'s' if hi != 1 else ''}, "
                             f"got {len(item.values)}", item.span, f"'{item.key}': {desc}.")
                    continue
                bad = setting_values.problem(item.key, tuple(item.values))
                if bad:
                    value, rule = bad
                    self.err("E206", invalid_value(value, item.key), item.span,
                             f"'{item.key}' takes {rule}.")
                    continue
                out[block.platform].append((item.key, tuple(item.values)))
        return (model.PlatformSettings(tuple(out["aws"]), tuple(patch_lines["aws"])),
                model.PlatformSettings(tuple(out["github"]), tuple(patch_lines["github"])), secrets)

    def patch(self, item: ast.PatchStmt, platform: str, where: str) -> model.Patch | None:
        """A ``patch`` line as a :class:`model.Patch`, or None (with E206) when its path cannot
        be one: the path's own form is checked here, whether it exists in the generated file is
        checked by the target (E413)."""
        problem = patches.path_problem(item.path, platform, where)
        if problem:
            self.err("E206", f"'{item.path}' is not a path a patch can change here", item.span, problem)
            return None
        value = None if item.op == "remove" else patches.typed(item.value, item.quoted)
        return model.Patch(item.op, patches.split(item.path), value, span=item.span)

    def grant_ok(self, item: ast.AllowStmt) -> bool:
        ok = True
        for action in item.actions:
            if not IAM_ACTION.fullmatch(action):
                self.err("E206", f"'{action}' is not an IAM action", item.span,
                         "An IAM action is SERVICE:Action, such as \"ecr:GetAuthorizationToken\" or "
                         "\"s3:PutObject\" (wildcards * and ? are allowed in the action name).")
                ok = False
        for resource in item.resources:
            if resource != "*" and not resource.startswith("arn:"):
                self.err("E206", f"'{resource}' is not a resource ARN", item.span,
                         "Write the ARN of the resource, such as \"arn:aws:s3:::my-bucket/*\", or \"*\" for an "
                         "action that has no resource-level permissions.")
                ok = False
        return ok
