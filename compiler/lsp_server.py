"""``pipec lsp``: the language server, over standard input and output, built on pygls 2.

It serves what pipec already knows: the checker's diagnostics (:mod:`pipec.lsp_check`, the same as
``pipec check --format json``), the formatter, the outline, folding and names of the lexical index
(:mod:`pipec.lsp_index`), completion from the grammar and semantic tokens
(:mod:`pipec.lsp_complete`), hover from the docs and ``pipec explain`` (:mod:`pipec.lsp_docs`),
quick fixes from the diagnostics' hints, and a request of its own, ``pipec/generatedFiles``
(``{"textDocument": {"uri": ...}}`` -> ``{"targets": [{"target": "aws", "files": [{"path": ...,
"text": ...}]}]}``), the files ``pipec build`` would write for the open document; a document with
errors has none.

Diagnostics are published on open and save at once, and after a change when the document has
been still for ``debounce`` seconds (initialization option, default 0.1; 0 checks after every
change); each open document keeps a :class:`~pipec.reparse.Reparser`, so that a check parses
again only the blocks of the pipeline whose text changed. Every handler is guarded: an exception
in pipec is logged (window/logMessage) and the request answered with an empty result, so a
half-typed document never stops the server.

This module imports pygls; only ``pipec lsp`` imports it (pipec.cli_lsp).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import sys
import traceback

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from pipec import lsp_check, lsp_docs
from pipec.lsp_complete import TOKEN_TYPES, complete, semantic_tokens
from pipec.lsp_index import Index, folding, outline
from pipec.reparse import Reparser
from pipec.secretscan import Kept
from pipec.shell_state import Verdicts

GENERATED_FILES = "pipec/generatedFiles"
_SYMBOL_KIND = {"pipeline": T.SymbolKind.Module, "source": T.SymbolKind.Package, "stage": T.SymbolKind.Namespace,
                "parallel": T.SymbolKind.Array, "action": T.SymbolKind.Function, "artifact": T.SymbolKind.File,
                "variable": T.SymbolKind.Variable, "template": T.SymbolKind.Class}
_COMPLETION_KIND = {"keyword": T.CompletionItemKind.Keyword, "value": T.CompletionItemKind.EnumMember,
                    "name": T.CompletionItemKind.Reference, "setting": T.CompletionItemKind.Property,
                    "variable": T.CompletionItemKind.Variable}


#: the text before the cursor where a template's name is written: ``use NA``
_USE_NAME = re.compile(r"\s*use\s+[A-Za-z0-9_.-]*")


def _library_templates(path: str, index):
    """(file, Name) of each template defined in the libraries the file at ``path`` uses, directly
    or through other libraries, read as ``pipec check`` reads them (inside the project only,
    pipec.templates.resolve), nearest library first."""
    from pipec.files import InputError, read_text
    from pipec.templates import project_root, resolve

    root = project_root(path)
    todo = [(os.path.dirname(path), written) for written in index.used_files()]
    seen: set[str] = set()
    while todo:
        here, written = todo.pop(0)
        lib, real, why = resolve(here, written, root)
        if why or real in seen:
            continue
        seen.add(real)
        try:
            text = read_text(lib)
        except InputError:
            continue
        lib_index = Index(text)
        for n in lib_index.names:
            if n.definition and n.kind == "template":
                yield lib, n
        todo += [(os.path.dirname(lib), w) for w in lib_index.used_files()]


def _library_definition(path: str, index, name: str):
    """(file, Name) of the template ``name`` in the libraries the file at ``path`` uses; None when
    none defines it."""
    return next(((lib, n) for lib, n in _library_templates(path, index) if n.name == name), None)


def _template_hover(doc, name: str) -> str:
    """The hover of a template's name: its header and ``param`` lines, and where it is defined."""
    found = doc.index.definition(("template", name))
    where, lines = "this file", doc.index.lines
    if found is None:
        library = _library_definition(doc.path, doc.index, name)
        if library is None:
            return f"**template {name}**: not defined in this file nor in the files it uses"
        from pipec.lsp_index import Index

        where, found = os.path.relpath(library[0], os.path.dirname(doc.path) or "."), library[1]
        lines = Index(_read_library(library[0])).lines
    shown = [lines[found.line].strip()]
    for text in lines[found.line + 1:]:
        if text.strip().startswith("param "):
            shown.append("  " + text.strip())
        elif text.strip() and not text.strip().startswith("#"):
            break
    return f"**template {name}** ({where}, line {found.line + 1})\n\n```pipe\n" + "\n".join(shown) + "\n  ...\n}\n```"


