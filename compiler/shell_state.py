"""What a build's commands rely on that the run-time contract leaves unspecified (docs/language.md,
"Run time"): warnings W530 (a command ends the shell), W531 (shell state other than the working
directory and variables, followed by later commands) and W532 (an image known to lack bash), and
error E209 (a name of the GitHub phases script's own).

CodeBuild documents only that "the working directory and environment variables" carry from one
command to the next (build-env-ref-cmd, buildspec version 0.2). On GitHub a build whose commands
set such state for later ones runs all its phases in one bash process (:func:`independent` is
false for it), so there everything carries: functions, options, traps, aliases,
umask, open file descriptors, the directory stack, background jobs. A pipeline that relies on
them works on GitHub and may not on CodeBuild, so pipec says so where a command sets one of them
at the top level of the shell (not in a subshell, a ``$(...)``, a pipeline or a function body)
and later commands follow. ``exit`` (or ``exec PROGRAM``) at the top level ends the GitHub
phases process at once: no later command, ``finally`` or phase runs; CodeBuild's documentation
does not say what it does.

Commands are read with tree-sitter-bash (:mod:`pipec.shell_parse`, as for W520), only when their text
holds one of the words that matter (:data:`_WORDS`), so the usual build pays nothing.
"""

from __future__ import annotations

import re

from pipec import model
from pipec.diagnostics import ERROR, WARNING, Diagnostic
from pipec.lazy_regex import lazy
from pipec.shell_parse import only_comments

#: a command is parsed only when its text holds one of these
_WORDS = re.compile(r"\b(exit|exec|set|shopt|trap|alias|umask|pushd|popd|wait|function|pipec_\w*)\b|\(\s*\)")
#: builtins that change shell state other than the directory and variables -> what it is called
_STATE = {"shopt": "shell options ('shopt')", "trap": "a trap", "alias": "an alias", "umask": "the umask",
          "pushd": "the directory stack ('pushd')", "popd": "the directory stack ('popd')"}
#: nodes whose commands run in another process, or later: not at the top level of the shell
_ELSEWHERE = {"subshell", "command_substitution", "process_substitution", "function_definition", "pipeline"}
#: image names that have no bash (the name's last path part, before the tag or digest)
_NO_BASH = lazy(r"(^|[-_.])(alpine|busybox|distroless|scratch)([-_.]|$)", re.I)


def check(b: model.Build, filename: str, source: str) -> list[Diagnostic]:
    """The diagnostics of build ``b`` (see the module docstring)."""
    diags: list[Diagnostic] = []
    if b.image.kind == "docker" and b.image.ref and _NO_BASH.search(_image_name(b.image.ref)):
        diags.append(Diagnostic(
            "W532", WARNING, f"'{b.name}' runs in '{b.image.ref}', an image without bash", b.span,
            "Both platforms run the build's commands in bash (the buildspec's 'env: shell: bash', the GitHub "
            "job's steps), so every command would fail. Use an image that has bash (for Alpine, one "
            "built FROM it with 'RUN apk add --no-cache bash').", (), filename))
    commands = [c for ph in b.phases for c in (*ph.commands, *ph.finally_commands)]
    reported: set[str] = set()
    background = False
    for i, c in enumerate(commands):
        if not _WORDS.search(c.text):
            background = background or "&" in c.text
            continue
        later = i + 1 < len(commands)
        for line, what, kind in _top_level(c.text):
            if kind == "reserved":
                diags.append(Diagnostic(
                    "E209", ERROR, f"'{what}' is a name of pipec's own", _span(c, line, what, source),
                    "Names starting with 'pipec_' belong to the GitHub phases script (its helpers and the "
                    "build's status). Rename the variable or function.", (), filename))
            elif kind == "ends":
                diags.append(Diagnostic(
                    "W530", WARNING, f"'{what}' ends the build's shell", _span(c, line, what, source),
                    "On GitHub such a build runs its phases in one bash process, so no later command, finally command "
                    "or phase runs; CodeBuild's documentation does not say what it does. To fail on purpose, make "
                    "the command's last status non-zero ('false', 'test ...'), or use exit inside '( ... )'.",
                    (), filename))
            elif kind == "wait" and background and "wait" not in reported:
                reported.add("wait")
                diags.append(_state(c, line, what, "background jobs started by an earlier command", filename,
                                    source))
            elif kind == "state" and later and what not in reported:
                reported.add(what)
                diags.append(_state(c, line, what, _describe(what), filename, source))
            elif kind == "background":
                background = True
    return diags


