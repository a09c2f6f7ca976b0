"""The document ``pipec explain`` writes, and the words it uses.

:class:`Doc` collects titles, headings, paragraphs and bullets, wrapped at :data:`WIDTH` columns;
the helpers say durations, lists, counts and commands in English; the tables name providers,
compute sizes, runtimes, report kinds and execution modes. :func:`unique_sorted` orders
diagnostics by position, each said once. Every other ``explain_*`` module writes through these;
the entry point is :mod:`pipec.explain`.
"""

from __future__ import annotations

import textwrap

from pipec import model


WIDTH = 100

PLATFORM_NAMES = {"aws": "CodePipeline", "github": "GitHub Actions"}

PROVIDERS = {"github": "GitHub", "bitbucket": "Bitbucket", "gitlab": "GitLab", "codecommit": "CodeCommit",
             "s3": "S3"}
COMPUTE = {"small": "2 vCPUs, 3 GB", "medium": "4 vCPUs, 7 GB", "large": "8 vCPUs, 15 GB",
           "2xlarge": "72 vCPUs, 145 GB"}
COMPUTE_TYPES = {"small": "BUILD_GENERAL1_SMALL", "medium": "BUILD_GENERAL1_MEDIUM",
                 "large": "BUILD_GENERAL1_LARGE", "2xlarge": "BUILD_GENERAL1_2XLARGE"}
RUNTIMES = {"nodejs": "Node.js", "python": "Python", "java": "Java", "golang": "Go", "dotnet": ".NET",
            "ruby": "Ruby", "php": "PHP", "android": "Android"}
STORES = {"ssm": "the SSM Parameter Store parameter", "secrets-manager": "the Secrets Manager secret"}
REPORT_KINDS = {"junit": ("JUnit XML", "test"), "cucumber": ("Cucumber JSON", "test"),
                "testng": ("TestNG XML", "test"), "nunit": ("NUnit XML", "test"),
                "nunit3": ("NUnit 3 XML", "test"), "trx": ("Visual Studio TRX", "test"),
                "clover": ("Clover XML", "coverage"), "cobertura": ("Cobertura XML", "coverage"),
                "jacoco": ("JaCoCo XML", "coverage"), "simplecov": ("SimpleCov JSON", "coverage"),
                "lcov": ("LCOV", "coverage")}
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MODES = {
    "superseded": "superseded: when a newer run reaches a stage that an older run is waiting to enter, "
                  "the newer run overtakes it and the older one is dropped",
    "queued": "queued: runs go through one at a time, in the order they started; a new run waits for "
              "the one in progress",
    "parallel": "parallel: every run is independent; several can be in the same stage at once",
}


class Doc:
    def __init__(self):
        self.lines: list[str] = []

    def blank(self):
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def title(self, text: str):
        self.blank()
        self.lines += [text, "=" * len(text)]
        self.lines.append("")

    def heading(self, text: str):
        self.blank()
        self.lines += [text, "-" * len(text)]

    def para(self, text: str):
        self.lines += _wrap(text, "", "")

    def bullet(self, text: str, level: int = 0):
        pad = "  " * level
        self.lines += _wrap(text, pad + "- ", pad + "  ")

    def text(self) -> str:
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def _wrap(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def join_words(items, word: str = "and") -> str:
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def minutes_text(m: int) -> str:
    if m >= 1440 and m % 1440 == 0:
        return plural(m // 1440, "day")
    if m >= 60 and m % 60 == 0:
        return plural(m // 60, "hour")
    return plural(m, "minute")


def seconds_text(s: int) -> str:
    if s >= 60 and s % 60 == 0:
        return minutes_text(s // 60)
    return plural(s, "second")


def quoted(text: str) -> str:
    return f'"{text}"'


def _command(c: model.Command) -> str:
    text = c.text
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if c.script or len(lines) > 1:
        return f"a {len(lines)}-line script starting with {quoted(lines[0].strip())}"
    if len(text) <= 72:
        return quoted(text)
    return quoted(text[:60].rstrip() + "...") + f" ({len(text)} characters)"


def commands_text(cs) -> str:
    return join_words([_command(c) for c in cs], "then") if len(cs) <= 1 else \
        ", ".join(_command(c) for c in cs[:-1]) + ", then " + _command(cs[-1])


def unique_sorted(diags) -> list:
    seen, out = set(), []
    for d in sorted(diags, key=lambda d: d.sort_key()):
        key = (d.code, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out
