"""What the parts of the workflow reader share: :class:`_Where` (file, job and step, for messages),
:func:`_fail`, the job as read (:class:`_Job`), the set-up actions, and how a value written by
the emitter reads back as plain text. The parts are listed in :mod:`pipec.targets.github.read`.
"""

from __future__ import annotations


from pipec.targets.escape import LITERAL_OPEN


#: set-up action -> (pipec runtime, input holding the version)
SETUP_ACTIONS = {
    "actions/setup-node": ("nodejs", "node-version"),
    "actions/setup-python": ("python", "python-version"),
    "actions/setup-java": ("java", "java-version"),
    "actions/setup-go": ("golang", "go-version"),
    "actions/setup-dotnet": ("dotnet", "dotnet-version"),
    "ruby/setup-ruby": ("ruby", "ruby-version"),
    "shivammathur/setup-php": ("php", "php-version"),
}


class _Where:
    """Where something is, for messages: file, job, step."""

    def __init__(self, file: str, job: str | None = None, step: int | None = None, step_name: str | None = None):
        self.file, self.job, self.step, self.step_name = file, job, step, step_name

    def step_at(self, index: int, step) -> "_Where":
        name = step.get("name", step.get("id")) if isinstance(step, dict) else None
        return _Where(self.file, self.job, index, name if isinstance(name, str) else None)

    def __str__(self):
        out = self.file
        if self.job is not None:
            out += f": job '{self.job}'"
        if self.step is not None:
            out += f", step {self.step + 1}" + (f" ('{self.step_name}')" if self.step_name else "")
        return out


def _fail(where, what: str):
    raise ValueError(f"{where}: {what}")


def _only(where, located, *roles):
    """The one step of ``located`` whose role is among ``roles``: (where, role, step)."""
    found = [x for x in located if x[1] in roles]
    if len(found) != 1:
        _fail(where, f"the job must have exactly one {' or '.join(roles)} step, not {len(found)}")
    return found[0]


def _action_of(uses: str) -> str:
    return uses.split("@", 1)[0]


def _unliteral(where, text, what: str) -> str:
    """A value written with ``expression_text`` (targets/escape.py): ``${{ '${{' }}`` back to ``${{``;
    any other expression is not a plain value."""
    if not isinstance(text, str):
        _fail(where, f"{what} is not a string: {text!r}")
    parts = text.split(LITERAL_OPEN)
    if any("${{" in p for p in parts):
        _fail(where, f"{what} holds a GitHub expression ({text!r}), which pipec cannot map to a plain value")
    return "${{".join(parts)


def _text(where, env: dict, key: str) -> str | None:
    """The plain value of ``env[key]`` (None when unset), as :func:`_unliteral` reads it."""
    return _unliteral(where, env[key], f"the value of {key}") if key in env else None


def _plain(where, value, what: str) -> str:
    """A scalar from YAML as the string a shell sees."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    _fail(where, f"{what} must be a string, not {value!r}")


class _Job:
    """One workflow job as read: the plan parts, before ``after`` is known."""

    def __init__(self, key, action, kind, needs, held, spec=(), request_of=None):
        self.key, self.action, self.kind = key, action, kind
        self.needs, self.held, self.spec = needs, held, spec
        self.request_of = request_of  # an approval's request job: the approval's action name
        self.manual_branch = None     # the branch its guard lets runs started by hand through on
        self.skips_pull_requests = False
