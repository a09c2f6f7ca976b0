"""The ``[tool.pipec]`` table of ``pyproject.toml``, or a ``pipec.toml`` with the same keys at the
top level: the options a repository always gives ``pipec check`` and ``pipec build``.

Keys: ``output`` (``-o``), ``source-root`` (``--source-root``), ``targets`` ("all", "aws",
"github" or a list of target names; ``--target``), ``strict`` (``--strict``), ``ignore`` and
``select`` (``--ignore``/``--select``: a list of codes or prefixes, or one comma-separated string).
Paths are relative to the folder of the file that gives them. A flag given on the command line
replaces the key.

Lookup, as ruff finds its configuration (https://docs.astral.sh/ruff/configuration/, "Config file
discovery"): from the folder of the ``.pipe`` file (the working folder for standard input) up to
the file system's root, the closest folder with a ``pipec.toml``, or a ``pyproject.toml`` that has
a ``[tool.pipec]`` table, gives the configuration; a ``pyproject.toml`` without one is passed over.
In one folder ``pipec.toml`` wins over ``pyproject.toml``. Files further up are not read: settings
are never merged across files.

An unknown key, a value of the wrong type or a file that is not valid TOML raises
:class:`ConfigError`, whose message names the file and the key (the command exits with status 2).
"""

from __future__ import annotations

import os

from pipec.ignores import BadSelection, Selection
from pipec.node import Node, node

PIPEC_TOML, PYPROJECT = "pipec.toml", "pyproject.toml"
KEYS = ("output", "source-root", "targets", "strict", "ignore", "select")


class ConfigError(ValueError):
    """A configuration file pipec cannot use; the message names the file and the key."""


@node
class Config(Node):
    """The settings of one configuration file (None: the key is not given). ``path`` is the file,
    None when no file applies."""

    path: str | None = None
    output: str | None = None
    source_root: str | None = None
    targets: tuple[str, ...] | None = None
    strict: bool | None = None
    ignore: tuple[str, ...] | None = None
    select: tuple[str, ...] | None = None


def find(start: str) -> tuple[str, dict] | None:
    """(path, settings table) of the configuration that applies in folder ``start``, or None."""
    folder = os.path.abspath(start)
    while True:
        candidate = os.path.join(folder, PIPEC_TOML)
        if os.path.isfile(candidate):
            return candidate, _read(candidate)
        candidate = os.path.join(folder, PYPROJECT)
        if os.path.isfile(candidate):
            data = _read(candidate)
            tool = data.get("tool")
            if isinstance(tool, dict) and "pipec" in tool:
                table = tool["pipec"]
                if not isinstance(table, dict):
                    raise ConfigError(f"{candidate}: 'tool.pipec' must be a table ([tool.pipec])")
                return candidate, table
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _read(path: str) -> dict:
    import tomllib  # only when there is a file to read (issue 18: start-up)

    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:  # TOML is UTF-8 (tomllib decodes it so)
        raise ConfigError(f"{path}: not valid TOML (it is not UTF-8 text)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None


def for_file(pipe_path: str) -> Config:
    """The configuration that applies to ``pipe_path`` ('-' for standard input)."""
    start = os.getcwd() if pipe_path == "-" else os.path.dirname(os.path.abspath(pipe_path))
    found = find(start)
    if found is None:
        return Config()
    path, table = found
    return parse(table, path)


def parse(table: dict, path: str) -> Config:
    """A :class:`Config` from the settings ``table`` of the file ``path``."""
    from pipec.targets import TARGETS

    where = f"{path}: [tool.pipec]" if os.path.basename(path) == PYPROJECT else path
    for key in table:
        if key not in KEYS:
            import difflib

            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(f"{where}: unknown key '{key}' (pipec knows {', '.join(KEYS)}){hint}")
    folder = os.path.dirname(os.path.abspath(path))

    def wrong(key, expected):
        return ConfigError(f"{where}: '{key}' must be {expected}, not {_toml_type(table[key])}")

    def path_of(key):
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise wrong(key, "a folder name (a non-empty string)")
        full = os.path.join(folder, value)
        try:  # written as a command line would give it: relative to the working folder
            return os.path.relpath(full)
        except ValueError:  # another drive (Windows)
            return os.path.normpath(full)

    targets = None
    if "targets" in table:
        value = table["targets"]
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise wrong("targets", f"\"all\" or a list of target names ({', '.join(TARGETS)})")
        for name in names:
            if name != "all" and name not in TARGETS:
                raise ConfigError(f"{where}: 'targets' names '{name}', which is no target "
                                  f"(all, {', '.join(TARGETS)})")
        targets = tuple(TARGETS) if "all" in names else tuple(dict.fromkeys(names))
    strict = table.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise wrong("strict", "true or false")
    codes = {}
    for key in ("ignore", "select"):
        value = table.get(key)
        if value is None:
            codes[key] = None
            continue
        if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
            raise wrong(key, "a list of codes or prefixes, such as [\"W508\", \"W51\"]")
        codes[key] = tuple(value) if isinstance(value, list) else (value,)
    try:  # the codes are checked now, so that a mistake names the file
        Selection.from_options(codes["select"], codes["ignore"], names=(f"{where}: 'select'", f"{where}: 'ignore'"))
    except BadSelection as exc:
        raise ConfigError(str(exc)) from None
    return Config(path, path_of("output"), path_of("source-root"), targets, strict, codes["ignore"], codes["select"])


def _toml_type(value) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
             dict: "a table"}
    return names.get(type(value), f"a {type(value).__name__}")


@node
class Options(Node):
    """What one command does for one file: the command line's options over the configuration's."""

    config: Config
    output: str | None
    source_root: str | None
    targets: tuple[str, ...]
    strict: bool
    selection: Selection


def options(args, pipe_path: str) -> Options:
    """The options for ``pipe_path``: each flag given in ``args`` wins over its key. Raises
    :class:`ConfigError` or :class:`pipec.ignores.BadSelection` (exit status 2)."""
    from pipec.targets import TARGETS

    cfg = for_file(pipe_path)
    target = getattr(args, "target", None)
    if target is not None:
        targets = tuple(TARGETS) if target == "all" else (target,)
    else:
        targets = cfg.targets or tuple(TARGETS)
    strict = args.strict if args.strict is not None else bool(cfg.strict)
    select = args.select if args.select is not None else cfg.select
    ignore = args.ignore if args.ignore is not None else cfg.ignore
    if args.select is not None or args.ignore is not None:  # name the options in a message
        selection = Selection.from_options(select, ignore)
    else:
        selection = Selection.from_options(select, ignore, names=(f"{cfg.path}: 'select'", f"{cfg.path}: 'ignore'"))
    output = getattr(args, "output", None) or cfg.output
    source_root = getattr(args, "source_root", None) or cfg.source_root
    return Options(cfg, output, source_root, targets, strict, selection)
