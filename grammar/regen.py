"""Regenerate ``pipe_parser.py``, the LALR parser of ``pipe.lark`` as lark's standalone generator
writes it, so that pipec parses without analysing the grammar at start-up (issue 18).

    python -m pipec.grammar.regen           # rewrite grammar/pipe_parser.py
    python -m pipec.grammar.regen --check   # exit 1 when it is stale (tests/test_grammar_regen.py)

lark stays the grammar's tool: ``python -m lark.tools.standalone`` analyses ``pipe.lark`` here,
at development time, and writes lark's own runtime (lexer, LALR driver, interactive parser,
trees, transformers; MPL-2.0, see the generated file's header) with the parse tables as data.
pipec.parser loads those tables with lark's ``Lark._load_from_dict``, the same call the generated
``Lark_StandAlone`` makes, handing it pipec's lexer (:class:`pipec.lexer.PipeLexer`) in place of
the ``basic`` lexer it was generated with. At run time nothing is written and nothing is read but
the package's own modules: no cache in the user's home, no pickle.

Two things are added to what the generator prints, both checked by ``--check``:

- a first line with the SHA-256 of ``pipe.lark`` and the lark version, which is how ``--check``
  tells a stale parser from a current one (lark numbers
  states and terminals in an order that changes from run to run, so two generations of the same
  grammar differ byte for byte; tests/test_grammar_regen.py also compares the tables themselves);
- lark's runtime imports the third-party ``regex`` module when it happens to be installed, only to
  measure terminal widths while analysing a grammar, which the generated parser never does; the
  import is replaced with ``_has_regex = False`` so that start-up does not depend on what else is
  installed (``regex`` costs about 5 ms to import). ``Lark(regex=True)`` is not used by pipec.
- the runtime's imports of ``logging``, ``dataclasses``, ``inspect``, ``pickle``/``zlib``/
  ``base64`` and ``copy`` (about 10 ms of ``pipec check``'s start-up) are pointed at
  :mod:`pipec.grammar.shims`, which makes lark's logger when it is first used, imports pickle
  and copy when the code that needs them first runs (the cache; the interactive parser of error
  recovery), and has the few lines of ``dataclass(frozen=True)`` and
  ``getmembers``/``getmro`` the runtime needs (``SUBSTITUTIONS``);
- ``from __future__ import annotations`` at the top: the runtime's annotations (``Dict[str, Any]``,
  ``Optional[...]`` on every function) are kept as text instead of being built at import, 1.5 ms
  of it; nothing in the runtime reads them (``shims.dataclass`` reads their names only);
- ``Serialize.deserialize``, called for each of the 3,200 objects of the tables when the parser is
  loaded, computes its class's namespace and field list once per class instead of once per
  object (``shims.serialize_info``): loading takes 4.9 ms instead of 6.5;
- ``ParserState.feed_token`` asserts that a shift does not go to the end state without comparing
  each reduction's rule with it (``Rule.__eq__``, a Python call, for every reduction; a rule is
  never equal to a state): 4% of parsing the 2,500-action file (issue 18).

Each replaced text must occur exactly once in the generator's output, or regen stops: a new lark
version that writes them differently is looked at, not patched blindly.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GRAMMAR = os.path.join(HERE, "pipe.lark")
OUTPUT = os.path.join(HERE, "pipe_parser.py")

#: the generator's options: the tables do not depend on the lexer, which pipec replaces
OPTIONS = ["-l", "basic", "--propagate_positions", "--maybe_placeholders"]

_SHIMS = "## pipec.grammar.regen: replaced, or imported when first used, by pipec.grammar.shims\n"

#: (what lark's standalone generator writes, what pipe_parser.py has instead); see the docstring
SUBSTITUTIONS = (
    ('\n__version__ = "',
     "\nfrom __future__ import annotations  ## pipec.grammar.regen: annotations are not evaluated at import\n"
     '__version__ = "'),
    ("try:\n    import regex\n    _has_regex = True\nexcept ImportError:\n    _has_regex = False\n",
     "_has_regex = False  ## pipec.grammar.regen: the optional 'regex' import is left out; only grammar\n"
     "##   analysis (terminal widths) uses it, and this parser is never analysed again\n"),
    ("import sys, re\nimport logging\nfrom dataclasses import dataclass\nfrom typing import Generic, AnyStr\n\n"
     'logger: logging.Logger = logging.getLogger("lark")\nlogger.addHandler(logging.StreamHandler())\n'
     "##\n\n##\n\nlogger.setLevel(logging.CRITICAL)\n",
     "import sys, re\nfrom typing import Generic, AnyStr\n\n" + _SHIMS +
     "from pipec.grammar.shims import LarkLogger, dataclass\n\nlogger = LarkLogger()\n"),
    ("\nfrom copy import deepcopy\n", "\n" + _SHIMS + "from pipec.grammar.shims import deepcopy\n"),
    ("\nfrom copy import copy\n", "\n" + _SHIMS + "from pipec.grammar.shims import copy\n"),
    ("from inspect import getmembers, getmro\n",
     _SHIMS + "from pipec.grammar.shims import getmembers, getmro\n"),
    ("import pickle, zlib, base64\n",
     _SHIMS + "from pipec.grammar.shims import LazyModule\n"
     'pickle, zlib, base64 = LazyModule("pickle"), LazyModule("zlib"), LazyModule("base64")\n'),
    ("        namespace = getattr(cls, '__serialize_namespace__', [])\n"
     "        namespace = {c.__name__:c for c in namespace}\n\n"
     "        fields = getattr(cls, '__serialize_fields__')\n\n"
     "        if '@' in data:\n            return memo[data['@']]\n",
     "        if '@' in data:\n            return memo[data['@']]\n"
     "        ## pipec.grammar.regen: the class's namespace and fields once per class, not once per object\n"
     "        namespace, fields = _serialize_info(cls)\n"),
    ("            assert arg != end_state\n",
     "            ## pipec.grammar.regen: arg is a state only for a shift; comparing a rule with a state\n"
     "            ##   calls Rule.__eq__ and is never equal\n"
     "            assert action is not Shift or arg != end_state\n"),
    ("_T = TypeVar(\"_T\", bound=\"Serialize\")\n",
     "_T = TypeVar(\"_T\", bound=\"Serialize\")\n## pipec.grammar.regen: used by Serialize.deserialize below\n"
     "from pipec.grammar.shims import serialize_info as _serialize_info\n"),
)


def grammar_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def header(text: str, lark_version: str) -> str:
    """The first line of ``pipe_parser.py`` for grammar ``text``; it names the :data:`SUBSTITUTIONS`
    too (``post=``), so that changing them also makes the file stale."""
    post = hashlib.sha256(repr(SUBSTITUTIONS).encode("utf-8")).hexdigest()[:12]
    return f"# pipec: generated from pipe.lark sha256={grammar_digest(text)} by lark {lark_version} " \
           f"post={post}; do not edit, run python -m pipec.grammar.regen\n"


def generate() -> str:
    """The text of ``pipe_parser.py`` for the current ``pipe.lark``."""
    import lark

    run = subprocess.run([sys.executable, "-m", "lark.tools.standalone", *OPTIONS, GRAMMAR],
                         capture_output=True, text=True, check=True)
    code = run.stdout
    for written, instead in SUBSTITUTIONS:
        if code.count(written) != 1:
            raise SystemExit(f"regen: {written.splitlines()[0]!r}... was not found once in lark's output; "
                             "look at the generated file and grammar/regen.py SUBSTITUTIONS")
        code = code.replace(written, instead)
    with open(GRAMMAR, encoding="utf-8") as fh:
        return header(fh.read(), lark.__version__) + code


def current_header() -> str:
    with open(OUTPUT, encoding="utf-8") as fh:
        return fh.readline()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--check"]:
        import lark

        with open(GRAMMAR, encoding="utf-8") as fh:
            want = header(fh.read(), lark.__version__)
        if not os.path.exists(OUTPUT) or current_header() != want:
            print("grammar/pipe_parser.py is stale: run python -m pipec.grammar.regen", file=sys.stderr)
            return 1
        return 0
    if argv:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    text = generate()
    with open(OUTPUT, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {OUTPUT} ({len(text):,} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
