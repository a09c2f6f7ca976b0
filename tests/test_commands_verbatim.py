"""Commands survive byte for byte (issue 22, item 16): whatever command text the language
accepts reaches the buildspec and the workflow unchanged, and every generated file parses as
YAML. Comments in the workflow (a pinned action's release, a permission's reason) are part of
the data pipec dumps (:class:`pipec.yamlout.Commented`), so no script line can be mistaken for
the line that carries one.

The workflow's ``run:`` text is compared after GitHub's own evaluation of the one expression
pipec writes there: ``${{ '${{' }}``, which is how a user's ``${{`` stays text
(:func:`pipec.targets.escape.expression_text`); a command's trailing line breaks are the line
breaks between the commands of the phase's script there."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import pipec
from pipec.build import EmitContext, generate
from pipec.diagnostics import Diagnostics
from pipec.targets import TARGETS
from pipec.targets.escape import LITERAL_OPEN

PIN = "actions/checkout@0123456789abcdef0123456789abcdef01234567"

#: lines that looked like what the old text-editing passes looked for, and YAML/shell look-alikes
TRICKY_LINES = [
    "contents: read", "  contents: read", "id-token: write", f"uses: {PIN}", f"      - uses: {PIN}",
    f"- uses: {PIN} # v1", "permissions:", "# a comment", "x # not a comment to YAML", "${{ github.sha }}",
    "${{ '${{' }}", "echo '${{ secrets.X }}'", "cat <<'EOF'", "EOF", "---", "...", "- item", "key: value",
    "? q", "  indented", "\tTAB", "echo \"quoted\" 'single'", "é ü ß 中文 😀", "a \\", "&anchor *alias",
    "!tag x", "%YAML 1.1", "|", ">", "{a: 1}", "[x]", "",
]


def pipe_text(script: str) -> str:
    body = "\n".join(("        " + line) if line else "" for line in script.split("\n"))
    return (
        'pipeline verbatim {\n'
        '  source repo github "acme/app" {\n'
        '    branch main\n'
        '    on push\n'
        '  }\n'
        '  stage ci {\n'
        '    build b {\n'
        f'      build """\n{body}\n        """\n'
        '    }\n'
        '  }\n'
        '}\n'
    )


def pipe_string(command: str) -> str:
    """A pipeline whose build runs ``command`` written as a one-line quoted string, escaped as the
    language reads strings (``\\``, ``\"``, ``\n``, ``\t``)."""
    quoted = command.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return pipe_text("").replace('      build """\n\n        """\n', f'      build "{quoted}"\n')


def build_files(text: str) -> tuple[str, dict[str, str]]:
    """(the command as the language reads it, every generated file)."""
    pipeline, _ = pipec.compile_text(text, "verbatim.pipe")
    [command] = [c.text for s in pipeline.stages for a in s.actions for p in a.phases for c in p.commands]
    return command, generate(pipeline, EmitContext(source="verbatim.pipe", prefix=""), list(TARGETS))


def assert_verbatim(command: str, files: dict[str, str]):
    parsed = {}
    for path, text in files.items():
        if path.endswith((".yml", ".yaml")):
            parsed[path] = yaml.safe_load(text)  # every generated YAML file parses
    spec = parsed["aws/verbatim/buildspec/b.yml"]
    assert spec["phases"]["build"]["commands"] == [command]
    workflow = parsed[".github/workflows/verbatim.yml"]
    runs = [step["run"].replace(LITERAL_OPEN, "${{") for step in workflow["jobs"]["b"]["steps"] if "run" in step]
    # the phase script puts each command on its own lines: a command's trailing line breaks are
    # those line breaks (they change nothing bash runs)
    assert any(command.rstrip("\n") in run for run in runs), (command, runs)


def test_heredoc_line_shaped_like_a_permission_is_not_commented():
    """Regression: '# check out the repository' was appended to a heredoc line 'contents: read',
    changing the file the script writes."""
    command, files = build_files(pipe_text("cat > perms.yml <<'YAML'\npermissions:\n  contents: read\nYAML"))
    assert_verbatim(command, files)
    assert "contents: read  # check out the repository" in files[".github/workflows/verbatim.yml"]
    assert "  contents: read\nYAML" in command


def test_script_line_shaped_like_a_pinned_uses_line_builds():
    """Regression: a script line shaped like a pinned 'uses:' line made 'build' fail with an
    internal error (exit 3: KeyError on an unknown SHA)."""
    command, files = build_files(pipe_text(f"cat > x.yml <<'Y'\n      - uses: {PIN}\nY"))
    assert_verbatim(command, files)
    workflow = files[".github/workflows/verbatim.yml"]
    assert f"- uses: {PIN}\n" in workflow  # no '# vX' added to the user's line
    assert " # v" in workflow  # pipec's own pins still carry their release


def test_build_cli_exit_status_for_a_uses_shaped_line(tmp_path: Path):
    from pipec.cli import main

    src = tmp_path / "verbatim.pipe"
    src.write_text(pipe_text(f"cat > x.yml <<'Y'\n      - uses: {PIN}\nY"), encoding="utf-8")
    assert main(["build", str(src), "-o", str(tmp_path / "out"), "--target", "github"]) == 0


# any character the grammar takes in a script: not '"' (a script cannot hold '"""'; quotes are
# covered by TRICKY_LINES), no line-break characters of its own, no surrogates
chars = st.characters(blacklist_categories=("Cs",), blacklist_characters='"\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029')
lines = st.one_of(st.sampled_from(TRICKY_LINES), st.text(chars, max_size=20))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.lists(lines, min_size=1, max_size=6))
def test_any_accepted_command_reaches_both_targets_unchanged(script_lines):
    text = pipe_text("\n".join(script_lines))
    try:
        command, files = build_files(text)
    except Diagnostics:
        assume(False)  # text the language refuses (with a coded diagnostic) is not a command
    assert_verbatim(command, files)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(TRICKY_LINES), st.text(st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=20)),
    min_size=1, max_size=3))
def test_any_accepted_quoted_command_reaches_both_targets_unchanged(parts):
    """The same for a command written as a quoted string, quotes, backslashes and escapes included."""
    text = pipe_string("\n".join(parts))
    try:
        command, files = build_files(text)
    except Diagnostics:
        assume(False)
    assert command == "\n".join(parts)
    assert_verbatim(command, files)
