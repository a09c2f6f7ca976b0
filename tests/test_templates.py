"""Shared definitions (pipec.templates): expansion is writing the pipeline by hand, byte for byte;
mis-expansions are caught; files are read only inside the project; fmt round trips whole files.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipec.node import evolve
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies as S
from pipelines import pipelines
from pipec import compile_file, compile_text, templates
from pipec.build import context_for, generate
from pipec.diagnostics import Diagnostics
from pipec.formatter import format_module
from pipec.parser import parse
from pipec.targets import TARGETS

LIBRARY = '''\
# Our Python service: build it, test it with pytest, publish the package.
template action pytest {
  param python_version = "3.12"
  test unit {
    runtime python python_version
    install "pip install -r requirements-dev.txt"
    build "pytest -q --junitxml=reports/{python_version}.xml"
  }
}

template stage python-service {
  param name
  param python_version = "3.12"
  param bucket
  stage build {
    build name {
      runtime python python_version
      install "pip install build"
      build "python -m build --outdir dist/{name}"
      artifact package files "dist/**/*"
    }
    use pytest {
      python_version = python_version
    }
  }

  stage publish {
    deploy upload to s3 {
      from package
      bucket bucket
      extract
    }
  }
}
'''

SERVICE = '''\
use "lib/python-service.pipe"

pipeline billing {
  source app github "my-org/billing"

  use python-service {
    name = billing
    python_version = "3.11"
    bucket = "my-org-billing-packages"
  }
}
'''

BY_HAND = '''\
pipeline billing {
  source app github "my-org/billing"

  stage build {
    build billing {
      runtime python 3.11
      install "pip install build"
      build "python -m build --outdir dist/billing"
      artifact package files "dist/**/*"
    }
    test unit {
      runtime python 3.11
      install "pip install -r requirements-dev.txt"
      build "pytest -q --junitxml=reports/3.11.xml"
    }
  }

  stage publish {
    deploy upload to s3 {
      from package
      bucket "my-org-billing-packages"
      extract
    }
  }
}
'''


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / ".git").mkdir(parents=True)
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def _outputs(pipe: Path, out: Path) -> dict[str, str]:
    pipeline, _warnings = compile_file(str(pipe))
    return generate(pipeline, context_for(str(pipe), str(out), source_root=str(out)), list(TARGETS))


def test_expansion_gives_the_tree_written_by_hand(tmp_path):
    root = _project(tmp_path, {"lib/python-service.pipe": LIBRARY, "billing.pipe": SERVICE})
    expanded = templates.expand(parse(SERVICE, str(root / "billing.pipe")))
    assert expanded.pipeline == parse(BY_HAND).pipeline
    assert not expanded.templates and not expanded.uses


def test_build_outputs_are_byte_identical_to_the_pipeline_written_by_hand(tmp_path):
    root = _project(tmp_path, {"lib/python-service.pipe": LIBRARY, "billing.pipe": SERVICE,
                               "by-hand/billing.pipe": BY_HAND})
    used = _outputs(root / "billing.pipe", root / "out")
    hand = _outputs(root / "by-hand" / "billing.pipe", root / "by-hand" / "out")
    assert sorted(used) == sorted(hand) and len(used) > 3
    for rel in used:
        assert used[rel] == hand[rel], rel


@pytest.mark.parametrize("mutation", ["default-instead-of-argument", "left-unsubstituted"])
def test_a_mis_expansion_is_caught(tmp_path, monkeypatch, mutation):
    """The byte-identity check above fails when the expansion is wrong in either usual way."""
    root = _project(tmp_path, {"lib/python-service.pipe": LIBRARY, "billing.pipe": SERVICE})
    if mutation == "default-instead-of-argument":
        real = templates._Expander.arguments

        def defaults_win(self, use, tpl, defined_at, *origin):
            values = real(self, use, tpl, defined_at, *origin)
            return {**values, **{p.name: p.default for p in tpl.params if p.default is not None}}

        monkeypatch.setattr(templates._Expander, "arguments", defaults_win)
    else:
        monkeypatch.setattr(templates._Sub, "text", lambda self, owner, field, value, span: value)
    try:
        expanded = templates.expand(parse(SERVICE, str(root / "billing.pipe")))
    except Diagnostics:
        return  # caught as an error
    assert expanded.pipeline != parse(BY_HAND).pipeline


def _timeout_error(tmp_path, library: str):
    """(project root, the E306 that compiling SERVICE with ``library`` gives)."""
    root = _project(tmp_path, {"lib/python-service.pipe": library, "billing.pipe": SERVICE})
    with pytest.raises(Diagnostics) as exc:
        compile_file(str(root / "billing.pipe"))
    (d,) = [d for d in exc.value.diagnostics if d.code == "E306"]
    return root, d


def test_diagnostic_in_a_template_points_into_it_with_the_use(tmp_path):
    root, d = _timeout_error(tmp_path, LIBRARY.replace('artifact package files "dist/**/*"',
                                                       'artifact package files "dist/**/*"\n      timeout 9d'))
    assert (d.file, d.span.line) == (str(root / "lib" / "python-service.pipe"), 21)
    assert d.notes[-1] == f"expanded from the use at {root / 'billing.pipe'}:6:3 (template 'python-service')"


def test_a_diagnostic_in_a_nested_template_names_every_use(tmp_path):
    root, d = _timeout_error(tmp_path, LIBRARY.replace('build "pytest -q', 'timeout 9d\n    build "pytest -q'))
    assert (d.file, d.span.line) == (str(root / "lib" / "python-service.pipe"), 7)
    assert d.notes == (f"expanded from the use at {root / 'lib' / 'python-service.pipe'}:23:5 (template 'pytest')",
                       f"expanded from the use at {root / 'billing.pipe'}:6:3 (template 'python-service')")


def test_explain_says_which_template_wrote_a_stage_and_an_action(tmp_path):
    from pipec.explain import explain

    root = _project(tmp_path, {"lib/python-service.pipe": LIBRARY, "billing.pipe": SERVICE})
    pipeline, _ = compile_file(str(root / "billing.pipe"))
    text = " ".join(explain(pipeline).split())
    lib, use = root / "lib" / "python-service.pipe", root / "billing.pipe"
    assert f"Stage 1 of 2: build ------------------- Written in the template 'python-service' ({lib}), used at {use}:6:3." in text
    assert (f"unit: test Written in the template 'pytest' ({lib}), used at {lib}:22:5, in the template "
            f"'python-service' used at {use}:6:3.") in text
    hand = _project(tmp_path / "hand", {"billing.pipe": BY_HAND})
    assert "Written in" not in explain(compile_file(str(hand / "billing.pipe"))[0])


def test_two_files_using_each_other_are_a_cycle_with_the_chain(tmp_path):
    root = _project(tmp_path, {
        "lib/a.pipe": 'use "b.pipe"\n\ntemplate action a {\n  test a {\n    build "true"\n  }\n}\n',
        "lib/b.pipe": 'use "a.pipe"\n',
        "p.pipe": 'use "lib/a.pipe"\n\n' + BY_HAND,
    })
    with pytest.raises(Diagnostics) as exc:
        compile_file(str(root / "p.pipe"))
    (d,) = exc.value.diagnostics
    assert d.code == "E802" and d.file == str(root / "lib" / "b.pipe")
    assert "lib/a.pipe -> lib/b.pipe -> lib/a.pipe" in d.message


def test_a_symbolic_link_out_of_the_project_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "lib.pipe").write_text(LIBRARY)
    root = _project(tmp_path / "repo", {"billing.pipe": SERVICE})
    (root / "lib").mkdir()
    os.symlink(outside / "lib.pipe", root / "lib" / "python-service.pipe")
    with pytest.raises(Diagnostics) as exc:
        compile_file(str(root / "billing.pipe"))
    assert [d.code for d in exc.value.diagnostics] == ["E801"]
    assert "symbolic link" in exc.value.diagnostics[0].message
    pipeline, _ = compile_text(SERVICE, str(root / "billing.pipe"), allow_outside_uses=True)
    assert pipeline.name == "billing"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_used_path_that_is_a_named_pipe_or_a_folder_is_refused_without_waiting(tmp_path):
    """Opening a named pipe for reading waits for a writer: the check would never end."""
    import signal

    root = _project(tmp_path, {"billing.pipe": SERVICE})
    (root / "lib").mkdir()
    os.mkfifo(root / "lib" / "python-service.pipe")

    def hung(*_):
        raise TimeoutError("the check waited on the named pipe")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(5)
    try:
        with pytest.raises(Diagnostics) as exc:
            compile_file(str(root / "billing.pipe"))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    (diag,) = exc.value.diagnostics
    assert (diag.code, diag.span.line) == ("E800", 1)
    assert "not a regular file" in diag.message
    os.remove(root / "lib" / "python-service.pipe")
    (root / "lib" / "python-service.pipe").mkdir()
    with pytest.raises(Diagnostics) as exc:
        compile_file(str(root / "billing.pipe"))
    assert [(d.code, d.message) for d in exc.value.diagnostics] == [
        ("E800", "used file 'lib/python-service.pipe' is a folder")]


def test_a_library_that_does_not_parse_is_reported_in_it_with_the_use(tmp_path):
    root = _project(tmp_path, {"lib/python-service.pipe": "template action x {\n  bogus\n}\n",
                               "billing.pipe": SERVICE})
    with pytest.raises(Diagnostics) as exc:
        compile_file(str(root / "billing.pipe"))
    (d,) = exc.value.diagnostics
    assert d.code == "E101" and d.file == str(root / "lib" / "python-service.pipe")
    assert d.notes[-1] == f"used from {root / 'billing.pipe'}:1:1"


def test_cli_check_shows_the_template_line(tmp_path, capsys):
    from pipec.cli import main

    lib = LIBRARY.replace("bucket bucket", "bucket bucket\n      object_key x")
    root = _project(tmp_path, {"lib/python-service.pipe": lib, "billing.pipe": SERVICE})
    assert main(["check", str(root / "billing.pipe")]) == 1
    err = capsys.readouterr().err
    assert "lib/python-service.pipe:" in err and "expanded from the use at" in err
    assert "object_key x" in err or "extract" in err  # the template's own line is shown


_LINTED = """template action pytest {
  param python_version = "3.12"
  param marker
  param unused
  test marker {
    runtime python python_version
    pre_build "find . -name '*.pyc' -exec rm {} + && echo ${HOME} {a,b} {dest}"
    build "pytest -q -m {marker} --junitxml=reports/{python_versio}.xml"
  }
}
"""


def test_a_placeholder_typo_and_an_unused_parameter_are_warned_once_per_template(tmp_path, capsys):
    """W816 for '{python_versio}' (close to a parameter: a typo run with its braces), none for
    the shell's braces or a name far from every parameter; W817 for 'unused'; each once although
    the template is used twice, pointing into the library; the library checked alone says the
    same, and a '# pipec: ignore[W817]' on the parameter's line silences it everywhere."""
    from pipec.cli import main

    service = """use "lib/t.pipe"

pipeline svc {
  source app github "my-org/svc"
  stage test {
    use pytest {
      marker = slow
      unused = x
    }
  }
  stage again {
    use pytest {
      marker = fast
      unused = y
    }
  }
}
"""
    root = _project(tmp_path, {"lib/t.pipe": _LINTED, "svc.pipe": service})
    lib = str(root / "lib" / "t.pipe")
    _pipeline, warnings = compile_file(str(root / "svc.pipe"))
    found = sorted((d.code, d.span.line, d.span.column, d.file) for d in warnings if d.code in ("W816", "W817"))
    assert found == [("W816", 8, 11, lib), ("W817", 4, 3, lib)], found
    w816 = next(d for d in warnings if d.code == "W816")
    assert "Did you mean '{python_version}'?" in w816.help and "{python_versio}" in w816.message
    with pytest.raises(Diagnostics) as exc:  # the library alone: E812 and the same two warnings
        compile_file(lib)
    assert sorted(d.code for d in templates.library_diagnostics(exc.value.diagnostics)) == ["W816", "W817"]
    assert main(["check", lib]) == 0 and main(["check", "--strict", lib]) == 1
    assert "ok with 2 warning(s) (a library of templates" in capsys.readouterr().out
    (root / "lib" / "t.pipe").write_text(_LINTED.replace("  param unused\n", "  param unused  # pipec: ignore[W817]\n"))
    assert main(["check", str(root / "svc.pipe"), "--no-targets"]) == 0
    err = capsys.readouterr().err
    assert "W816" in err and "W817" not in err


