"""``patch`` lines: the escape hatch that changes a generated file from the ``.pipe`` file.

A patch is written in an ``aws { }`` or ``github { }`` block (docs/language.md, "Patches")::

    patch set jobs.web.timeout-minutes = 30
    patch remove steps.setup-node.with.package-manager-cache

This module holds what does not depend on the platform:

- the form of a path and a value (:func:`split`, :func:`typed`, :func:`path_problem`), checked
  by :mod:`pipec.semantic_settings` (E206);
- :func:`apply`: one patch applied to a target's data (the workflow, the template, a buildspec)
  after the target has built it and before it is turned into text. Mappings are addressed by
  key and lists by the stable name of their elements (a step's ``id``, a CloudFormation stage's
  ``Name``, a tag's ``Key``), never by position; a scalar in a list is addressed by its value. A
  path that does not exist (for ``set``: whose parent does not exist) is an error (E413), whose
  hint lists the keys or names that do exist where the path stopped. Every string a patch writes
  goes through the platform's escaping function for the place it lands (``escape``), as every
  user string does (:mod:`pipec.targets.escape`);
- :func:`effect`: the check after patching. Both the patched and the unpatched files are read
  back by the target's reader (its ``read``, from disk) into :class:`pipec.plan.Plan`; a patch
  whose plan differs changes what the pipeline does on that platform, and is reported as a
  platform difference (W540); a patched file the reader refuses is reported too (W541), since
  the equivalence of the two platforms can no longer be shown.

The platform parts live in each target package: :mod:`pipec.targets.github.patch` and
:mod:`pipec.targets.aws.patch`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from pipec import model
from pipec.diagnostics import ERROR, WARNING, Diagnostic, did_you_mean
from pipec.lazy_regex import lazy

#: what a bare word means as a patch value: a whole number, a decimal number, or true/false
_INT = lazy(r"-?[0-9]+")
_FLOAT = lazy(r"-?[0-9]+\.[0-9]+")

#: the first key of a path in each kind of block (None: any key)
TEMPLATE_SECTIONS = ("AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings",
                     "Conditions", "Transform", "Resources", "Outputs")


def split(path: str) -> tuple[str, ...]:
    """The segments of a dotted path."""
    return tuple(path.split("."))


def typed(text: str, quoted: bool):
    """The value of ``patch set``: a quoted value is a string; a bare word is a number or a
    boolean when it reads as one, and a string otherwise."""
    if quoted:
        return text
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text


def path_problem(path: str, platform: str, where: str) -> str | None:
    """Why ``path`` cannot be a patch's path in a ``platform`` block of a ``where`` (pipeline,
    build, deploy, approve, invoke), as a hint; None when its form is right."""
    parts = split(path)
    if any(not p for p in parts):
        return ("A path is keys joined by dots, with no empty key, such as jobs.web.timeout-minutes "
                "(a key holding a dot cannot be patched).")
    if platform == "aws":
        if parts[0] == "buildspec":
            if where != "build":
                return ("'buildspec.' paths change the buildspec of a build or test action: write this line in "
                        "that action's aws { } block.")
            if len(parts) < 2:
                return "Name a key of the buildspec after 'buildspec.', such as buildspec.env.shell."
            return None
        if parts[0] not in TEMPLATE_SECTIONS:
            known = ", ".join(TEMPLATE_SECTIONS)
            extra = " or buildspec (this action's buildspec)" if where == "build" else ""
            return (f"An aws {{ }} patch starts with a section of the CloudFormation template ({known}){extra}, "
                    f"such as Resources.WebProject.Properties.TimeoutInMinutes.{did_you_mean(parts[0], TEMPLATE_SECTIONS)}")
        if len(parts) < 2:
            return "A patch changes a key inside a section, such as Resources.LOGICAL_ID.Properties.NAME."
    return None


# ----------------------------------------------------------------------------- applying


class PatchError(Exception):
    """A patch whose path is not in the generated data: ``message`` and ``hint`` for E413."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


def _element_name(item, names: tuple[str, ...]):
    if isinstance(item, dict):
        for key in names:
            if isinstance(item.get(key), str):
                return item[key]
        return None
    if isinstance(item, (str, int, float, bool)) and not isinstance(item, bool):
        return str(item)
    return None


def _child(node, segment: str, names: tuple[str, ...]):
    """(found, key or index) of ``segment`` in a mapping or list."""
    if isinstance(node, dict):
        return segment in node, segment
    if isinstance(node, list):
        for i, item in enumerate(node):
            if _element_name(item, names) == segment:
                return True, i
        return False, None
    return False, None


def _here(node, names: tuple[str, ...]) -> list[str]:
    if isinstance(node, dict):
        return [str(k) for k in node]
    if isinstance(node, list):
        return [n for n in (_element_name(i, names) for i in node) if n is not None]
    return []


