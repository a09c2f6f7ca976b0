"""W523 (pipec.dependencies): package scripts that run before anything installs the
dependencies, and the builds it leaves alone."""

from __future__ import annotations

import pytest

import pipec

PIPE = """pipeline demo {{
  source app github "o/r"
  stage build {{
    build web {{
{body}
    }}
  }}
}}
"""


def codes(body: str) -> list[str]:
    _, diags = pipec.compile_text(PIPE.format(body=body), "demo.pipe")
    return [d.code for d in diags if d.code == "W523"]


@pytest.mark.parametrize("body", [
    '      build "npm run build"',
    '      build "CI=true npm test"',
    '      pre_build "yarn lint"\n      build "yarn build"',
    '      build "pnpm run build"',
    '      build "npm ci --omit=dev; npm run build" "npm start"'.replace("npm ci --omit=dev; ", "echo hi; "),
    '      cache "node_modules/**/*"\n      build "npm run build"',  # a cache is empty on the first run
    '      build """\n        echo start\n        npm run build\n      """',
])
def test_scripts_before_any_install_are_reported(body):
    assert codes(body) == ["W523"]


@pytest.mark.parametrize("body", [
    '      install "npm ci"\n      build "npm run build"',
    '      install "npm install"\n      build "npm test"',
    '      build "npm ci && npm run build"',
    '      install "yarn install --frozen-lockfile"\n      build "yarn build"',
    '      install "yarn"\n      build "yarn build"',
    '      install "pnpm i"\n      build "pnpm test"',
    '      install "./scripts/bootstrap.sh"\n      build "npm run build"',  # may install: not seen
    '      install "make deps"\n      build "npm run build"',
    '      build "yarn --version" "npx eslint ."',
    '      build "echo npm run build"',
])
def test_installs_and_what_pipec_cannot_see_are_left_alone(body):
    assert codes(body) == []


def test_one_warning_per_build_at_the_first_script():
    text = PIPE.format(body='      pre_build "npm run lint"\n      build "npm run build"')
    _, diags = pipec.compile_text(text, "demo.pipe")
    [d] = [d for d in diags if d.code == "W523"]
    assert (d.span.line, d.span.column) == (5, 18)  # pre_build "npm run lint"
    assert "install \"npm ci\"" in d.help
