"""Targets: one module per platform, each translating the validated :mod:`pipec.model` into files.

The registry below is the only place a target is named. A target module provides::

    emit(pipeline: pipec.model.Pipeline, ctx: pipec.build.EmitContext) -> dict[str, str]

returning every file it produces (path relative to the output directory -> text, each starting
with pipec's header). Modules are imported only when a build asks for them, so ``pipec check``
never loads troposphere.

To add a target: write ``targets/<name>.py`` with ``emit`` (and, later, a ``read`` side that
parses its own output back into the normal form), add it to ``TARGETS``, add golden files for
every example under ``tests/golden/``, and document its mapping in docs/targets.md.

Formats shared by targets live beside them: :mod:`pipec.targets.buildspec` (CodeBuild
buildspec.yml) and :mod:`pipec.targets.appspec` (CodeDeploy appspec.yml), each with the JSON
Schema pipec ships for it under ``schemas/``.
"""

from __future__ import annotations

import importlib
import sys
import types


class _Deferred(types.ModuleType):
    """Stands in for ``cfn_flip`` until something uses it. troposphere imports cfn_flip (and its
    YAML machinery, about 20 ms) when it is imported, but calls it only in ``to_yaml()``, which
    pipec never uses (it dumps ``to_dict()`` itself). The first attribute asked for loads the real
    module, which then replaces this one."""

    def __getattr__(self, name):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


if "troposphere" not in sys.modules and "cfn_flip" not in sys.modules:
    sys.modules["cfn_flip"] = _Deferred("cfn_flip")

#: target name -> module. ``pipec build --target all`` runs every target here, in this order.
TARGETS: dict[str, str] = {
    "aws": "pipec.targets.aws",
    "github": "pipec.targets.github",
}


def load(name: str):
    """The module of target ``name`` (KeyError for an unknown one)."""
    return importlib.import_module(TARGETS[name])
