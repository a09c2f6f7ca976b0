"""W523: a build runs the project's npm, yarn or pnpm scripts before any command installs its
dependencies.

Both platforms start a build from a fresh checkout of the source: ``node_modules`` is not in the
repository, so ``npm run build`` without an ``npm ci`` (or ``npm install``, ``yarn install``,
``pnpm install``) before it fails with "not found" on CodeBuild and on GitHub alike. A cache of
``node_modules`` is no substitute: CodeBuild's local cache is "available to that build host only"
(CodeBuild User Guide, "Local caching"), and a cold cache (the first run, another host, a changed
key on GitHub) has nothing in it. This is
the course module's classic failure ("a build failing due to a missing dependency"), found here
before any run.

The check is deliberately narrow, so that it does not cry wolf: it reads each command's simple
commands (split at ``&&``, ``||``, ``;``, ``|`` and new lines; leading ``VAR=value`` words and
``sudo`` skipped) and warns only when a script runner (``npm run``, ``npm test``, ``npm start``,
``yarn NAME``, ``pnpm run`` ...) comes before any install command and before any command that could
install in a way pipec cannot see (a script file such as ``./bootstrap.sh``, ``bash x``, ``make``,
``source``). Only the first such command of a build is reported.
"""

from __future__ import annotations

import re

from pipec import model
from pipec.diagnostics import WARNING, Diagnostic
from pipec.lazy_regex import lazy

#: where a command line splits into simple commands
_SPLIT = re.compile(r"&&|\|\||[;|\n]")
#: words before the program that do not change which program runs
_PREFIX = re.compile(r"^(?:(?:[A-Za-z_][A-Za-z0-9_]*=\S*|sudo|env|time|command)\s+)*")
#: installs the dependencies of the project
_INSTALLS = re.compile(r"^(?:npm\s+(?:ci|clean-install|install|i|add|isntall)\b|yarn(?:\s+install\b|\s*$|\s+--)"
                       r"|pnpm\s+(?:install|i|add)\b|bun\s+install\b)")
#: may install in a way this check cannot see
_OPAQUE = lazy(r"^(?:\.{0,2}/\S+|bash\s|sh\s|zsh\s|make\b|source\s|\.\s|npx\s|corepack\s)")
#: runs one of the project's package.json scripts (which use its dependencies)
_RUNS = lazy(r"^(?:npm\s+(?:run|run-script|test|t|start|stop|restart|exec)\b"
             r"|pnpm\s+(?:run|test|t|start|exec)\b"
             r"|yarn\s+(?!(?:install|add|remove|global|init|create|dlx|config|cache|set|policies|info|"
             r"--version|-v|version|upgrade|up|import|workspaces?)\b)[A-Za-z@][\w:.@/-]*)")


def check(b: model.Build, filename: str, source: str) -> list[Diagnostic]:
    """W523 for build ``b`` (see the module docstring), or nothing."""
    for ph in b.phases:
        for c in (*ph.commands, *ph.finally_commands):
            for part in _SPLIT.split(c.text):
                word = _PREFIX.sub("", part.strip())
                if not word or word.startswith("#"):
                    continue
                if _INSTALLS.match(word) or _OPAQUE.match(word):
                    return []
                if _RUNS.match(word):
                    tool = word.split()[0]
                    return [Diagnostic(
                        "W523", WARNING, f"'{word}' runs before any command installs the dependencies",
                        _span(c, word, source),
                        f"A build starts from a fresh checkout, without node_modules, on CodeBuild and on GitHub "
                        f"alike, so the script's tools are not found. Install them first, for example "
                        f"'install \"{_install_for(tool)}\"' (a cache of node_modules is not enough: it is empty on "
                        "the first run and on another build host).", (), filename)]
    return []


def _install_for(tool: str) -> str:
    return {"yarn": "yarn install --frozen-lockfile", "pnpm": "pnpm install --frozen-lockfile"}.get(tool, "npm ci")


def _span(c: model.Command, what: str, source: str):
    """Where ``what`` is in the .pipe text: its line of the command, else the command."""
    from pipec.shell_parse import command_span

    line = next((n for n, text in enumerate(c.text.split("\n")) if what in text), 0)
    return command_span(c, line, what, source)
