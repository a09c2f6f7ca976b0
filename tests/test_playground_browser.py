"""The playground in a real browser: Debian's chromium driven by Playwright (pytest-playwright, in
the test extra). chromium is /usr/bin/chromium; when it is missing the set-up installs it with
apt-get (as root), and the tests are skipped, saying why, only when that cannot be done. No
browser is downloaded by Playwright. One server (a fixture of this module) serves every test.

Screenshots of the main views are saved under the folder printed at the start
(``.../playground-artifacts``).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest

from test_playground import EXAMPLES, ROOT, built_by_pipec

CHROMIUM = Path("/usr/bin/chromium")


def _chromium() -> str:
    """The path of chromium, installed from Debian if missing; skips with the reason otherwise."""
    if CHROMIUM.is_file():
        return str(CHROMIUM)
    reason = "chromium is not installed and cannot be: "
    if shutil.which("apt-get") is None:
        pytest.skip(reason + "no apt-get on this machine (install a chromium at /usr/bin/chromium)")
    if os.geteuid() != 0:
        pytest.skip(reason + "apt-get needs root (run: sudo apt-get install -y chromium)")
    r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"], capture_output=True,
                       text=True, timeout=900)
    if r.returncode != 0 or not CHROMIUM.is_file():
        pytest.skip(reason + f"apt-get install chromium failed: {r.stderr.strip()[-500:]}")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": _chromium()}


@pytest.fixture(scope="module")
def url():
    from pipec.playground_server import PlaygroundServer

    server = PlaygroundServer("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("playground-artifacts", numbered=False)
    print(f"\nplayground screenshots: {folder}")
    return folder


@pytest.fixture
def app(page, url):
    """The page, loaded and compiled once; fails the test on any page error or policy violation."""
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # a 400 is the server's answer to a bad request (a bad file name), a 413 to one too large,
    # which the page shows
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" and "status of 400" not in m.text and "status of 413" not in m.text else None)
    page.on("dialog", lambda d: problems.append(f"dialog: {d.message}"))
    page.goto(url)
    page.wait_for_selector("body[data-compiled]")
    yield page
    assert not problems, problems


def compiled(page) -> int:
    return int(page.get_attribute("body", "data-compiled") or 0)


def wait_compiled_after(page, before: int) -> None:
    page.wait_for_function("(n) => Number(document.body.dataset.compiled || 0) > n", arg=before)


def set_source(page, text: str, name: str = "app.pipe") -> None:
    """Replace the editor's text as a user does (select all, paste), then wait for its compilation."""
    page.fill("#filename", name)
    page.click(".cm-content")
    page.keyboard.press("Control+a")
    before = compiled(page)
    paste(page, text)
    wait_compiled_after(page, before)
    # and no later compilation on its way (one of an earlier edit may have ended first)
    page.wait_for_function("() => pipecPlayground.settled()")


def paste(page, text: str) -> None:
    page.evaluate("""([text]) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.querySelector('#editor .cm-content').dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""", [text])


BROKEN = 'pipeline shop {\n  source app github "acme/shop" {\n    branch main\n  }\n  stage ci {\n    build pack {\n      bild "make"\n'


def test_diagnostics_follow_each_edit_within_300_ms_then_the_outputs(app, artifacts):
    app.fill("#filename", "app.pipe")
    app.click(".cm-content")
    app.keyboard.press("Control+a")
    app.keyboard.press("Delete")
    # the time of the last keystroke and of the first diagnostic after it, in the page's clock
    app.evaluate("""() => {
        window.lastKey = 0; window.shown = 0;
        document.addEventListener('keydown', () => { window.lastKey = performance.now(); window.shown = 0; }, true);
        new MutationObserver(() => {
            if (!window.shown && document.querySelector('#diagnostics li.sev-error')) window.shown = performance.now();
        }).observe(document.getElementById('diagnostics'), {childList: true, subtree: true});
    }""")
    app.keyboard.type(BROKEN, delay=5)
    app.wait_for_function("() => window.shown > 0")
    latency = app.evaluate("window.shown - window.lastKey")
    assert 0 < latency <= 300, f"diagnostics {latency:.0f} ms after the last keystroke"
    app.wait_for_selector(".cm-lintRange-error")
    codes = app.eval_on_selector_all("#diagnostics li", "els => els.map(e => e.dataset.code)")
    assert codes and codes[0].startswith("E")
    first = app.text_content("#diagnostics li")
    assert "app.pipe:7:" in first and "hint:" in first
    assert app.text_content("#no-output") and not app.is_hidden("#no-output")
    app.screenshot(path=str(artifacts / "diagnostics.png"))
    # the docs of the code, in the page
    app.click("#diagnostics li .code-link")
    app.wait_for_selector("#code-doc:not([hidden])")
    assert codes[0] in app.text_content("#code-doc-text")
    # fix it: the outputs appear
    before = compiled(app)
    set_source(app, BROKEN.replace("bild", "build") + "    }\n  }\n}\n")
    assert compiled(app) > before
    app.wait_for_selector("#file-tabs button")
    assert app.evaluate("pipecPlayground.shownFile()") == "aws/shop.template.yaml"
    assert "AWS::CodePipeline::Pipeline" in app.evaluate("pipecPlayground.shownText()")
    app.screenshot(path=str(artifacts / "outputs.png"))


