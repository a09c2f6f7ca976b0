"""``pipec import`` for CodeBuild buildspecs and CodeDeploy appspecs (the read side of
:mod:`pipec.targets.aws.buildspec` and :mod:`pipec.targets.aws.appspec`, for files people wrote).

Two kinds of caller:

- :func:`import_buildspec` / :func:`import_appspec` (:mod:`.standalone`, named by the registry in
  :mod:`pipec.targets`): a file on its own becomes a whole pipeline.
- :mod:`pipec.targets.aws.imports` (CodePipeline templates) fills the action blocks it writes with
  :func:`build_body` (:mod:`.buildspecs`) and :func:`deploy_body` (:mod:`.appspecs`), and finds an
  appspec's compute platform with :func:`appspec_platform`.

Each module's docstring lists what it maps and the findings it reports; :mod:`.common` holds
what both formats share.
"""

from __future__ import annotations

from pipec.targets.aws.spec_imports.appspecs import appspec_platform, deploy_body
from pipec.targets.aws.spec_imports.buildspecs import build_body
from pipec.targets.aws.spec_imports.standalone import import_appspec, import_buildspec

__all__ = ["build_body", "appspec_platform", "deploy_body", "import_buildspec", "import_appspec"]
