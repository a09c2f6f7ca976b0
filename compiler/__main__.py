"""``python -m pipec`` and the ``pipec`` command (``[project.scripts]`` in pyproject.toml) run the
command line (:mod:`pipec.cli`) in a process that ends when it returns (:func:`main`)."""

from __future__ import annotations

import gc
import sys

#: commands run with the cyclic collector off from the start: they end when they return, and
#: nearly all they allocate (modules, the model, the files' text) lives until then. ``pipec
#: build`` pauses it around its own work anyway (cli_build); the pause's end made a collection
#: walk everything imported and built during it (16.6 ms for examples/02-reference.pipe).
PAUSED = ("build",)


def main(argv: list[str] | None = None) -> int:
    """:func:`pipec.cli.main`, then the objects it leaves frozen for the rest of the process.

    When the interpreter exits it clears every module and runs the cyclic garbage collector over
    all that is left (pipec, troposphere's thousands of classes, PyYAML, the model): measured,
    25 to 40 ms of a 0.2 s ``pipec build``, as long as the build's own emitting. ``gc.freeze``
    moves those objects to the permanent generation, which collections skip ("ignore all the
    future collections ... to speed up collection", Python's gc documentation). What only a cycle
    keeps alive is then left to the operating system, which takes the process's memory back
    anyway; pipec closes its files with ``with`` and cleans temporary folders through ``atexit``
    (weakref.finalize), which still runs. The commands of :data:`PAUSED` also run with the
    collector off, given back on return. Only for a process that ends here: tests call
    :func:`pipec.cli.main` instead."""
    from pipec.cli import main as run

    args = sys.argv[1:] if argv is None else argv
    pause = bool(args) and args[0] in PAUSED and gc.isenabled()
    if pause:
        gc.disable()
    try:
        return run(argv)
    finally:
        gc.freeze()
        if pause:
            gc.enable()


if __name__ == "__main__":
    raise SystemExit(main())
