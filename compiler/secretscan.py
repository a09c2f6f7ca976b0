"""Secret detection: credentials written in clear text in a ``.pipe`` file (W503).

``secret NAME = "value"`` has no syntax (E104), but a credential can still be written as a plain
value: ``env DB_PASS = hunter2``, a ``ghp_...`` token under a neutral name, a password in a URL,
a key inside a command. Every such string lands in the generated buildspec, CloudFormation
template and workflow, in clear text. This module finds them with the detectors of
`detect-secrets <https://github.com/Yelp/detect-secrets>`_ (Yelp's scanner, also used as a
pre-commit hook), run over every string a ``.pipe`` file gives: environment values, variable
defaults and descriptions, phase and ``finally`` commands, stack and Lambda parameters, messages,
URLs, platform settings (:func:`scanned_items` lists the walk).

**Which detectors.** detect-secrets ships about 25 plugins. Those enabled (:data:`PLUGINS`) match
a token by its own format (``AKIA...``, ``ghp_...``, ``xoxb-...``, ``-----BEGIN ... PRIVATE
KEY``, ``://user:password@``, JWTs, ...) or a literal value assigned to a secret-sounding name
(``KeywordDetector``: ``password=...``, ``DB_PASS=...``). Left out, each for a measured reason:

- ``Base64HighEntropyString`` and ``HexHighEntropyString``: entropy cannot tell a key from the
  checksums, digests, commit SHAs and paths that commands are full of. Over the 1,503 real-world
  workflows of the shared corpus they flagged 8 quoted strings: 5 paths
  (``"PKG_CONFIG_PATH=/usr/local/lib/pkgconfig"``), a download checksum, and 2 halves of a token
  split on purpose to get past scanners (the only real finding the other detectors miss).
- ``ArtifactoryDetector``: its ``AP[0-9A-F]...`` pattern matches ordinary upper-case words
  (``APEX1234567``).
- ``TelegramBotTokenDetector``: ``\\d{8,10}:[A-Za-z0-9_-]{35}`` matches the account ID and the
  resource name of an ARN such as ``arn:aws:sns:us-east-1:123456789012:<a 35-character topic>``.
- ``IbmCloudIamDetector``: flags any 44-character value assigned to a name ending in ``key`` or
  ``token``, such as a cache key; ``CloudantDetector``, ``SoftlayerDetector``,
  ``IbmCosHmacDetector``: IBM Cloud formats keyed on short prefixes (``cl``, ``sl``, ``cos``), not
  a pipeline's platforms.
- ``IPPublicDetector``: an IP address is not a credential.

**Filters.** A finding is dropped by detect-secrets' own heuristic filters (:func:`_lib_filtered`:
sequential strings, UUIDs, ``id`` names, ``{templated}``, ``<templated>`` and ``$``-prefixed
values, ``x = f(...)`` indirect references, values without a letter) and by a few of pipec's,
each for something commands contain that is not a secret (:func:`_pipec_filter`).

**Start-up cost.** Importing detect-secrets costs 80-100 ms (most of it ``requests``, which its
base plugin module imports for optional online verification, never used here): measured, a
``pipec check`` of a file with a secret in it takes 194 ms instead of 110, close to double. So a
pure-Python pre-filter (:func:`could_contain_secret`)
first asks whether any string could possibly match an enabled detector; only then is the
library imported. tests/test_secretscan.py checks that the pre-filter lets through every string
the library's own patterns match (so it never hides a finding), and that checking the examples
does not import the library.
"""

from __future__ import annotations

import re
from functools import lru_cache
from types import SimpleNamespace
from typing import Iterator, NamedTuple

from pipec import ast
from pipec.diagnostics import WARNING, Diagnostic, Span
from pipec.node import evolve, fields, has

