"""CloudFormation intrinsic functions, evaluated against the template that holds them.

What only a deployment decides (a pseudo parameter such as ``AWS::AccountId``, a parameter
without a default, an attribute, an import) is never guessed: it comes back as an
:class:`Unresolved` string that keeps the reference as ``${...}`` and says what it waits for.
Two evaluators share that vocabulary, the table of the property a ``Ref`` of a resource names
(:data:`NAME_PROPERTY`, :func:`declared_name`) and ``Fn::Sub``'s text (:func:`substitute`):

- :class:`Resolver`, for the read side, which reads pipec's own templates back
  (:class:`pipec.targets.aws.cfn.Template`, used by :mod:`pipec.targets.aws.read` and
  :mod:`pipec.targets.github.read`): ``Ref``, ``Fn::Sub``, ``Fn::GetAtt`` and ``Fn::Join`` where
  the template decides them, with nothing assumed. Every other function stays as written (its
  arguments resolved), for the reader to read or refuse.
- :class:`Evaluator`, for ``pipec import`` of templates people wrote
  (:mod:`pipec.targets.aws.imports`): also ``Fn::If`` and the template's conditions (evaluated
  with the parameters' defaults), ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``,
  ``Fn::ToJsonString`` and ``AWS::NoValue``; ``AWS::Partition`` is taken as ``aws``. It records
  which parameters' defaults and which conditions a value relied on (:attr:`Evaluator.used`,
  :attr:`Evaluator.chosen`), so that the importer can say so in a comment.

Where to go next: :mod:`pipec.targets.aws.imports.values` turns these values into ``.pipe``
values, comments, placeholders and findings; tests/test_intrinsics.py shows each function.
"""

from __future__ import annotations

import json
import re

#: pseudo parameters: their value depends on the deployment (the Resolver assumes none of them)
PSEUDO = {"AWS::AccountId", "AWS::Region", "AWS::Partition", "AWS::StackName", "AWS::StackId",
          "AWS::URLSuffix", "AWS::NoValue", "AWS::NotificationARNs"}

#: pseudo parameters the Evaluator takes as known (pipec's templates are for the aws partition)
ASSUMED = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}

#: resource type -> the property that holds the name a Ref of it gives
NAME_PROPERTY = {
    "AWS::CodeDeploy::Application": "ApplicationName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    "AWS::CodeDeploy::DeploymentConfig": "DeploymentConfigName",
    "AWS::CodeBuild::Project": "Name",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::CodePipeline::Pipeline": "Name",
    "AWS::IAM::Role": "RoleName",
}

#: nesting deeper than this is not evaluated (a template that refers to itself in a loop)
MAX_DEPTH = 30
#: conditions that refer to conditions deeper than this are not evaluated
MAX_CONDITION_DEPTH = 20

_SUB_NAME = re.compile(r"\$\{([^}]+)\}")


class Unresolved(str):
    """A value that depends on the deployment, kept as text with ``${X}`` for each part it waits
    for; ``missing`` names those parts in words (the :class:`Evaluator` fills it)."""

    missing: tuple = ()


def unresolved(text: str, *missing: str) -> Unresolved:
    out = Unresolved(text)
    out.missing = tuple(missing)
    return out


class _NoValue:
    """``Ref: AWS::NoValue``: the property or list item is left out."""


NO_VALUE = _NoValue()


def scalar(x) -> str:
    """A YAML scalar as CloudFormation reads it: booleans as ``true``/``false``, the rest as text."""
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


def has_unresolved(value) -> bool:
    """Whether ``value`` (text, list or mapping) holds an :class:`Unresolved` part anywhere."""
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, dict):
        return any(has_unresolved(x) for x in value.values())
    if isinstance(value, list):
        return any(has_unresolved(x) for x in value)
    return False


def declared_name(resources: dict, lid: str):
    """The name the template gives resource ``lid`` (its :data:`NAME_PROPERTY`, as written), or
    None when it gives none (CloudFormation then makes one up at deployment)."""
    res = resources.get(lid)
    if not isinstance(res, dict):
        return None
    prop = NAME_PROPERTY.get(res.get("Type"))
    props = res.get("Properties")
    return props.get(prop) if prop and isinstance(props, dict) else None


