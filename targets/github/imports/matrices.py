"""``strategy.matrix``: a ``matrix { }`` of one action where the .pipe matrix means the same
(:meth:`Matrices.faithful`), else expanded as GitHub does (product, ``exclude``, ``include``) into
one combination per action, with ``${{ matrix.X }}`` replaced by its value throughout a job.
Called by :mod:`.jobs`.
"""

from __future__ import annotations


import itertools
import re

from pipec.importer import YDict, YList
from pipec.targets.github.imports.common import _EXPR, _scalar


MAX_COMBINATIONS = 50  # CodePipeline's actions per stage
#: what happens to a job whose matrix cannot be expanded (never dropped: issue 25)
ONCE = "the job is imported once, behind a command that fails until you write the combinations out"


#: a runtime version a matrix axis can give (the setup actions' and CodeBuild's spelling alike)
_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*")
_AXIS = re.compile(r"\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _strings(obj, path=()):
    """Every string in ``obj`` with its path of keys and indexes."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for k, x in obj.items():
            yield from _strings(x, path + (k,))
    elif isinstance(obj, list):
        for i, x in enumerate(obj):
            yield from _strings(x, path + (i,))


class Matrices:
    """A job's matrix as a list of combinations."""

    def faithful(self, job, strategy) -> list[str] | None:
        """The lines of a ``matrix { }`` block that means what ``strategy`` does, or None when the
        job needs the expansion: the axes are shell names with plain values; each exclude names
        axes, each include every axis and a cell the matrix lacks (GitHub's other includes extend
        cells, which a .pipe matrix does not); at most 256 cells; ``max-parallel`` is not 1 (one
        at a time keeps GitHub's order, which the expansion keeps as a sequence); the job uploads
        no artifact and keeps no cache (E315), runs on Linux, and reads ``matrix.X`` only in its
        commands (outside single quotes) and as a setup action's version."""
        from pipec.targets.github.imports.common import _SHELL_NAME

        if not isinstance(strategy, dict) or set(strategy) - {"matrix", "fail-fast", "max-parallel"}:
            return None
        m = strategy.get("matrix")
        if not isinstance(m, dict) or strategy.get("max-parallel") == 1:
            return None
        mp, ff = strategy.get("max-parallel"), strategy.get("fail-fast", True)
        if (mp is not None and (not isinstance(mp, int) or isinstance(mp, bool) or mp < 1)) or not isinstance(ff, bool):
            return None
        axes: dict[str, list[str]] = {}
        for k, vals in m.items():
            if k in ("include", "exclude"):
                continue
            if not (isinstance(k, str) and _SHELL_NAME.fullmatch(k) and isinstance(vals, list) and vals):
                return None
            texts = [_scalar(x) if not isinstance(x, (dict, list)) else None for x in vals]
            if any(t is None or "${{" in t or "\n" in t or t == "" for t in texts) or len(set(texts)) != len(texts):
                return None
            axes[k] = texts
        if not axes:
            return None

        def cell(d):
            if not isinstance(d, dict) or not all(isinstance(k, str) and k in axes for k in d):
                return None
            out = {k: _scalar(x) if not isinstance(x, (dict, list)) else None for k, x in d.items()}
            return None if any(x is None for x in out.values()) else out

        excludes = [cell(d) for d in (m.get("exclude") or [])]
        includes = [cell(d) for d in (m.get("include") or [])]
        if any(x is None for x in excludes + includes) or any(set(x) != set(axes) for x in includes):
            return None
        cells = [dict(zip(axes, c)) for c in itertools.product(*axes.values())]
        cells = [c for c in cells if not any(all(c[k] == x for k, x in ex.items()) for ex in excludes)]
        if any(inc in cells for inc in includes) or len({tuple(sorted(i.items())) for i in includes}) != len(includes):
            return None
        if any(not any(all(c[k] == x for k, x in ex.items()) for c in
                       (dict(zip(axes, p)) for p in itertools.product(*axes.values()))) for ex in excludes):
            return None  # an exclude that matches nothing (E314)
        if not 1 <= len(cells) + len(includes) <= 256:
            return None
        # where the job reads the matrix
        steps = job.get("steps") if isinstance(job.get("steps"), list) else []
        for path, text in _strings(job):
            if "matrix" not in text:
                continue
            if path == ("name",):
                continue
            if len(path) == 3 and path[0] == "steps" and path[2] == "run":
                if "'" in text or any(n not in axes for n in _AXIS.findall(text)):
                    return None
                if re.sub(_AXIS, "", text).count("matrix"):  # matrix.X inside a larger expression
                    return None
                continue
            if len(path) == 4 and path[0] == "steps" and path[2] == "with":
                step = steps[path[1]]
                uses = str(step.get("uses", "")).split("@")[0].lower()
                ref = _AXIS.fullmatch(text.strip())
                if ("setup-" in uses and "java" not in uses and ref and ref.group(1) in axes
                        and all(_VERSION.fullmatch(x) for x in axes[ref.group(1)])):
                    continue
            return None
        for st in steps:
            uses = str(st.get("uses", "")).lower() if isinstance(st, dict) else ""
            if uses.startswith(("actions/upload-artifact", "actions/cache")):
                return None
        ro = job.get("runs-on")
        if not (isinstance(ro, str) and ro.lower().startswith("ubuntu")):
            return None
        lines = [" ".join(["axis", k, *(self._value(x) for x in vals)]) for k, vals in axes.items()]
        lines += [" ".join(["exclude", *(f"{k}={self._value(x)}" for k, x in ex.items())]) for ex in excludes]
        lines += [" ".join(["include", *(f"{k}={self._value(inc[k])}" for k in axes)]) for inc in includes]
        lines.append(f"fail_fast {'on' if ff else 'off'}")
        return lines  # max-parallel: a finding of the job (.jobs), not a line (E317)

    @staticmethod
    def _value(text: str) -> str:
        from pipec.formatter import value

        return value(text)

    def matrix(self, stage, key, job, strategy):
        ctx = self.ctx
        if not isinstance(strategy, dict):
            ctx.skip(stage, "workflow: matrix expression", f"the strategy of job '{key}' is an expression; "
                     f"{ONCE}", job, "strategy")
            return None
        m = strategy.get("matrix")
        if m is None:
            return [None]
        if not isinstance(m, dict):
            ctx.skip(stage, "workflow: matrix expression", f"the matrix of job '{key}' is computed by an expression "
                     f"(fromJSON...); {ONCE}", strategy, "matrix")
            return None
        base_keys = [k for k in m if k not in ("include", "exclude")]
        vectors = []
        for k in base_keys:
            vals = m[k]
            if not isinstance(vals, list) or any(isinstance(x, str) and "${{" in x for x in vals):
                ctx.skip(stage, "workflow: matrix expression", f"matrix '{k}' of job '{key}' is not a list of "
                         f"values; {ONCE}", m, k)
                return None
            vectors.append((str(k), vals))
        for part in ("include", "exclude"):
            val = m.get(part)
            if val is not None and (not isinstance(val, list) or not all(isinstance(x, dict) for x in val)):
                ctx.skip(stage, "workflow: matrix expression", f"matrix '{part}' of job '{key}' is not a list of "
                         f"mappings; {ONCE}", m, part)
                return None
        combos: list[dict] = [{}] if vectors else []
        for k, vals in vectors:
            combos = [dict(c, **{k: x}) for c in combos for x in vals]
            if len(combos) > 10 * MAX_COMBINATIONS:
                break
        for ex in m.get("exclude") or []:
            combos = [c for c in combos if not all(str(kk) in c and c[str(kk)] == vv for kk, vv in ex.items())]
        original = [dict(c) for c in combos]
        out = [dict(c) for c in combos]
        extra = []
        for inc in m.get("include") or []:
            inc = {str(kk): vv for kk, vv in inc.items()}
            merged = False
            for orig, cur in zip(original, out):
                if all(orig[kk] == vv for kk, vv in inc.items() if kk in orig):
                    cur.update(inc)
                    merged = True
            if not merged:
                extra.append(dict(inc))
        out += extra
        if not out:
            ctx.skip(stage, "workflow: empty matrix", f"the matrix of job '{key}' has no combination", strategy,
                     "matrix")
            return None
        if len(out) > MAX_COMBINATIONS:
            ctx.skip(stage, "workflow: matrix too large", f"the matrix of job '{key}' has {len(out)} combinations "
                     f"(at most {MAX_COMBINATIONS} are expanded); {ONCE}", strategy, "matrix")
            return None
        return out

    def substitute(self, obj, combo):
        """``obj`` with each ``${{ matrix.X }}`` replaced by its value (positions kept)."""
        if isinstance(obj, str):
            if "matrix" not in obj:
                return obj

            def repl(mt):
                inner = mt.group(1).strip()
                if not re.fullmatch(r"matrix(\.[A-Za-z0-9_-]+)+", inner):
                    return mt.group(0)
                value = combo
                for part in inner.split(".")[1:]:
                    value = value.get(part) if isinstance(value, dict) else None
                text = _scalar(value) if not isinstance(value, (dict, list)) else None
                return mt.group(0) if text is None else text

            return _EXPR.sub(repl, obj)
        if isinstance(obj, dict):
            out = YDict((k, self.substitute(x, combo)) for k, x in obj.items())
            out.pos = getattr(obj, "pos", None)
            out.kpos = getattr(obj, "kpos", {})
            out.vpos = getattr(obj, "vpos", {})
            return out
        if isinstance(obj, list):
            out = YList(self.substitute(x, combo) for x in obj)
            out.pos = getattr(obj, "pos", None)
            out.ipos = getattr(obj, "ipos", [None] * len(obj))
            return out
        return obj
