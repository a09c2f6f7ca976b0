"""``pipec why`` for failures about files and parameters (pipec.why_files): GitHub's "Collect
artifact NAME" step, CodeBuild's Decrypted Variables Error for an SSM parameter (in the build log
and in get-pipeline-state's errorDetails), CodeDeploy's "a specified file already exists at this
location". The logs are written here in the formats the module's docstring cites."""

from __future__ import annotations

import json

from pipec import compile_text, github_log
from pipec.why import why

PIPE = """pipeline shop {
  source app github "acme/shop" {
    branch main
  }
  stage build {
    build web {
      secret DB_PASSWORD from ssm "/shop/db-password"
      build "make"
      artifact dist files "dist/**/*"
    }
    build api {
      secret DB_PASSWORD from ssm "/shop/db-password"
      build "make"
      artifact bundle files "api/**/*"
    }
  }
  stage deploy {
    deploy site to ec2 {
      from dist
      instances tag Environment = production
      strategy rolling one-at-a-time
      copy "/" to "/var/www"
      copy "assets" to "/var/www/html/static"
    }
  }
}
"""
TS = "2026-01-02T03:04:05.1234567Z "


def _pipeline():
    pipeline, diags = compile_text(PIPE, "shop.pipe")
    assert pipeline is not None, diags
    return pipeline


def _line(needle: str, nth: int = 0) -> int:
    return [i for i, line in enumerate(PIPE.splitlines(), 1) if needle in line][nth]


def test_github_collect_artifact_step_points_to_the_artifact():
    log = (f"build / api\tCollect artifact bundle\t{TS}##[group]Run set -eu\n"
           f"build / api\tCollect artifact bundle\t{TS}##[endgroup]\n"
           f"build / api\tCollect artifact bundle\t{TS}artifact bundle: no files matched\n"
           f"build / api\tCollect artifact bundle\t{TS}" + github_log.PROCESS_FAILED.format(status=1) + "\n")
    found = why(_pipeline(), PIPE, log)
    assert [(f.line, f.action) for f in found] == [(_line("artifact bundle"), "api")]
    assert "no file matched api/**/*" in found[0].what
    assert "CodeBuild skipped" not in found[0].meaning


def test_the_collect_step_prints_what_why_reads():
    from pipec.targets.github import artifacts

    assert ': no files matched" >&2; exit 1' in artifacts.__loader__.get_source(artifacts.__name__)


def _decrypt(message: str) -> str:
    return ("[Container] 2022/11/23 03:53:37 Processing environment variables\n"
            "[Container] 2022/11/23 03:53:37 Decrypting parameter store environment variables\n"
            "[Container] 2022/11/23 03:53:39 Phase complete: DOWNLOAD_SOURCE State: FAILED\n"
            f"[Container] 2022/11/23 03:53:39 Phase context status code: Decrypted Variables Error Message: {message}\n")


def test_codebuild_missing_ssm_parameter_points_to_the_secret():
    found = why(_pipeline(), PIPE, _decrypt("parameter does not exist: /shop/db-password"))
    assert [f.line for f in found] == [_line("secret DB_PASSWORD")] and "(also in api)" in found[0].what
    named = ("[Container] 2022/11/23 03:53:36 YAML location is /codebuild/output/src1/src/aws/shop/buildspec/api.yml\n"
             + _decrypt("parameter does not exist: /shop/db-password"))
    found = why(_pipeline(), PIPE, named)
    assert [(f.line, f.action) for f in found] == [(_line("secret DB_PASSWORD", 1), "api")]
    assert "put-parameter --name /shop/db-password" in found[0].fix


def test_get_pipeline_state_error_details_with_a_missing_parameter():
    state = {"pipelineName": "shop", "stageStates": [{"stageName": "build", "actionStates": [{
        "actionName": "web", "latestExecution": {"status": "Failed", "errorDetails": {
            "code": "JobFailed", "message": "Build terminated with state: FAILED. Phase: DOWNLOAD_SOURCE Code: "
                                            "Decrypted Variables Error Message: parameter does not exist: "
                                            "/shop/db-password"}}}]}]}
    found = why(_pipeline(), PIPE, json.dumps(state))
    assert [f.line for f in found] == [_line("secret DB_PASSWORD")], [(f.line, f.what) for f in found]


def test_codedeploy_file_already_exists_points_to_the_copy_that_writes_there():
    console = ("Install\nUnknownError            The deployment failed because a specified file already exists at "
               "this location: /var/www/html/static/.DS_Store\n")
    found = why(_pipeline(), PIPE, console)
    assert [(f.line, f.action) for f in found] == [(_line('copy "assets"'), "site")]
    assert "OVERWRITE" in found[0].fix and "DISALLOW" in found[0].meaning
    other = console.replace("/var/www/html/static/.DS_Store", "/var/www/index.html")
    assert [f.line for f in why(_pipeline(), PIPE, other)] == [_line('copy "/"')]