def test_outputs_shown_are_pipec_build_byte_for_byte_for_every_example(app, tmp_path, artifacts):
    for example in EXAMPLES:
        expected = built_by_pipec(example, tmp_path)
        before = compiled(app)
        app.select_option("#examples", example.name)
        wait_compiled_after(app, before)
        shown = {}
        for target in ("aws", "github"):
            app.check(f"input[name=target][value={target}]")
            for name in app.eval_on_selector_all("#file-tabs button", "els => els.map(e => e.dataset.file)"):
                app.click(f'#file-tabs button[data-file="{name}"]')
                assert app.evaluate("pipecPlayground.shownFile()") == name
                shown[name] = app.evaluate("pipecPlayground.shownText()")
        assert shown == expected, example.name
    # the zip holds the same files
    with app.expect_download() as download:
        app.click("#download")
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as z:
        zipped = {n: z.read(n).decode("utf-8") for n in z.namelist()}
    assert zipped == expected  # the last example's
    app.check("input[name=target][value=github]")
    app.screenshot(path=str(artifacts / "github-files.png"))


def test_the_graph_is_an_svg_beside_the_narration(app, artifacts):
    app.select_option("#examples", "02-reference.pipe")
    app.click("#views button[data-view=graph]")
    app.wait_for_selector("#graph svg g.node")
    labels = app.text_content("#graph svg")
    assert "stage" in labels and app.eval_on_selector_all("#graph svg g.node", "els => els.length") > 4
    assert app.text_content("#explain").startswith("Pipeline my-app")
    app.screenshot(path=str(artifacts / "graph.png"))


def test_the_import_pane_converts_a_workflow(app, artifacts):
    workflow = ROOT / "examples" / "migration" / "github-actions" / ".github" / "workflows" / "web.yml"
    app.click("#views button[data-view=import]")
    app.fill("#import-name", workflow.name)
    app.fill("#import-text", workflow.read_text(encoding="utf-8"))
    app.click("#import-run")
    app.wait_for_function("() => document.getElementById('import-open').disabled === false")
    from pipec import importer

    expected = importer.import_one(workflow.name, workflow.read_text(encoding="utf-8"))
    assert app.text_content("#import-pipe") == expected.source
    assert app.text_content("#import-status").startswith(f"{expected.kind}: {expected.status};")
    app.screenshot(path=str(artifacts / "import.png"))
    before = compiled(app)
    app.click("#import-open")
    wait_compiled_after(app, before)
    assert app.evaluate("pipecPlayground.editorText()") == expected.source


def test_a_share_link_reopens_the_same_source(app, url, context):
    text = (ROOT / "examples" / "06-parallel-tests.pipe").read_text(encoding="utf-8") + "# ünïcode ✓ </script>\n"
    set_source(app, text, "shared.pipe")
    app.click("#share")
    link = app.input_value("#share-url")
    assert link.startswith(url + "#name=shared.pipe&src=") and len(link) < len(text)
    other = context.new_page()
    other.goto(link)
    other.wait_for_selector("body[data-compiled]")
    assert other.evaluate("pipecPlayground.editorText()") == text
    assert other.input_value("#filename") == "shared.pipe"


