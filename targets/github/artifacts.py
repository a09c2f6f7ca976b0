"""Artifacts between jobs: a build's output artifact staged with CodeBuild's file rules, packed
and uploaded (:meth:`Artifacts.upload_steps`), and the steps that download and unpack it in a
later job (:func:`download_steps`). Called from the build job in :mod:`.jobs` and the deployment
jobs in :mod:`.deploys`.

upload-artifact zips what it uploads without the files' modes ("File permissions are not
maintained during artifact upload", its README's "Permission Loss", which says to tar the files
first): an executable built in one job is not executable in the next. So the staged folder is
packed into ``NAME.tar`` (tar keeps each file's mode), that one file is uploaded, and the jobs
that read the artifact download it beside their work and unpack it where CodeBuild would put it
(``tar -xpf``: the modes as packed). ``include-hidden-files`` stays on, so that nothing depends
on the tar file's name.
"""

from __future__ import annotations

import re

from pipec import model
from pipec.targets.escape import LITERAL_PATHS_DIRECTIVE, shell_word
from pipec.targets.github.pins import uses


def download_steps(name: str, path: str | None = None) -> list[dict]:
    """The steps that put artifact ``name`` into ``path`` (the working directory when None): the
    download of its tar file into $RUNNER_TEMP/pipec-artifacts/NAME, then the unpacking."""
    where = f"${{{{ runner.temp }}}}/pipec-artifacts/{name}"
    into = "." if path is None else path.replace("${{ runner.temp }}", "$RUNNER_TEMP")
    return [{"name": f"Download artifact {name}", "uses": uses("actions/download-artifact"),
             "with": {"name": name, "path": where}},
            {"name": f"Unpack artifact {name}",
             "run": ("" if into == "." else f'mkdir -p "{into}" && ')
                    + f'tar -xpf "$RUNNER_TEMP/pipec-artifacts/{name}/{name}.tar" --no-same-owner -C "{into}"'}]


#: the last line of a collection step: the staged folder as one tar file, modes kept
PACK = 'tar -cf "$dest.tar" -C "$dest" .'


class Artifacts:
    """A build's output artifacts as steps."""

    def upload_steps(self, b: model.Build, out: model.OutputArtifact, cond: str | None) -> list[dict]:
        """Stage the artifact's files with CodeBuild's rules (globs relative to the base directory,
        layout kept unless discard_paths, modes kept), pack the folder into NAME.tar and upload
        that under the artifact's name."""
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
        lines.append(PACK)
        stage = {"name": f"Collect artifact {out.name}", "run": "\n".join(lines)}
        upload = {"name": f"Upload artifact {out.name}", "uses": uses("actions/upload-artifact"),
                  "with": {"name": out.name, "path": f"${{{{ runner.temp }}}}/artifacts/{out.name}.tar",
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
