"""Secret detection (W503 from values, pipec.secretscan): each detector family in each place a
value can be written, at the exact column; no finding on the examples or on the strings a
pipeline is full of (digests, SHAs, ARNs, UUIDs, URLs, references); the pre-filter never hides
what detect-secrets would find; checking the examples does not import detect-secrets; and
``--strict`` fails on the warning. bench/secrets_fp.py measures the same over the shared corpus.

The fake credentials are built by concatenation so that this file does not itself hold strings
a secret scanner flags.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipec
from pipec import parser, secretscan
from pipec.cli import main

ROOT = Path(__file__).resolve().parent.parent
# every pipeline under examples/; a lib/ folder holds templates, scanned in the pipelines that use them
EXAMPLES = sorted(p for p in (ROOT / "examples").rglob("*.pipe") if p.parent.name != "lib")

# One fake credential per detector family: (plugin, text written in the file, the part reported).
AWS_ID = "AKIA" + "IOSFODNN7" + "EXAMPLE"
GHP = "ghp_" + "pipecExampleTokenNotReal" + "0" * 12
SLACK = "xoxb-" + "123456789012-1234567890123-" + "pipecfaketokenvalue0000"
FAMILIES = [
    pytest.param("AWSKeyDetector", AWS_ID, AWS_ID, "an AWS access key ID", id="aws-access-key-id"),
    pytest.param("GitHubTokenDetector", GHP, GHP, "a GitHub personal access token", id="github-ghp"),
    pytest.param("SlackDetector", SLACK, SLACK, "a Slack token", id="slack-xoxb"),
    pytest.param("BasicAuthDetector", "postgres://admin:" + "Tr0ub4dor@db.example.com/app", "Tr0ub4dor",
                 "a password in a URL", id="url-with-password"),
    pytest.param("PrivateKeyDetector", "-----BEGIN RSA " + "PRIVATE KEY-----", "BEGIN RSA PRIVATE KEY",
                 "a private key", id="private-key-header"),
    pytest.param("KeywordDetector", "--pass" + "word=s3cr3tvalue", "s3cr3tvalue", "a password",
                 id="keyword-password"),
]


def _file(body_build: str = "", variables: str = "") -> str:
    return ("pipeline demo {\n"
            f"{variables}"
            '  source app github "o/r"\n'
            "  stage build {\n"
            "    build web {\n"
            f"{body_build}"
            "    }\n"
            "  }\n"
            "}\n")


def _position(text: str, part: str) -> tuple[int, int]:
    pos = text.index(part)
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _w503(text: str):
    _pipeline, warnings = pipec.compile_text(text, "demo.pipe")
    return [d for d in warnings if d.code == "W503"]


def _places(value: str) -> dict[str, str]:
    """The same value written in each place W503 scans (the keyword family as a command
    argument everywhere: its rules need the 'password=' before the value)."""
    q = value.replace('"', '\\"')
    return {
        "env": _file(f'      env CONFIG = "{q}"\n      build "make"\n'),
        "variable": _file('      build "make"\n', f'  variable SETTING = "{q}"\n'),
        "command": _file(f'      build "deploy --to prod {q}"\n'),
        "finally": _file(f'      build {{\n        run "make"\n        finally "notify {q}"\n      }}\n'),
        "script": _file(f'      build {{\n        run """\n          echo start\n          tool {q}\n        """\n'
                        "      }\n"),
    }


@pytest.mark.parametrize("place", ["env", "variable", "command", "finally", "script"])
@pytest.mark.parametrize("plugin,value,reported,words", FAMILIES)
def test_each_family_in_each_place(plugin, value, reported, words, place):
    if plugin == "KeywordDetector" and place in ("env", "variable"):
        value = value.lstrip("-")  # 'CONFIG=password=...': the value's own 'password=' still counts
    text = _places(value)[place]
    found = _w503(text)
    assert len(found) == 1, [d.message for d in found]
    d = found[0]
    assert f"(detect-secrets {plugin})" in d.message
    assert words in d.message
    assert (d.span.line, d.span.column) == _position(text, reported)
    assert d.span.end_column == d.span.column + len(reported) - 1
    assert "secret" in d.help and d.help.endswith(".")


def test_env_value_under_its_name():
    """'env DB_PASS = hunter2': the keyword rule sees the name the value is assigned to."""
    text = _file("      env DB_PASS = hunter2\n      build \"make\"\n")
    (d,) = _w503(text)
    assert d.message == "the value of 'DB_PASS' looks like a password (detect-secrets KeywordDetector)"
    assert (d.span.line, d.span.column) == _position(text, "hunter2")
    assert "secret DB_PASS from ssm" in d.help


def test_value_warning_replaces_the_name_warning():
    """One W503 per env line: the value's, more precise than the name's."""
    named = _file('      env API_TOKEN = "abc"\n      build "make"\n')
    assert [d.message for d in _w503(named)] == ["'API_TOKEN' looks like a secret but is a plain variable"]
    both = _file(f'      env API_TOKEN = "{GHP}"\n      build "make"\n')
    (d,) = _w503(both)
    assert "GitHubTokenDetector" in d.message and (d.span.line, d.span.column) == _position(both, GHP)


def test_other_fields_and_stack_parameters():
    text = ("pipeline demo {\n"
            '  source app github "o/r"\n'
            "  stage deploy {\n"
            "    deploy infra to cloudformation {\n"
            "      from app\n"
            '      stack "app"\n'
            '      template "t.yaml"\n'
            '      parameter DbPassword = "Zq8!wLr2vXp"\n'
            "    }\n"
            "    approve ok {\n"
            f'      url "https://ci:{"Hx7" + "pq2w"}@status.example.com/board"\n'
            "    }\n"
            "  }\n"
            "}\n")
    found = _w503(text)
    assert [(d.span.line, d.span.column) for d in found] == [_position(text, "Zq8!wLr2vXp"),
                                                              _position(text, "Hx7pq2w")]
    assert found[0].message.startswith("stack parameter 'DbPassword' looks like a password")
    assert "{{resolve:secretsmanager:" in found[0].help
    assert found[1].message.startswith("this value contains what looks like a password in a URL")


def test_several_secrets_in_one_command_and_escapes():
    value = f'curl -H \\"Authorization: token {GHP}\\" -u me:x https://a:{"pw" + "9876"}@example.com'
    text = _file(f'      build "{value}"\n')
    found = _w503(text)
    assert [(d.span.line, d.span.column) for d in found] == [_position(text, GHP), _position(text, "pw9876")]


@pytest.mark.parametrize("text,secret_at", [
    ("db_pass=pass", 8),
    ("psql postgres://pw:pw@db/app", 19),
    ("x password=qwz9; y password=qwz9", 11),
])
def test_position_is_the_reported_occurrence(text, secret_at):
    (finding,) = secretscan.scan(text)
    assert finding.start == secret_at


def test_position_in_the_file_is_the_reported_occurrence():
    text = _file('      env pw = "pw pw://u:pw@h"\n      build "psql postgres://pw:pw@db/app"\n')
    found = _w503(text)
    env_line, cmd_line = text.split("\n")[4], text.split("\n")[5]
    assert [(d.span.line, d.span.column) for d in found] == [
        (5, env_line.index("u:pw@") + 3), (6, cmd_line.index("pw@db") + 1)]


def test_allowlist_pragma():
    """detect-secrets' inline allowlist comment works in a .pipe file, for both W503 kinds."""
    text = _file("      env PGPASSWORD = postgres  # pragma: allowlist secret\n"
                 "      # pragma: allowlist nextline secret\n"
                 "      env DB_PASSWORD = \"test-only\"\n"
                 "      env OTHER_PASSWORD = \"hunter2\"\n"
                 "      build \"make\"\n")
    (d,) = _w503(text)
    assert "OTHER_PASSWORD" in d.message


