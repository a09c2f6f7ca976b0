"""``pipec playground``: serve the playground page on a loopback address (:mod:`pipec.playground_server`).
Called by :mod:`pipec.cli`, which owns the parser and the exit codes. There is no static export
(Pyodide): docs/playground.md says what the Pyodide runtime available lacks for pipec."""

from __future__ import annotations

import errno
import sys

from pipec.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE


def add_parser(sub, full: bool = True) -> None:
    """The ``playground`` sub-command; its options only when ``full`` (pipec.cli.build_parser)."""
    pg = sub.add_parser(
        "playground", help="try .pipe in the browser: editor, diagnostics, generated files, graph, import",
        description="Serve a page on this machine (a loopback address only) with an editor for .pipe, its "
        "diagnostics as you type, every generated file of both targets, the graph and the narration, the "
        "examples and the tutorial's lessons, and an import pane. Stop it with Ctrl-C. See docs/playground.md.")
    if not full:
        return
    pg.add_argument("--port", type=int, default=8765, metavar="N", help="the port (default 8765; 0: any free port)")
    pg.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                    help="a loopback address to listen on (default 127.0.0.1; another 127.x.y.z or ::1)")
    pg.add_argument("--open", action="store_true", help="open the page in the web browser")
    pg.add_argument("--verbose", action="store_true", help="log each request on standard error")
    pg.set_defaults(func=cmd_playground)


def cmd_playground(args) -> int:
    from pipec.playground_server import NotLoopback, PlaygroundServer

    if not 0 <= args.port <= 65535:
        print(f"pipec: error: --port {args.port} is not a port number (0 to 65535)", file=sys.stderr)
        return EXIT_USAGE
    try:
        server = PlaygroundServer(args.host, args.port, verbose=args.verbose)
    except NotLoopback as exc:
        print(f"pipec: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the port in use, or one this user may not open
        print(f"pipec: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
              + (" (another program uses the port: give --port N, or --port 0 for any free one)"
                 if exc.errno == errno.EADDRINUSE else ""), file=sys.stderr)
        return EXIT_INPUT
    print(f"pipec playground: serving {server.url} (this machine only); Ctrl-C stops it", flush=True)
    if args.open:  # beside the server: a browser in the terminal (lynx, w3m) waits for its page
        import threading

        threading.Thread(target=_open, args=(server.url,), daemon=True, name="pipec-playground-open").start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def _open(url: str) -> None:
    """The page in the user's web browser, or a line saying that none could be started (Python's
    webbrowser returns False then, without a word)."""
    import webbrowser

    if not webbrowser.open(url):
        print(f"pipec playground: no web browser could be started here; open {url} in one", file=sys.stderr,
              flush=True)