def substitute(text: str, lookup) -> str:
    """``Fn::Sub``'s ``text`` with each ``${Name}`` replaced by ``lookup(Name)`` (a string);
    ``${!Name}`` is the literal ``${Name}``."""
    def one(m):
        name = m.group(1)
        return "${" + name[1:] + "}" if name.startswith("!") else lookup(name)

    return _SUB_NAME.sub(one, text)


def referenced_id(x, *, sub: bool = False) -> str | None:
    """The logical ID that ``x`` names by reference: ``Ref: X``, ``Fn::GetAtt: [X, Attr]`` (or
    ``X.Attr``) and, with ``sub``, ``Fn::Sub: "${X}"`` or ``"${X.Attr}"``; None for anything else.
    Whether the template defines ``X`` is the caller's question."""
    if not (isinstance(x, dict) and len(x) == 1):
        return None
    (k, arg), = x.items()
    if k == "Ref":
        return arg if isinstance(arg, str) else None
    if k == "Fn::GetAtt":
        return arg[0] if isinstance(arg, list) and arg else str(arg).split(".", 1)[0]
    if k == "Fn::Sub" and sub and isinstance(arg, str):
        m = re.fullmatch(r"\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}", arg)
        return m.group(1) if m else None
    return None


# ----------------------------------------------------------------------------- the read side


class Resolver:
    """Resolves what pipec's own templates hold (see the module docstring): a parameter's
    ``Default``, a resource's name property, ``Fn::Sub``/``Fn::Join`` of those. Anything that
    depends on the deployment is :class:`Unresolved`; other functions are kept as written."""

    def __init__(self, data: dict):
        self.resources: dict = data.get("Resources") or {}
        self.parameters: dict = data.get("Parameters") or {}

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::Sub":
                return self.sub(arg)
            if key == "Fn::GetAtt":
                name, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return Unresolved(f"${{{name}.{attr}}}")
            if key == "Fn::Join":
                sep, items = arg
                parts = [self.resolve(i) for i in items]
                text = str(sep).join(str(p) for p in parts)
                return Unresolved(text) if any(isinstance(p, Unresolved) for p in parts) else text
        return {k: self.resolve(v) for k, v in value.items()}

    def ref(self, name: str):
        if name in PSEUDO:
            return Unresolved(f"${{{name}}}")
        if name in self.parameters:
            default = self.parameters[name].get("Default")
            return Unresolved(f"${{{name}}}") if default is None else default
        value = declared_name(self.resources, name)
        if value is not None:
            return self.resolve(value)
        return Unresolved(f"${{{name}}}")

    def sub(self, arg):
        if isinstance(arg, list):
            text, variables = arg[0], arg[1] if len(arg) > 1 else {}
        else:
            text, variables = arg, {}
        unresolved_parts = False

        def lookup(name):
            nonlocal unresolved_parts
            if name in variables:
                value = self.resolve(variables[name])
            elif "." in name:
                value = Unresolved("${" + name + "}")
            else:
                value = self.ref(name)
            if isinstance(value, Unresolved):
                unresolved_parts = True
            return str(value)

        out = substitute(text, lookup)
        return Unresolved(out) if unresolved_parts else out


# ----------------------------------------------------------------------------- the import side