def _at_use(d, doc):
    """A diagnostic in a library file (inside a template this file uses, or about the library
    itself), moved onto the line of this file that leads there: the outermost use of the
    template, or the 'use "PATH"' line; its own place is named in the message."""
    from pipec.node import evolve

    from pipec.diagnostics import Span

    place = None
    if d.span is not None and d.span.origin:
        file, line, col = d.span.origin[-1][1].rsplit(":", 2)
        if file == doc.path:
            place = int(line), int(col)
    for note in d.notes:
        if place is None and note.startswith(f"used from {doc.path}:"):
            line, col = note.rsplit(":", 2)[1:]
            place = int(line), int(col)
    if place is None:
        first = next((stmt[0] for block, stmt in doc.index.statements
                      if block is doc.index.root and stmt[0].value == "use"), None)
        place = (first.line + 1, first.col + 1) if first is not None else (1, 1)
    where = os.path.relpath(d.file, os.path.dirname(doc.path) or ".")
    if d.span is not None:
        where += f":{d.span.line}:{d.span.column}"
    return evolve(d, file=doc.path, span=Span(*place, place[0], place[1]),
                  message=f"{d.message} (in {where})")


def _read_library(path: str) -> str:
    from pipec.files import InputError, read_text

    try:
        return read_text(path)
    except InputError:
        return ""


class Document:
    """A document's last text with its index and (lazily) its check; ``parser`` is the
    document's :class:`~pipec.reparse.Reparser`, which parses again only what changed, and
    ``verdicts`` the server's ``bash -n`` verdicts by command text (E210 asks bash only about
    commands it has not seen), ``kept`` the document's W503 findings by statement (the secret scan
    reads only the statements the Reparser parsed again)."""

    def __init__(self, uri: str, text: str, parser: Reparser | None = None, verdicts: Verdicts | None = None,
                 kept: Kept | None = None):
        self.uri, self.text, self.parser, self.verdicts, self.kept = uri, text, parser, verdicts, kept
        self.path = to_fs_path(uri) or uri
        self.lines = text.split("\n")  # as pipec counts lines
        self._index: Index | None = None
        self._checked: lsp_check.Checked | None = None
        self._narration: str | None = None

    @property
    def index(self) -> Index:  # built on the first request that needs it, not on every change
        if self._index is None:
            self._index = Index(self.text)
        return self._index

    @property
    def checked(self) -> lsp_check.Checked:
        if self._checked is None:
            self._checked = lsp_check.check(self.text, self.path,
                                            self.parser.parse if self.parser is not None else None,
                                            self.verdicts, self.kept)
        return self._checked

    @property
    def narration(self) -> str | None:
        if self._narration is None:
            self._narration = lsp_check.narration(self.checked) or ""
        return self._narration or None


