"""Reading pipec's inputs and writing its single output files.

**Reading.** Every input pipec reads goes through :func:`read_text`: the ``.pipe`` file of
``check``, ``build``, ``fmt``, ``explain`` and ``graph``, each file ``import`` converts (and the
buildspecs and appspecs it finds beside a template), and standard input for ``-``. It reads at
most :data:`MAX_INPUT_BYTES` (one byte more, to know that there is more), so that ``/dev/zero``,
a log file given by mistake or a runaway generator gets a coded diagnostic (E002) instead of
exhausting memory. Bytes are decoded as UTF-8 the same way for a file and for standard input
(E001 names the first bad byte); line endings are kept as written.

**The limit** is 2 MiB. A pipeline of 2,500 actions written by bench/perf.py's generator is
about 480 kB, so the limit is more than four times that; a CloudFormation template (at most
1 MB from S3) and a GitHub workflow file are far below it too. bench/limits.py measures time and
peak memory for the largest accepted inputs (docs/language.md, "Size limit").

**Writing.** :func:`write_file` writes one file (``fmt``'s rewrite, ``import -o``, ``--report``,
``--audit``, ``graph -o``) to a temporary file beside it, then renames it into place, so that a
reader never sees half a file. A new file gets the mode an ordinary ``open()`` gives (0666 less
the umask: 0644 under umask 022). An existing file keeps its mode and its owner; when pipec
cannot keep the owner, it refuses rather than silently changing it. ``pipec build`` writes its
tree of files with :mod:`pipec.transaction` instead.
"""

from __future__ import annotations

import os
import stat
import sys

from pipec.diagnostics import ERROR, Diagnostic

#: the largest input pipec reads, in bytes (E002 above it)
MAX_INPUT_BYTES = 2 * 1024 * 1024


class InputError(Exception):
    """The input cannot be read; ``diagnostic`` (E001 or E002) says why."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


class CannotWrite(Exception):
    """An output path pipec cannot write (a folder, a missing or read-only folder, a read-only
    file, an owner it cannot keep); the message is one line for the user."""


def too_large(path: str, size_shown: str) -> Diagnostic:
    """E002 for an input of more than :data:`MAX_INPUT_BYTES` (``size_shown``: what is known of
    its size, for example "more than 2 MiB")."""
    return Diagnostic(
        "E002", ERROR, f"the input is too large: {size_shown}; pipec reads at most "
        f"{MAX_INPUT_BYTES // (1024 * 1024)} MiB ({MAX_INPUT_BYTES:,} bytes)", None, file=path,
        help="A pipeline of 2,500 actions is about 480 kB, so a larger input is almost always the wrong "
             "file (a log, a binary, a device). Check the path; if it really is one pipeline, split it into "
             "several .pipe files.")


#: (the standard input stream, what was read from it): '-' is read once per stream
_stdin_cache: tuple[object, bytes] | None = None


def _read_bytes(path: str) -> bytes:
    """At most ``MAX_INPUT_BYTES + 1`` bytes of ``path`` (``-``: standard input, read once and
    remembered, so that a second reader of ``-`` sees the same text)."""
    global _stdin_cache
    limit = MAX_INPUT_BYTES + 1
    if path == "-":
        if _stdin_cache is None or _stdin_cache[0] is not sys.stdin:
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # a text stream without bytes (an embedding program's, a test's)
                data = sys.stdin.read(limit).encode("utf-8", "surrogateescape")
            else:
                data = _read_up_to(stream, limit)
            _stdin_cache = (sys.stdin, data)
        return _stdin_cache[1]
    with open(path, "rb") as fh:
        return _read_up_to(fh, limit)


def _read_up_to(stream, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_text(path: str) -> str:
    """The UTF-8 text of ``path`` (``-`` for standard input), or :class:`InputError` with E001
    (cannot be opened, not UTF-8) or E002 (more than :data:`MAX_INPUT_BYTES`)."""
    try:
        data = _read_bytes(path)
    except OSError as exc:
        raise InputError(Diagnostic("E001", ERROR, f"cannot read the file: {exc.strerror or exc}", None,
                                    help="Check the path and the file's permissions.", file=path)) from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(too_large(path, f"more than {MAX_INPUT_BYTES // (1024 * 1024)} MiB"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(Diagnostic("E001", ERROR, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})",
                                    None, help="Save the file as UTF-8.", file=path)) from None


def read_log(path: str) -> tuple[str, str | None]:
    """A log's text (``-`` for standard input) for ``pipec why``, and a note when it was not UTF-8:
    logs are what a platform printed (a build's output may be Latin-1, or cut in the middle of a
    character), so bytes that are not UTF-8 are read as U+FFFD instead of refusing the whole log.
    :class:`InputError` (E001, E002) as :func:`read_text` for the rest."""
    try:
        return read_text(path), None
    except InputError as exc:
        if exc.diagnostic.code != "E001" or "not UTF-8" not in exc.diagnostic.message:
            raise
    data = _read_bytes(path)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with its byte order mark: what Windows
        # PowerShell's '>' and Out-File write by default (PowerShell 5.1's "Unicode")
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        data.decode("utf-8")
        first = 0
    except UnicodeDecodeError as exc:
        first = exc.start
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    return text, (f"{path} is not UTF-8 text (the first bad byte is at offset {first}): {bad} "
                  f"{'sequence' if bad == 1 else 'sequences'} read as U+FFFD (\ufffd)")


def read_or_diagnostic(path: str) -> tuple[str | None, Diagnostic | None]:
    """(text, None), or (None, the E001/E002 diagnostic)."""
    try:
        return read_text(path), None
    except InputError as exc:
        return None, exc.diagnostic


# ----------------------------------------------------------------------------- writing


def check_rewritable(path: str) -> None:
    """Refuse (:class:`CannotWrite`) to rewrite a file that is read-only: no write permission
    bit, or not writable by this user. ``pipec fmt`` uses it before it formats a file."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise CannotWrite(f"cannot rewrite {path}: {exc.strerror or exc}") from None
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise CannotWrite(f"cannot rewrite {path}: the file is read-only; pipec leaves it as it is. Make it "
                          "writable first (chmod u+w), or use 'pipec fmt --check' to see whether it would change")