class Evaluator:
    """Evaluates what a hand-written template decides, with its parameters' defaults (see the
    module docstring). :meth:`resolve` records in :attr:`used` the parameters whose default it
    took and in :attr:`chosen` the conditions of the ``Fn::If`` it chose; :meth:`reset` clears
    both, :meth:`peek` resolves without recording parameters."""

    def __init__(self, *, resources: dict, parameters: dict | None = None, conditions: dict | None = None,
                 mappings: dict | None = None):
        self.resources = resources
        self.parameters = parameters or {}
        self.conditions = conditions or {}
        self.mappings = mappings or {}
        #: parameters whose default a resolution used, in order (cleared by :meth:`reset`)
        self.used: list[str] = []
        #: conditions a resolution evaluated to choose an Fn::If branch: (name, value)
        self.chosen: list[tuple[str, bool]] = []

    def reset(self):
        self.used, self.chosen = [], []

    def peek(self, x):
        """``x`` resolved, leaving :attr:`used` as it was."""
        saved = list(self.used)
        try:
            return self.resolve(x)
        finally:
            self.used = saved

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str, depth: int = 0) -> bool | None:
        """The value of condition ``name`` with the parameters' defaults; None when the template
        does not decide it (or does not define it)."""
        c = self.conditions.get(name)
        if c is None or depth > MAX_CONDITION_DEPTH:
            return None
        return self._condition_expr(c, depth + 1)

    def _condition_expr(self, e, depth: int) -> bool | None:
        if depth > MAX_CONDITION_DEPTH or not isinstance(e, dict) or len(e) != 1:
            return None
        (k, arg), = e.items()
        if k == "Condition" and isinstance(arg, str):
            return self.condition(arg, depth)
        if k == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            a, b = self.peek(arg[0]), self.peek(arg[1])
            if isinstance(a, Unresolved) or isinstance(b, Unresolved) or a is NO_VALUE or b is NO_VALUE:
                return None
            if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
                return None
            return scalar(a) == scalar(b)
        if k == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            r = self._condition_expr(arg[0], depth + 1)
            return None if r is None else not r
        if k in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            rs = [self._condition_expr(x, depth + 1) for x in arg]
            if k == "Fn::And":
                return False if False in rs else (None if None in rs else True)
            return True if True in rs else (None if None in rs else False)
        return None

    # ------------------------------------------------------------------ values
    def resolve(self, x, depth: int = 0):
        """``x`` as far as the template decides it: plain data, :class:`Unresolved` text, or
        :data:`NO_VALUE` (left out of lists and mappings)."""
        if depth > MAX_DEPTH:
            return unresolved("${...}", "a deeply nested expression")
        if isinstance(x, list):
            out = [self.resolve(i, depth + 1) for i in x]
            return [i for i in out if i is not NO_VALUE]
        if not isinstance(x, dict):
            return x
        if len(x) != 1 or not next(iter(x)).startswith(("Fn::", "Ref")):
            out = {k: self.resolve(val, depth + 1) for k, val in x.items()}
            return {k: val for k, val in out.items() if val is not NO_VALUE}
        (k, arg), = x.items()
        if k == "Ref":
            return self.ref(arg, depth)
        if k == "Fn::Sub":
            return self.sub(arg, depth)
        method = self._FUNCTIONS.get(k)
        if method is not None:
            return method(self, arg, depth)
        if k == "Fn::GetAtt":
            target = ".".join(str(a) for a in arg) if isinstance(arg, list) else str(arg)
            return unresolved("${" + target + "}", f"the attribute {target}")
        if k == "Fn::ImportValue":
            return unresolved("${ImportValue}", "an Fn::ImportValue")
        return unresolved("${" + k + "}", k)

    def ref(self, name, depth: int = 0):
        if not isinstance(name, str):
            return unresolved("${Ref}", "a malformed Ref")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in ASSUMED:
            return ASSUMED[name]
        if name in PSEUDO or name.startswith("AWS::"):
            return unresolved("${" + name + "}", name)
        param = self.parameters.get(name)
        if isinstance(param, dict):
            default = param.get("Default")
            if default is None:
                return unresolved("${" + name + "}", f"parameter {name} (no default)")
            if name not in self.used:
                self.used.append(name)
            if isinstance(default, list):
                return ",".join(scalar(d) for d in default)
            return scalar(default)
        if name in self.resources:
            value = declared_name(self.resources, name)
            if value is not None:
                return self.resolve(value, depth + 1)
            return unresolved("${" + name + "}", f"the name of {name} (created by the template)")
        return unresolved("${" + name + "}", f"{name} (not defined in the template)")

    def sub(self, arg, depth: int = 0):
        if isinstance(arg, list) and arg:
            text, variables = arg[0], arg[1] if len(arg) > 1 and isinstance(arg[1], dict) else {}
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            return unresolved("${Fn::Sub}", "a malformed Fn::Sub")
        missing: list[str] = []

        def lookup(name):
            if name in variables:
                value = self.resolve(variables[name], depth + 1)
            elif "." in name and not name.startswith("AWS::"):
                value = unresolved("${" + name + "}", f"the attribute {name}")
            else:
                value = self.ref(name, depth + 1)
            if isinstance(value, Unresolved):
                missing.extend(value.missing)
            if value is NO_VALUE or isinstance(value, (dict, list)):
                missing.append(name)
                return "${" + name + "}"
            return scalar(value)

        out = substitute(text, lookup)
        return unresolved(out, *missing) if missing else out

    def _if(self, arg, depth: int):
        if not (isinstance(arg, list) and len(arg) == 3):
            return unresolved("${Fn::If}", "a malformed Fn::If")
        value = self.condition(arg[0]) if isinstance(arg[0], str) else None
        if value is None:
            return unresolved("${Fn::If}", f"condition {arg[0]}")
        self.chosen.append((str(arg[0]), value))
        return self.resolve(arg[1] if value else arg[2], depth + 1)

    def _join(self, arg, depth: int):
        if not (isinstance(arg, list) and len(arg) == 2):
            return unresolved("${Fn::Join}", "a malformed Fn::Join")
        sep = self.resolve(arg[0], depth + 1)
        parts = self.resolve(arg[1], depth + 1)
        if not isinstance(parts, list) or isinstance(sep, (dict, list)):
            return unresolved("${Fn::Join}", "an Fn::Join of a computed list")
        if any(isinstance(pt, (dict, list)) for pt in parts):
            return unresolved("${Fn::Join}", "an Fn::Join of a computed list")
        text = str(sep).join(scalar(pt) for pt in parts)
        missing = [m for pt in [sep, *parts] if isinstance(pt, Unresolved) for m in pt.missing]
        return unresolved(text, *missing) if missing else text

    def _select(self, arg, depth: int):
        if not (isinstance(arg, list) and len(arg) == 2):
            return unresolved("${Fn::Select}", "a malformed Fn::Select")
        idx, lst = self.resolve(arg[0], depth + 1), self.resolve(arg[1], depth + 1)
        try:
            return lst[int(idx)] if isinstance(lst, list) else unresolved("${Fn::Select}", "Fn::Select of a "
                                                                          "computed list")
        except (ValueError, TypeError, IndexError):
            return unresolved("${Fn::Select}", "Fn::Select of a computed list")

    def _split(self, arg, depth: int):
        if not (isinstance(arg, list) and len(arg) == 2):
            return unresolved("${Fn::Split}", "a malformed Fn::Split")
        sep, text = self.resolve(arg[0], depth + 1), self.resolve(arg[1], depth + 1)
        if isinstance(text, Unresolved) or not isinstance(text, str) or not isinstance(sep, str) or not sep:
            return unresolved("${Fn::Split}", "Fn::Split of a value set at deployment")
        return text.split(sep)

    def _find_in_map(self, arg, depth: int):
        if not (isinstance(arg, list) and len(arg) >= 3):
            return unresolved("${Fn::FindInMap}", "a malformed Fn::FindInMap")
        keys = [self.resolve(a, depth + 1) for a in arg[:3]]
        if any(isinstance(kk, (Unresolved, dict, list)) for kk in keys):
            return unresolved("${Fn::FindInMap}", "Fn::FindInMap with keys set at deployment")
        try:
            return self.resolve(self.mappings[keys[0]][keys[1]][keys[2]], depth + 1)
        except (KeyError, TypeError):
            return unresolved("${Fn::FindInMap}", "Fn::FindInMap of a missing entry")

    def _to_json_string(self, arg, depth: int):
        value = self.resolve(arg, depth + 1)
        if has_unresolved(value):
            return unresolved("${Fn::ToJsonString}", "Fn::ToJsonString of values set at deployment")
        return json.dumps(value, separators=(",", ":"))

    _FUNCTIONS = {"Fn::If": _if, "Fn::Join": _join, "Fn::Select": _select, "Fn::Split": _split,
                  "Fn::FindInMap": _find_in_map, "Fn::ToJsonString": _to_json_string}