def _missing(shown: str, at: tuple[str, ...], node, segment: str, names: tuple[str, ...],
             what: str) -> PatchError:
    where = f"at {'.'.join(at)}" if at else f"at the top of the {what}"
    if not isinstance(node, (dict, list)):
        return PatchError(f"'{shown}' is not in the generated {what}: {'.'.join(at)} is a single value, "
                          "not a mapping or a list",
                          f"Patch {'.'.join(at)} itself: stop the path before '{segment}'.")
    here = _here(node, names)
    listed = ", ".join(here[:25]) + (f" and {len(here) - 25} more" if len(here) > 25 else "")
    if isinstance(node, list):
        kind = f"the names ({' or '.join(names)}, or the value) of the list's elements"
    else:
        kind = "the keys"
    hint = (f"Name a part of the generated file that exists: {kind} {where} are "
            f"{listed or 'none'}.{did_you_mean(segment, here)}")
    return PatchError(f"'{shown}' is not in the generated {what}: there is no '{segment}' {where}", hint)


def apply(data, patch: model.Patch, *, base: tuple[str, ...] = (), what: str, shown_base: str = "",
          names: tuple[str, ...] = ("id",), escape: Callable[[tuple, object], object] = lambda p, v: v,
          creatable: frozenset = frozenset()):
    """Apply ``patch`` to ``data`` in place, at ``base`` + the patch's path. Raises
    :class:`PatchError` when the path is not there. ``names`` are the keys that name a list's
    elements; ``escape(path, value)`` makes a string value safe for where it lands. A ``set`` may
    create a missing mapping on its way when its key is in ``creatable``: keys the file format
    defines as mappings (a step's ``env``), so that a misspelt key is still an error."""
    path = base + patch.path
    shown = ".".join(patch.path) if not shown_base else f"{shown_base}.{'.'.join(patch.path)}"
    node = data
    for depth, segment in enumerate(path[:-1]):
        found, key = _child(node, segment, names)
        if not found and patch.op == "set" and isinstance(node, dict) and segment in creatable:
            node[segment] = {}
            found, key = True, segment
        if not found:
            raise _missing(shown, path[:depth], node, segment, names, what)
        node = node[key]
    last = path[-1]
    found, key = _child(node, last, names)
    if patch.op == "remove":
        if not found:
            raise _missing(shown, path[:-1], node, last, names, what)
        del node[key]
        return
    value = escape(path, patch.value)
    if isinstance(node, dict):
        node[key] = value
    elif found:
        node[key] = value
    else:
        raise _missing(shown, path[:-1], node, last, names, what)


def unshared(data):
    """A copy of ``data`` (dicts, lists and scalars) in which no two places share one object.
    ``copy.deepcopy`` keeps sharing (a list two jobs hold stays one list in the copy), and a
    patch must change the one place its path names."""
    if isinstance(data, dict):
        return type(data)((k, unshared(v)) for k, v in data.items())
    if isinstance(data, list):
        return [unshared(v) for v in data]
    return data


def error(patch: model.Patch, exc: PatchError, filename: str) -> Diagnostic:
    """E413 at the patch's line."""
    return Diagnostic("E413", ERROR, exc.message, patch.span, help=exc.hint, file=filename)


# ----------------------------------------------------------------------------- the check after patching


def _write(root: Path, files: dict[str, str], prefix: str) -> Path:
    out = root / prefix if prefix else root
    for rel, text in files.items():
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    return out


def _plan(read: Callable, files: dict[str, str], prefix: str):
    import tempfile  # here: only a file with 'patch' lines needs it, and `pipec check` starts faster (issue 18)

    with tempfile.TemporaryDirectory(prefix="pipec-patch-") as d:
        out = _write(Path(d), files, prefix)
        return read(str(out), str(Path(d)))


def differences(before, after) -> list[str]:
    """What differs between two plans, one short phrase per difference."""
    out = []
    for field in ("triggers", "variables", "concurrency"):
        if getattr(before, field) != getattr(after, field):
            out.append(_delta(field, getattr(before, field), getattr(after, field)))
    bj, aj = {j.id: j for j in before.jobs}, {j.id: j for j in after.jobs}
    for jid in sorted(set(bj) | set(aj)):
        b, a = bj.get(jid), aj.get(jid)
        if b == a:
            continue
        if b is None or a is None:
            out.append(f"job {jid} is {'added' if b is None else 'removed'}")
            continue
        if b.after != a.after:
            out.append(f"job {jid} runs after {', '.join(sorted(a.after)) or 'nothing'} "
                       f"instead of {', '.join(sorted(b.after)) or 'nothing'}")
        if b.held != a.held or b.kind != a.kind:
            out.append(f"job {jid} is no longer a {b.kind}{' that waits' if b.held else ''}")
        bs, as_ = dict(b.spec), dict(a.spec)
        for key in sorted(set(bs) | set(as_)):
            if bs.get(key) != as_.get(key):
                out.append(f"job {jid}: " + _delta(key, bs.get(key), as_.get(key)))
    return out


