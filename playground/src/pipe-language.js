// .pipe highlighting for CodeMirror: a StreamLanguage whose patterns are those of the VS Code
// extension's TextMate grammar (editors/vscode/syntaxes/pipe.tmLanguage.json), which
// tests/test_vscode.py keeps equal to the words pipe.lark uses as keywords. One list of
// keywords for every editor.
import { StreamLanguage } from "@codemirror/language";
import grammar from "../../editors/vscode/syntaxes/pipe.tmLanguage.json";

const repo = grammar.repository;
const sticky = (source) => new RegExp(source.replace(/^\^/, ""), "y");
const keyword = sticky(repo.keyword.match);
const number = sticky(repo.number.match);
const definition = new RegExp(repo.definition.match.replace(/^\^\\s\*/, ""), "y");
const variable = /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/y;

function matchAt(stream, re) {
  re.lastIndex = stream.pos;
  const m = re.exec(stream.string);
  if (!m || m.index !== stream.pos) return null;
  return m;
}

export const pipeLanguage = StreamLanguage.define({
  name: "pipe",
  startState: () => ({ inScript: false, nameNext: false }),
  token(stream, state) {
    if (state.inScript) {
      if (stream.match('"""')) { state.inScript = false; return "string"; }
      if (matchAt(stream, variable)) { stream.pos = variable.lastIndex; return "variableName.special"; }
      while (!stream.eol() && !stream.match('"""', false) && !stream.match(/^\$/, false)) stream.next();
      if (stream.peek() === "$") stream.next();
      return "string";
    }
    if (stream.eatSpace()) return null;
    if (stream.match('"""')) { state.inScript = true; return "string"; }
    if (stream.peek() === "#") { stream.skipToEnd(); return "comment"; }
    if (stream.peek() === '"') {
      stream.next();
      while (!stream.eol()) {
        const ch = stream.next();
        if (ch === "\\") { stream.next(); continue; }
        if (ch === '"') break;
      }
      return "string";
    }
    if (state.nameNext) {
      state.nameNext = false;
      if (stream.match(/^[A-Za-z_][A-Za-z0-9_-]*/)) return "variableName.definition";
    }
    if (stream.sol() || /^\s*$/.test(stream.string.slice(0, stream.start))) {
      const m = matchAt(stream, definition);
      if (m) { stream.pos += m[1].length; state.nameNext = true; return "keyword"; }
    }
    let m = matchAt(stream, keyword);
    if (m) { stream.pos += m[0].length; return "keyword"; }
    m = matchAt(stream, number);
    if (m) { stream.pos += m[0].length; return "number"; }
    if (stream.match(/^[{}]/)) return "brace";
    if (stream.match(/^[A-Za-z0-9_./*@:%+\-=!$~,]+/)) return null;
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: "#" } },
});