def test_a_huge_or_binary_paste_gets_a_message_and_the_page_keeps_working(app):
    set_source(app, (ROOT / "examples" / "01-ci-pull-requests.pipe").read_text(encoding="utf-8"))
    kept = app.evaluate("pipecPlayground.editorText()")
    paste(app, "# x\n" * 262_144)  # 1 MiB
    assert "takes at most 1,000,000 bytes" in app.text_content("#status")
    assert app.evaluate("pipecPlayground.editorText()") == kept
    paste(app, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "looks binary" in app.text_content("#status")
    assert app.evaluate("pipecPlayground.editorText()") == kept
    # still working: an edit is compiled and its diagnostics shown
    before = compiled(app)
    app.click(".cm-content")
    app.keyboard.press("Control+End")
    app.keyboard.type("oops\n")
    wait_compiled_after(app, before)
    app.wait_for_selector("#diagnostics li.sev-error")


HOSTILE = (ROOT / "tests" / "data" / "playground-hostile.pipe").read_text(encoding="utf-8")


def test_hostile_names_and_script_tags_are_shown_as_text(app, url, context):
    set_source(app, HOSTILE, "hostile.pipe")
    app.click("#views button[data-view=graph]")
    app.wait_for_selector("#graph svg g.node")
    narration = app.text_content("#explain")
    assert "echo '<img src=x onerror=alert(2)> </script>'" in narration
    assert '"</script><img src=x onerror=alert(3)>/**"' in narration
    assert app.evaluate("document.querySelectorAll('img, body script:not([src])').length") == 0
    # a file name that is not a plain name: the server's message, as text
    app.fill("#filename", "<script>alert(4)</script>")
    app.dispatch_event("#filename", "change")
    app.wait_for_function("() => document.getElementById('status').textContent.includes('plain name')")
    # a link whose name is hostile opens under the default name
    other = context.new_page()
    other.goto(url + "#name=%3Cimg%20src%3Dx%20onerror%3Dalert(5)%3E&src=" + app.evaluate("pipecPlayground.shareLink()").split("src=")[1])
    other.wait_for_selector("body[data-compiled]")
    assert other.input_value("#filename") == "pipeline.pipe"
    assert other.evaluate("document.querySelectorAll('img').length") == 0
    # an imported workflow whose job name and command hold markup
    app.click("#views button[data-view=import]")
    app.fill("#import-name", "w.yml")
    app.fill("#import-text", 'on: push\njobs:\n  build:\n    name: "</script><img src=x onerror=alert(6)>"\n'
             '    runs-on: ubuntu-latest\n    steps:\n      - run: echo "<img src=x onerror=alert(7)>"\n')
    app.click("#import-run")
    app.wait_for_function("() => document.getElementById('import-open').disabled === false")
    assert "<img src=x onerror=alert(7)>" in app.text_content("#import-pipe")
    assert app.evaluate("document.querySelectorAll('img').length") == 0


def test_the_menu_loads_lessons_exercises_and_solutions(app, artifacts):
    catalog = json.loads((ROOT / "compiler" / "playground_assets" / "catalog.json").read_text(encoding="utf-8"))
    lesson = catalog["lessons"][5]
    before = compiled(app)
    app.select_option("#lessons", str(lesson["number"]))
    wait_compiled_after(app, before)
    assert app.text_content("#lesson-title") == f"Lesson {lesson['number']}: {lesson['title']}"
    assert app.evaluate("pipecPlayground.editorText()") == (ROOT / "examples" / lesson["example"]).read_text()
    # exercise 10 starts from the tutorial's broken my-app.pipe: errors; its solution is clean
    before = compiled(app)
    app.select_option("#exercises", "10")
    wait_compiled_after(app, before)
    assert app.input_value("#filename") == "my-app.pipe"
    assert "Fix my-app.pipe" in app.text_content("#lesson-text")
    app.wait_for_selector("#diagnostics li.sev-error")
    app.screenshot(path=str(artifacts / "exercise.png"))
    before = compiled(app)
    app.click("#show-solution")
    wait_compiled_after(app, before)
    assert app.evaluate("pipecPlayground.editorText()") == (
        ROOT / "examples" / "exercises" / "10-fix-the-pipeline.pipe").read_text()
    assert not app.query_selector("#diagnostics li.sev-error")


# ----------------------------------------------------------------------------- the review's findings (issue 16)


def test_a_refused_paste_keeps_its_message_when_an_earlier_edit_is_compiled(app):
    """A compilation that ends after a refused paste cleared the refusal's message (it cleared any
    message shown as a problem): the message vanished, and the huge-paste test above failed when
    its set-up's compilation ended late."""
    set_source(app, (ROOT / "examples" / "01-ci-pull-requests.pipe").read_text(encoding="utf-8"))
    before = compiled(app)
    app.click(".cm-content")
    app.keyboard.press("Control+End")
    app.keyboard.type("\n")  # compiled 80 ms later
    paste(app, "# x\n" * 262_144)
    assert "takes at most 1,000,000 bytes" in app.text_content("#status")
    wait_compiled_after(app, before)
    assert "takes at most 1,000,000 bytes" in app.text_content("#status")
    # the next edit of the text clears it
    before = compiled(app)
    app.keyboard.type("\n")
    wait_compiled_after(app, before)
    assert app.text_content("#status") == ""


def test_a_link_that_cannot_be_read_says_so(page, url):
    """The message was cleared at once by the compilation of the example loaded instead."""
    page.goto(url + "#name=cut.pipe&src=eJwrSS0u0c0rzcnRUUjOzytJzSvR")  # deflate data cut short
    page.wait_for_selector("body[data-compiled]")
    page.wait_for_function("() => pipecPlayground.settled()")
    assert "could not be read" in page.text_content("#status")
    assert page.input_value("#filename") == "01-ci-pull-requests.pipe"


HOSTILE_LABEL = """pipeline shop {
  source app github "acme/shop" {
    branch main
  }
  stage ci {
    build pack {
      build "make"
    }
  }
  stage gate {
    approve ok {
      message "</script><img src=x onerror=alert(10)> \\"q\\" 'a' & <b>bold</b> %%{init: {'securityLevel': 'loose'}}%%"
    }
  }
}
"""


def test_hostile_text_in_a_graph_label_and_in_diagnostics_is_text(app, artifacts):
    """An approval's message is free text that reaches a Mermaid label (pipec graph escapes it as
    #lt; ... ; Mermaid draws it with securityLevel strict and no HTML labels); a pattern holding
    markup is quoted by its diagnostic."""
    set_source(app, HOSTILE_LABEL, "hostile.pipe")
    app.click("#views button[data-view=graph]")
    app.wait_for_selector("#graph svg g.node")
    # Mermaid puts each word in its own tspan: compared without spaces
    label = "".join(app.evaluate("document.querySelector('#graph svg g.node.approval').textContent").split())
    assert label == "approveok</script><imgsrc=xonerror=alert(10)>\"q\"'a'&<b>bold</b>%%{init:{'securityLevel':'loose'}}%%timeout7d"
    assert app.evaluate("document.querySelectorAll('img, #graph svg b, #graph svg foreignObject').length") == 0
    assert "</script><img src=x onerror=alert(10)>" in app.text_content("#explain")
    app.screenshot(path=str(artifacts / "hostile-graph.png"))
    set_source(app, HOSTILE_LABEL.replace('branch main', 'branch main\n    on push branches "<img src=x onerror=alert(11)>"'),
               "hostile.pipe")
    app.wait_for_selector("#diagnostics li.sev-error")
    assert "'<img src=x onerror=alert(11)>'" in app.text_content("#diagnostics")
    app.hover(".cm-lintRange-error")  # the diagnostic's tooltip in the editor
    app.wait_for_selector(".cm-tooltip-lint")
    assert "<img src=x onerror=alert(11)>" in app.text_content(".cm-tooltip-lint")
    assert app.evaluate("document.querySelectorAll('img').length") == 0


def test_a_share_link_of_a_large_source(app, context):
    """A source near the 1,000,000-byte limit that compresses badly (distinct words): the link
    (under Chromium's 2 MB URL limit) reopens the same text."""
    import random

    rng = random.Random(16)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(3, 12)))
             for _ in range(120_000)]
    comment = "".join(f"# {' '.join(words[i:i + 10])}\n" for i in range(0, len(words), 10))
    text = (ROOT / "examples" / "01-ci-pull-requests.pipe").read_text(encoding="utf-8") + comment
    text = text[: 950_000]
    text = text[: text.rindex("\n") + 1]
    set_source(app, text, "large.pipe")
    assert not app.query_selector("#diagnostics li.sev-error")
    app.click("#share")
    link = app.input_value("#share-url")
    assert 400_000 < len(link) < 2 * 1024 * 1024, len(link)
    other = context.new_page()
    other.goto(link)
    other.wait_for_selector("body[data-compiled]")
    assert other.evaluate("pipecPlayground.editorText()") == text


