"""A real LSP client for the tests: pygls's LanguageClient talking JSON-RPC to ``pipec lsp`` in a
child process over its standard input and output. Responses are turned into lsprotocol types by
pygls, which fails on anything the protocol does not allow, so every answer the tests read is a
valid one."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from lsprotocol import types as T
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent


class Session:
    """A started, initialized server; its published diagnostics and logged messages."""

    def __init__(self, debounce: float = 0.0):
        self.debounce = debounce
        self.client = LanguageClient("pipec-tests", "1")
        self.diagnostics: dict[str, list[T.Diagnostic]] = {}
        self.published: dict[str, int] = {}
        self.versions: dict[str, int | None] = {}  # the text version of the last publication
        self.messages: list[str] = []
        self.errors: list[str] = []

        @self.client.feature(T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diags(params: T.PublishDiagnosticsParams):
            self.diagnostics[params.uri] = params.diagnostics
            self.versions[params.uri] = params.version
            self.published[params.uri] = self.published.get(params.uri, 0) + 1

        @self.client.feature(T.WINDOW_LOG_MESSAGE)
        def _log(params: T.LogMessageParams):
            self.messages.append(params.message)
            if params.type == T.MessageType.Error:
                self.errors.append(params.message)

        @self.client.feature(T.WINDOW_SHOW_MESSAGE)
        def _show(params: T.ShowMessageParams):
            self.messages.append(params.message)

    async def start(self) -> T.InitializeResult:
        await self.client.start_io(sys.executable, "-m", "pipec", "lsp", cwd=str(ROOT))
        result = await self.client.initialize_async(T.InitializeParams(
            capabilities=T.ClientCapabilities(), root_uri=ROOT.as_uri(),
            initialization_options={"debounce": self.debounce}))
        self.client.initialized(T.InitializedParams())
        return result

    async def stop(self) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), 60)
        self.client.exit(None)
        # bounded: a server that does not exit fails the test instead of hanging the suite
        await asyncio.wait_for(self.client.stop(), 60)

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        text = path.read_text(encoding="utf-8") if text is None else text
        self.client.text_document_did_open(T.DidOpenTextDocumentParams(T.TextDocumentItem(uri, "pipe", 1, text)))
        return uri

    def replace(self, uri: str, text: str, version: int) -> None:
        self.client.text_document_did_change(T.DidChangeTextDocumentParams(
            T.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [T.TextDocumentContentChangeWholeDocument(text=text)]))

    async def wait_diagnostics(self, uri: str, count: int = 1, timeout: float = 60.0,
                               version: int | None = None) -> list[T.Diagnostic]:
        """The diagnostics of the ``count``-th publication for ``uri`` (with ``version``, of the
        first publication of that version of the text or a later one: a debounced check of an
        older text may still arrive after a change)."""
        end = time.monotonic() + timeout
        while self.published.get(uri, 0) < count or (
                version is not None and (self.versions.get(uri) or 0) < version):
            if self.errors:  # the server logged an internal error instead of answering
                raise AssertionError(f"the server failed: {self.errors[0]}")
            if time.monotonic() > end:
                raise AssertionError(f"no diagnostics for {uri} after {timeout} s; logged: {self.errors[:1]}")
            await asyncio.sleep(0.01)
        return self.diagnostics[uri]


def run(coro_fn, debounce: float = 0.0):
    """Run ``coro_fn(session)`` against a fresh server, shutting it down afterwards."""

    async def main():
        s = Session(debounce)
        await s.start()
        try:
            return await coro_fn(s)
        finally:
            await s.stop()

    return asyncio.run(main())