class PipeServer(LanguageServer):
    def __init__(self):
        super().__init__("pipec", _version(), text_document_sync_kind=T.TextDocumentSyncKind.Incremental)
        self.docs: dict[str, Document] = {}
        self.parsers: dict[str, Reparser] = {}  # one per open document: the trees of its blocks
        self.verdicts = Verdicts()  # bash -n's, by command text, for every document (bounded)
        self.kept: dict[str, Kept] = {}  # one per open document: W503 by statement, of its last check
        self.debounce = 0.1
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._reporting = False

    def report_server_error(self, error: Exception, source) -> None:
        """Show an out-of-band error to the user (pygls's default), once. When sending is what
        failed (the client has closed the channel, as around ``exit``), pygls reports that failure
        by sending a message, which fails and is reported again without end, each time logging a
        traceback to standard error, until the client's pipe is full and the server hangs: a
        report made while one is being made is dropped (pygls has logged it already)."""
        if self._reporting:
            return
        self._reporting = True
        try:
            super().report_server_error(error, source)
        finally:
            self._reporting = False

    def doc(self, uri: str) -> Document:
        text = self.workspace.get_text_document(uri).source
        cached = self.docs.get(uri)
        if cached is None or cached.text != text:
            parser = self.parsers.setdefault(uri, Reparser())
            cached = self.docs[uri] = Document(uri, text, parser, self.verdicts,
                                                 self.kept.setdefault(uri, Kept(parser.origin)))
        return cached

    def log(self, message: str, kind=T.MessageType.Log) -> None:
        self.window_log_message(T.LogMessageParams(type=kind, message=message))

    # -- positions: pipec counts code points; the client, UTF-16 units unless it said otherwise
    def pos(self, uri: str, line: int, col: int) -> T.Position:
        """A position pipec gives (0-based line, code-point column) in the client's units; the
        document's lines are split once per version, not once per position."""
        lines = self.doc(uri).lines
        if line >= len(lines):
            line, col = len(lines) - 1, len(lines[-1])
        text = lines[line][:-1] if lines[line].endswith("\r") else lines[line]
        codec = self.workspace.get_text_document(uri).position_codec
        return T.Position(line, codec.client_num_units(text[:max(0, col)]))

    def rng(self, uri: str, line: int, col: int, end_line: int, end_col: int) -> T.Range:
        return T.Range(self.pos(uri, line, col), self.pos(uri, end_line, end_col))

    def server_pos(self, uri: str, position: T.Position) -> tuple[int, int]:
        p = self.workspace.get_text_document(uri).position_from_client_units(position)
        return p.line, p.character

    # -- diagnostics
    def publish(self, uri: str) -> None:
        self._pending.pop(uri, None)
        if uri not in self.docs and not self._open(uri):
            return
        doc = self.doc(uri)
        checked = doc.checked
        if checked.config_problem:
            self.log(f"pipec: {checked.config_problem}", T.MessageType.Warning)
        lines = doc.lines
        out = [self.diagnostic(uri, d if d.file in ("", doc.path) else _at_use(d, doc), lines)
               for d in checked.diagnostics]
        # the version checked, so that a client can tell a late publication of an older text
        version = getattr(self.workspace.get_text_document(uri), "version", None)
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=out,
                                                                         version=version))

    def _open(self, uri: str) -> bool:
        try:
            self.workspace.get_text_document(uri)
            return True
        except Exception:
            return False

    def diagnostic(self, uri: str, d, lines: list[str]) -> T.Diagnostic:
        s = d.span
        if s is None:
            rng = self.rng(uri, 0, 0, 0, 0)
        else:
            end_line = min(max(s.end_line - 1, 0), max(len(lines) - 1, 0))
            rng = self.rng(uri, s.line - 1, s.column - 1, end_line, s.end_column)
        message = d.message + (f"\n\nhelp: {d.help}" if d.help else "")
        message += "".join(f"\nnote: {n}" for n in d.notes)
        href = lsp_check.docs_href(d.code)
        related = []
        for line, note in lsp_check.related_lines(d):
            if 1 <= line <= len(lines):
                text = lines[line - 1]
                start = len(text) - len(text.lstrip())
                related.append(T.DiagnosticRelatedInformation(
                    T.Location(uri, self.rng(uri, line - 1, start, line - 1, len(text.rstrip()))), note))
        return T.Diagnostic(
            range=rng, message=message, source="pipec", code=d.code,
            severity=T.DiagnosticSeverity.Error if d.severity == "error" else T.DiagnosticSeverity.Warning,
            code_description=T.CodeDescription(href=href) if href else None,
            related_information=related or None, data=d.to_dict())

    def schedule(self, uri: str) -> None:
        old = self._pending.pop(uri, None)
        if old is not None:
            old.cancel()
        if self.debounce <= 0:
            self.publish(uri)
            return
        loop = asyncio.get_running_loop()
        self._pending[uri] = loop.call_later(self.debounce, guarded(self, None, "check")(self.publish), uri)


def _version() -> str:
    from pipec import __version__

    return __version__