NOT_SECRETS = [
    # image digests, pinned commit SHAs, checksums
    "docker pull public.ecr.aws/docker/library/node@sha256:" + "4f1b2c" * 10 + "abcd",
    "git checkout 8f3c2e1d9b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
    'aws s3 cp x s3://b --metadata "aws-key=\\"8f3c2e1d9b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d\\""',
    "echo 03a6d6cccecb7a33a09afc6dae40d8d76ccfe168aa4aba1a18c1f45bbab120c2  tool.tgz | sha256sum -c",
    # ARNs, account IDs, UUIDs
    "aws sns publish --topic-arn arn:aws:sns:us-east-1:123456789012:release-notifications-for-the-team-x",
    "aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
    "SECRET_ARN=arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db",
    "aws ecr get-login-password | docker login -u AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com",
    "export REQUEST_ID=3f2b8c1e-9d4a-4e7b-8c6d-1a2b3c4d5e6f",
    # URLs without credentials, references to secrets
    "curl -fsS https://api.github.com/repos/o/r/releases?per_page=10",
    "git clone https://x-access-token:${GITHUB_TOKEN}@github.com/o/r.git",
    "psql postgres://app:$DB_PASSWORD@db.internal/app",
    "export DB_PASSWORD=$(aws ssm get-parameter --name /app/db --with-decryption --query Parameter.Value)",
    "export AWS_SECRET_ACCESS_KEY=`echo $CREDS | jq -r .Credentials.SecretAccessKey`",
    'mysql --password="$DB_PASSWORD" -h db',
    "PASSWORD_FILE=/run/secrets/db",
    "DB_PASSWORD_PARAM=prod/db/password",
    "REQUIRE_PASSWORD=true",
    "server-password=MAVEN_PASSWORD",
    "npm config set //registry.npmjs.org/:_authToken=${NPM_TOKEN}",
    "cd $(pwd)/web && export PKG_CONFIG_PATH=/usr/local/lib/pkgconfig",
    # base64 of ordinary configuration
    "echo eyJuYW1lIjoid2ViIiwicmVwbGljYXMiOjN9 | base64 -d > config.json",
    "echo bG9nX2xldmVsOiBpbmZvCnJlZ2lvbjogZXUtd2VzdC0xCg== | base64 -d",
]


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_not_secrets(text):
    assert secretscan.scan(text) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_finding_in_the_examples(path):
    module = parser.parse(path.read_text(encoding="utf-8"), str(path))
    assert secretscan.check(module) == []
    # and the pre-filter rules out every string, so that checking it never imports the library
    for item in secretscan.scanned_items(module):
        assert not secretscan.could_contain_secret(f"{item.key}={item.text}" if item.key else item.text)


