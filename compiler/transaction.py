"""``pipec build``'s writes as one transaction that survives Ctrl-C, SIGTERM and a killed process.

Everything happens inside the output folder ``DIR``, in one hidden folder::

    DIR/.pipec-transaction/
        new/<n>         every new file, complete, before anything in DIR changes
        journal.json    what the transaction changes: written (then renamed into place) after
                        new/ is complete and before the first change to DIR
        old/<n>         each file the transaction replaced or removed, kept until it commits

``<n>`` is the number of the file's entry in the journal: the staged files lie side by side, so
staging makes two folders however deep the outputs are (folders cost more than files to make
and delete, and a build writes dozens of them).

1. **Recover** (:func:`recover`): a transaction that a killed run left behind is undone (or, if
   it had committed, its backups deleted), and pipec 0.1's temporary files beside the outputs
   (``.NAME.pipec-tmp``, ``.NAME.pipec-old``) are deleted. A leftover never makes a build fail.
2. **Stage**: write every new file under ``new/``, then the journal.
3. **Apply**: create the missing folders the journal lists; for each file, move the current one
   (if any) to ``old/``, then the new one into place; move each file to remove to ``old/``.
4. **Commit**: rename ``.pipec-transaction`` to ``.pipec-transaction.done`` (one atomic rename:
   the commit point), then delete it.

**Rollback** happens in the process on any exception before the commit point
(``KeyboardInterrupt`` included), and at the next build when the process was killed. It reads
the state from the file system, entry by entry in reverse: if ``old/<path>`` exists it is moved
back over ``<path>``; else if the entry created ``<path>`` and ``new/<path>`` is gone (it was
moved into place), ``<path>`` is deleted. Then the folders the journal lists as created are
removed (when empty) and the transaction folder is deleted. Every step can be interrupted and
run again with the same result, so DIR ends exactly as it was.

**Signals.** While a transaction runs, SIGINT and SIGTERM are held (the handlers only note
them) and acted on between two steps: the transaction is rolled back and the signal is then
raised as :class:`Interrupted` (a ``KeyboardInterrupt``; the command exits 130 or 143). A signal
that arrives after the commit point is ignored: the build has finished, only cleaning is left.
SIGKILL and power loss are what :func:`recover` is for.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
from pathlib import Path

FOLDER = ".pipec-transaction"
DONE = ".pipec-transaction.done"
JOURNAL = "journal.json"
#: the temporary files pipec 0.1 left beside its outputs when it was interrupted
LEGACY_SUFFIXES = (".pipec-tmp", ".pipec-old")


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived during a transaction, which was rolled back."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class RollbackFailed(OSError):
    """The transaction could not be undone in this process; :func:`recover` finishes it at the
    next build."""


# ----------------------------------------------------------------------------- signals


@contextlib.contextmanager
def _held_signals():
    """Note SIGINT and SIGTERM instead of acting on them; yields the list of those noted."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return
    previous = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda s, _frame: pending.append(s))
        yield pending
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _checkpoint(pending: list[int]):
    if pending:
        raise Interrupted(pending[0])


# ----------------------------------------------------------------------------- recovery


def _staged_name(journal: dict, index: int, rel: str) -> str:
    """The name of entry ``index``'s file under new/ and old/: its number (format 2), or its path
    (format 1, written by the development versions of 0.2.0 before the files lay side by side)."""
    return str(index) if journal.get("format", 1) >= 2 else rel


def _rollback(base: Path, folder: Path, journal: dict) -> None:
    """Undo what ``journal`` did, from the state of the file system (see the module docstring)."""
    for index, entry in reversed(list(enumerate(journal["entries"]))):
        rel, action = entry["path"], entry["action"]
        name = _staged_name(journal, index, rel)
        dest, old, new = base / rel, folder / "old" / name, folder / "new" / name
        if os.path.lexists(old):
            os.replace(old, dest)
        elif action == "create" and not os.path.lexists(new) and os.path.lexists(dest):
            os.unlink(dest)
    for rel in reversed(journal["made_dirs"]):  # listed parents first: deepest first here
        try:
            (base / rel).rmdir()
        except OSError:  # not empty (someone else's file) or already gone
            pass


