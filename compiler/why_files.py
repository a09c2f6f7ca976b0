"""``pipec why`` for failures about files and parameters rather than commands: an artifact whose
files a GitHub build job did not find, an SSM parameter CodeBuild could not read, a file a
CodeDeploy deployment could not copy because one is already there.

- **GitHub: "Collect artifact NAME"**: pipec's step that stages a build's artifact
  (targets/github/artifacts.py) prints ``artifact NAME: no files matched`` and exits 1 when no
  file matched the artifact's patterns: the artifact's line.
- **CodeBuild: "Decrypted Variables Error"**: a parameter-store variable whose parameter does not
  exist fails the build in DOWNLOAD_SOURCE, before any command runs: ``Phase context status code:
  Decrypted Variables Error Message: parameter does not exist: NAME`` (as cloudposse/terraform-aws-cicd
  issue 107 quotes it); the same text is the action's ``errorDetails.message`` in
  ``get-pipeline-state``. It points to the ``secret ... from ssm "NAME"`` line.
- **CodeDeploy: "a specified file already exists at this location"**: the Install event of an
  EC2 deployment fails with UnknownError "The deployment failed because a specified file already
  exists at this location: PATH" (techpivot/aws-code-deploy issue 4) when a file of the revision
  is already at its destination and was not put there by the last successful deployment: the
  files section's ``file_exists_behavior`` defaults to DISALLOW ("The deployment fails",
  https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-files.html
  and DeploymentInfo fileExistsBehavior). It points to the deployment's ``copy`` line whose
  destination holds PATH.
"""

from __future__ import annotations

import re

from pipec import github_log, model

_NO_FILES = re.compile(r"\bartifact (?P<name>[A-Za-z0-9_.-]+): no files matched")
#: the phase context as the build log prints it ("Decrypted Variables Error Message: ...") and as
#: CodePipeline's errorDetails repeat it ("Phase: DOWNLOAD_SOURCE Code: Decrypted Variables Error
#: Message: ...", commas or not)
_NO_PARAMETER = re.compile(r"Decrypted Variables Error,? *(?:Message:? *)?parameter does not exist: "
                           r"(?P<name>[^\s\"'\\,]+)")
_FILE_EXISTS = re.compile(r"a specified file already exists at this location: (?P<path>[^\s\"'\\]+)")


def findings(idx, text: str, raw: str | None = None, names=frozenset()) -> list:
    """Every finding of this module's kinds in ``text`` (``raw``: the same with gh's job prefixes;
    ``names``: the action the text is known to come from, such as get-pipeline-state's action)."""
    return _artifacts(idx, text, raw or text) + _parameters(idx, text, names) + _file_exists(idx, text)


def _artifacts(idx, text: str, raw: str) -> list:
    from pipec.why import MEANINGS, Finding, _line

    out = []
    jobs = {github_log.action_of_job(job) for job, line in github_log.lines(raw) if job and _NO_FILES.search(line)}
    for name in dict.fromkeys(m["name"] for m in _NO_FILES.finditer(text)):
        hits = [(b, o) for b in idx.builds() for o in b.outputs if o.name == name]
        hits = [(b, o) for b, o in hits if b.name in jobs] or hits
        if not hits:
            out.append(Finding(None, None, f"no file matched the files of artifact {name}, which this pipeline does "
                               "not have", MEANINGS["CLIENT_ERROR"], "Check that the log comes from this pipeline.",
                               f"artifact {name}: no files matched"))
            continue
        b, o = hits[0]
        out.append(Finding(_line(o) or _line(b), b.name, f"artifact {o.name} of {b.name}: no file matched "
                           f"{', '.join(o.files)}" + (f" under {o.base}" if o.base else ""),
                           "pipec's step that collects the artifact found no file matching its patterns (CodeBuild "
                           "fails the same way with CLIENT_ERROR)",
                           "Make the build write those files (a failed earlier command often means they were never "
                           "made), or fix the patterns and 'base'.", f"artifact {name}: no files matched"))
    return out


