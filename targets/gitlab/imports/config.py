"""Putting the configuration together before anything is mapped, as GitLab does: ``include: local``
files (followed, relative to the including file; other include kinds are findings), ``!reference``
tags, ``extends`` (deep merge of mappings, lists replaced, bases first), and the ``default:`` and
global keys each job inherits (``inherit: default/variables`` honoured). YAML anchors and ``<<``
merge keys are resolved by :func:`pipec.importer.load` already.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipec import importer
from pipec.files import InputError, read_text
from pipec.importer import YDict, YList

#: top-level keys that are not jobs
RESERVED = {"default", "include", "stages", "types", "variables", "workflow", "image", "services",
            "before_script", "after_script", "cache", "spec"}
#: keys ``default:`` (and, for the first six, the deprecated global keys) gives every job
DEFAULT_KEYS = ("image", "services", "before_script", "after_script", "cache", "timeout", "retry",
                "artifacts", "interruptible", "tags", "hooks", "id_tokens")
MAX_INCLUDES = 150      # GitLab's limit on included files per pipeline
MAX_EXTENDS = 11        # GitLab's limit on extends levels
REFERENCE = "Fn::reference"  # how importer.load writes a !reference tag


def _ydict(like) -> YDict:
    out = YDict()
    out.pos = getattr(like, "pos", None)
    out.src = getattr(like, "src", None)
    out.kpos, out.vpos = {}, {}
    return out


def merge(base, over):
    """``over`` merged into ``base`` as GitLab merges ``extends`` and includes: mappings deeply,
    every other value (lists included) replaced. Positions come from where each key was written."""
    if not (isinstance(base, dict) and isinstance(over, dict)):
        return over
    out = _ydict(over)
    for src in (base, over):
        for k, val in src.items():
            out[k] = merge(out[k], val) if k in out and src is over else val
            if isinstance(src, YDict):
                out.kpos[k] = src.kpos.get(k) or src.pos
                out.vpos[k] = src.vpos.get(k) or src.pos
    return out


class Config:
    """The composed configuration: ``self.config`` (includes merged), ``self.jobs`` (name -> the job
    with extends and defaults applied) and ``self.templates`` (hidden jobs)."""

    def compose(self):
        ctx = self.ctx
        self.included: list[str] = []
        config = self.includes(ctx.data, Path(ctx.file), [str(Path(ctx.file).resolve())], 0)
        config = self.references(config, config, 0)
        self.config = self.spec_inputs(config)

    # ------------------------------------------------------------------ spec: inputs
    def spec_inputs(self, config):
        """``$[[ inputs.NAME ]]`` replaced by the default of input NAME of the header (``spec:``),
        as GitLab does when the pipeline is not given that input."""
        spec = config.get("spec") if isinstance(config, dict) else None
        inputs = spec.get("inputs") if isinstance(spec, dict) else None
        if not isinstance(inputs, dict):
            return config
        defaults = {str(k): val.get("default") for k, val in inputs.items()
                    if isinstance(val, dict) and "default" in val and not isinstance(val.get("default"), (dict, list))}
        missing = sorted(str(k) for k in inputs if str(k) not in defaults)
        if missing:
            self.ctx.skip(self.notes, "gitlab: spec", f"the header's inputs {', '.join(missing)} have no default; "
                          "their $[[ inputs ]] references stay as written", spec, "inputs")
        rx = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")

        def sub(node):
            if isinstance(node, str):
                whole = rx.fullmatch(node.strip())
                if whole and whole.group(1) in defaults:
                    return defaults[whole.group(1)]   # a whole value keeps its type
                return rx.sub(lambda m: str(defaults[m.group(1)]) if m.group(1) in defaults else m.group(0), node)
            if isinstance(node, dict):
                out = _ydict(node)
                for k, val in node.items():
                    out[k] = sub(val)
                    if isinstance(node, YDict):
                        out.kpos[k], out.vpos[k] = node.kpos.get(k), node.vpos.get(k)
                return out
            if isinstance(node, list):
                out = YList(sub(x) for x in node)
                out.pos, out.src = getattr(node, "pos", None), getattr(node, "src", None)
                out.ipos = list(getattr(node, "ipos", [None] * len(node)))
                return out
            return node

        return sub(config)

    # ------------------------------------------------------------------ include
    def includes(self, data, path: Path, chain: list, depth: int):
        ctx = self.ctx
        if not isinstance(data, dict) or "include" not in data:
            return data
        raw = data["include"]
        items = raw if isinstance(raw, list) else [raw]
        merged = _ydict(data)
        for i, item in enumerate(items):
            where, key = (raw, i) if isinstance(raw, list) else (data, "include")
            local = None
            if isinstance(item, str):
                if "://" in item:
                    ctx.skip(self.notes, "gitlab: include remote", f"include {item!r} is fetched from another "
                             "server; import it and merge it by hand", where, key)
                    continue
                local = item
            elif isinstance(item, dict) and isinstance(item.get("local"), str):
                local = item["local"]
                for k in item:
                    if k not in ("local", "rules", "inputs"):
                        ctx.skip(self.notes, "gitlab: include option", f"include option '{k}' is not read", item, k)
                if "rules" in item or "inputs" in item:
                    ctx.skip(self.notes, "gitlab: include option", "the include's rules or inputs are not "
                             "evaluated: the file is always included", item, "rules" if "rules" in item else "inputs")
            else:
                kind = next((k for k in ("remote", "template", "project", "component") if isinstance(item, dict)
                             and k in item), None)
                what = {"remote": "is fetched from another server", "template": "is one of GitLab's own templates",
                        "project": "comes from another project", "component": "is a CI/CD component"}.get(kind)
                ctx.skip(self.notes, "gitlab: include elsewhere",
                         f"this include {what}; import it and merge it by hand" if what
                         else "this include is not a file path or a mapping with 'local'", where, key)
                continue
            for file in self._local_files(path, local, where, key):
                resolved = str(file.resolve())
                if resolved in chain or len(self.included) >= MAX_INCLUDES or depth > 100:
                    ctx.skip(self.notes, "gitlab: include loop", f"include {local!r} includes itself or goes past "
                             "GitLab's limits; it is read once", where, key)
                    continue
                try:
                    sub = importer.load(read_text(str(file)), str(file))
                except InputError as exc:
                    d = exc.diagnostic
                    ctx.skip(self.notes, "gitlab: include unreadable", f"include {local!r}: {d.message}", where, key)
                    continue
                if not isinstance(sub, dict):
                    ctx.skip(self.notes, "gitlab: include unreadable", f"include {local!r} is not a mapping",
                             where, key)
                    continue
                self.included.append(str(file))
                ctx.used_companions.add(str(file))
                sub = self.includes(sub, file, chain + [resolved], depth + 1)
                merged = merge(merged, sub)
        rest = _ydict(data)
        for k, val in data.items():
            if k != "include":
                rest[k] = val
                rest.kpos[k] = data.kpos.get(k) if isinstance(data, YDict) else None
                rest.vpos[k] = data.vpos.get(k) if isinstance(data, YDict) else None
        return merge(merged, rest)

    def _local_files(self, path: Path, local: str, where, key) -> list[Path]:
        """The files an ``include: local`` names: relative to the including file's folder (the
        repository root for a ``.gitlab-ci.yml`` at the root), wildcards expanded."""
        ctx = self.ctx
        if "$" in local:
            ctx.skip(self.notes, "gitlab: include variable", f"include {local!r} uses a variable", where, key)
            return []
        base = path.parent
        rel = local.lstrip("/")
        if any(c in rel for c in "*?["):
            found = sorted(p for p in base.glob(rel) if p.is_file())
        else:
            found = [base / rel] if (base / rel).is_file() else []
        if not found:
            ctx.skip(self.notes, "gitlab: include missing", f"include {local!r} is not next to the file "
                     f"({base / rel}); give the repository's files to import it", where, key)
        return found

    # ------------------------------------------------------------------ !reference
    def references(self, node, config, depth):
        """``node`` with each ``!reference [job, key, ...]`` replaced by what it names; a list item
        that is a reference to a list is spliced in (as GitLab flattens scripts)."""
        if depth > 10:
            return node
        if isinstance(node, dict):
            if set(node) == {REFERENCE}:
                return self.reference(node, config, depth)
            out = _ydict(node)
            for k, val in node.items():
                out[k] = self.references(val, config, depth)
                if isinstance(node, YDict):
                    out.kpos[k], out.vpos[k] = node.kpos.get(k), node.vpos.get(k)
            return out
        if isinstance(node, list):
            out = YList()
            out.pos, out.src, out.ipos = getattr(node, "pos", None), getattr(node, "src", None), []
            ipos = getattr(node, "ipos", [None] * len(node))
            for i, item in enumerate(node):
                val = self.references(item, config, depth)
                if isinstance(item, dict) and set(item) == {REFERENCE} and isinstance(val, list):
                    out.extend(val)
                    out.ipos.extend([ipos[i] if i < len(ipos) else None] * len(val))
                else:
                    out.append(val)
                    out.ipos.append(ipos[i] if i < len(ipos) else None)
            return out
        return node

    def reference(self, node, config, depth):
        path = node[REFERENCE]
        target = config
        if isinstance(path, list) and path and all(isinstance(p, str) for p in path):
            for p in path:
                target = target.get(p) if isinstance(target, dict) else None
                if target is None:
                    break
        else:
            target = None
        if target is None:
            self.ctx.skip(self.notes, "gitlab: !reference", f"!reference {list(path) if isinstance(path, list) else path}"
                          " names nothing in this file or its local includes", node, REFERENCE)
            return None
        return self.references(target, config, depth + 1)

    # ------------------------------------------------------------------ extends and defaults
    def expand(self, key: str, job, seen=()):
        """The job with its ``extends`` applied (bases in order, then the job itself)."""
        ctx = self.ctx
        ext = job.get("extends") if isinstance(job, dict) else None
        if ext is None:
            return job
        names = [ext] if isinstance(ext, str) else ext if isinstance(ext, list) else None
        out = _ydict(job)
        if names is None or not all(isinstance(n, str) for n in names):
            ctx.skip(self.notes, "gitlab: extends", f"'extends' of '{key}' is not a name or a list of names", job,
                     "extends")
            names = []
        for n in names:
            base = self.config.get(n) if isinstance(self.config, dict) else None
            if n in seen or len(seen) >= MAX_EXTENDS:
                ctx.skip(self.notes, "gitlab: extends", f"'{key}' extends '{n}' in a loop or past GitLab's "
                         f"{MAX_EXTENDS} levels", job, "extends")
                continue
            if not isinstance(base, dict):
                ctx.skip(self.notes, "gitlab: extends", f"'{key}' extends '{n}', which is not a job or template "
                         "of this file or its local includes", job, "extends")
                continue
            out = merge(out, self.expand(n, base, (*seen, key)))
        rest = _ydict(job)
        for k, val in job.items():
            if k != "extends":
                rest[k] = val
                rest.kpos[k], rest.vpos[k] = job.kpos.get(k), job.vpos.get(k)
        return merge(out, rest)

    def with_defaults(self, job):
        """The job with the keys of ``default:`` (or the global keys) it does not set itself."""
        cfg = self.config
        inherit = job.get("inherit") if isinstance(job.get("inherit"), dict) else {}
        take = inherit.get("default", True)
        defaults = cfg.get("default") if isinstance(cfg.get("default"), dict) else {}
        out = _ydict(job)
        for k in DEFAULT_KEYS:
            if k in job:
                continue
            allowed = take is True or (isinstance(take, list) and k in take)
            src = defaults if k in defaults else cfg if k in DEFAULT_KEYS[:5] and k in cfg else None
            if allowed and src is not None:
                out[k] = src[k]
                out.kpos[k], out.vpos[k] = importer.pos_of(src, k), importer.pos_of(src, k)
        for k, val in job.items():
            out[k] = val
            out.kpos[k], out.vpos[k] = job.kpos.get(k), job.vpos.get(k)
        return out

    def job_items(self):
        """(name, job with extends and defaults) of every visible job, in written order."""
        cfg = self.config
        for key, job in cfg.items():
            key = str(key)
            if key in RESERVED or key.startswith("."):
                continue
            if not isinstance(job, dict):
                self.ctx.skip(self.notes, "gitlab: unknown key", f"top-level key '{key}' is neither a keyword "
                              "nor a job", cfg, key)
                continue
            yield key, self.with_defaults(self.expand(key, job))