def _state(c: model.Command, line: int, what: str, described: str, filename: str, source: str) -> Diagnostic:
    return Diagnostic(
        "W531", WARNING, f"later commands rely on {described}, which CodeBuild may not keep",
        _span(c, line, what, source),
        "CodeBuild documents that only the working directory and environment variables carry from one "
        "command to the next; on GitHub (one bash process for such a build) everything does. Put the commands "
        "that need it in one command (a multi-line script) or in a script file (a script file for options that "
        "change how bash reads the commands, such as 'shopt -s extglob').", (), filename)


def _describe(what: str) -> str:
    if what in _STATE:
        return _STATE[what]
    if what == "set":
        return "shell options ('set')"
    if what == "exec":
        return "file descriptors opened with 'exec'"
    return f"the function '{what}'"


def _image_name(ref: str) -> str:
    name = ref.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def _top_level(text: str):
    """(line, word, kind) for what a command does at the top level of the shell: ``ends`` (exit,
    exec PROGRAM), ``state`` (a builtin of :data:`_STATE`, ``set`` with options, ``exec`` with only
    redirections, a function definition), ``wait``, ``background`` (``&``) and ``reserved``
    (a pipec_ name assigned or defined anywhere)."""
    from pipec.shell_parse import node_text, parse

    tree, src = parse(text)  # the tree stays alive while its nodes are read
    root = tree.root_node
    out = []
    stack = [(root, True)]
    while stack:
        node, top = stack.pop()
        kind = node.type
        if kind in ("variable_assignment", "function_definition"):
            name = node.child_by_field_name("name")
            if name is not None and node_text(name, src).startswith("pipec_"):
                out.append((node.start_point[0], node_text(name, src), "reserved"))
        if top and kind == "function_definition":
            name = node.child_by_field_name("name")
            out.append((node.start_point[0], node_text(name, src) if name else "function", "state"))
        if top and kind == "command":
            out.extend(_command(node, src))
        if top and node.type == "&":
            out.append((node.start_point[0], "&", "background"))
        inner = top and kind not in _ELSEWHERE
        stack.extend((child, inner) for child in reversed(node.children))
    return sorted(out)


def _command(node, src: bytes):
    from pipec.shell_parse import node_text

    name = node.child_by_field_name("name")
    if name is None:
        return []
    word = node_text(name, src)
    args = [ch for ch in node.children if ch.type not in ("command_name", "variable_assignment")]
    redirects = [a for a in args if a.type.endswith("_redirect")]
    line = node.start_point[0]
    if word == "exit":
        return [(line, "exit", "ends")]
    if word == "exec":
        return [(line, "exec", "ends" if len(args) > len(redirects) else "state")]
    if word in _STATE:
        return [(line, word, "state")]
    if word == "set" and any(node_text(a, src)[:1] in "-+" and node_text(a, src) not in ("--", "-")
                             for a in args if a not in redirects):
        return [(line, "set", "state")]
    if word == "wait":
        return [(line, "wait", "wait")]
    return []


def _span(c: model.Command, line: int, what: str, source: str):
    from pipec.shell_parse import command_span

    return command_span(c, line, what, source)


# ----------------------------------------------------------------------------- E210: bash syntax


class Verdicts:
    """What ``bash -n`` said of each command text, kept across checks of successive texts of one
    document (the language server's: a keystroke changes one command of thousands). A command's
    verdict depends on its text alone: :func:`_bash_syntax` gives every command a function of its
    own, bash reads a complete function definition the same way whatever came before it, and a
    command that leaves something open is read again alone; the verdict is None (bash read it) or
    what bash found wrong. At most ``limit`` texts of at most
    ``chars`` characters in all are kept: a full table starts again empty. ``asked`` counts the
    commands the last :func:`syntax` sent to bash (for tests and measurements)."""

    __slots__ = ("known", "limit", "chars", "held", "asked")

    def __init__(self, limit: int = 20_000, chars: int = 4_000_000):
        self.known: dict[str, str | None] = {}
        self.limit, self.chars = limit, chars
        self.held = self.asked = 0

    def learn(self, text: str, verdict: str | None) -> None:
        if len(self.known) >= self.limit or self.held + len(text) > self.chars:
            self.known.clear()
            self.held = 0
        if len(text) <= self.chars and text not in self.known:
            self.known[text] = verdict
            self.held += len(text)


#: the verdicts :func:`syntax` reads and adds to (set by :func:`pipec.lsp_check.keeping`); None:
#: ask bash about every command
kept_verdicts: Verdicts | None = None