#: The enabled detect-secrets plugins: class name -> (module, what a match looks like). The
#: module docstring says why the others are off.
PLUGINS: dict[str, tuple[str, str]] = {
    "AWSKeyDetector": ("aws", "an AWS secret access key"),
    "AzureStorageKeyDetector": ("azure_storage_key", "an Azure storage account key"),
    "BasicAuthDetector": ("basic_auth", "a password in a URL"),
    "DiscordBotTokenDetector": ("discord", "a Discord bot token"),
    "GitHubTokenDetector": ("github_token", "a GitHub token"),
    "GitLabTokenDetector": ("gitlab_token", "a GitLab token"),
    "JwtTokenDetector": ("jwt", "a JSON Web Token"),
    "KeywordDetector": ("keyword", "a secret"),
    "MailchimpDetector": ("mailchimp", "a Mailchimp API key"),
    "NpmDetector": ("npm", "an npm access token"),
    "OpenAIDetector": ("openai", "an OpenAI API key"),
    "PrivateKeyDetector": ("private_key", "a private key"),
    "PypiTokenDetector": ("pypi_token", "a PyPI API token"),
    "SendGridDetector": ("sendgrid", "a SendGrid API key"),
    "SlackDetector": ("slack", "a Slack token"),
    "SquareOAuthDetector": ("square_oauth", "a Square OAuth secret"),
    "StripeDetector": ("stripe", "a Stripe live API key"),
    "TwilioKeyDetector": ("twilio", "a Twilio API key"),
}

#: More precise descriptions by the token's prefix (GitHub: docs.github.com, "About
#: authentication to GitHub", GitHub's token formats; AWS: IAM User Guide, "Unique identifiers",
#: the access key ID prefixes AKIA (long-term) and ASIA (temporary)).
_BY_PREFIX: tuple[tuple[str, str, str], ...] = (
    ("GitHubTokenDetector", "ghp_", "a GitHub personal access token"),
    ("GitHubTokenDetector", "gho_", "a GitHub OAuth access token"),
    ("GitHubTokenDetector", "ghu_", "a GitHub App user access token"),
    ("GitHubTokenDetector", "ghs_", "a GitHub App installation access token"),
    ("GitHubTokenDetector", "ghr_", "a GitHub refresh token"),
    ("AWSKeyDetector", "AKIA", "an AWS access key ID"),
    ("AWSKeyDetector", "ASIA", "an AWS temporary access key ID"),
    ("AWSKeyDetector", "A3T", "an AWS access key ID"),
    ("AWSKeyDetector", "ABIA", "an AWS access key ID"),
    ("AWSKeyDetector", "ACCA", "an AWS access key ID"),
    ("SlackDetector", "https://hooks.slack.com/", "a Slack webhook URL"),
)

# ----------------------------------------------------------------------------- the pre-filter

#: detect-secrets' KeywordDetector denylist (detect_secrets/plugins/keyword.py, DENYLIST); a
#: test keeps the two equal.
KEYWORDS = ("api_?key", "auth_?key", "service_?key", "account_?key", "db_?key", "database_?key",
            "priv_?key", "private_?key", "client_?key", "db_?pass", "database_?pass", "key_?pass",
            "password", "passwd", "pwd", "secret", "contraseña", "contrasena")
#: Every denylisted word contains one of these (with the same case-insensitive matching), so a
#: text without them skips the keyword patterns below, which are compiled on first use.
_KW_HINT = re.compile("key|pass|pwd|secret|contrase", re.I)


@lru_cache(maxsize=1)
def _keyword_patterns():
    """The keyword rules pipec uses (the YAML ones) each need, around a denylisted word: an
    assignment or comparison after it ('password: x', 'password = x', 'password != x'), a
    comparison before it ('"x" == password'), or a quoted value ended by ';' ('password "x";')."""
    kw = "(?:" + "|".join(KEYWORDS) + ")"
    return (re.compile(kw + r"\w*[\]'\"]{0,2}\s*[:=!]", re.I),
            re.compile(r"[!=]{2}\s*\w*" + kw, re.I),
            re.compile(kw + r"\w*\S{0,50}?\s*['\"`]", re.I))