@settings(max_examples=150, deadline=None)
@given(S.modules)
def test_fmt_round_trips_files_with_templates(module):
    text = format_module(module)
    again = parse(text)
    assert (again.pipeline, again.uses, again.templates) == (module.pipeline, module.uses, module.templates)
    assert format_module(again) == text


# ----------------------------------------------------------------------------- properties
# A stage of a drawn pipeline (tests/pipelines.py, the cross-target generator) is made a template:
# its name, one action's name and a piece of one command become parameters, and the stage is
# replaced by a use of it. Whatever is drawn, the file with the template builds the same files,
# byte for byte, as the file without, for both targets.

_P = "zz-tpl"  # the parameters' prefix; the drawn pipelines never hold it


def _templatized(text: str, data) -> str | None:
    """``text`` with one of its stages written as a template and used in its place, or None when
    the drawn pipeline has no stage of actions."""
    from pipec import ast

    module = parse(text, "gen.pipe")
    body = list(module.pipeline.body)
    places = [i for i, it in enumerate(body) if isinstance(it, ast.Stage) and any(
        isinstance(a, (ast.BuildAction, ast.DeployAction, ast.ApproveAction, ast.InvokeAction)) for a in it.body)]
    if not places or _P in text:
        return None
    at = data.draw(st.sampled_from(places), label="stage")
    stage = body[at]
    actions = [j for j, a in enumerate(stage.body) if hasattr(a, "name") and not isinstance(a, ast.Source)]
    j = data.draw(st.sampled_from(actions), label="action")
    action = stage.body[j]
    params = [ast.Param(f"{_P}-stage"), ast.Param(f"{_P}-action", action.name)]
    args = [ast.Arg(f"{_P}-stage", stage.name)]
    if data.draw(st.booleans(), label="action name given"):
        args.append(ast.Arg(f"{_P}-action", action.name))
    new_action = evolve(action, name=f"{_P}-action")
    phases = [k for k, item in enumerate(getattr(action, "body", ())) if isinstance(item, ast.Phase)
              and any(not c.script and c.text for c in item.commands)]
    if phases:  # a piece of a command: a {placeholder} with a default that differs from the argument
        k = data.draw(st.sampled_from(phases), label="phase")
        phase = action.body[k]
        n = data.draw(st.sampled_from([n for n, c in enumerate(phase.commands) if not c.script and c.text]))
        command = phase.commands[n].text
        a = data.draw(st.integers(0, len(command) - 1), label="start")
        b = data.draw(st.integers(a + 1, len(command)), label="end")
        placeholder = evolve(phase.commands[n], text=f"{command[:a]}{{{_P}-text}}{command[b:]}")
        phase = evolve(phase, commands=(*phase.commands[:n], placeholder, *phase.commands[n + 1:]))
        items = list(new_action.body)
        items[k] = phase
        new_action = evolve(new_action, body=tuple(items))
        params.append(ast.Param(f"{_P}-text", "zz-default"))
        args.append(ast.Arg(f"{_P}-text", command[a:b]))
    inner = list(stage.body)
    inner[j] = new_action
    template = ast.Template("stage", f"{_P}-stage", tuple(params),
                            (evolve(stage, name=f"{_P}-stage", body=tuple(inner)),))
    body[at] = ast.UseTemplate(f"{_P}-stage", tuple(args))
    pipeline = evolve(module.pipeline, body=tuple(body))
    return format_module(ast.Module(pipeline=pipeline, templates=(template,)))


