"""``pipec completion bash|zsh|fish``: a completion script generated from pipec's own argument
parser by shtab, so that it lists every command, option and choice the parser has, and stays in
step with it. shtab is imported here only, when a script is asked for: no other command loads it.

Arguments that take paths are marked with shtab's file and folder completers (shtab's documented
``action.complete`` attribute), by their metavar: ``FILE``, ``LOG``, ``WORKFLOW``, ``OUT`` and
``F`` complete file names (folders included, as ``check``, ``fmt`` and ``build`` take them too),
``DIR`` folder names.
"""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh", "fish")
FILE_METAVARS = frozenset({"FILE", "LOG", "WORKFLOW", "OUT", "F"})
DIR_METAVARS = frozenset({"DIR"})


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script of ``parser`` for ``shell`` (one of :data:`SHELLS`)."""
    import shtab

    _mark_paths(parser, shtab.FILE, shtab.DIRECTORY)
    text = shtab.complete(parser, shell=shell)
    return text if text.endswith("\n") else text + "\n"  # shtab's bash script ends without one


def _mark_paths(parser: argparse.ArgumentParser, file_completer, dir_completer) -> None:
    for action in parser._actions:  # argparse keeps its actions there; shtab reads them the same way
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _mark_paths(sub, file_completer, dir_completer)
        elif action.choices is None and action.metavar in FILE_METAVARS:
            action.complete = file_completer
        elif action.choices is None and action.metavar in DIR_METAVARS:
            action.complete = dir_completer
