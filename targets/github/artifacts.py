"""Artifacts between jobs: a build's output artifact staged with CodeBuild's file rules and
uploaded (:meth:`Artifacts.upload_steps`), and the step that downloads an artifact into a later
job (:func:`download_step`). Called from the build job in :mod:`.jobs` and the deployment jobs in
:mod:`.deploys`.
"""

from __future__ import annotations

import re

from pipec import model
from pipec.targets.escape import LITERAL_PATHS_DIRECTIVE, shell_word
from pipec.targets.github.pins import uses


def download_step(name: str, path: str | None = None) -> dict:
    """The step that puts artifact ``name`` into ``path`` (the working directory when None)."""
    step = {"name": f"Download artifact {name}", "uses": uses("actions/download-artifact"),
            "with": {"name": name}}
    if path:
        step["with"]["path"] = path
    return step


class Artifacts:
    """A build's output artifacts as steps."""

    def upload_steps(self, b: model.Build, out: model.OutputArtifact, cond: str | None) -> list[dict]:
        """Stage the artifact's files with CodeBuild's rules (globs relative to the base directory,
        layout kept unless discard_paths), then upload that folder under the artifact's name."""
        stage_dir = f"$RUNNER_TEMP/artifacts/{out.name}"
        lines = ["set -eu", "shopt -s globstar dotglob nullglob", f'dest="{stage_dir}"', 'mkdir -p "$dest"']
        literal = [LITERAL_PATHS_DIRECTIVE] if any(c in "".join((out.base or "", *out.files)) for c in "$`") else []
        if out.base:
            lines += [*literal, f"cd {shell_word(out.base)}"]
        lines += [*literal, "files=(" + " ".join(_glob_word(f) for f in out.files) + ")"]
        if out.discard_paths:
            lines.append('for f in "${files[@]}"; do if [ -f "$f" ]; then cp -p -- "$f" "$dest/"; fi; done')
        else:
            lines.append('for f in "${files[@]}"; do if [ -f "$f" ]; then mkdir -p "$dest/$(dirname -- "$f")" && '
                         'cp -p -- "$f" "$dest/$f"; fi; done')
        lines.append('if [ -z "$(ls -A "$dest")" ]; then echo "artifact ' + out.name +
                     ': no files matched" >&2; exit 1; fi')
        stage = {"name": f"Collect artifact {out.name}", "run": "\n".join(lines)}
        upload = {"name": f"Upload artifact {out.name}", "uses": uses("actions/upload-artifact"),
                  "with": {"name": out.name, "path": f"${{{{ runner.temp }}}}/artifacts/{out.name}",
                           "if-no-files-found": "error", "include-hidden-files": True}}
        if cond:
            stage["if"] = cond
            upload["if"] = cond
        return [stage, upload]



def _glob_word(pattern: str) -> str:
    """A CodeBuild artifact glob as a bash glob word (globstar on): quoted literal parts, bare
    wildcards. ``**/*`` means every file below, as in CodeBuild."""
    out = []
    for part in re.split(r"([*?\[\]])", pattern):
        if part in ("*", "?", "[", "]") or re.fullmatch(r"[A-Za-z0-9._/@%+=:,-]*", part):
            out.append(part)
        else:
            out.append(shell_word(part))
    return "".join(out)