def write_file(path: str, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file beside it, then a rename); see the
    module's docstring for modes and owners. A symbolic link is followed: the file it points to
    is replaced and the link stays. Every failure is :class:`CannotWrite`."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if path == "":
        raise CannotWrite("cannot write to an empty path; give the path of a file")
    if os.path.isdir(path):
        raise CannotWrite(f"cannot write {path}: it is a folder; give the path of a file")
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    try:
        old = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as exc:
        raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}") from None
    if not os.path.isdir(folder):
        raise CannotWrite(f"cannot write {path}: the folder {os.path.dirname(path) or '.'} does not exist")
    tmp = None
    try:
        tmp, fd = _create_beside(target, 0o600 if old is not None else 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if old is not None:
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            mine = os.stat(tmp)
            if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
                try:
                    os.chown(tmp, old.st_uid, old.st_gid)
                except PermissionError:
                    raise CannotWrite(
                        f"cannot rewrite {path}: it belongs to user {old.st_uid} (group {old.st_gid}) and a "
                        "rewritten copy would belong to you; run pipec as its owner") from None
        os.replace(tmp, target)
        tmp = None
    except PermissionError as exc:
        if tmp is None:
            raise CannotWrite(
                f"cannot write {path}: the folder {os.path.dirname(path) or '.'} is not writable (pipec writes a "
                "new file beside it and renames it into place, so that no reader sees half a file)") from None
        raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}") from None
    except OSError as exc:
        raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _create_beside(target: str, mode: int) -> tuple[str, int]:
    """A new, empty temporary file in ``target``'s folder: (path, open descriptor). ``mode`` is
    given to open(), so the umask applies as it does to any new file."""
    import secrets  # writing only: reading, which every command does, never needs it (issue 18)

    folder, name = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.pipec-tmp")
        try:
            return tmp, os.open(tmp, flags, mode)
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue
