"""Where an action's buildspec or appspec comes from: inline in the template (a YAML block
whose positions are mapped back to the template's lines), a companion file given with the
template, or a file next to it; otherwise a finding and a task to import it. The bodies are
written by :mod:`pipec.targets.aws.spec_imports`, through :mod:`.builds` and :mod:`.deploys`.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipec import importer
from pipec.importer import Doc
from pipec.files import read_text
from pipec.targets.aws.intrinsics import Unresolved


class Specs:
    """Finding the buildspecs and appspecs of the template's actions."""

    def buildspec(self, b: Doc, lid: str, props, raw: str):
        """(data, path) of the project's buildspec: inline, a companion, or a file next to the template."""
        ctx = self.ctx
        source = self.get(props, "Source") or {}
        if not isinstance(source, dict):
            source = {}
        stype = self.text(self.get(source, "Type"), None, source, "Type", "Source.Type") or "CODEPIPELINE"
        if stype != "CODEPIPELINE":
            ctx.skip(b, "template: CodeBuild source type", f"project {lid}: Source.Type {stype} (a pipeline's "
                     "CodeBuild project reads the pipeline's artifacts)", source, "Type")
        for k in source:
            if k not in ("Type", "BuildSpec"):
                ctx.skip(b, "template: CodeBuild project property", f"project {lid}: Source.{k}", source, k)
        spec = self.get(source, "BuildSpec")
        self.spec_base = self.inline_base(source)
        if spec is None:
            return self.buildspec_file(b, "buildspec.yml", source, "Type" if "Type" in source else None)
        self.ev.reset()
        text = self.ev.resolve(spec)
        if isinstance(text, (dict, list)):
            # a buildspec written as a mapping: the template's own structure
            return text, None
        if not isinstance(text, str):
            ctx.skip(b, "template: buildspec", f"project {lid}: BuildSpec is not text", source, "BuildSpec")
            return None, None
        if "\n" not in text and not text.lstrip().startswith(("version", "{")):
            if isinstance(text, Unresolved):
                ctx.skip(b, "template: value set at deployment",
                         f"project {lid}: the buildspec path is known only at deployment ({', '.join(text.missing)})",
                         source, "BuildSpec")
                return None, text
            if self.ev.used:
                b.comment(f"Buildspec path: the default of template parameter {', '.join(self.ev.used)}.")
            return self.buildspec_file(b, text, source, "BuildSpec")
        if isinstance(text, Unresolved):
            text = self.fill_buildspec(b, text, lid)
        elif self.ev.used:
            b.comment(f"The inline buildspec uses the defaults of template parameters {', '.join(self.ev.used)}.")
        try:
            data = importer.load(text, ctx.file)
        except importer.InputError as exc:
            ctx.skip(b, "template: buildspec not valid", f"project {lid}: the inline buildspec cannot be read "
                     f"({exc.diagnostic.message})", source, "BuildSpec")
            return None, None
        if not isinstance(data, dict):
            ctx.skip(b, "template: buildspec not valid", f"project {lid}: the inline buildspec is not a mapping",
                     source, "BuildSpec")
            return None, None
        return data, None

    def inline_base(self, source):
        """Where an inline buildspec's lines are in the template: ("block", line before its first line,
        indentation) for a YAML block scalar, ("key", position of BuildSpec) otherwise, None without
        positions."""
        if not isinstance(source, importer.YDict) or "BuildSpec" not in source:
            return None
        vp, kp = source.vpos.get("BuildSpec"), source.kpos.get("BuildSpec")
        if not vp or not kp:
            return None
        lines = (self.ctx.text or "").splitlines()
        try:
            rest = lines[vp[0] - 1][vp[1] - 1:]
        except IndexError:
            return ("key", kp)
        if re.match(r"(![A-Za-z]+\s+)?[|>][-+0-9]*\s*(#.*)?$", rest):
            nxt = next((ln for ln in lines[vp[0]:] if ln.strip()), "")
            return ("block", vp[0], len(nxt) - len(nxt.lstrip()))
        return ("key", kp)

    def fill_buildspec(self, b: Doc, text: Unresolved, lid: str) -> str:
        """An inline buildspec with deployment values: the Region becomes CodeBuild's own variable, others
        placeholders (tasks)."""
        def one(m):
            name = m.group(1)
            if name == "AWS::Region":
                return "${AWS_DEFAULT_REGION}"
            return "REPLACE-ME-" + importer.name(name, "value")

        filled = re.sub(r"\$\{([^}]+)\}", one, text)
        b.comment(f"Project {lid}'s inline buildspec holds values set at deployment: AWS::Region is read from "
                  "$AWS_DEFAULT_REGION, others are REPLACE-ME placeholders.")
        for name in sorted(set(re.findall(r"\$\{([^}]+)\}", text)) - {"AWS::Region"}):
            self.ctx.task("variable", f"replace REPLACE-ME-{importer.name(name, 'value')} in build commands "
                                      f"(the template's ${{{name}}})")
        return filled

    def find_companion(self, path: str, kind: str):
        """(key, text, data) of the companion of ``kind`` at ``path`` (relative path, then file name)."""
        want = path.replace("\\", "/").lstrip("./")
        base = want.rsplit("/", 1)[-1]
        found: dict[int, tuple] = {}
        for key, value in (self.ctx.companions or {}).items():
            try:
                text, data, ckind = value
            except (TypeError, ValueError):
                continue
            if ckind != kind:
                continue
            k = str(key).replace("\\", "/").lstrip("./")
            rank = 0 if k == want else 1 if k.endswith("/" + want) else 2 if k.rsplit("/", 1)[-1] == base else None
            if rank is not None and rank not in found:
                found[rank] = (key, text, data)
        return found[min(found)] if found else None

    def buildspec_file(self, b: Doc, path: str, where, key):
        ctx = self.ctx
        self.spec_base = None
        found = self.find_companion(path, "buildspec")
        if found is not None:
            ckey, _text, data = found
            ctx.used_companions.add(ckey)
            b.comment(f"Buildspec {path}: imported from {Path(str(ckey)).name}.")
            return data, path
        local = self.file.parent / path
        try:
            if local.is_file() and local.resolve() != self.file.resolve():
                text = read_text(str(local))
                data = importer.load(text, str(local))
                if isinstance(data, dict):
                    ctx.used_companions.add(str(local))
                    b.comment(f"Buildspec {path}: imported from next to the template.")
                    return data, path
        except (OSError, importer.InputError):
            pass
        ctx.skip(b, "template: buildspec not given",
                 f"the buildspec {path} is in the repository, not in the template; give it with the template "
                 f"(pipec import {self.file.name} {path})", where, key)
        ctx.task("resource", f"import the buildspec {path}: pipec import {self.file.name} {path}")
        return None, path

    def appspec(self, block: Doc, path: str | None, platform: str, where, key):
        """The appspec data for a deployment (a companion or a file next to the template), or None."""
        from pipec.targets.aws import spec_imports as spec_import

        ctx = self.ctx
        if path:
            found = self.find_companion(path, "appspec")
            if found is not None:
                ctx.used_companions.add(found[0])
                block.comment(f"Appspec: imported from {Path(str(found[0])).name}.")
                return found[2]
        candidates = []
        for ckey, value in (ctx.companions or {}).items():
            try:
                _text, data, ckind = value
            except (TypeError, ValueError):
                continue
            if ckind == "appspec":
                try:
                    plat = spec_import.appspec_platform(data)
                except Exception:  # noqa: BLE001 - a helper's bug must not crash the import
                    plat = None
                if plat in (None, platform):
                    candidates.append((ckey, data))
        if len(candidates) > 1:
            named = [c for c in candidates if Path(str(c[0])).name in ("appspec.yml", "appspec.yaml",
                                                                       "appspec.json")]
            candidates = named if len(named) == 1 else candidates
        if len(candidates) == 1:
            ckey, data = candidates[0]
            ctx.used_companions.add(ckey)
            block.comment(f"Appspec: imported from {Path(str(ckey)).name}.")
            return data
        for name in ([path] if path else []) + ["appspec.yml", "appspec.yaml"]:
            local = self.file.parent / name
            try:
                if local.is_file() and local.resolve() != self.file.resolve():
                    data = importer.load(read_text(str(local)), str(local))
                    if isinstance(data, dict):
                        ctx.used_companions.add(str(local))
                        block.comment("Appspec: imported from next to the template.")
                        return data
            except (OSError, importer.InputError):
                continue
        what = path or "appspec.yml"
        ctx.skip(block, "template: appspec not given",
                 f"the appspec ({what}) is in the revision, not in the template; give it with the template "
                 f"(pipec import {self.file.name} {what})", where, key)
        ctx.task("resource", f"import the appspec {what}: pipec import {self.file.name} {what}")
        return None