#: One necessary condition per enabled regex-based plugin: a string that matches none of these
#: cannot match the plugin's own patterns (tests/test_secretscan.py generates strings from each
#: plugin's patterns and checks it). Each alternative is linear in the text's length.
_ANCHORS = re.compile("|".join((
    r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}",  # AWSKeyDetector: access key IDs
    r"['\"][0-9a-zA-Z/+]{40}['\"]",                 # AWSKeyDetector: a quoted secret access key
    r"AccountKey=",                                # AzureStorageKeyDetector
    r"://[^\s:/?#\[\]@]+:[^\s:/?#\[\]@]+@",         # BasicAuthDetector (its classes exclude more)
    r"[MNO][a-zA-Z\d_-]{23,25}\.[a-zA-Z\d_-]{6}\.",  # DiscordBotTokenDetector
    r"gh[pousr]_",                                 # GitHubTokenDetector
    r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-|GR1348941",  # GitLabTokenDetector
    r"eyJ[A-Za-z0-9-_=]+\.",                       # JwtTokenDetector (the library's own class)
    r"[0-9a-z]{32}-us[0-9]",                       # MailchimpDetector
    r":_authToken=",                               # NpmDetector
    r"T3BlbkFJ",                                   # OpenAIDetector
    r"PRIVATE KEY|PuTTY-User-Key-File-2",          # PrivateKeyDetector
    r"pypi-AgE",                                   # PypiTokenDetector
    r"SG\.[a-zA-Z0-9_-]{22}\.",                     # SendGridDetector
    r"(?i:xox[abposr]-|hooks\.slack\.com/services/)",  # SlackDetector
    r"sq0csp-",                                    # SquareOAuthDetector
    r"[rs]k_live_",                                # StripeDetector
    r"AC[a-z0-9]{32}|SK[a-z0-9]{32}",              # TwilioKeyDetector
)))


def could_contain_secret(text: str) -> bool:
    """False when no enabled detector can match anything in ``text`` (pure Python, no import of
    detect-secrets); True when the library must look."""
    if _ANCHORS.search(text):
        return True
    if not _KW_HINT.search(text):
        return False
    assign, compared, quoted = _keyword_patterns()
    if assign.search(text) or compared.search(text):
        return True
    return ";" in text and bool(quoted.search(text))


# ----------------------------------------------------------------------------- the scan


class Finding(NamedTuple):
    """One secret in a string: the detect-secrets ``plugin`` (class name) that matched, what it
    looks like (``description``), and where it is: ``start``/``end`` offsets in the string."""

    plugin: str
    description: str
    secret: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _library():
    """The enabled plugin instances and the library's filters, imported on first use."""
    import importlib

    from detect_secrets.filters import heuristic

    plugins = []
    for name, (module, _description) in PLUGINS.items():
        cls = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        plugins.append(cls())
    return tuple(plugins), heuristic


def _lib_filtered(heuristic, plugin, secret: str, line: str) -> bool:
    """detect-secrets' default heuristic filters for a scanned line (Settings.clear in
    detect_secrets/settings.py); the file-name filters do not apply to a string."""
    if (heuristic.is_sequential_string(secret) or heuristic.is_potential_uuid(secret)
            or heuristic.is_likely_id_string(secret, line, plugin)
            or heuristic.is_templated_secret(secret) or heuristic.is_prefixed_with_dollar_sign(secret)
            or heuristic.is_not_alphanumeric_string(secret)):
        return True
    # ``x = get_secret()``: meant for the keyword rule; a token inside a command that also calls
    # something with brackets is still a token.
    return type(plugin).__name__ == "KeywordDetector" and heuristic.is_indirect_reference(line)


_NOT_SECRET_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "none", "nil",
                               "required", "optional", "changeme"})


@lru_cache(maxsize=1)
def _filter_patterns():
    """The patterns of pipec's filters, compiled on first use (after a detector matched)."""
    return SimpleNamespace(
        hex=re.compile(r"[0-9a-fA-F]+"),
        shell_word=re.compile(r"[^\s;&|()<>]+"),
        # an upper-case name with an underscore (``server-password: MAVEN_PASSWORD``): the name of
        # the variable that holds the secret
        variable_name=re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"),
        # a name that describes a secret instead of holding one: SECRET_ARN, DB_PASSWORD_PARAM, ...
        describes_secret=re.compile(r"_(?:NAME|ID|ARN|PATH|FILE|PARAM|PARAMETER|REF|LENGTH)$", re.I),
        # the name a value is assigned to, just before it
        key_before=re.compile(r"([\w.-]+)[\]'\"]{0,2}\s*(?::=|[:=]{1,3}|=>)\s*['\"`]?$"),
        # the start of the word the value is in
        word_start=re.compile(r"""[^\s'"`=]*$"""),
    )