def test_the_zip_is_named_after_the_file_and_holds_relative_paths(app):
    set_source(app, (ROOT / "examples" / "05-monorepo-filters.pipe").read_text(encoding="utf-8"), "monorepo.pipe")
    with app.expect_download() as download:
        app.click("#download")
    assert download.value.suggested_filename == "monorepo-outputs.zip"
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as z:
        infos = z.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and "pipec-manifest.json" in names
    assert all(not n.startswith("/") and ".." not in n.split("/") and not i.is_dir() for n, i in zip(names, infos))
    assert {i.date_time for i in infos} == {(2000, 1, 1, 0, 0, 0)}  # the same outputs, the same zip


def test_a_source_under_the_limit_whose_request_is_over_it_says_why(app):
    """JSON writes each quote as two bytes: 600,000 of them in a comment make a request of
    1.2 MB, which the server refuses (413, 'the request is 1,201,602 bytes'): the page says so in
    terms of the source before sending it, and goes on."""
    set_source(app, (ROOT / "examples" / "01-ci-pull-requests.pipe").read_text(encoding="utf-8"))
    app.click(".cm-content")
    app.keyboard.press("Control+End")
    paste(app, "# " + '"' * 600_000 + "\n")
    app.wait_for_function("() => document.getElementById('status').textContent.includes('at most 1,048,576')")
    size = len((ROOT / "examples" / "01-ci-pull-requests.pipe").read_bytes()) + 600_003
    assert f"The source is {size:,} bytes, but 1,201,602 bytes as a request" in app.text_content("#status")
    app.keyboard.press("Control+z")
    app.wait_for_function("() => document.getElementById('status').textContent === ''")
    assert not app.query_selector("#diagnostics li.sev-error")
