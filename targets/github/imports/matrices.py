"""``strategy.matrix``: expanded as GitHub does (product, ``exclude``, ``include``) into one
combination per action, and ``${{ matrix.X }}`` replaced by its value throughout a job. Called by
:mod:`.jobs`.
"""

from __future__ import annotations


import re

from pipec.importer import YDict, YList
from pipec.targets.github.imports.common import _EXPR, _scalar


MAX_COMBINATIONS = 50  # CodePipeline's actions per stage
#: what happens to a job whose matrix cannot be expanded (never dropped: issue 25)
ONCE = "the job is imported once, behind a command that fails until you write the combinations out"


class Matrices:
    """A job's matrix as a list of combinations."""

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
