"""GitHub's expression language (the inside of ``${{ }}`` and ``if:``), evaluated where the values
are known and :data:`UNKNOWN` where only GitHub knows them during a run. :mod:`.conditions` asks.
"""

from __future__ import annotations


import re

from pipec.targets.github.imports.common import _scalar


class _Unknown:
    """A value only GitHub knows when the run happens."""

    def __repr__(self):
        return "UNKNOWN"


UNKNOWN = _Unknown()
_TOKEN = re.compile(r"\s*(?:(?P<num>-?(?:0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?))|"
                    r"(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\],.*])|"
                    r"(?P<id>[A-Za-z_][A-Za-z0-9_-]*))")
_STATUS = ("success", "failure", "always", "cancelled")


def _truthy(x):
    if x is UNKNOWN:
        return UNKNOWN
    return not (x is None or x is False or x == "" or (isinstance(x, (int, float)) and not isinstance(x, bool)
                                                         and (x == 0 or x != x)))


def _number(x):
    if isinstance(x, bool):
        return 1.0 if x else 0.0
    if x is None:
        return 0.0
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        s = x.strip()
        if not s:
            return 0.0
        try:
            return float(int(s, 16)) if s.lower().startswith("0x") else float(s)
        except ValueError:
            return float("nan")
    return float("nan")


def _compare(op, a, b):
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        result = a is b if op in ("==", "!=") else False
        return result if op == "==" else (not result if op == "!=" else False)
    if isinstance(a, str) and isinstance(b, str):
        x, y = a.lower(), b.lower()
    elif type(a) is type(b) and not isinstance(a, str):
        x, y = (_number(a), _number(b)) if not (a is None) else (0, 0)
    else:
        x, y = _number(a), _number(b)
    if op == "==":
        return x == y
    if op == "!=":
        return not x == y
    try:
        return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
    except TypeError:
        return False


class _Expr:
    """GitHub's expression language, evaluated where the values are known; UNKNOWN elsewhere."""

    def __init__(self, text: str, lookup, status: dict):
        self.toks = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"cannot read {text[pos:pos + 20]!r}")
            pos = m.end()
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind)))
            rest = text[pos:]
            if not rest.strip():
                break
        self.i = 0
        self.lookup = lookup
        self.status = status

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise ValueError(f"expected {value!r}")
        self.i += 1
        return tok

    def run(self):
        out = self.or_()
        if self.i != len(self.toks):
            raise ValueError("trailing text")
        return out

    def or_(self):
        a = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            b = self.and_()
            ta = _truthy(a)
            if ta is True:
                continue
            if ta is False:
                a = b
            else:
                a = True if _truthy(b) is True else UNKNOWN
        return a

    def and_(self):
        a = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            b = self.unary()
            ta = _truthy(a)
            if ta is False:
                continue
            if ta is True:
                a = b
            else:
                a = False if _truthy(b) is False else UNKNOWN
        return a

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            t = _truthy(self.unary())
            return UNKNOWN if t is UNKNOWN else not t
        return self.cmp()

    def cmp(self):
        a = self.primary()
        kind, tok = self.peek()
        if kind == "op" and tok in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return _compare(tok, a, self.primary())
        return a

    def primary(self):
        kind, tok = self.take()
        if kind == "num":
            return float(int(tok, 16)) if "x" in tok.lower() else float(tok)
        if kind == "str":
            return tok[1:-1].replace("''", "'")
        if kind == "op" and tok == "(":
            out = self.or_()
            self.take(")")
            return out
        if kind != "id":
            raise ValueError(f"unexpected {tok!r}")
        if tok in ("true", "false"):
            return tok == "true"
        if tok == "null":
            return None
        if self.peek() == ("op", "("):
            self.take()
            args = []
            while self.peek() != ("op", ")"):
                args.append(self.or_())
                if self.peek() == ("op", ","):
                    self.take()
                elif self.peek() != ("op", ")"):
                    raise ValueError("bad arguments")
            self.take(")")
            return self.call(tok.lower(), args)
        path = [tok]
        while True:
            if self.peek() == ("op", "."):
                self.take()
                k, t = self.take()
                if k not in ("id", "op") or (k == "op" and t != "*"):
                    raise ValueError("bad property")
                path.append(t)
            elif self.peek() == ("op", "["):
                self.take()
                idx = self.or_()
                self.take("]")
                path.append(idx)
            else:
                break
        return self.lookup(path)

    def call(self, name, args):
        if name in _STATUS:
            return self.status[name]
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        if name in ("contains", "startswith", "endswith") and len(args) == 2:
            hay, needle = args
            if name == "contains" and isinstance(hay, list):
                return any(_compare("==", x, needle) is True for x in hay)
            h, n = (_scalar(hay) or "").lower(), (_scalar(needle) or "").lower()
            return n in h if name == "contains" else h.startswith(n) if name == "startswith" else h.endswith(n)
        if name == "fromjson" and len(args) == 1 and isinstance(args[0], str):
            # fromJSON of a text known at import: GitHub's "Returns a JSON object or JSON data type
            # for value" (the expressions reference), a JSON parse; numbers are GitHub's floats
            import json

            try:
                value = json.loads(args[0], parse_int=float)
            except ValueError:
                return UNKNOWN
            return value if isinstance(value, (list, dict, str, float, bool)) or value is None else UNKNOWN
        return UNKNOWN
