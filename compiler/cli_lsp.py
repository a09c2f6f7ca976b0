"""``pipec lsp``: start the language server (pipec.lsp_server) on standard input and output.

pygls is an optional dependency (the ``lsp`` extra: ``pip install 'pipec[lsp]'``), imported here
and nowhere else, so that the other commands never load it. Without it the command says how to
install it and exits with status 1.
"""

from __future__ import annotations

import sys

INSTALL_HINT = ("pipec: error: 'pipec lsp' needs pygls, which is not installed.\n"
                "  help: install the language server's extra: pip install 'pipec[lsp]' "
                "(or pip install 'pygls>=2.1,<3' next to pipec)")


def cmd_lsp(args) -> int:
    try:
        from pipec.lsp_server import serve
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs"):
            raise
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    return serve()