def _built(text: str):
    """The files of every target for ``text``, or the codes of the refusal."""
    from pipec.build import EmitContext

    try:
        pipeline, _ = compile_text(text, "gen.pipe")
        return generate(pipeline, EmitContext(source="gen.pipe", prefix=""), list(TARGETS))
    except Diagnostics as exc:
        return sorted(d.code for d in exc.diagnostics)


def _same_as_by_hand(text: str, data) -> None:
    used = _templatized(text, data)
    if used is None:
        return
    assert _built(used) == _built(text), used


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(pipelines(), st.data())
def test_a_drawn_stage_made_a_template_builds_the_same_files(drawn, data):
    _same_as_by_hand(drawn[0], data)


def _defaults_win(monkeypatch):
    real = templates._Expander.arguments

    def arguments(self, use, tpl, defined_at, *origin):
        values = real(self, use, tpl, defined_at, *origin)
        return values and {**values, **{p.name: p.default for p in tpl.params if p.default is not None}}

    monkeypatch.setattr(templates._Expander, "arguments", arguments)


def _left_unsubstituted(monkeypatch):
    monkeypatch.setattr(templates._Sub, "text", lambda self, owner, field, value, span: value)


def _placeholders_only(monkeypatch):
    """Whole names and values are not replaced, only {placeholders}."""
    real = templates._Sub.text
    monkeypatch.setattr(templates._Sub, "text", lambda self, owner, field, value, span:
                        value if value in self.values else real(self, owner, field, value, span))