def syntax(builds, filename: str, source: str) -> list[Diagnostic]:
    """E210 for each command of ``builds`` that bash cannot parse. CodeBuild fails such a command
    alone; the GitHub phases step is one bash script, which bash reads a compound command at a
    time and abandons at the first syntax error, so no later command, finally command or phase
    would run there. Both platforms run bash (the buildspec's ``env: shell: bash``), so bash's
    own parser decides: every command goes into one ``bash -n`` run as the body of a function
    of its own (one process for the whole pipeline; another only after a syntax error), and the
    line bash reports names the command. Without bash on this machine the check is skipped: bash
    is run by name, found on the PATH as shutil.which would find it, and a FileNotFoundError is
    caught below (not shutil.which first: shutil, with the compression modules it imports, was
    1.6 ms of `pipec check`'s start-up, issue 18). In the language server, a command whose
    text bash has judged before is not sent again (:data:`kept_verdicts`)."""
    commands = [c for b in builds for ph in b.phases for c in (*ph.commands, *ph.finally_commands)]
    if not commands:
        return []
    memo = kept_verdicts
    found: list | None = None
    if memo is not None:
        before = {c.text: memo.known[c.text] for c in commands if c.text in memo.known}
        todo = [c for c in commands if c.text not in before]
        memo.asked = len(todo)
        new, complete = _bash_syntax(todo, memo) if todo else ([], True)
        if complete:  # else bash said what pipec cannot place: ask about every command, as without
            bad = {id(c): what for c, what in new}
            found = [(c, bad.get(id(c)) or before.get(c.text)) for c in commands]
            found = [(c, what) for c, what in found if what]
    if found is None:
        if memo is not None:
            memo.asked = len(commands)
        found = _bash_syntax(commands, None)[0]
    return [Diagnostic(
        "E210", ERROR, f"this command is not valid bash: {what}", c.span,
        "Both platforms run the commands in bash, and bash cannot read this one on its own (bash -n). On "
        "GitHub such a command keeps the build's phases in one bash script, which bash reads a block at a "
        "time before running it: nothing after this command would run (and options that change how bash reads, such as "
        "'shopt -s extglob', come too late for it). Quote what bash reads as syntax (\"file(s)\"), close "
        "what is left open (a quote, an 'if', a here-document), or put code that needs extglob in a "
        "script file.",
        (), filename) for c, what in found]


def _bash_syntax(commands: list, memo: Verdicts | None) -> tuple[list[tuple[object, str]], bool]:
    """(command, what bash found wrong) for each of ``commands`` that ``bash -n`` refuses, and
    whether every command got a verdict (False when bash's report cannot be placed or bash cannot
    be run: the commands after the last placed error are then unknown). With ``memo``, each
    verdict is recorded there.

    The commands go to one bash as functions, each followed by a marker line ``: $"..."`` that
    ``--dump-strings`` prints when bash reads it as code. A command that leaves a quote or a
    here-document open makes bash read what follows, its marker included, as text, up to a
    quote or a delimiter in a later command, which may well close it: the whole can be valid
    bash while neither command is. So the first command whose marker is missing, or that holds
    the line bash reports first, whichever comes first, is the one in question, and its verdict
    comes from bash reading it alone: every verdict is the command's own, whatever its
    neighbours."""
    import subprocess

    found: list[tuple[object, str]] = []
    todo = list(commands)
    while todo:
        try:
            proc, owner = _bash_n(todo)
        except (OSError, subprocess.SubprocessError):
            return found, False
        read = {int(n) for n in _MARKER.findall(proc.stdout)}
        first = next((i for i in range(len(todo)) if i not in read), None)
        report = _report(proc.stderr)
        if report is None and proc.returncode == 0 and first is None:
            if memo is not None:
                for c in todo:
                    memo.learn(c.text, None)
            break
        if report is not None and report[0] is not None:
            if not 1 <= report[0] <= len(owner):
                return found, False
            first = owner[report[0] - 1] if first is None else min(first, owner[report[0] - 1])
        if first is None:
            return found, False  # a report pipec cannot place: nothing said rather than a wrong place
        try:
            alone, _ = _bash_n([todo[first]])
        except (OSError, subprocess.SubprocessError):
            return found, False
        own = _report(alone.stderr)
        if own is None:
            return found, False  # bash reads it alone: the report above cannot be placed
        c = todo.pop(first)
        found.append((c, own[1]))
        if memo is not None:
            memo.learn(c.text, own[1])
    return found, True


