"""The template's values as ``.pipe`` needs them: the layer between the intrinsic functions
(:mod:`pipec.targets.aws.intrinsics`, which evaluates them) and the mapping of constructs.

:class:`Values` chooses ``Fn::If`` branches where the structure of the template is read
(:meth:`~Values.node`, :meth:`~Values.items`, :meth:`~Values.get`), turns a value into one piece of
``.pipe`` text with comments naming the parameters and conditions it came from, a placeholder and a
task where only the deployment decides it, or a finding (:meth:`~Values.text`, :meth:`~Values.number`,
:meth:`~Values.flag`), and finds the template resource a value refers to (:meth:`~Values.lid_of`).

Every construct module of this package uses these; :mod:`.pipeline` holds the state they read
(``ctx``, ``ev``, ``resources``, ``used_resources``).
"""

from __future__ import annotations

import re

from pipec import importer
from pipec.targets.aws import intrinsics
from pipec.targets.aws.intrinsics import NO_VALUE, Unresolved, scalar


def short(text: str, limit: int = 80) -> str:
    """``text`` on one line, at most ``limit`` characters (for tasks and comments)."""
    one = " ".join(str(text).split())
    return one if len(one) <= limit else one[:limit - 3] + "..."


class Values:
    """Reading values of the template, for the construct mixins of :class:`~.pipeline.TemplateImporter`."""

    def node(self, x, doc=None, where=None, key=None):
        """``x`` with ``Fn::If`` chosen (None for AWS::NoValue or a condition pipec cannot evaluate,
        after a finding)."""
        for _ in range(20):
            if isinstance(x, dict) and len(x) == 1:
                (k, arg), = x.items()
                if k == "Ref" and arg == "AWS::NoValue":
                    return None
                if k == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                    value = self.ev.condition(arg[0]) if isinstance(arg[0], str) else None
                    if value is None:
                        self.ctx.skip(doc, "template: Fn::If",
                                      f"a part chosen by condition {arg[0]}, which pipec cannot evaluate with the "
                                      "parameters' defaults", where if where is not None else x,
                                      key if where is not None else None)
                        return None
                    if doc is not None:
                        doc.comment(f"Condition {arg[0]} is {str(value).lower()} with the parameters' defaults: "
                                    f"the {'first' if value else 'second'} branch of its Fn::If is imported.")
                    x = arg[1] if value else arg[2]
                    continue
            return x
        return None

    def items(self, x, doc=None, where=None, key=None) -> list:
        x = self.node(x, doc, where, key)
        if x is None:
            return []
        if not isinstance(x, list):
            x = [x]
        out = []
        for i, item in enumerate(x):
            item = self.node(item, doc, x, i)
            if item is not None:
                out.append(item)
        return out

    def get(self, d, key, doc=None):
        if not isinstance(d, dict) or key not in d:
            return None
        return self.node(d[key], doc, d, key)

    def text(self, x, doc, where, key, what: str, *, required: bool = False, placeholder: str | None = None,
             check=None, task_kind: str = "resource") -> str | None:
        """``x`` as one value for ``.pipe``: comments in ``doc`` name the parameters it comes from;
        a value set at deployment is a placeholder and a task when ``required`` (or when only
        parameters without defaults are missing), a finding otherwise. ``check(value)`` says
        whether a value fits where it goes (else ``placeholder``, or a finding)."""
        self.ev.reset()
        r = self.ev.resolve(x)
        if r is None or r is NO_VALUE:
            return None
        if isinstance(r, (dict, list)):
            self.ctx.skip(doc, "template: value not text", f"{what} is not a single value", where, key)
            return None
        text = scalar(r)
        if "#{" in text:
            self.ctx.skip(doc, "template: pipeline variable reference",
                          f"{what} uses CodePipeline variables ({text}), which .pipe has no syntax for", where, key)
            return None
        for cname, value in self.ev.chosen:
            if doc is not None:
                doc.comment(f"{what}: condition {cname} is {str(value).lower()} with the parameters' defaults.")
        if self.ev.used and doc is not None:
            names = ", ".join(self.ev.used)
            doc.comment(f"{what}: the default of template parameter{'s' if len(self.ev.used) > 1 else ''} {names}.")
        if isinstance(r, Unresolved):
            only_params = all(m.startswith("parameter ") for m in r.missing)
            if not (required or only_params):
                self.ctx.skip(doc, "template: value set at deployment",
                              f"{what} is known only when the stack is deployed ({', '.join(r.missing)})",
                              where, key)
                return None
            filled = re.sub(r"\$\{([^}]+)\}", lambda m: "REPLACE-ME-" + importer.name(m.group(1), "value"), text)
            if filled == "REPLACE-ME-value" or not filled:
                filled = placeholder or "REPLACE-ME"
            if check is not None and not check(filled):
                if placeholder is None:
                    self.ctx.skip(doc, "template: value set at deployment",
                                  f"{what} is known only when the stack is deployed ({', '.join(r.missing)})",
                                  where, key)
                    return None
                filled = placeholder
            if doc is not None:
                doc.comment(f"{what}: placeholder, set at deployment by the template ({', '.join(r.missing)}).")
            self.ctx.task(task_kind, f"replace {short(filled)} ({what}) with the real value")
            return filled
        if check is not None and not check(text):
            if placeholder is None:
                self.ctx.skip(doc, "template: unusable value", f"{what} {text!r} is not usable here", where, key)
                return None
            if doc is not None:
                doc.comment(f"{what}: {text!r} does not fit here; placeholder.")
            self.ctx.task(task_kind, f"replace {short(placeholder)} ({what}) with the real value")
            return placeholder
        return text

    def lid_of(self, x, types) -> str | None:
        """The logical ID of the template resource (of one of ``types``) that ``x`` refers to: a Ref or
        GetAtt of it, or its name."""
        if isinstance(types, str):
            types = (types,)
        x = self.node(x)
        lid = intrinsics.referenced_id(x, sub=True)
        if isinstance(lid, str) and lid in self.resources and self.resources[lid].get("Type") in types:
            self.used_resources.add(lid)
            return lid
        name = self.ev.peek(x)
        if not isinstance(name, str) or isinstance(name, Unresolved):
            return None
        for lid, res in self.resources.items():
            if res.get("Type") not in types:
                continue
            declared = intrinsics.declared_name(self.resources, lid)
            if declared is not None and self.ev.peek(declared) == name:
                self.used_resources.add(lid)
                return lid
        return None

    def props(self, lid: str) -> dict:
        p = self.resources.get(lid, {}).get("Properties")
        return p if isinstance(p, dict) else {}

    def number(self, x, doc, where, key, what: str) -> int | None:
        t = self.text(x, doc, where, key, what)
        if t is None:
            return None
        try:
            return int(str(t).strip())
        except ValueError:
            self.ctx.skip(doc, "template: unusable value", f"{what} {t!r} is not a whole number", where, key)
            return None

    def flag(self, x, doc, where, key, what: str) -> bool | None:
        t = self.text(x, doc, where, key, what)
        if t is None:
            return None
        low = t.strip().lower()
        if low in ("true", "yes"):
            return True
        if low in ("false", "no"):
            return False
        self.ctx.skip(doc, "template: unusable value", f"{what} {t!r} is not true or false", where, key)
        return None
