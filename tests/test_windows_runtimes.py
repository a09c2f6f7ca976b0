"""An ``os windows`` build's ``runtime``: the versions CodeBuild's Windows image offers in
``runtime-versions`` are set up on both platforms; others are refused (E316). docs/language.md,
"Runtimes on Windows"."""

from __future__ import annotations

import pytest
import yaml

from pipec import compile_text
from pipec.build import EmitContext, generate
from pipec.diagnostics import Diagnostics


def pipe(runtime: str, matrix: str = "") -> str:
    return f"""pipeline demo {{
  source app github "my-org/app"
  stage test {{
    test win {{
      os windows
      {matrix}
      runtime {runtime}
      build "python -m pytest"
    }}
  }}
}}
"""


def errors(text: str) -> list:
    with pytest.raises(Diagnostics) as exc:
        compile_text(text, "demo.pipe")
    return [d for d in exc.value.diagnostics if d.severity == "error"]


def outputs(text: str) -> dict:
    pipeline, diags = compile_text(text, "demo.pipe")
    assert not [d for d in diags if d.severity == "error"], [d.message for d in diags]
    return {str(k): v for k, v in generate(pipeline, EmitContext(source="demo.pipe", prefix=""),
                                           ["aws", "github"]).items()}


def test_a_windows_runtime_is_set_up_on_both_platforms():
    files = outputs(pipe("java corretto17"))
    spec = yaml.safe_load(next(v for k, v in files.items() if k.endswith("buildspec/win.yml")))
    assert spec["env"]["shell"] == "powershell.exe"
    assert spec["phases"]["install"]["runtime-versions"] == {"java": "corretto17"}
    workflow = yaml.safe_load(next(v for k, v in files.items() if k.endswith(".github/workflows/demo.yml")))
    job = workflow["jobs"]["win"]
    assert job["runs-on"] == "windows-2022"
    setup = next(s for s in job["steps"] if "setup-java" in s.get("uses", ""))
    assert setup["with"] == {"distribution": "corretto", "java-version": "17"}
    names = [s.get("id") for s in job["steps"]]
    assert names.index("setup-java") < names.index("build")  # set up before the commands run


@pytest.mark.parametrize("runtime, message", [
    ("python 3.9", "CodeBuild's Windows image has no python 3.9"),
    ("nodejs 20", "CodeBuild's Windows image has no nodejs 20"),  # the image lists 20.18
    ("android 29", "CodeBuild's Windows image has no android runtime"),
])
def test_a_runtime_the_windows_image_lacks_is_refused(runtime, message):
    assert [(d.code, d.message) for d in errors(pipe(runtime))] == [("E316", message)]


def test_a_windows_runtime_from_a_matrix_axis_is_refused():
    (error,) = errors(pipe('python "$PY"', "matrix {\n        axis PY 3.12 3.13\n      }"))
    assert error.code == "E316" and "matrix axis" in error.message