def test_check_does_not_import_detect_secrets():
    code = ("import sys, pipec\n"
            f"for p in {[str(p) for p in EXAMPLES]!r}:\n"
            "    pipec.compile_file(p)\n"
            "print('detect_secrets' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    code = f"import sys, pipec\npipec.compile_text({_places(GHP)['command']!r})\nprint('detect_secrets' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_strict_fails_on_a_secret(tmp_path, capsys):
    path = tmp_path / "demo.pipe"
    path.write_text(_places(SLACK)["command"], encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert main(["check", "--strict", str(path)]) == 1
    err = capsys.readouterr().err
    assert "warning[W503]" in err and "SlackDetector" in err


# ----------------------------------------------------------------------------- the pre-filter


def _plugin_classes():
    for name, (module, _words) in secretscan.PLUGINS.items():
        yield name, getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)


def test_keyword_list_is_the_library_one():
    from detect_secrets.plugins.keyword import DENYLIST

    assert secretscan.KEYWORDS == tuple(DENYLIST)


def _patterns():
    for name, cls in _plugin_classes():
        if name != "KeywordDetector":
            for n, pattern in enumerate(cls.denylist):
                yield pytest.param(pattern, id=f"{name}-{n}")


@pytest.mark.parametrize("pattern", list(_patterns()))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_prefilter_lets_through_whatever_the_library_patterns_match(pattern, data):
    text = data.draw(st.from_regex(pattern))
    assert secretscan.could_contain_secret(text), text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["password", "PWD", "db_pass", "secret", "Api_Key", "contraseña", "=", ":",
                                  " ", "\t", '"', "'", "`", "]", "!", "hunter2", "x_y", "-", "==", ";", "\n",
                                  "$", "(", ")", "{", "}"]), max_size=14))
def test_prefilter_and_keyword_rule(words):
    """Whatever the keyword rule finds, the pre-filter let through."""
    text = "".join(words)
    plugin = importlib.import_module("detect_secrets.plugins.keyword").KeywordDetector()
    for line in text.split("\n"):
        if plugin.analyze_line(filename="pipeline.yml", line=line, line_number=1, context=None):
            assert secretscan.could_contain_secret(line), line


@pytest.mark.parametrize("text", [
    "npm ci && npm run build -- --mode production",
    "aws secretsmanager get-secret-value --secret-id prod/db --query SecretString --output text; echo ok",
    "public.ecr.aws/docker/library/node@sha256:" + "4f1b2c" * 10 + "abcd",
    "git checkout 8f3c2e1d9b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d && docker run -v $(pwd):/src builder",
    "arn:aws:sns:us-east-1:123456789012:release-notifications",
])
def test_prefilter_rules_out_ordinary_text(text):
    """Digest-pinned images, SHAs and secret-manager commands do not cost the library's import."""
    assert not secretscan.could_contain_secret(text)