def _in_arn(line: str, index: int) -> bool:
    """Whether ``line[index]`` is inside an ARN (``arn:aws:secretsmanager:...`` matches the
    keyword rule as 'secretsmanager: VALUE')."""
    before = line[max(0, index - 300):index]
    return _filter_patterns().word_start.search(before).group(0).startswith("arn:")


def _pipec_filter(plugin: str, secret: str, line: str, index: int) -> bool:
    """pipec's filters, for what commands and values contain that is not a secret:

    - a 40-character hex string matched by the AWS secret-key rule is a commit SHA or a SHA-1
      digest (a secret access key is base64: 40 hex digits by chance is one chance in 10^18);
    - a keyword value in backquotes is a command substitution (``PASSWORD=`cat f```);
    - a keyword value that is (or is inside) an ARN, an absolute path (a file, a Parameter Store name), an
      upper-case variable name (``MAVEN_PASSWORD``) or a word such as ``true`` says where a
      secret is, or that there is one, not what it is;
    - a keyword whose name ends in ``_NAME``, ``_ID``, ``_ARN``, ``_PATH``, ``_FILE``, ``_PARAM``,
      ``_REF`` or ``_LENGTH`` describes a secret (``SECRET_ARN=...``), it does not hold it.
    """
    pat = _filter_patterns()
    if plugin == "AWSKeyDetector":
        return len(secret) == 40 and bool(pat.hex.fullmatch(secret))
    if plugin != "KeywordDetector":
        return False
    if index > 0 and line[index - 1] == "`":
        return True
    if secret.startswith(("arn:", "/")) or secret.lower() in _NOT_SECRET_WORDS \
            or pat.variable_name.fullmatch(secret) or _in_arn(line, index):
        return True
    key = pat.key_before.search(line[max(0, index - 200):index])  # bounded: linear on long lines
    return bool(key and pat.describes_secret.search(key.group(1)))


def scan(text: str) -> list[Finding]:
    """The secrets in ``text`` (any number of lines), in order. Imports detect-secrets unless
    :func:`could_contain_secret` rules everything out."""
    if not could_contain_secret(text):
        return []
    plugins, heuristic = _library()
    found: list[Finding] = []
    offset = 0
    for line in text.split("\n"):
        if could_contain_secret(line):
            found.extend(_scan_line(plugins, heuristic, line, offset))
        offset += len(line) + 1
    found.sort(key=lambda f: (f.start, f.plugin))
    out, seen = [], set()
    for f in found:  # one finding per place: the first detector in name order
        if f.start not in seen:
            seen.add(f.start)
            out.append(f)
    return out


#: Plugins whose patterns capture only the token's prefix (``(ghp|gho|...)_[A-Za-z0-9_]{36}``
#: yields ``ghp``): pipec reports each whole match of their patterns instead.
_WHOLE_MATCH = frozenset({"GitHubTokenDetector", "GitLabTokenDetector"})


def _scan_line(plugins, heuristic, line: str, offset: int) -> Iterator[Finding]:
    for plugin in plugins:
        name = type(plugin).__name__
        if name in _WHOLE_MATCH:
            for pattern in plugin.denylist:
                for m in pattern.finditer(line):
                    if not _lib_filtered(heuristic, plugin, m.group(0), line):
                        yield Finding(name, describe(name, m.group(0)), m.group(0),
                                      offset + m.start(), offset + m.end())
            continue
        # The strings land in YAML files (buildspec, workflow, template), and commands are shell:
        # the keyword rules for a YAML name give 'NAME=value' and 'name: value', quoted or not.
        for potential in plugin.analyze_line(filename="pipeline.yml", line=line, line_number=1,
                                             context=None):
            secret = potential.secret_value or ""
            if name == "KeywordDetector":
                # The rule takes a value to the end of its quotes or line; in a shell command an
                # unquoted value ends at the first blank or operator.
                word = _filter_patterns().shell_word.match(secret)
                secret = word.group(0) if word else ""
            index = _index_in_line(plugin, line, secret) if secret else -1
            if index < 0 or _lib_filtered(heuristic, plugin, secret, line) \
                    or _pipec_filter(name, secret, line, index):
                continue
            words = describe(name, secret)
            if name == "KeywordDetector":
                words = _keyword_description(line, index)
            yield Finding(name, words, secret, offset + index, offset + index + len(secret))


