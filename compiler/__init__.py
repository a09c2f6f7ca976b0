"""pipec: compile one declarative ``.pipe`` file into AWS CodePipeline and GitHub Actions.

The compiler is a pipeline of small stages, each in its own module and each usable on its own::

    text --parser--> ast.Module --semantic--> model.Pipeline --targets--> files
          (grammar/pipe.lark,     (names resolved, defaults     (one module per target
           transformer.py)         applied, checks run)          in pipec.targets)

- :mod:`pipec.parser` turns text into the syntax tree of :mod:`pipec.ast` (an LALR parser that
  lark's standalone generator wrote into grammar/pipe_parser.py).
- :mod:`pipec.templates` reads the files ``use`` lines name and expands the templates they
  define, so that what follows sees the pipeline as if written by hand.
- :mod:`pipec.semantic` turns the tree into the validated, platform-neutral :mod:`pipec.model`,
  reporting every problem as a coded :class:`~pipec.diagnostics.Diagnostic`.
- :mod:`pipec.formatter` prints a tree back as canonical source, keeping comments.
- :mod:`pipec.cli` is the ``pipec`` command.

Typical use::

    from pipec import compile_file
    pipeline, warnings = compile_file("examples/02-reference.pipe")
"""

from __future__ import annotations

__version__ = "0.1.0"


def compile_text(text: str, filename: str = "<input>", allow_outside_uses: bool = False,
                 read_uses: bool = True, parser=None):
    """Parse, expand the templates of, and check ``text``; return ``(model.Pipeline, warnings)``
    or raise :class:`pipec.diagnostics.Diagnostics` listing every error (and the warnings).
    ``allow_outside_uses``: ``use`` lines may name files outside the project; ``read_uses``
    False: they read no file at all, each is an error (the playground: pipec.templates). ``parser``:
    what parses ``text`` instead of :func:`pipec.parser.parse` (the language server's
    :meth:`pipec.reparse.Reparser.parse`, which returns the same tree)."""
    from pipec.gc_pause import paused
    from pipec.parser import parse
    from pipec.semantic import analyze
    from pipec.templates import expand

    with paused():  # many objects, few cycles (pipec.gc_pause)
        return analyze(expand((parser or parse)(text, filename), allow_outside_uses, read_uses))


def compile_file(path: str):
    """Like :func:`compile_text`, reading ``path`` as UTF-8 with the command's bounded reader
    (:func:`pipec.files.read_text`): an unreadable or too large file raises
    :class:`pipec.diagnostics.Diagnostics` with E001 or E002."""
    from pipec.diagnostics import Diagnostics
    from pipec.files import InputError, read_text

    try:
        text = read_text(path)
    except InputError as exc:
        raise Diagnostics([exc.diagnostic]) from None
    return compile_text(text, path)