@pytest.mark.parametrize("mutation", [_defaults_win, _left_unsubstituted, _placeholders_only])
def test_the_property_catches_a_mis_expansion(monkeypatch, mutation):
    mutation(monkeypatch)

    @settings(max_examples=60, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(pipelines(), st.data())
    def prop(drawn, data):
        _same_as_by_hand(drawn[0], data)

    with pytest.raises(AssertionError):
        prop()


def test_the_playground_reads_no_used_file(tmp_path, monkeypatch):
    from pipec import playground

    _project(tmp_path, {"lib/python-service.pipe": LIBRARY})
    monkeypatch.chdir(tmp_path)
    out = playground.compile_all({"source": SERVICE, "name": "billing.pipe"})
    assert [d["code"] for d in out["diagnostics"]] == ["E800"]
    assert "is not read here" in out["diagnostics"][0]["message"]
    # a template written in the page's own text is expanded there
    local = LIBRARY + "\n" + SERVICE.replace('use "lib/python-service.pipe"\n', "")
    assert not [d for d in playground.compile_all({"source": local, "name": "billing.pipe"})["diagnostics"]
                if d["severity"] == "error"]


def test_templates_that_double_at_each_step_stop_quickly():
    """Thirty templates, each using the one before twice, would make a billion actions."""
    import time

    lines = ['template action t0 {\n  test unit {\n    build "true"\n  }\n}\n']
    lines += [f"template action t{i} {{\n  use t{i - 1}\n  use t{i - 1}\n}}\n" for i in range(1, 31)]
    text = "\n".join(lines) + 'pipeline p {\n  source app github "o/r"\n  stage s {\n    use t30\n  }\n}\n'
    start = time.monotonic()
    with pytest.raises(Diagnostics) as exc:
        compile_text(text, "bomb.pipe")
    assert [d.code for d in exc.value.diagnostics] == ["E813"]
    assert time.monotonic() - start < 5


def test_the_actions_inside_a_stage_templates_stages_count_towards_the_bound(monkeypatch):
    """A stage of 48 actions doubled through stage templates: 10,000 stages were made (480,000
    actions, 7 s and 490 MB) before E813, which counted each stage as one."""
    mapped = []
    real_map = templates._map

    def counting(node, sub):
        mapped.append(1)
        return real_map(node, sub)

    monkeypatch.setattr(templates, "_map", counting)
    actions = "".join(f'    test a{i} {{\n      build "make {i}"\n    }}\n' for i in range(48))
    lines = [f"template stage t0 {{\n  stage s {{\n{actions}  }}\n}}\n"]
    lines += [f"template stage t{i} {{\n  use t{i - 1}\n  use t{i - 1}\n}}\n" for i in range(1, 15)]
    text = "\n".join(lines) + 'pipeline p {\n  source app github "o/r"\n  use t14\n}\n'
    with pytest.raises(Diagnostics) as exc:
        compile_text(text, "wide.pipe")
    assert [d.code for d in exc.value.diagnostics] == ["E813"]
    assert len(mapped) < 100_000  # nodes copied: each action is a few; 10,000 of them at most


@pytest.mark.parametrize("doubling", ['  use t{0} {{\n    a = "{{a}}{{a}}"\n  }}\n',
                                      '  param b = "{{a}}{{a}}"\n  use t{0} {{\n    a = b\n  }}\n'])
def test_an_argument_that_doubles_at_each_use_stops_quickly(doubling):
    """'a = "{a}{a}"' passed on through nineteen templates makes an 8 MiB command from a handful
    of uses (thirty would make 16 GiB): the text the arguments (and defaults) put in is bounded too."""
    import time

    lines = ['template action t0 {\n  param a\n  test unit {\n    build "echo {a}"\n  }\n}\n']
    lines += [f"template action t{i} {{\n  param a\n" + doubling.format(i - 1) + "}\n" for i in range(1, 20)]
    text = "\n".join(lines) + ('pipeline p {\n  source app github "o/r"\n  stage s {\n'
                               '    use t19 {\n      a = abcdefghijklmnop\n    }\n  }\n}\n')
    start = time.monotonic()
    with pytest.raises(Diagnostics) as exc:
        compile_text(text, "bomb.pipe")
    (diag,) = exc.value.diagnostics
    assert diag.code == "E813" and "2 MiB of text" in diag.message
    assert diag.span.line > 1 and "{a}{a}" in text.splitlines()[diag.span.line - 1]
    assert time.monotonic() - start < 5


def test_a_shell_variable_named_like_a_parameter_is_refused_and_other_braces_are_kept():
    """'${version}' was replaced into '$v1' (bash: '$1' then 'v1'); it is E814 at the template's
    line. '$version', '${HOME}', '${version:-1}' and '{a,b}' are the shell's, '{version}' the
    argument's."""
    def text(command):
        return ('template action t {\n  param version\n  test unit {\n    build "%s"\n  }\n}\n\n'
                'pipeline p {\n  source app github "o/r"\n  stage s {\n    use t {\n      version = v1\n'
                '    }\n  }\n}\n') % command

    with pytest.raises(Diagnostics) as exc:
        compile_text(text("echo ${version}"), "p.pipe")
    (diag,) = exc.value.diagnostics
    assert (diag.code, diag.span.line, diag.span.column) == ("E814", 4, 11)
    assert "'{version}'" in diag.help and "'$version'" in diag.help
    pipeline, _ = compile_text(text("echo $version ${HOME} ${version:-1} {a,b} {version}"), "p.pipe")
    (phase,) = pipeline.stages[0].actions[0].phases
    assert [c.text for c in phase.commands] == ["echo $version ${HOME} ${version:-1} {a,b} v1"]


def test_a_default_holds_the_parameters_declared_above_it():
    """docs/language.md: '{NAME}' inside a template is the argument; a default is inside the
    template, but 'param key = "releases/{service}.zip"' reached the command as written."""
    def text(params, args="      service = billing\n"):
        return ('template action t {\n%s  test unit {\n    build "echo {key}"\n  }\n}\n\n'
                'pipeline p {\n  source app github "o/r"\n  stage s {\n    use t {\n%s    }\n  }\n}\n'
                ) % (params, args)

    def command(source):
        pipeline, _ = compile_text(source, "p.pipe")
        (phase,) = pipeline.stages[0].actions[0].phases
        return [c.text for c in phase.commands]

    assert command(text('  param service\n  param key = "releases/{service}/{other}.zip"\n')) == [
        "echo releases/billing/{other}.zip"]
    assert command(text('  param service\n  param key = "releases/{service}.zip"\n',
                        "      service = billing\n      key = given\n")) == ["echo given"]
    for params, code in [('  param key = "releases/{service}.zip"\n  param service\n', "E815"),
                         ('  param key = "x{key}"\n  param service\n', "E815"),
                         ('  param service\n  param key = "${service}"\n', "E814")]:
        with pytest.raises(Diagnostics) as exc:
            compile_text(text(params), "p.pipe")
        (diag,) = [d for d in exc.value.diagnostics if d.severity == "error"]
        assert (diag.code, diag.span.line) == (code, params.split("\n").index(
            next(line for line in params.split("\n") if "key" in line)) + 2), params


def test_keywords_and_enumerated_words_are_never_replaced():
    """A parameter named like a phase, a size or a provider leaves those words alone; the same
    word where a name or a value stands is replaced."""
    text = '''template action t {
  param build
  param small
  param github
  build build {
    compute small
    build "make {build}"
    env small = github
  }
}

pipeline p {
  source app github "o/r"
  stage s {
    use t {
      build = web
      small = SIZE
      github = yes
    }
  }
}
'''
    pipeline, _ = compile_text(text, "k.pipe")
    (build,) = pipeline.stages[0].actions
    assert build.name == "web" and build.compute == "small"
    assert [(p.name, [c.text for c in p.commands]) for p in build.phases] == [("build", ["make web"])]
    assert [(e.name, e.value) for e in build.env] == [("SIZE", "yes")]
    assert pipeline.sources[0].provider == "github"


def test_a_value_refused_in_the_template_names_the_argument_it_came_from(tmp_path):
    service = SERVICE.replace('use python-service {\n    name = billing', 'use python-service {\n    name = billing\n    bucket = "Billing_Packages"').replace(
        '    bucket = "my-org-billing-packages"\n', "")
    root = _project(tmp_path, {"lib/python-service.pipe": LIBRARY, "billing.pipe": service})
    with pytest.raises(Diagnostics) as exc:
        compile_file(str(root / "billing.pipe"))
    (d,) = exc.value.diagnostics
    assert d.code == "E206" and d.file == str(root / "lib" / "python-service.pipe")
    assert f"'Billing_Packages' is the value of the parameter 'bucket', given at {root / 'billing.pipe'}:8:5" in d.notes
    assert len(d.notes) == len(set(d.notes)) == 2


def test_checking_or_building_a_library_takes_in_the_pipelines_that_use_it(tmp_path, monkeypatch, capsys):
    """A pre-commit hook gives only the changed files: a changed library checks and builds the
    pipelines it changes, and not the others."""
    from pipec.cli import main

    root = _project(tmp_path, {"lib/python-service.pipe": LIBRARY, "billing.pipe": SERVICE,
                               "other.pipe": BY_HAND.replace("pipeline billing", "pipeline other"),
                               "lib/uses-it.pipe": 'use "python-service.pipe"\n',
                               "team/search.pipe": SERVICE.replace('"lib/', '"../lib/').replace("billing", "search")})
    monkeypatch.chdir(root)
    assert main(["check", "lib/python-service.pipe"]) == 0
    out = capsys.readouterr().out
    assert [line.split(":")[0] for line in out.splitlines()] == ["lib/python-service.pipe", "billing.pipe",
                                                                  os.path.join("team", "search.pipe")]
    assert main(["build", "lib/python-service.pipe", "-o", "out", "--source-root", "."]) == 0
    assert (root / "out" / "aws" / "billing.template.yaml").is_file()
    assert (root / "out" / "aws" / "search.template.yaml").is_file()
    assert not (root / "out" / "aws" / "other.template.yaml").exists()
    capsys.readouterr()
    (root / "lib" / "python-service.pipe").write_text(LIBRARY.replace("pytest -q", "pytest -q -x"))
    assert main(["build", "--check", "lib/python-service.pipe", "-o", "out", "--source-root", "."]) == 1


def test_the_editor_outline_and_names_know_templates():
    from pipec.lsp_index import Index, outline

    index = Index(LIBRARY + "\n" + SERVICE.replace('use "lib/python-service.pipe"\n', ""))
    top = [(s.kind, s.name, s.detail) for s in outline(index)]
    assert top == [("template", "pytest", "action template"), ("template", "python-service", "stage template"),
                   ("pipeline", "billing", "")]
    stages = [(c.kind, c.name, [a.name for a in c.children]) for c in outline(index)[1].children]
    assert stages == [("stage", "build", ["name"]), ("stage", "publish", ["upload"])]
    uses = [n for n in index.names if n.kind == "template" and not n.definition]
    assert [n.name for n in uses] == ["pytest", "python-service"]
    assert index.definition(("template", "pytest")).line == 1


def test_simulate_and_why_point_at_the_use_in_the_pipelines_file(tmp_path, monkeypatch, capsys):
    """What a template wrote is in another file: the lines simulate prints are the use's, never
    lines of the template read in the pipeline's file (which is shorter: it used to fail)."""
    import json

    from pipec.cli import main

    root = _project(tmp_path, {"lib/python-service.pipe": LIBRARY, "billing.pipe": SERVICE})
    monkeypatch.chdir(root)
    assert main(["simulate", "billing.pipe", "--fail", "unit.build[1]", "--format", "json"]) in (0, 1)
    out = capsys.readouterr().out
    lines = {item["line"] for item in _items(json.loads(out)) if item.get("line") is not None}
    assert lines and lines <= {4, 6}  # the source's line and the use's


def _items(value):
    if isinstance(value, dict):
        if "line" in value:
            yield value
        for v in value.values():
            yield from _items(v)
    elif isinstance(value, list):
        for v in value:
            yield from _items(v)


def test_an_ignore_comment_in_the_library_silences_the_warning_there(tmp_path, monkeypatch, capsys):
    from pipec.cli import main

    lib = LIBRARY.replace('build "python -m build --outdir dist/{name}"',
                          'build "aws s3 ls s3://my-org-builds/{name}/"')
    root = _project(tmp_path, {"lib/python-service.pipe": lib, "billing.pipe": SERVICE})
    monkeypatch.chdir(root)
    assert main(["check", "billing.pipe"]) == 0
    err = capsys.readouterr().err
    assert "warning[W520]" in err and "--> lib/python-service.pipe:19:" in err
    (root / "lib" / "python-service.pipe").write_text(lib.replace(
        'build "aws s3 ls s3://my-org-builds/{name}/"', 'build "aws s3 ls s3://my-org-builds/{name}/"  # pipec: ignore[W520]'))
    assert main(["check", "--strict", "billing.pipe"]) == 0
    assert "W520" not in capsys.readouterr().err


def test_the_cloudformation_template_statement_inside_a_template():
    """'template' is also a statement of 'deploy ... to cloudformation': inside a template it
    stays that statement, and takes parameters like any value."""
    text = '''template action stack {
  param name
  deploy name to cloudformation {
    from app
    stack name
    template "infra/{name}.yaml"
    capabilities iam
  }
}

pipeline p {
  source app github "o/r"

  stage deploy {
    use stack {
      name = orders
    }
  }
}
'''
    module = parse(text, "t.pipe")
    assert format_module(module) == text
    pipeline, _ = compile_text(text, "t.pipe")
    (deploy,) = pipeline.stages[0].actions
    assert deploy.name == "orders"
    assert (deploy.stack, deploy.template) == ("orders", "infra/orders.yaml")