def _index_in_line(plugin, line: str, secret: str) -> int:
    """Where the reported value is in the line: for the keyword rule, the first occurrence that
    is assigned (``db_pass=pass`` is at 8, not 3); for the others, the group of their own pattern
    that captured it (``://pw:pw@`` reports the second ``pw``)."""
    if type(plugin).__name__ == "KeywordDetector":
        start = 0
        while (i := line.find(secret, start)) >= 0:
            if _filter_patterns().key_before.search(line[max(0, i - 200):i]):
                return i
            start = i + 1
        return line.find(secret)
    for pattern in plugin.denylist:
        for m in pattern.finditer(line):
            for g in range(pattern.groups, -1, -1):
                if m.group(g) == secret:
                    return m.start(g)
    return line.find(secret)


def _keyword_description(line: str, index: int) -> str:
    """'a password', 'a key' or 'a secret', by the name the value is assigned to."""
    key = _filter_patterns().key_before.search(line[max(0, index - 200):index])
    name = key.group(1).lower() if key else ""
    if any(w in name for w in ("pass", "pwd", "contrase")):
        return "a password"
    if "key" in name:
        return "a key"
    return "a secret"


def describe(plugin: str, secret: str) -> str:
    """What the secret looks like, in words: 'a GitHub personal access token'."""
    for p, prefix, words in _BY_PREFIX:
        if p == plugin and secret.startswith(prefix):
            return words
    return PLUGINS[plugin][1]


# ----------------------------------------------------------------------------- the .pipe walk


class Item(NamedTuple):
    """A string of the file to scan: the statement it belongs to (``node``), what it is
    (``kind``: env, variable, parameter, command or value), the name it is assigned to if any
    (``key``), and the text."""

    node: object
    kind: str
    key: str | None
    text: str


def scanned_items(module: ast.Module) -> Iterator[Item]:
    """Every string of the file that reaches a generated file: all string fields of every
    statement, except ``secret`` statements (a reference, never a value) and comments."""
    return _items(module.pipeline)


def _items(root, descend: bool = True) -> Iterator[Item]:
    """:func:`scanned_items` from ``root`` down (``descend`` False: ``root``'s own strings)."""
    walked = _WALKED
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        cls = type(node)
        names = walked.get(cls, _UNSEEN)
        if names is _UNSEEN:
            names = walked[cls] = _walked_fields(cls)
        if names is None:
            continue
        if isinstance(node, ast.EnvStmt):
            yield Item(node, "env", node.name, node.value)
            continue
        if isinstance(node, ast.ParameterStmt):
            yield Item(node, "parameter", node.name, node.value)
            continue
        if isinstance(node, ast.VariableStmt):
            yield Item(node, "variable", node.name, node.default)
            if node.description:
                yield Item(node, "value", None, node.description)
            continue
        if isinstance(node, ast.Command):
            yield Item(node, "command", None, node.text)
            continue
        children: list[object] = []
        for name in names:
            value = getattr(node, name)
            if isinstance(value, str):
                yield Item(node, "value", None, value)
            elif isinstance(value, tuple):
                for v in value:
                    if isinstance(v, str):
                        yield Item(node, "value", None, v)
                    elif isinstance(v, tuple):
                        yield from (Item(node, "value", None, s) for s in v if isinstance(s, str))
                    else:
                        children.append(v)
            elif value is not None:
                children.append(value)
        if descend:
            stack.extend(reversed(children))


#: class -> the fields :func:`scanned_items` reads of its instances (:func:`_walked_fields`),
#: found once per class rather than once per node (issue 18: 14,000 calls to ``fields`` on the
#: 2,500-action file)
_WALKED: dict[type, tuple[str, ...] | None] = {}
_UNSEEN = object()


def _walked_fields(cls: type) -> tuple[str, ...] | None:
    """The fields of a node class but its spans, in order; None for what is not walked: a
    ``secret`` statement, or a value that is not a node (a number, a flag)."""
    if issubclass(cls, ast.SecretStmt) or not has(cls):
        return None
    return tuple(f.name for f in fields(cls) if not (f.name == "span" or f.name.endswith("_span")))