def recover(out_dir: str | os.PathLike, dirs: tuple[str, ...] = ()) -> list[str]:
    """Finish what a killed transaction left in ``out_dir`` and delete pipec 0.1's temporary
    files in the folders ``dirs`` (relative to ``out_dir``). Returns what it did, one line each,
    for the user. Raises OSError only when the file system refuses (then nothing is lost: the
    same call can be repeated)."""
    base = Path(out_dir)
    done: list[str] = []
    if (base / DONE).exists():
        shutil.rmtree(base / DONE)
        done.append(f"deleted the backups of a finished build ({base / DONE})")
    folder = base / FOLDER
    if folder.exists():
        journal_path = folder / JOURNAL
        if journal_path.is_file():
            journal = json.loads(journal_path.read_text(encoding="utf-8"))
            _rollback(base, folder, journal)
            done.append(f"undid an interrupted build ({len(journal['entries'])} file(s) as they were before it)")
        else:
            done.append("deleted the files of a build interrupted before it changed anything")
        shutil.rmtree(folder)
    for rel_dir in dirs:
        d = base / rel_dir
        if not d.is_dir():
            continue
        for entry in sorted(d.iterdir()):
            if entry.name.startswith(".") and entry.name.endswith(LEGACY_SUFFIXES) and entry.is_file():
                entry.unlink()
                done.append(f"deleted {entry.relative_to(base).as_posix()}, left by an interrupted build")
    return done


# ----------------------------------------------------------------------------- the transaction


def _missing_dirs(base: Path, paths) -> list[str]:
    """The folders (relative to ``base``) that must be created for ``paths``, parents first."""
    out: list[str] = []
    for rel in paths:
        for parent in reversed(Path(rel).parents):
            if str(parent) != "." and not (base / parent).exists() and parent.as_posix() not in out:
                out.append(parent.as_posix())
    return out


def _write_new(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)


def apply(out_dir: str | os.PathLike, writes: dict[str, bytes], removes: list[str]) -> None:
    """Put ``writes`` (relative path -> bytes) in place and remove ``removes`` under ``out_dir``,
    all or nothing (see the module docstring). On failure everything is undone and the exception
    is raised again (:class:`Interrupted` for a signal); :class:`RollbackFailed` when even the
    undoing failed, in which case the next :func:`recover` completes it."""
    base = Path(out_dir)
    made_base: list[Path] = []
    for parent in reversed([base, *base.parents]):
        if not parent.exists():
            made_base.append(parent)
    folder = base / FOLDER
    journal = None
    with _held_signals() as pending:
        try:
            for d in made_base:
                d.mkdir()
            folder.mkdir()
            if writes:
                (folder / "new").mkdir()
            for index, data in enumerate(writes.values()):
                _write_new(folder / "new" / str(index), data)
                _checkpoint(pending)
            entries = [{"path": rel, "action": "replace" if (base / rel).exists() else "create"} for rel in writes]
            entries += [{"path": rel, "action": "remove"} for rel in removes]
            journal = {"format": 2, "entries": entries, "made_dirs": _missing_dirs(base, writes)}
            tmp = folder / (JOURNAL + ".tmp")
            tmp.write_text(json.dumps(journal, indent=1), encoding="utf-8")
            os.replace(tmp, folder / JOURNAL)
            _checkpoint(pending)
            for rel in journal["made_dirs"]:
                (base / rel).mkdir()
            if any(entry["action"] != "create" for entry in entries):
                (folder / "old").mkdir()
            for index, entry in enumerate(entries):
                dest = base / entry["path"]
                if entry["action"] != "create":
                    os.replace(dest, folder / "old" / str(index))
                if entry["action"] != "remove":
                    os.replace(folder / "new" / str(index), dest)
                _checkpoint(pending)
            os.replace(folder, base / DONE)  # the commit point
        except BaseException as exc:
            try:
                if journal is not None and (folder / JOURNAL).is_file():
                    _rollback(base, folder, journal)
                if folder.exists():
                    shutil.rmtree(folder)
                for d in reversed(made_base):
                    d.rmdir()
            except OSError as undo:
                raise RollbackFailed(undo.errno, f"{undo.strerror or undo}; the next pipec build will finish "
                                     f"undoing it from {folder}", undo.filename) from exc
            raise
    try:
        shutil.rmtree(base / DONE)
    except OSError:  # pragma: no cover - the next build's recover() deletes it
        pass
