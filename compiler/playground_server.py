"""The web server of ``pipec playground`` (docs/playground.md): the bundled page and a JSON API
over :mod:`pipec.playground`, on a loopback address only.

Built on the standard library (``http.server.ThreadingHTTPServer``): the server answers a
handful of routes for one person on their own machine, which a framework would not make safer
or shorter, and pipec keeps no web dependency for it.

What it guarantees:

- it listens on a loopback address (127.0.0.0/8 or ::1) and answers only requests whose
  ``Host`` names that address or ``localhost`` (a page elsewhere cannot reach it through DNS
  rebinding);
- it serves the files of ``playground_assets/`` by their exact names, listed when it starts,
  and nothing else of the file system: no path is ever joined from the URL;
- a request body over :data:`MAX_BODY` bytes is refused with 413 before it is read; the API
  takes JSON only (``Content-Type: application/json``, which a cross-site form cannot send);
- every compilation runs in a worker process under :data:`TIME_LIMIT` seconds; a worker that
  takes longer is killed and replaced, and the page gets a message, so a pathological input
  cannot hang the server;
- every response carries a Content-Security-Policy without inline scripts or eval, with
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and framing refused.
"""

from __future__ import annotations

import ipaddress
import json
import multiprocessing
import os
import queue
import re
import signal
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

#: the largest request body, in bytes (413 above it)
MAX_BODY = 1024 * 1024
#: seconds one compilation may take before its worker is killed
TIME_LIMIT = 10.0
#: seconds a refused request's unread body is received and dropped before the connection closes
LINGER = 2.0
#: worker processes: requests beyond them wait for one to be free
WORKERS = 2
ASSETS = Path(__file__).resolve().parent / "playground_assets"
#: the page's policy: its own scripts only (no inline script, no eval), styles inline too (the
#: editor and the Mermaid SVGs set them), images as data: URIs (Mermaid's icons), nothing framed
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_DIGITS = re.compile(r"[0-9]{1,12}")
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
          ".txt": "text/plain; charset=utf-8", ".ico": "image/x-icon", ".woff2": "font/woff2"}


class NotLoopback(ValueError):
    """The address given is not a loopback address."""