def _delta(label: str, before, after) -> str:
    """``label before becomes after``, narrowed to the part that differs: the first differing
    element of two tuples of one length, the first differing field of two nodes of one kind."""
    from pipec.node import fields, has

    if type(before) is type(after) and has(type(before)):
        for f in fields(type(before)):
            if f.eq and getattr(before, f.name) != getattr(after, f.name):
                name = getattr(before, "name", None)
                inner = f"{label} {name}" if isinstance(name, str) and f.name != "name" else label
                return _delta(f"{inner} {f.name}", getattr(before, f.name), getattr(after, f.name))
    if isinstance(before, tuple) and isinstance(after, tuple) and len(before) == len(after):
        for b, a in zip(before, after):
            if b != a:
                return _delta(label, b, a)
    return f"{label} {_short(before)} becomes {_short(after)}"


def _short(value) -> str:
    text = repr(value) if value is not None else "(none)"
    return text if len(text) <= 60 else text[:57] + "..."


def effect(patched: dict[str, str], unpatched: dict[str, str], read: Callable, prefix: str,
           patches: Iterable[model.Patch], platform: str, filename: str,
           one_at_a_time: Callable[[model.Patch], dict[str, str]] | None = None) -> list[Diagnostic]:
    """W540/W541 for patches that change what the pipeline does on ``platform``: the patched and
    unpatched files read back with ``read(out_dir, source_root)`` and their plans compared.
    ``one_at_a_time(patch)`` gives the files with only that patch applied, so that each warning
    points at the patch that makes the difference (when there are several)."""
    patches = list(patches)
    if not patches:
        return []
    label = {"github": "GitHub Actions", "aws": "CodePipeline"}.get(platform, platform)
    try:
        before = _plan(read, unpatched, prefix)
    except Exception:  # noqa: BLE001 - nothing to compare with: the equivalence tests cover this
        return []
    try:
        after = _plan(read, patched, prefix)
    except Exception as exc:  # noqa: BLE001 - any refusal of the reader is the finding
        return [Diagnostic(
            "W541", WARNING, f"pipec cannot read the patched {label} files back: {_first_line(exc)}",
            patches[0].span, file=filename,
            help="pipec checks that both platforms do the same by reading its files back; after these patches "
                 "the reader refuses them, so that check no longer covers this pipeline. Remove or change the "
                 "patch if it was not meant to change what the pipeline does.")]
    if after == before:
        return []
    blamed: list[tuple[model.Patch, list[str]]] = []
    if len(patches) > 1 and one_at_a_time is not None:
        for p in patches:
            try:
                alone = _plan(read, one_at_a_time(p), prefix)
            except Exception:  # noqa: BLE001 - reported by the combined check below if it matters
                continue
            if alone != before:
                blamed.append((p, differences(before, alone)))
    if not blamed:
        blamed = [(patches[0], differences(before, after))]
    out = []
    for p, diffs in blamed:
        shown = "; ".join(diffs[:4]) + (f"; and {len(diffs) - 4} more" if len(diffs) > 4 else "")
        out.append(Diagnostic(
            "W540", WARNING, f"'{p.text}' changes what the pipeline does on {label}: {shown or 'its plan differs'}",
            p.span, file=filename,
            help=f"The {label} files read back after patching differ from the unpatched ones, so the two "
                 "platforms no longer do the same thing: this is a platform difference of your own. Keep it if it "
                 "is meant; otherwise say it in the platform-neutral part of the .pipe file, or remove the patch."))
    return out


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# ----------------------------------------------------------------------------- the model's patches


def all_patches(pipeline: model.Pipeline, platform: str) -> list[model.Patch]:
    """Every ``platform`` patch of ``pipeline``: the pipeline's, then each action's."""
    out = list(getattr(pipeline, platform).patches)
    for act in pipeline.actions():
        settings = getattr(act, platform, None)
        if settings is not None:
            out.extend(settings.patches)
    return out


def keeping(pipeline: model.Pipeline, platform: str, keep: model.Patch | None = None) -> model.Pipeline:
    """``pipeline`` without its ``platform`` patches (but ``keep``, when given): the model the
    unpatched files, or the files with one patch, are generated from."""
    from pipec.node import evolve

    def strip(settings: model.PlatformSettings) -> model.PlatformSettings:
        kept = tuple(p for p in settings.patches if keep is not None and p is keep)
        return evolve(settings, patches=kept) if kept != settings.patches else settings

    stages = []
    for st in pipeline.stages:
        actions = tuple(evolve(a, **{platform: strip(getattr(a, platform))})
                  if hasattr(a, platform) else a for a in st.actions)
        stages.append(evolve(st, actions=actions))
    return evolve(pipeline, stages=tuple(stages), **{platform: strip(getattr(pipeline, platform))})