def guarded(ls: PipeServer, empty, what: str):
    """Run a handler; on an exception in pipec, log it and answer ``empty``."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args):
            try:
                return fn(*args)
            except Exception as exc:  # the server goes on; the log says what broke
                ls.log(f"pipec: internal error in {what} ({type(exc).__name__}: {exc}); this is a bug in pipec.\n"
                       + traceback.format_exc(), T.MessageType.Error)
                return empty
        return inner

    return wrap


def make_server() -> PipeServer:
    ls = PipeServer()

    def feature(name, options=None, empty=None):
        def deco(fn):
            ls.feature(name, options)(_handler(ls, fn, empty, name))
            return fn
        return deco

    @feature(T.INITIALIZE)
    def initialize(ls, params: T.InitializeParams):
        opts = params.initialization_options
        if isinstance(opts, dict) and isinstance(opts.get("debounce"), (int, float)):
            ls.debounce = max(0.0, float(opts["debounce"]))

    @feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: T.DidOpenTextDocumentParams):
        ls.publish(params.text_document.uri)

    @feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: T.DidChangeTextDocumentParams):
        ls.schedule(params.text_document.uri)

    @feature(T.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls, params: T.DidSaveTextDocumentParams):
        ls.publish(params.text_document.uri)

    @feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: T.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        pending = ls._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        ls.docs.pop(uri, None)
        ls.parsers.pop(uri, None)
        ls.kept.pop(uri, None)
        ls.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @feature(T.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls, params: T.DocumentFormattingParams):
        from pipec.diagnostics import Diagnostics
        from pipec.formatter import format_text

        doc = ls.doc(params.text_document.uri)
        try:
            new = format_text(doc.text, doc.path)
        except Diagnostics as exc:
            first = exc.diagnostics[0]
            where = f" (line {first.span.line})" if first.span else ""
            ls.window_show_message(T.ShowMessageParams(
                type=T.MessageType.Warning,
                message=f"pipec: not formatted: the document does not parse{where}: [{first.code}] {first.message}"))
            return None
        if new == doc.text:
            return []
        lines = doc.lines
        end = ls.pos(doc.uri, len(lines) - 1, len(lines[-1]))
        return [T.TextEdit(T.Range(T.Position(0, 0), end), new)]

    @feature(T.TEXT_DOCUMENT_DOCUMENT_SYMBOL, empty=[])
    def document_symbol(ls, params: T.DocumentSymbolParams):
        doc = ls.doc(params.text_document.uri)
        uri, lines = doc.uri, doc.lines

        def convert(sym):
            end_line = min(sym.end_line, len(lines) - 1)
            full = ls.rng(uri, sym.line, 0, end_line, len(lines[end_line]))
            sel = ls.rng(uri, sym.name_line, sym.name_col, sym.name_line, sym.name_col + len(sym.name))
            return T.DocumentSymbol(name=sym.name, kind=_SYMBOL_KIND[sym.kind], range=full, selection_range=sel,
                                    detail=sym.detail or None, children=[convert(c) for c in sym.children])

        return [convert(s) for s in outline(doc.index)]

    @feature(T.TEXT_DOCUMENT_FOLDING_RANGE, empty=[])
    def folding_range(ls, params: T.FoldingRangeParams):
        doc = ls.doc(params.text_document.uri)
        kinds = {"region": T.FoldingRangeKind.Region, "comment": T.FoldingRangeKind.Comment}
        return [T.FoldingRange(start_line=a, end_line=b, kind=kinds[k]) for a, b, k in folding(doc.index)]

    @feature(T.TEXT_DOCUMENT_HOVER)
    def hover(ls, params: T.HoverParams):
        import re

        doc = ls.doc(params.text_document.uri)
        line, col = ls.server_pos(doc.uri, params.position)
        ix = doc.index
        parts: list[str] = []
        name = ix.name_at(line, col)
        tok = ix.token_at(line, col)
        rng = None
        if name is not None and name.kind == "template":  # its header and parameters, wherever it is
            parts.append(_template_hover(doc, name.name))
            rng = ls.rng(doc.uri, name.line, name.col, name.line, name.end_col)
        elif name is not None:
            target = ix.definition(name.key) or name
            narration = doc.narration
            kind = target.kind if target.kind != "pipeline" else None
            text = lsp_docs.summary(narration, kind, name.name) if narration and kind else None
            parts.append(f"**{target.kind} {name.name}**" + (f" (line {target.line + 1})" if target.definition else ""))
            if text:
                parts.append(f"```text\n{text}\n```")
            elif target.definition:  # a variable, or a pipeline with errors: the line that defines it
                parts.append(f"```\n{ix.lines[target.line].strip()}\n```")
            rng = ls.rng(doc.uri, name.line, name.col, name.line, name.end_col)
        elif tok is not None and tok.kind == "COMMENT":
            for code in re.findall(r"\b[EW]\d{3}\b", tok.value):
                found = lsp_docs.code_hover(code)
                if found:
                    parts.append(found)
        elif tok is not None and tok.kind == "WORD":
            block, stmt = ix.statement_at(tok.line)
            chain = ix.enclosing(line, col)
            in_platform = chain and chain[-1].keyword in ("aws", "github")
            if in_platform and stmt and stmt[0] is tok and len(chain) > 1:
                where = chain[-2].keyword if chain[-2].role != "pipeline" else "pipeline"
                found = lsp_docs.setting_hover(tok.value, {"test": "build"}.get(where, where), chain[-1].keyword)
            else:
                found = lsp_docs.keyword_hover(tok.value)
                if found is None and stmt and stmt[0] is not tok:
                    found = lsp_docs.keyword_hover(stmt[0].value)
            if found:
                parts.append(found)
            rng = ls.rng(doc.uri, tok.line, tok.col, tok.line, tok.end_col)
        for d in doc.checked.diagnostics if doc._checked is not None else ():
            s = d.span
            if s and s.line - 1 <= line <= s.end_line - 1 and d.file in ("", doc.path):
                found = lsp_docs.code_hover(d.code)
                if found:
                    parts.append(found)
        if not parts:
            return None
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
                       range=rng)

    @feature(T.TEXT_DOCUMENT_COMPLETION, T.CompletionOptions(trigger_characters=[" ", "$"]), empty=[])
    def completion(ls, params: T.CompletionParams):
        doc = ls.doc(params.text_document.uri)
        line, col = ls.server_pos(doc.uri, params.position)
        items = complete(doc.index, line, col)
        lines = doc.text.splitlines()
        if line < len(lines) and _USE_NAME.fullmatch(lines[line][:col]):  # the used libraries' templates too
            known = {label for label, _kind, _detail in items}
            items += [(n.name, "name", f"template ({os.path.basename(lib)}, line {n.line + 1})")
                      for lib, n in _library_templates(doc.path, doc.index) if n.name not in known]
        return T.CompletionList(is_incomplete=False, items=[
            T.CompletionItem(label=label, kind=_COMPLETION_KIND[kind], detail=detail or None)
            for label, kind, detail in items])

    @feature(T.TEXT_DOCUMENT_DEFINITION)
    def definition(ls, params: T.DefinitionParams):
        doc = ls.doc(params.text_document.uri)
        line, col = ls.server_pos(doc.uri, params.position)
        name = doc.index.name_at(line, col)
        target = doc.index.definition(name.key) if name else None
        if target is None and name is not None and name.kind == "template":  # in a used library
            found = _library_definition(doc.path, doc.index, name.name)
            if found is not None:
                uri, target = from_fs_path(found[0]), found[1]
                return T.Location(uri, ls.rng(uri, target.line, target.col, target.line, target.end_col))
        if target is None:
            return None
        return T.Location(doc.uri, ls.rng(doc.uri, target.line, target.col, target.line, target.end_col))

    @feature(T.TEXT_DOCUMENT_REFERENCES, empty=[])
    def references(ls, params: T.ReferenceParams):
        doc = ls.doc(params.text_document.uri)
        line, col = ls.server_pos(doc.uri, params.position)
        name = doc.index.name_at(line, col)
        if name is None:
            return []
        found = doc.index.occurrences(name.key)
        if not params.context.include_declaration:
            found = [n for n in found if not n.definition]
        return [T.Location(doc.uri, ls.rng(doc.uri, n.line, n.col, n.line, n.end_col)) for n in found]

    @feature(T.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls, params: T.PrepareRenameParams):
        doc = ls.doc(params.text_document.uri)
        line, col = ls.server_pos(doc.uri, params.position)
        name = doc.index.name_at(line, col)
        if name is None or not doc.index.occurrences(name.key):
            return None
        return ls.rng(doc.uri, name.line, name.col, name.line, name.end_col)

    @feature(T.TEXT_DOCUMENT_RENAME)
    def rename(ls, params: T.RenameParams):
        import re

        from pygls.exceptions import JsonRpcInvalidParams

        doc = ls.doc(params.text_document.uri)
        line, col = ls.server_pos(doc.uri, params.position)
        name = doc.index.name_at(line, col)
        if name is None:
            return None
        pattern = r"[A-Za-z_][A-Za-z0-9_]*" if name.kind == "variable" else r"[A-Za-z_][A-Za-z0-9_\-]*"
        if not re.fullmatch(pattern, params.new_name):
            raise JsonRpcInvalidParams(f"'{params.new_name}' is not a valid {name.kind} name")
        edits = [T.TextEdit(ls.rng(doc.uri, n.line, n.col, n.line, n.end_col), params.new_name)
                 for n in doc.index.occurrences(name.key)]
        return T.WorkspaceEdit(changes={doc.uri: edits}) if edits else None

    @feature(T.TEXT_DOCUMENT_CODE_ACTION,
             T.CodeActionOptions(code_action_kinds=[T.CodeActionKind.QuickFix]), empty=[])
    def code_action(ls, params: T.CodeActionParams):
        doc = ls.doc(params.text_document.uri)
        out = []
        for diag in params.context.diagnostics:
            data = diag.data if isinstance(diag.data, dict) else None
            if data is None or diag.source != "pipec":
                continue
            for fix in lsp_check.fixes(data, doc.lines):
                edit = T.TextEdit(ls.rng(doc.uri, fix.line, fix.col, fix.end_line, fix.end_col), fix.new_text)
                out.append(T.CodeAction(title=fix.title, kind=T.CodeActionKind.QuickFix, diagnostics=[diag],
                                        is_preferred=fix.preferred or None,
                                        edit=T.WorkspaceEdit(changes={doc.uri: [edit]})))
        return out

    @feature(T.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
             T.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=[]))
    def tokens(ls, params: T.SemanticTokensParams):
        doc = ls.doc(params.text_document.uri)
        data: list[int] = []
        prev_line = prev_col = 0
        for line, col, length, kind in semantic_tokens(doc.index):
            start = ls.pos(doc.uri, line, col)
            end = ls.pos(doc.uri, line, col + length)
            dl = start.line - prev_line
            dc = start.character - prev_col if dl == 0 else start.character
            data += [dl, dc, end.character - start.character, TOKEN_TYPES.index(kind), 0]
            prev_line, prev_col = start.line, start.character
        return T.SemanticTokens(data=data)

    @feature(GENERATED_FILES)
    def generated(ls, params):
        uri = params.textDocument.uri if hasattr(params, "textDocument") else params["textDocument"]["uri"]
        doc = ls.doc(uri)
        files = lsp_check.generated_files(doc.checked)
        return {"targets": [{"target": target, "files": [{"path": path, "text": text} for path, text in by_path.items()]}
                            for target, by_path in files.items()]}

    return ls


def _handler(ls: PipeServer, fn, empty, name):
    # not functools.wraps: pygls reads the handler's signature to decide what to pass it
    def handler(params):
        try:
            return fn(ls, params)
        except Exception as exc:
            from pygls.exceptions import JsonRpcException

            if isinstance(exc, JsonRpcException):
                raise
            ls.log(f"pipec: internal error in {name} ({type(exc).__name__}: {exc}); this is a bug in pipec.\n"
                   + traceback.format_exc(), T.MessageType.Error)
            return empty
    return handler


def serve() -> int:
    """Run the server on standard input and output until the client says exit. Standard output
    is the protocol's channel: anything pipec would print goes to standard error instead."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    ls = make_server()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    ls.start_io(stdin, stdout)
    return 0
