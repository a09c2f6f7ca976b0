"""Both targets generated in memory, for what ``pipec explain`` says about their outputs.

:class:`Targets` runs each registered target's ``emit`` through the registry
(:func:`pipec.targets.load`), keeping the files, the platform-difference warnings and the errors
of a target that refuses the pipeline; nothing is written. :func:`split_by_target` sorts
diagnostics a caller already has into the same shape. The platform voices read the files kept
here: :mod:`pipec.explain_aws`, :mod:`pipec.explain_github`.
"""

from __future__ import annotations

from pipec import model
from pipec.diagnostics import ERROR, PLATFORM_DIFFERENCES, Diagnostics


#: codes of errors only one target gives, and which
TARGET_OF_ERROR = {"E407": "aws", "E411": "aws", "E408": "github", "E409": "github", "E410": "github"}


class Targets:
    """Both targets generated in memory: files, platform warnings and refusals per target."""

    def __init__(self, pipeline: model.Pipeline):
        from pipec.build import EmitContext, too_large
        from pipec.targets import TARGETS, load

        self.files: dict[str, dict[str, str] | None] = {}
        self.warnings: list = []
        self.errors: dict[str, list] = {}
        source = pipeline.filename.replace("\\", "/").rsplit("/", 1)[-1]
        for name in TARGETS:
            ctx = EmitContext(source=source, prefix="")
            try:
                self.files[name] = load(name).emit(pipeline, ctx)
            except Diagnostics as exc:
                self.files[name] = None
                self.errors[name] = [d for d in exc.diagnostics if d.severity == ERROR]
            except ValueError as exc:  # troposphere stops at CloudFormation's quotas: E412, as 'pipec build'
                if not str(exc).startswith("Maximum "):
                    raise
                self.files[name] = None
                self.errors[name] = [too_large(pipeline, name, str(exc))]
            self.warnings.extend(d for d in ctx.warnings if d.code in PLATFORM_DIFFERENCES)


def split_by_target(platform_warnings) -> tuple[list, dict[str, list]]:
    warns, errors = [], {}
    for d in platform_warnings:
        if d.severity == ERROR:
            errors.setdefault(TARGET_OF_ERROR.get(d.code, "?"), []).append(d)
        else:
            warns.append(d)
    return warns, errors