def loopback(host: str) -> str:
    """``host`` when it is a loopback IP address, else :class:`NotLoopback`."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise NotLoopback(f"--host {host!r} is not an IP address; give a loopback address such as 127.0.0.1") from None
    if not address.is_loopback:
        raise NotLoopback(f"--host {host} is not a loopback address: the playground serves this machine only "
                          "(give 127.0.0.1, another 127.x.y.z address or ::1)")
    return str(address)


# ----------------------------------------------------------------------------- workers


def _work(conn) -> None:
    """A worker's loop: (name, request) in, ("ok", result) | ("bad", message) | ("bug", message) out.
    It runs in an empty folder of its own, so that nothing the compiler might look for beside a
    file (a configuration, a pipec.lock, a buildspec next to a template) is found on disk.
    Ctrl-C, which the terminal sends to the server's whole process group, is ignored here: the
    server stops its workers itself (each printed a KeyboardInterrupt traceback)."""
    import tempfile

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by _Worker while it started
    from pipec import playground

    os.chdir(tempfile.mkdtemp(prefix="pipec-playground-"))
    playground.compile_all({"source": "pipeline warm {\n}\n"})  # load the compiler before the first edit
    while True:
        try:
            name, request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", playground.HANDLERS[name](request))
        except playground.BadRequest as exc:
            reply = ("bad", str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug in pipec: one line to the page, not a traceback
            reply = ("bug", f"internal error: {type(exc).__name__}: {exc} (a bug in pipec; please report it "
                            "with the text that caused it)")
        conn.send(reply)


class _Worker:
    def __init__(self, context):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_work, args=(child,), daemon=True, name="pipec-playground-worker")
        # the new process inherits the blocked SIGINT until _work ignores it: a Ctrl-C while it
        # starts does not interrupt it with a traceback either
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child.close()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class TimedOut(Exception):
    pass


class Workers:
    """A few worker processes; :meth:`run` lends one to a request and replaces it when the request
    runs out of time. A request waits for a free worker at most the time limit too (edits of a slow
    program queue up behind each other), then is answered that the playground is busy."""

    def __init__(self, count: int = WORKERS, time_limit: float = TIME_LIMIT):
        self.context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self.time_limit = time_limit
        self.idle: queue.Queue = queue.Queue()
        self.all: list[_Worker] = []
        self.lock = threading.Lock()
        for _ in range(count):
            self._add()

    def _add(self) -> None:
        worker = _Worker(self.context)
        with self.lock:
            self.all.append(worker)
        self.idle.put(worker)

    def run(self, name: str, request: dict):
        try:
            worker = self.idle.get(timeout=self.time_limit)
        except queue.Empty:
            raise TimedOut(f"the playground is busy: pipec's workers are all compiling earlier texts (each for at "
                           f"most {self.time_limit:g} s); the next edit tries again") from None
        try:
            worker.conn.send((name, request))
            if worker.conn.poll(self.time_limit):
                reply = worker.conn.recv()
                self.idle.put(worker)
                return reply
            why = f"pipec took more than {self.time_limit:g} s on this text and was stopped"
        except (EOFError, OSError):
            why = "pipec's worker process ended on this text (a crash: please report it with the text)"
        with self.lock:
            self.all.remove(worker)
        worker.stop()
        threading.Thread(target=self._add, daemon=True).start()
        raise TimedOut(why + "; the playground goes on with the next edit")

    def close(self) -> None:
        with self.lock:
            for worker in self.all:
                worker.stop()
            self.all.clear()


# ----------------------------------------------------------------------------- HTTP


def asset_table(folder: Path = ASSETS) -> dict[str, Path]:
    """URL path -> file, for every file of the assets folder (made once: the URL is looked up,
    never joined to a path). ``/`` is index.html."""
    table = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix in _TYPES:
            table["/" + path.relative_to(folder).as_posix()] = path
    if "/index.html" in table:
        table["/"] = table["/index.html"]
    return table


class Handler(BaseHTTPRequestHandler):
    server_version = "pipec-playground"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # a request line without a version is answered with a status line and headers too (HTTP/0.9
    # answers have none, and so no policy)
    default_request_version = "HTTP/1.0"

    def log_message(self, fmt, *args):  # quiet unless asked (pipec playground --verbose)
        if getattr(self.server, "verbose", False):
            sys.stderr.write("pipec playground: " + (fmt % args) + "\n")

    def _send(self, status: int, body: bytes, ctype: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache" if cache else "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (an unknown method, a malformed request line, a URL or header
        too long) answered as the API's, with the same headers (the standard library's HTML page
        had no policy)."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self._error(code, message or phrase)

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
        if port and port != str(self.server.server_address[1]):
            return False
        return name in self.server.hosts

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if not self._host_ok():
            return self._error(HTTPStatus.MISDIRECTED_REQUEST, "this server answers requests for its loopback address only")
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == "/api/catalog":
            return self._api("catalog", {})
        file = self.server.assets.get(path)
        if file is None:
            return self._error(HTTPStatus.NOT_FOUND, "not found")
        self._send(HTTPStatus.OK, file.read_bytes(), _TYPES[file.suffix], cache=True)

    def do_POST(self):
        if not self._host_ok():
            return self._error(HTTPStatus.MISDIRECTED_REQUEST, "this server answers requests for its loopback address only")
        path = self.path.split("?", 1)[0]
        name = path[len("/api/"):] if path.startswith("/api/") else None
        from pipec.playground import HANDLERS

        if name not in HANDLERS:
            self._drain()
            return self._error(HTTPStatus.NOT_FOUND, "not found")
        length = self.headers.get("Content-Length")
        if length is None or not _DIGITS.fullmatch(length):  # not str.isdigit: '²' is one, int('²') fails
            self.close_connection = True
            return self._error(HTTPStatus.LENGTH_REQUIRED, "a request needs a Content-Length")
        if int(length) > MAX_BODY:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"the request is {int(length):,} bytes; the playground takes at most {MAX_BODY:,} "
                        "(use pipec on the command line for larger files)")
            return self._linger()
        body = self.rfile.read(int(length))
        if (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
            return self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "the API takes application/json")
        try:
            request = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return self._error(HTTPStatus.BAD_REQUEST, "the request is not JSON")
        if not isinstance(request, dict):
            return self._error(HTTPStatus.BAD_REQUEST, "the request must be a JSON object")
        self._api(name, request)

    def _linger(self) -> None:
        """After an answer to a request whose body is left unread: stop writing, then drop what the
        client still sends, for at most :data:`LINGER` seconds. Closing a socket with unread data
        sends a reset, and a client that is still sending (a browser's fetch of a large body) then
        reports the connection reset instead of the 413 it was sent."""
        import time

        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(65536):
                    break
        except OSError:  # the client went away, or the time is up
            pass

    def _drain(self) -> None:
        length = self.headers.get("Content-Length")
        if length and _DIGITS.fullmatch(length) and int(length) <= MAX_BODY:
            self.rfile.read(int(length))
        else:
            self.close_connection = True

    def _api(self, name: str, request: dict) -> None:
        try:
            kind, result = self.server.workers.run(name, request)
        except TimedOut as exc:
            return self._error(HTTPStatus.SERVICE_UNAVAILABLE, str(exc))
        if kind == "ok":
            return self._json(HTTPStatus.OK, result)
        self._error(HTTPStatus.BAD_REQUEST if kind == "bad" else HTTPStatus.INTERNAL_SERVER_ERROR, result)


class PlaygroundServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, workers: Workers | None = None,
                 assets: Path = ASSETS, verbose: bool = False):
        host = loopback(host)
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)
        self.assets = asset_table(assets)
        self.verbose = verbose
        self.hosts = {host, f"[{host}]", "localhost"}
        self.workers = workers or Workers()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"

    def server_close(self) -> None:
        super().server_close()
        if hasattr(self, "workers"):  # TCPServer.__init__ closes the server when it cannot bind
            self.workers.close()

    def handle_error(self, request, client_address) -> None:
        """A browser that goes away mid-answer is normal; anything else is one line, not the
        standard library's traceback on the terminal."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        sys.stderr.write(f"pipec playground: internal error on a request: {type(exc).__name__}: {exc} "
                         "(a bug in pipec; please report it)\n")