def _span_at(source: str, pos: int, length: int) -> Span:
    line = source.count("\n", 0, pos) + 1
    column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return Span(line, column, line, column + max(length, 1) - 1, pos, pos + length)


def allowlisted(source: str, span: Span | None) -> bool:
    """detect-secrets' inline allowlist, in a .pipe comment: ``# pragma: allowlist secret`` at the
    end of the line, or ``# pragma: allowlist nextline secret`` alone on the line before."""
    if span is None or "pragma" not in source:
        return False
    from detect_secrets.filters.allowlist import is_line_allowlisted
    from detect_secrets.util.code_snippet import get_code_snippet

    start = source.rfind("\n", 0, span.start_pos) + 1
    end = source.find("\n", span.start_pos)
    previous = source.rfind("\n", 0, max(start - 1, 0)) + 1 if start else start
    lines = [source[previous:max(start - 1, previous)].rstrip("\r"),
             source[start:end if end >= 0 else len(source)].rstrip("\r")]
    # '.yaml': the comment syntax detect-secrets uses for YAML, '#', which is also the .pipe one
    return is_line_allowlisted("pipeline.yaml", lines[1], get_code_snippet(lines, 2))


def _locate(source: str, item: Item, secret: str, nth: int) -> Span | None:
    """The span of the ``nth`` (0-based) occurrence of the secret in the source of the item's
    value (after the '=' of an assignment), or the statement's span when the source spells it
    differently (an escape inside the string)."""
    span = getattr(item.node, "span", None)
    if span is None:
        return None
    pos = span.start_pos
    if item.key is not None:
        pos = source.find("=", pos, span.end_pos) + 1
    for _ in range(nth + 1):
        pos = source.find(secret, pos, span.end_pos) if secret else -1
        if pos < 0:
            return span
        pos += 1
    return _span_at(source, pos - 1, len(secret))


def _message(item: Item, finding: Finding) -> str:
    rule = f"(detect-secrets {finding.plugin})"
    if item.kind == "env":
        return f"the value of '{item.key}' looks like {finding.description} {rule}"
    if item.kind == "variable":
        return f"the default of variable '{item.key}' looks like {finding.description} {rule}"
    if item.kind == "parameter":
        return f"stack parameter '{item.key}' looks like {finding.description} {rule}"
    if item.kind == "command":
        return f"this command contains what looks like {finding.description} {rule}"
    return f"this value contains what looks like {finding.description} {rule}"


_WHY = ("Written here, it is in clear text in the .pipe file, the generated files and the build logs: "
        "rotate it. ")


def _help(item: Item, finding: Finding) -> str:
    name = item.key if item.kind == "env" else "NAME"
    store = (f"Keep it in Parameter Store (a SecureString) or Secrets Manager and write "
             f"'secret {name} from ssm \"/path/to/{name.lower()}\"' (or 'from secrets-manager \"name\"')")
    if finding.plugin == "BasicAuthDetector":
        return (_WHY + store + " in the action, and build the URL in the command from it, as "
                "'https://user:$NAME@host/...'.")
    if item.kind == "env":
        return _WHY + store + " instead of this env line."
    if item.kind == "command":
        return _WHY + store + " in the action, and write \"$NAME\" in the command where the value was."
    if item.kind == "parameter":
        # Dynamic references: CloudFormation User Guide, "Get values stored in other services
        # using dynamic references" (resolve:ssm-secure, resolve:secretsmanager).
        return (_WHY + "Keep it in Secrets Manager or Parameter Store and resolve it in the template "
                "itself with a dynamic reference ({{resolve:secretsmanager:NAME}} or "
                "{{resolve:ssm-secure:/path}}) instead of passing it as a parameter.")
    if item.kind == "variable":
        return (_WHY + "A variable's value is never secret. " + store
                + " in the actions that need it.")
    return _WHY + store + " in the action that needs it, and leave the value out of this line."


def _occurrences(text: str, part: str, start: int, end: int) -> int:
    """How many times ``part`` starts in ``text[start:end]``, overlaps included."""
    n, i = 0, text.find(part, start, end + len(part) - 1)
    while 0 <= i < end:
        n += 1
        i = text.find(part, i + 1, end + len(part) - 1)
    return n


