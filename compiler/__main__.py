"""``python -m pipec`` and the ``pipec`` command (``[project.scripts]`` in pyproject.toml) run the
command line (:mod:`pipec.cli`) in a process that ends when it returns (:func:`main`)."""

from __future__ import annotations

import gc


def main(argv: list[str] | None = None) -> int:
    """:func:`pipec.cli.main`, then the objects it leaves frozen for the rest of the process.

    When the interpreter exits it clears every module and runs the cyclic garbage collector over
    all that is left (pipec, troposphere's thousands of classes, PyYAML, the model): measured,
    25 to 40 ms of a 0.2 s ``pipec build``, as long as the build's own emitting. ``gc.freeze``
    moves those objects to the permanent generation, which collections skip ("ignore all the
    future collections ... to speed up collection", Python's gc documentation). What only a cycle
    keeps alive is then left to the operating system, which takes the process's memory back
    anyway; pipec closes its files with ``with`` and cleans temporary folders through ``atexit``
    (weakref.finalize), which still runs. Only for a process that ends here: tests call
    :func:`pipec.cli.main` instead."""
    from pipec.cli import main as run

    try:
        return run(argv)
    finally:
        gc.freeze()


if __name__ == "__main__":
    raise SystemExit(main())
