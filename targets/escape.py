"""The escaping functions: one per place a user's string can land in generated files.

Every string that comes from a ``.pipe`` file and reaches one of these sinks goes through the
function for that sink, and through nothing else (docs/targets.md, "Escaping"; SECURITY.md):

==================  ===========================================================================
sink                function
==================  ===========================================================================
GitHub expression   :func:`expression_text`: text in a workflow where GitHub evaluates ``${{ }}``
                    (``run:``, ``env:``, ``with:``, step names, URLs); the text stays literal
GitHub expression   :func:`expression_string`: a value inside an expression, as a string literal
string literal
shell word          :func:`shell_word`: one word of a bash script, single-quoted
PowerShell string   :func:`powershell_string`: a string literal of a PowerShell script (the
                    commands ``pipec import`` writes for an ``os windows`` build), single-quoted
``$GITHUB_ENV``     :data:`GITHUB_ENV_DELIMITER`: a multi-line value (a fetched secret) is written
                    between delimiters chosen at random on the runner, so the value cannot end
                    its own block early and set other variables
``Fn::Sub``         :func:`sub_text`: text inside a CloudFormation ``Fn::Sub`` string, where ``${``
                    starts a substitution; the text stays literal
path segment        :func:`path_segment`: one segment of a path pipec writes under the output
                    folder; refuses anything but a plain name
==================  ===========================================================================

YAML and JSON quoting is not on this list: pipec never writes YAML or JSON text by hand, it
dumps data (:mod:`pipec.yamlout`, :mod:`json`), so the serialiser quotes every scalar.
"""

from __future__ import annotations

import re

#: how :func:`expression_text` writes a literal ``${{`` (the read sides undo exactly this)
LITERAL_OPEN = "${{ '${{' }}"


#: the first line of a script that writes values to ``$GITHUB_ENV``: sets ``$eof`` to a delimiter
#: of 128 random bits, chosen on the runner when the step runs (GitHub's documentation of
#: multiline values asks for exactly this: a fixed delimiter lets a value end its block early)
GITHUB_ENV_DELIMITER = "eof=\"pipec_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')\""


def expression_text(text: str) -> str:
    """``text`` for a place where GitHub Actions evaluates ``${{ ... }}``: every ``${{`` becomes
    the expression ``${{ '${{' }}``, whose value is the two characters, so no expression of the
    user's is ever evaluated (and no untrusted context reaches a script through one)."""
    return text.replace("${{", LITERAL_OPEN)


def expression_string(text: str) -> str:
    """``text`` as a string literal inside a GitHub expression: single-quoted, quotes doubled."""
    return "'" + text.replace("'", "''") + "'"


#: written before script lines whose single-quoted words hold '$' or '`' on purpose: shellcheck
#: would otherwise suggest double quotes (SC2016), which would expand them
LITERAL_PATHS_DIRECTIVE = "# shellcheck disable=SC2016  # the quotes keep '$' in these paths literal"


def shell_word(text: str) -> str:
    """``text`` as one bash word that the shell passes on unchanged: single-quoted, with each
    ``'`` written as ``'"'"'``. Nothing inside single quotes is expanded."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


#: the characters PowerShell reads as a single quote: the apostrophe and the typographic single
#: quotation marks (about_Quoting_Rules; the tokenizer's IsSingleQuote)
_PS_QUOTES = re.compile("['\u2018\u2019\u201a\u201b]")


def powershell_string(text: str) -> str:
    """``text`` as a PowerShell single-quoted string, which expands nothing (no ``$``, no
    backtick escapes): each character PowerShell reads as a single quote is doubled."""
    return "'" + _PS_QUOTES.sub(lambda m: m.group(0) * 2, text) + "'"


def failing_command(message: str) -> str:
    """The bash command of a placeholder ``pipec import`` leaves, which fails until a person
    replaces it: it prints ``pipec import: MESSAGE`` to standard error and exits 1. ``message``
    holds text of the imported file (job keys, artifact and file names), so it is one
    :func:`shell_word`: a quote in it neither breaks the command nor runs what follows."""
    return f"echo {shell_word('pipec import: ' + message)} >&2 && exit 1"


def sub_text(text: str) -> str:
    """``text`` inside a CloudFormation ``Fn::Sub`` string: ``${`` would start a substitution,
    ``${!`` is Fn::Sub's own escape for a literal ``${``."""
    return text.replace("${", "${!")


_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def path_segment(name: str) -> str:
    """``name`` as one segment of a path under the output folder. Names reaching paths are
    checked by the language first (NAME tokens, setting values in :mod:`pipec.setting_values`);
    this is the last line: a segment that could leave the folder or hide (``..``, ``/``, a
    leading dot, NUL) raises ValueError, which is a bug in pipec (exit 3), never a write."""
    if not _SEGMENT.fullmatch(name) or ".." in name:
        raise ValueError(f"not a plain file name: {name!r}")
    return name
