"""What the GitLab importer's modules share: a YAML scalar as GitLab reads it, and the action
being written (:class:`Action`)."""

from __future__ import annotations

from pipec.import_yaml import scalar_text
from pipec.importer import Doc

PLACEHOLDER_REPO = "OWNER/REPO"
SOURCE = "app"


#: a YAML scalar as the text GitLab sees (numbers as written), or None for mappings and lists
scalar = scalar_text


class Action:
    """One action being written: a job, or one instance of a ``parallel`` job."""

    def __init__(self, key: str, name: str, kind: str):
        self.key = key                 # the GitLab job
        self.name = name
        self.kind = kind
        self.notes = Doc("")           # findings about the job, written inside its block
        self.image: str | None = None
        self.timeout: str | None = None
        self.privileged = False
        self.env: dict[str, str] = {}
        self.matrix: list[str] = []    # the lines of a matrix { } block (jobs.matrix_of)
        self.exported: set[str] = set()        # variables set by an export command (they refer to others)
        self.secrets: list[str] = []
        self.inputs: list[str] = []
        self.commands: list[str] = []
        self.final: list[str] = []
        self.artifact: str | None = None
        self.artifact_line: str | None = None
        self.reports: list[str] = []
        self.cache: list[str] = []
        self.github: list[str] = []
        self.env_url: str | None = None        # the environment's url, for a manual job's approval
        self.placeholder = False
        self.scripts_mapped = 0                 # script items of the job that became commands