def _parameters(idx, text: str, names=frozenset()) -> list:
    from pipec.why import Finding, _line, _named

    out = []
    named = _named(text) | set(names)
    meaning = ("CodeBuild reads the build's parameter-store variables before the first phase; a parameter that "
               "does not exist (or that the project's role may not read, in another region or account) fails the "
               "build in DOWNLOAD_SOURCE, before any command runs")
    for name in dict.fromkeys(m["name"] for m in _NO_PARAMETER.finditer(text)):
        hits = [(b, s) for b in idx.builds() for s in b.secrets if s.store == "ssm" and s.ref == name]
        if len(hits) > 1:
            hits = [(b, s) for b, s in hits if b.name in named or f"{idx.p.name}-{b.name}" in named] or hits
        evidence = f"parameter does not exist: {name}"
        if not hits:
            out.append(Finding(None, None, f"SSM parameter {name} does not exist, and no secret of this pipeline "
                               "reads it", meaning, "Check that the log comes from this pipeline's build.", evidence))
            continue
        b, s = hits[0]
        also = f" (also in {', '.join(x.name for x, _s in hits[1:])})" if len(hits) > 1 else ""
        line = _line(s) or idx.src.find(b, "secret", s.name) or _line(b)
        out.append(Finding(line, b.name, f"secret {s.name} of {b.name}: SSM parameter {name} does "
                           f"not exist{also}", meaning,
                           f"Create the parameter (aws ssm put-parameter --name {name} --type SecureString ...) in "
                           "the pipeline's account and region, or fix the name after 'from ssm'.", evidence))
    return out


def _copy_lines(idx, d: model.Deploy) -> list[tuple[int, str]]:
    """(line, destination) of each ``copy SRC to DEST`` statement of ``d``."""
    span = d.span
    if span is None or span.origin:  # written in a template: its lines are in another file
        return []
    out = []
    for n in range(span.line, span.end_line + 1):
        m = re.match(r'\s*copy\s+(?:"[^"]*"|\S+)\s+to\s+(?:"(?P<q>[^"]*)"|(?P<w>\S+))', idx.src.lines[n - 1])
        if m:
            out.append((n, m["q"] if m["q"] is not None else m["w"]))
    return out


def _file_exists(idx, text: str) -> list:
    from pipec.why import Finding, _GROUP, _line

    out = []
    group = _GROUP.search(text)
    for path in dict.fromkeys(m["path"] for m in _FILE_EXISTS.finditer(text)):
        ec2 = idx.deploys(lambda a: a.platform == "ec2")
        if group and any(d.name == group["name"] for d in ec2):
            ec2 = [d for d in ec2 if d.name == group["name"]]
        best = None  # (length of the destination, line, deploy)
        for d in ec2:
            for line, dest in _copy_lines(idx, d):
                root = dest.rstrip("/") + "/"
                if (path + "/").startswith(root) and (best is None or len(root) > best[0]):
                    best = (len(root), line, d)
        if best is None and len(ec2) == 1:
            best = (0, _line(ec2[0]), ec2[0])
        evidence = f"a specified file already exists at this location: {path}"
        meaning = ("the Install event did not copy the revision's files: one is already at its destination and was "
                   "not put there by the last successful deployment, and the files section's file_exists_behavior "
                   "is DISALLOW (CodeDeploy's default)")
        if best is None:
            out.append(Finding(None, None, f"a deployment could not copy {path}: a file is already there (UnknownError)",
                               meaning, "Pass the output with its deployment group's name.", evidence))
            continue
        _n, line, d = best
        out.append(Finding(line, d.name, f"deployment {d.name} could not copy {path}: a file is already there "
                           "(Install, UnknownError)", meaning,
                           "Remove the files at the destination once (or in a before_install hook, for files "
                           "something else writes there), or let the deployment replace them: 'aws deploy "
                           "create-deployment --file-exists-behavior OVERWRITE', or file_exists_behavior: OVERWRITE "
                           "in the appspec's files section (a patch of the generated appspec).", evidence))
    return out