#: the marker after the ``n``th function, as ``bash --dump-strings`` prints it when it reads it
_MARKER = re.compile(r'^"pipec_syntax_end_(\d+)"$', re.M)


def _bash_n(cmds: list):
    """bash's ``-n`` of ``cmds``, each the body of a function followed by its marker line
    (:data:`_MARKER`); (the finished process, the index of the command of each line)."""
    import subprocess

    lines, owner = [], []
    for i, c in enumerate(cmds):
        body = c.text.rstrip("\n")
        chunk = [f"pipec_syntax_{i}() {{", *body.split("\n"), *([""] if body.endswith("\\") else []),
                 *([":"] if only_comments(body) else []), "}", f': $"pipec_syntax_end_{i}"']
        lines += chunk
        owner += [i] * len(chunk)
    # --dump-strings prints the $"..." strings bash reads and implies -n: nothing is run
    return subprocess.run(["bash", "--norc", "--noprofile", "--dump-strings", "-n"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=20), owner


def _report(stderr: str) -> tuple[int | None, str] | None:
    """(the line, what is wrong) of the first problem ``bash -n`` reports, the line None when bash
    names none (a quote left open reads to the end of the input); None when it reports nothing
    pipec knows."""
    # an unclosed here-document is only a warning to bash -n, but in one script it swallows
    # every later line (the closing brace included)
    heredoc = re.search(r"warning: here-document at line (\d+) delimited by end-of-file \(wanted `([^']*)'\)", stderr)
    if heredoc:
        return int(heredoc.group(1)), f"the here-document is not closed (no line '{heredoc.group(2)}')"
    m = re.search(r"line (\d+): (syntax error[^\n]*)", stderr)
    if m:
        return int(m.group(1)), m.group(2).strip()
    quote = re.search(r"unexpected EOF while looking for matching `(.)'", stderr)
    if quote:
        return None, f"the quote {quote.group(1)} is not closed"
    return None


# ----------------------------------------------------------------------------- one process or one each

#: words that make a command worth parsing for :func:`independent` (anything else cannot change
#: what a later command sees)
_MAYBE = lazy(
    r"=|&|\(\(|\(\s*\)|\$\$|\$_|\$\{_|\b(cd|pushd|popd|export|declare|typeset|local|readonly|unset|read|mapfile|"
    r"readarray|source|eval|set|shopt|alias|unalias|trap|umask|ulimit|exec|exit|return|logout|wait|hash|enable|"
    r"builtin|command|let|getopts|shift|bg|fg|disown|jobs|suspend|coproc|printf|for|select|function|SECONDS|"
    r"BASHPID|PIPESTATUS|BASH_REMATCH|DIRSTACK|OLDPWD|RANDOM)\b|(^|[\s;&|({])\.\s")
#: builtins whose effect outlives the command in the shell that runs it (the directory, exported
#: or read variables, options, traps, aliases, functions, limits, jobs), or that end that shell
_CARRIES = {"cd", "pushd", "popd", "export", "declare", "typeset", "local", "readonly", "unset", "read",
            "mapfile", "readarray", "source", ".", "eval", "set", "shopt", "alias", "unalias", "trap", "umask",
            "ulimit", "exec", "exit", "return", "logout", "wait", "hash", "enable", "builtin", "command", "let",
            "getopts", "shift", "bg", "fg", "disown", "jobs", "suspend", "coproc"}
#: what a command can read of the shell that ran the commands before it
_SHELL_OWN = lazy(r"\$\$|\$\{?_\b|\b(SECONDS|BASHPID|PIPESTATUS|BASH_REMATCH|DIRSTACK|OLDPWD|RANDOM)\b")


def independent(texts: list[str]) -> bool:
    """Whether the commands ``texts`` (in the order they run) do the same run each in a bash
    process of its own as all in one: no command but the last leaves, at the top level of the
    shell, anything a later command could see (a directory change, an exported or read
    variable, an option, a trap, an alias, a function, a limit, a background job, any variable
    assignment: the variable may be exported already, as PATH is), none ends the shell, and none
    reads what only the shell that ran earlier commands has (``$$``, ``$_``, ``SECONDS``...).
    Conservative: a construct it does not know keeps the commands in one process."""
    for i, text in enumerate(texts):
        if _SHELL_OWN.search(text) and i:
            return False
        if not _MAYBE.search(text):
            continue
        if i == len(texts) - 1:  # nothing comes after the last: only ending the shell differs
            return not any(kind == "ends" or what == "return" for _, what, kind in _top_level(text)) \
                and not re.search(r"\b(return|logout)\b", text)
        assigned = _carried(text)
        if assigned is None:
            return False
        later = "\n".join(texts[i + 1:])
        if any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", later) for name in assigned):
            return False
    return True


def _carried(text: str) -> set[str] | None:
    """The variable names ``text`` assigns at the top level of the shell, or None when it leaves
    more than variables behind (or ends the shell), see :func:`independent`."""
    from pipec.shell_parse import node_text, parse

    tree, src = parse(text)
    if tree.root_node.has_error:
        return None
    names: set[str] = set()
    stack = [(tree.root_node, True)]
    while stack:
        node, top = stack.pop()
        kind = node.type
        if top:
            if kind in ("function_definition", "&", "declaration_command", "unset_command", "c_style_for_statement"):
                return None
            if kind == "command":
                name = node.child_by_field_name("name")
                word = node_text(name, src) if name is not None else ""
                if word in _CARRIES:
                    return None
                if word == "printf" and any(node_text(a, src) == "-v" for a in node.children):
                    return None
            if kind == "variable_assignment" and node.parent is not None and node.parent.type != "command":
                # an assignment to a variable that is already exported (PATH, HOME, a job's env)
                # or that bash itself reads (IFS, CDPATH) changes what every later command sees
                # without naming it: any assignment at the top level keeps the commands together
                return None
            if kind in ("for_statement", "select_statement"):
                var = node.child_by_field_name("variable")
                if var is None:
                    return None
                names.add(node_text(var, src))
            if kind == "compound_statement" and node_text(node, src).startswith("(("):
                return None  # arithmetic, which may assign
        inner = top and kind not in _ELSEWHERE
        stack.extend((child, inner) for child in reversed(node.children))
    return names


#: nodes inside which bash's -e would stop a command part-way (a sequence, a compound command, a
#: subshell, a function); command and process substitutions do not inherit -e (bash, not POSIX mode)
_ERREXIT_SENSITIVE = {"subshell", "compound_statement", "if_statement", "while_statement", "for_statement",
                      "c_style_for_statement", "case_statement", "function_definition", "select_statement",
                      ";", "&", "heredoc_redirect"}
_NO_ERREXIT_INSIDE = {"command_substitution", "process_substitution"}
_COMPOUND_WORD = lazy(r"(^|\s)(if|then|else|elif|fi|for|while|until|do|done|case|esac|select|function|coproc|"
                      r"time|\[\[)(\s|$)")


#: commands that run other text in the current shell, where bash -e applies to every command of it
_RUNS_TEXT_HERE = {"source", ".", "eval", "builtin", "command", "exec", "trap"}


def errexit_neutral(text: str) -> bool:
    """Whether ``text`` ends with the same status under ``bash -e`` (GitHub's shell for a step
    that names none) as under plain bash (CodeBuild's ``shell: bash``): one line holding one
    command, pipeline or ``&&``/``||`` list (bash -e ignores every part of such a list but the
    last, and the list's status is the script's), with no sequence, compound command, subshell
    or function, and none of ``source``, ``.`` or ``eval`` (which run other text in this shell,
    where -e stops at its first failing command). Conservative: anything else, or what does not
    parse, is not neutral."""
    t = text.strip()
    if not t or "\n" in t or "\r" in t:
        return False
    # the usual command needs no parser: without its $(...) parts and its &&, || and | lists, it
    # holds no sequence, grouping, background job, here-document or compound command
    rest, before = t, None
    while rest != before:
        before, rest = rest, re.sub(r"\$\([^()'\"`]*\)", "x", rest)
    rest = rest.replace("&&", " ").replace("||", " ").replace("|", " ")
    if not re.search(r"[;&(){}`]|<<", rest) and not _COMPOUND_WORD.search(rest) \
            and not re.search(r"(^|\s)(source|\.|eval|builtin|command|exec|trap)(\s|$)", rest):
        return True
    from pipec.shell_parse import parse

    tree, src = parse(t)
    root = tree.root_node
    if root.has_error or len([c for c in root.named_children if c.type != "comment"]) != 1:
        return False
    from pipec.shell_parse import node_text

    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in _ERREXIT_SENSITIVE:
            return False
        if node.type == "command":
            name = node.child_by_field_name("name")
            if name is not None and node_text(name, src).strip() in _RUNS_TEXT_HERE:
                return False
        if node.type in _NO_ERREXIT_INSIDE:
            continue
        stack.extend(node.children)
    return True
