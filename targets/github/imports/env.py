"""``env`` mappings (workflow, job, container) and ``${{ secrets.X }}``: literal values become
``env`` lines, secrets ``secret NAME from ssm`` with a ``github { secret ... }`` twin and a task to
create the parameter. Used by :mod:`.jobs` and :mod:`.commands`.
"""

from __future__ import annotations


import re

from pipec.targets.github.imports.common import _SHELL_NAME, _Action, _scalar


class Env:
    """env values and secrets of the workflow being imported."""

    def env_values(self, doc, where, key) -> dict:
        """name -> ('env', value) | ('secret', GitHub secret name) for an ``env`` mapping."""
        ctx = self.ctx
        raw = where.get(key) if isinstance(where, dict) else None
        out: dict = {}
        if raw is None:
            return out
        if not isinstance(raw, dict):
            ctx.skip(doc, "workflow: env expression", "'env' is an expression, not a mapping", where, key)
            return out
        for name, value in raw.items():
            name = str(name)
            text = _scalar(value)
            if not _SHELL_NAME.fullmatch(name):
                ctx.skip(doc, "workflow: env name", f"'{name}' cannot be an environment variable in CodeBuild",
                         raw, name)
                continue
            if text is None:
                ctx.skip(doc, "workflow: env expression", f"env {name} is not a plain value", raw, name)
                continue
            if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text):
                ctx.skip(doc, "workflow: control character", f"env {name} holds a control character (such as "
                         "YAML's \\e), which a .pipe file cannot hold; set it in a command with printf", raw, name)
                continue
            m = re.fullmatch(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", text)
            if m:
                out[name] = ("secret", m.group(1))
            elif "${{" in text:
                ctx.skip(doc, "workflow: env expression", f"env {name} = {text!r} is computed by GitHub; pipec "
                         "env values are literal", raw, name)
            else:
                out[name] = ("env", text)
        return out

    def add_secret(self, a: _Action, env_name: str, secret: str) -> str:
        """Declare ``secret`` (a GitHub secret) in ``a`` under ``env_name`` (or a free name); the name."""
        for n, s in a.secrets.items():
            if s == secret:
                return n
        name = env_name
        n = 2
        while name in a.env or name in a.secrets:
            name = f"{env_name}_{n}"
            n += 1
        ctx = self.ctx
        if secret.upper().startswith("GITHUB_"):
            # GitHub reserves the GITHUB_ prefix for its own secrets (the run's automatic token):
            # the .pipe names a secret a person creates, under a name GitHub accepts
            ctx.task("secret", f"create the GitHub secret PIPEC_{secret} (a token with the rights the workflow's "
                               f"{secret} had): GitHub does not let a secret be named {secret}")
            secret = f"PIPEC_{secret}"
            for n, s in a.secrets.items():
                if s == secret:
                    return n
        a.secrets[name] = secret
        ctx.task("secret", f"create the SSM parameter /{self.pipeline}/{secret} (SecureString) with the value "
                           f"of the GitHub secret {secret}")
        if secret == "PIPEC_GITHUB_TOKEN":
            ctx.task("secret", "GITHUB_TOKEN is made by GitHub for each run: on CodePipeline, store a token "
                               f"with the same rights in /{self.pipeline}/PIPEC_GITHUB_TOKEN")
        return name
