"""What the workflow importer's modules share: the action being written (:class:`_Action`),
the :class:`_Skip` signal for a step that cannot be mapped, and how a YAML value reads as GitHub
sees it. The construct families that use them are listed in :mod:`pipec.targets.github.imports`.
"""

from __future__ import annotations


import re

from pipec.import_yaml import scalar_text
from pipec.importer import Doc


PLACEHOLDER_REPO = "OWNER/REPO"
SOURCE = "app"
_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Skip(Exception):
    """A step or value that cannot be mapped: (construct, message)."""

    def __init__(self, construct: str, message: str):
        super().__init__(message)
        self.construct = construct


#: a YAML scalar as the string GitHub sees, or None for mappings and lists
_scalar = scalar_text


class _Action:
    """One action being written (a job, or one matrix combination of it)."""

    def __init__(self, name: str, kind: str):
        self.name = name
        self.kind = kind
        self.doc = Doc(f"{kind} {name}")
        self.notes = Doc("")           # findings about the job as a whole
        self.phase = Doc("build")     # commands and findings about steps, in order
        self.final: list[str] = []    # finally commands
        self.commands = 0
        self.image: list[str] = []
        self.timeout: str | None = None
        self.runtimes: dict[str, str] = {}
        self.env: dict[str, str] = {}
        self.secrets: dict[str, str] = {}        # env name -> GitHub secret
        self.inputs: list[str] = []
        self.artifacts: list[str] = []
        self.artifact_names: list[str] = []
        self.cache: list[str] = []
        self.github: list[str] = []
        self.checkout = False
        self.will_checkout = False
        self.windows_reported = False
        self.matrix: list[str] = []         # the lines of a matrix { } block (.matrices.faithful)
        self.no_checkout = False
        self.artifact_docs: list = []
        self.inputs_pending: list = []      # (artifact, None: the primary input | destination)
        self.uploads: list = []             # (GitHub name, .pipe name)
        self.placeholder = False            # nothing converted: one command that fails loudly
        self.step_conditions: list[int] = []  # steps kept whose condition GitHub decides at run time
        self.outputs: dict = {}               # (step id, output) -> the shell variable that holds it
        self.allow: list[tuple] = []          # (IAM action..., resource): aws { allow } lines of mapped actions