class Kept:
    """The findings of each statement of a pipeline's body at the last check of one document (the
    language server's, :data:`kept_findings`). The document's :class:`pipec.reparse.Reparser` gives
    a statement whose block kept its text and its place the same object as before, so the same
    object means the same strings at the same offsets of the same text, and the same findings; a
    pipeline that uses templates is scanned whole. Only the last check's statements are kept.
    ``scanned`` counts the statements the last check scanned (for tests and measurements)."""

    __slots__ = ("by_item", "scanned", "origin")

    def __init__(self, origin=None):
        self.by_item: dict[object, tuple] = {}  # _key -> (statement, file name, findings)
        self.scanned = 0
        #: the Reparser's :meth:`~pipec.reparse.Reparser.origin`: a statement moved by an edit
        #: before it (typing a character moves every later block) takes its old findings, moved
        self.origin = origin


#: the findings :func:`check` reuses and keeps (set by :func:`pipec.lsp_check.keeping`); None:
#: scan every statement
kept_findings: Kept | None = None


def check(module: ast.Module) -> list[tuple[Span | None, Diagnostic]]:
    """W503 for every secret found in ``module``: (the statement's span, the diagnostic pointing at
    the secret itself). The statement's span lets :mod:`pipec.semantic` drop its name-based W503
    for the same ``env`` line. With :data:`kept_findings`, a statement of the pipeline's body
    scanned at the last check (the same object) is not scanned again."""
    from pipec.templates import uses_templates

    kept = kept_findings
    if kept is None or module.pipeline is None or uses_templates(module):
        return _check(module, scanned_items(module))
    out = _check(module, _items(module.pipeline, descend=False))
    now: dict[object, tuple] = {}
    kept.scanned = 0
    for item in module.pipeline.body:
        key = _key(item)
        hit = kept.by_item.get(key)
        if not _same(hit, item, module.filename):
            hit = _moved(kept, item, module.filename)
            if hit is None:
                hit = (item, module.filename, _check(module, _items(item)))
                kept.scanned += 1
        now[key] = hit
        out += hit[2]
    kept.by_item = now
    return out


def _moved(kept: Kept, item, filename: str) -> tuple | None:
    """The kept findings of the statement ``item`` was moved from, moved as it was; None when it
    was not moved or they are not kept."""
    origin = kept.origin(item) if kept.origin is not None else None
    if origin is None:
        return None
    old, shift = origin
    hit = kept.by_item.get(_key(old))
    if not _same(hit, old, filename):
        return None
    moved = shift.span
    findings = [(None if at is None else moved(at), d if d.span is None else evolve(d, span=moved(d.span)))
                for at, d in hit[2]]
    return item, filename, findings


def _key(item) -> object:
    """Where :class:`Kept` files a statement's findings: the object itself (its id)."""
    return id(item)


def _same(hit: tuple | None, item, filename: str) -> bool:
    """Whether the kept ``hit`` holds the findings of ``item`` in ``filename``."""
    return hit is not None and hit[0] is item and hit[1] == filename


def _check(module: ast.Module, items) -> list[tuple[Span | None, Diagnostic]]:
    from pipec.templates import carried, source_of

    out: list[tuple[Span | None, Diagnostic]] = []
    looked: dict[str, bool] = {}  # text -> could_contain_secret(text): most values recur
    for item in items:
        text = item.text
        if item.key is not None:
            # 'NAME=value' as the build sees it, so that the keyword rules see the name.
            text = f"{item.key}={item.text}"
        could = looked.get(text)
        if could is None:
            could = looked[text] = could_contain_secret(text)
        if not could:
            continue
        skip = len(text) - len(item.text)
        node_span = getattr(item.node, "span", None)
        source = source_of(module, node_span)[1]  # a template's value: its library file's text
        for finding in scan(text):
            if finding.start < skip:
                continue  # in the name, not the value
            nth = _occurrences(text, finding.secret, skip, finding.start)
            span = _locate(source, item, finding.secret, nth)
            found = Diagnostic("W503", WARNING, _message(item, finding), span, _help(item, finding), (),
                               module.filename)
            out.append((node_span, carried([found], node_span)[0]))
    return out
