"""Fidelity benchmark of ``pipec import`` over the real-world corpus (not a unit test).

    python bench/import_fidelity.py [--corpus ../shared/corpus] [--jobs 2] [--json OUT.json]
                                    [--no-roundtrip] [--limit N]

Imports every file of the corpus (read-only, never copied) and prints, per kind: files,
Successful, Partial, Unsupported, Failed, crashes (an exception inside pipec) and time; for the
invalid fixtures, how many got an error diagnostic; the share of Successful-or-Partial over the
valid real-world files; the constructs most often not converted; per corpus (issue 25), the
files that import as Successful or Partial AND build (``pipec build`` into a temporary folder),
the share of the original's jobs, steps, commands and trigger conditions mapped into the .pipe
and the items lost with no finding (``pipec.targets.import_inventory``); and the round trip (see
``bench/roundtrip.py``): each imported file is built for its own platform, read back into the
normal form and compared with the normal form read directly from the original, restricted to
what was mapped, and, item by item, over everything the original says (equal, a documented
normalisation, a finding, or a loss).

Kinds:

- ``gha``, ``buildspec``, ``appspec``, ``cfn-pipeline``: the corpus folders (77 files); each
  template is imported with the corpus buildspecs/appspecs of the same repository as companions;
- ``schemastore-valid`` / ``schemastore-invalid``: SchemaStore's workflow fixtures;
- ``actionlint-ok`` / ``actionlint-err`` / ``actionlint-examples`` / ``actionlint-bench``;
- ``realworld``: the 1,503 workflows of actionlint's ``realworld/dataset.zip`` (read from the zip);
- ``gitlab``: the GitLab CI files of ``gitlab/`` (no round trip: pipec writes no GitLab files);
  each import is also built for both targets, and the share of jobs and script lines that became
  actions and commands (not placeholders or findings) is reported (:func:`gitlab_report`).

Exit status 0, or 1 when any import crashed; 2 when the corpus folder is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zipfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"

#: kind -> (glob under the corpus, valid real-world input?, invalid fixtures?)
KINDS = {
    "gha": ("gha/*", True, False),
    "buildspec": ("buildspec/*", True, False),
    "appspec": ("appspec/*", True, False),
    "cfn-pipeline": ("cfn-pipeline/*", True, False),
    "schemastore-valid": ("fixtures/schemastore/src/test/github-workflow/*", False, False),
    "schemastore-invalid": ("fixtures/schemastore/src/negative_test/github-workflow/*", False, True),
    "actionlint-ok": ("fixtures/actionlint/testdata/ok/*.yaml", False, False),
    "actionlint-err": ("fixtures/actionlint/testdata/err/*.yaml", False, True),
    "actionlint-examples": ("fixtures/actionlint/testdata/examples/*.yaml", False, False),
    "actionlint-bench": ("fixtures/actionlint/testdata/bench/*.yaml", False, False),
    "realworld": ("fixtures/actionlint/testdata/realworld/dataset.zip", True, False),
    "gitlab": ("gitlab/*", True, False),
}
#: which normal form each kind is compared in (the platform whose file it is)
REPO_SEP = "__"


def _repo_of(path: Path) -> str:
    return REPO_SEP.join(path.name.split(REPO_SEP)[:2])


def _companions(corpus: Path, template: Path) -> list[str]:
    """The corpus buildspecs and appspecs from the template's repository."""
    repo = _repo_of(template)
    out = []
    for sub in ("buildspec", "appspec"):
        out += [str(p) for p in sorted((corpus / sub).glob("*")) if _repo_of(p) == repo]
    return out


def _one(task) -> dict:
    """Import one input in a worker; never raises."""
    kind, label, path, text, companions, roundtrip = task
    from pipec import importer

    started = time.perf_counter()
    row = {"kind": kind, "file": label, "status": None, "crash": None, "constructs": [], "errors": 0,
           "warnings": 0, "roundtrip": None}
    try:
        if companions:
            comp = {}
            for c in companions:
                try:  # keyed by its path in its repository (the corpus flattens it into the file name)
                    comp["/".join(Path(c).name.split(REPO_SEP)[2:])] = importer.read_input(c)
                except importer.InputError:
                    pass
            result = importer.import_one(path, text, companions=comp)
        else:
            result = importer.import_one(path, text)
        row["status"] = result.status
        row["constructs"] = [u.construct for u in result.unconverted]
        row["errors"] = sum(d.severity == "error" for d in result.diagnostics)
        row["warnings"] = sum(d.severity == "warning" for d in result.diagnostics)
        row["error_codes"] = sorted({d.code for d in result.diagnostics if d.severity == "error"})
        if kind == "gitlab":
            gitlab_measure(row, result)
        elif result.source is not None:
            _measure(row, result, path, text)
        if kind != "gitlab" and roundtrip and result.source is not None:
            from roundtrip import compare  # bench/roundtrip.py

            try:
                from roundtrip import everything

                row["everything"] = everything(result, path, text)
            except Exception as exc:  # reported per file, not a crash of the import
                row["everything"] = {"counts": {}, "losses": [f"failed: {type(exc).__name__}: {exc}"[:200]]}
            try:
                row["roundtrip"] = compare(result, path, text)
            except MemoryError:
                row["roundtrip"] = {"equal": False, "reasons": ["round trip failed: MemoryError"],
                                    "detail": f"more than {WORKER_MEMORY >> 30} GiB"}
            except Exception as exc:  # a reader's refusal or a bug: a reason, not a crash of the import
                row["roundtrip"] = {"equal": False, "reasons": [f"round trip failed: {type(exc).__name__}"],
                                    "detail": str(exc)[:300]}
    except Exception as exc:
        row["crash"] = f"{type(exc).__name__}: {exc}"[:500]
    row["seconds"] = time.perf_counter() - started
    return row


def _measure(row: dict, result, path: str, text: str) -> None:
    """Issue 25 items 4 and 5: what share of the original was mapped into the .pipe (per
    category, pipec.targets.import_inventory), what is lost with no finding, and whether ``pipec build``
    writes the imported file (into a temporary folder, every target the pipeline has)."""
    import contextlib
    import io
    import tempfile

    from pipec import cli, importer
    from pipec.targets.import_inventory import account, shares

    try:
        items = account(result, importer.load(text, path))
        row["mapped"] = shares(items)
        row["lost"] = [f"{i.category}: {i.text[:80]}" for i in items if i.status == "lost"]
    except Exception as exc:  # the inventory's own bug: reported, not a crash of the import
        row["mapped"], row["lost"] = {}, [f"inventory failed: {type(exc).__name__}: {exc}"[:200]]
    with tempfile.TemporaryDirectory(prefix="pipec-fid-") as d:
        src = Path(d) / "imported.pipe"
        src.write_text(result.source, encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(["build", str(src), "-o", str(Path(d) / "out")])
            except SystemExit as exc:
                code = exc.code
        row["builds"] = code == 0
        if code != 0:
            row["build_error"] = next((x for x in err.getvalue().splitlines() if x.startswith("error")),
                                      f"exit {code}")[:200]


def tasks(corpus: Path, kinds, limit: int | None, roundtrip: bool):
    for kind in kinds:
        pattern, _valid, _invalid = KINDS[kind]
        if kind == "realworld":
            zpath = corpus / pattern
            if not zpath.exists():
                continue
            with zipfile.ZipFile(zpath) as zf:
                names = sorted(n for n in zf.namelist() if n.endswith((".yml", ".yaml")))
                for i, n in enumerate(names):
                    if limit and i >= limit:
                        break
                    try:
                        text = zf.read(n).decode("utf-8")
                    except UnicodeDecodeError:
                        text = zf.read(n).decode("utf-8", "replace")
                    yield (kind, n, n, text, None, roundtrip)
            continue
        files = sorted(p for p in corpus.glob(pattern) if p.is_file() and p.suffix in (".yml", ".yaml", ".json"))
        for i, p in enumerate(files):
            if limit and i >= limit:
                break
            companions = _companions(corpus, p) if kind == "cfn-pipeline" else None
            try:
                text = p.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                text = None  # import_one reports E001
            yield (kind, str(p.relative_to(corpus)), str(p), text, companions, roundtrip)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=os.environ.get("PIPEC_CORPUS", str(DEFAULT_CORPUS)))
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds (default: all)")
    ap.add_argument("--limit", type=int, default=None, help="at most N files per kind")
    ap.add_argument("--no-roundtrip", action="store_true", help="skip the round trip (import only)")
    ap.add_argument("--json", metavar="FILE", help="also write every row as JSON")
    ap.add_argument("--top", type=int, default=10, help="how many constructs to list (default 10)")
    args = ap.parse_args(argv)

    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"import_fidelity: the corpus folder {corpus} is absent; nothing to measure. Give "
              "--corpus DIR (or PIPEC_CORPUS) pointing at a checkout of the shared corpus.", file=sys.stderr)
        return 2
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        ap.error(f"unknown kind(s) {unknown}; choose from {', '.join(KINDS)}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    work = list(tasks(corpus, kinds, args.limit, not args.no_roundtrip))
    rows: list[dict] = []
    per_kind_wall: dict[str, float] = {}
    for kind in kinds:
        batch = [t for t in work if t[0] == kind]
        if not batch:
            print(f"{kind}: absent from {corpus}", file=sys.stderr)
            continue
        started = time.perf_counter()
        if args.jobs > 1 and len(batch) > 20:
            with ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(str(Path(__file__).resolve().parent),)) as ex:
                rows += list(ex.map(_one, batch, chunksize=16))
        else:
            with ProcessPoolExecutor(1, initializer=_init, initargs=(str(Path(__file__).resolve().parent),)) as ex:
                rows += list(ex.map(_one, batch, chunksize=16))
        per_kind_wall[kind] = time.perf_counter() - started
    print(report(rows, kinds, per_kind_wall, args.top, args.jobs))
    if any(r["kind"] == "gitlab" for r in rows):
        print(gitlab_report([r for r in rows if r["kind"] == "gitlab"]))
    elif "gitlab" in kinds:
        print(f"gitlab: the corpus folder {corpus / 'gitlab'} is absent; GitLab CI import not measured",
              file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 1 if any(r["crash"] for r in rows) else 0


#: a worker's address-space limit: a pathological input must fail its own row, not the machine
WORKER_MEMORY = 3 * 1024 ** 3


def _limit_memory():
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ImportError, ValueError, OSError):
        pass


def _init(bench_dir: str):
    import importlib

    _limit_memory()

    sys.path.insert(0, bench_dir)
    for module in ("pipec.importer", "pipec.targets.aws.imports", "pipec.targets.github.imports",
                   "pipec.targets.aws.spec_imports", "pipec.targets.gitlab.imports"):  # warm the imports once per worker
        try:
            importlib.import_module(module)
        except ImportError:
            pass  # reported per file, as a crash


def report(rows, kinds, wall, top: int, jobs: int) -> str:
    from pipec.importer import STATUSES

    out = [f"pipec import fidelity ({jobs} worker process(es))", ""]
    head = ["kind", "files", *STATUSES, "crashes", "S+P %", "diagnosed (invalid)", "time s"]
    table = [head]
    valid_total = valid_ok = 0
    for kind in kinds:
        rs = [r for r in rows if r["kind"] == kind]
        if not rs:
            continue
        c = Counter(r["status"] for r in rs)
        crashes = sum(1 for r in rs if r["crash"])
        ok = c.get("Successful", 0) + c.get("Partial", 0)
        _p, valid, invalid = KINDS[kind]
        if valid:
            valid_total += len(rs)
            valid_ok += ok
        flagged = (f"{sum(1 for r in rs if r['errors'])} err, {sum(1 for r in rs if r['errors'] or r['warnings'])} any"
                   f" /{len(rs)}" if invalid else "")
        table.append([kind, str(len(rs)), *(str(c.get(s, 0)) for s in STATUSES), str(crashes),
                      f"{100 * ok / len(rs):.1f}", flagged, f"{wall.get(kind, 0):.2f}"])
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for i, r in enumerate(table):
        out.append("  ".join(x.ljust(w) if j == 0 else x.rjust(w) for j, (x, w) in enumerate(zip(r, widths))))
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    if valid_total:
        out += ["", f"valid real-world files (gha, buildspec, appspec, cfn-pipeline, realworld): {valid_ok}/"
                f"{valid_total} Successful or Partial = {100 * valid_ok / valid_total:.1f}%"]
    out += mapped_report(rows, kinds)
    crashes = [r for r in rows if r["crash"]]
    out.append(f"crashes: {len(crashes)}")
    for r in crashes[:20]:
        out.append(f"  {r['file']}: {r['crash']}")
    e699 = [r for r in rows if "E699" in r.get("error_codes", [])]
    out.append(f"E699 (importer wrote a pipeline pipec check rejects): {len(e699)}")
    for r in e699[:10]:
        out.append(f"  {r['file']}")
    cons = Counter(c for r in rows for c in r["constructs"])
    files_with = Counter(c for r in rows for c in set(r["constructs"]))
    out += ["", f"top {top} constructs not converted (occurrences, files):"]
    for c, n in cons.most_common(top):
        out.append(f"  {n:6d} {files_with[c]:6d}  {c}")
    rt = [r for r in rows if r.get("roundtrip") is not None]
    if rt:
        eq = sum(1 for r in rt if r["roundtrip"]["equal"])
        out += ["", f"round trip: {eq}/{len(rt)} imported files equal in the normal form, restricted to what "
                f"was mapped ({100 * eq / len(rt):.1f}%)"]
        for kind in kinds:
            ks = [r for r in rt if r["kind"] == kind]
            if ks:
                e = sum(1 for r in ks if r["roundtrip"]["equal"])
                out.append(f"  {kind}: {e}/{len(ks)}")
        out += ["", "round trip over everything the original says (bench/roundtrip.py everything()): each item "
                "of the original equal in the rebuilt file, a documented normalisation, a finding, or a loss"]
        for kind in kinds:
            ks = [r for r in rows if r["kind"] == kind and r.get("everything")]
            if ks:
                c = Counter()
                for r in ks:
                    c.update(r["everything"]["counts"])
                total = sum(c.values()) or 1
                out.append(f"  {kind}: " + ", ".join(f"{k} {c.get(k, 0)} ({100 * c.get(k, 0) / total:.1f}%)"
                                                     for k in ("equal", "normalisation", "finding", "loss")))
        losses = [(r["file"], x) for r in rows if r.get("everything") for x in r["everything"]["losses"]]
        for f, x in losses[:10]:
            out.append(f"    loss: {f}: {x}")
        reasons = Counter(x for r in rt for x in r["roundtrip"]["reasons"])
        out.append("  top reasons where not equal:")
        for x, n in reasons.most_common(10):
            out.append(f"    {n:6d}  {x}")
    return "\n".join(out)


# ----------------------------------------------------------------------------- GitLab CI


def gitlab_measure(row: dict, result) -> None:
    """Add to ``row`` whether the import builds for both targets, and its mapped counts."""
    row["counts"] = result.mapping.get("counts", {})
    row["builds"] = False
    if result.source is None:
        return
    row["silent"] = gitlab_silent(result)
    import pipec
    from pipec.build import EmitContext, generate

    try:
        pipeline, _warnings = pipec.compile_text(result.source, "imported.pipe")
        files = generate(pipeline, EmitContext(source="imported.pipe", prefix=""), ["aws", "github"])
        row["builds"] = any(f.endswith(".template.yaml") for f in files) and any(
            f.startswith(".github/workflows/") for f in files)
    except Exception as exc:  # a diagnostic or a bug: the file does not build
        row["build_error"] = f"{type(exc).__name__}: {exc}"[:300]


#: findings that account for a job's commands being absent from the output
GITLAB_COVERING = {"gitlab: script", "gitlab: script not bash", "gitlab: control character", "gitlab: job when",
                   "gitlab: job never runs",
                   "gitlab: job with nothing to run", "gitlab: trigger", "gitlab: jobs in includes",
                   "gitlab: stage too large"}


def gitlab_silent(result) -> int:
    """Script lines of the input (as GitLab composes its jobs) that are neither commands of the
    output nor covered by a finding about their job that says why its commands are not there."""
    from pipec import importer
    from pipec.importer import q
    from pipec.targets.gitlab.imports.pipeline import _Pipeline

    path = result.files[0]
    text, data, kind = importer.read_input(path)
    composed = _Pipeline(importer.Context(path, text, data, kind))
    composed.compose()
    said = " ".join(u.message for u in result.unconverted if u.construct in GITLAB_COVERING)
    lost = 0
    for key, job in composed.job_items():
        for part in ("before_script", "script", "after_script"):
            for item in composed.script_items(job, part):
                if not (isinstance(item, str) and q(item.rstrip("\n")) in result.source) and f"'{key}'" not in said:
                    lost += 1
    return lost


def gitlab_report(rows: list[dict]) -> str:
    """The GitLab CI figures: crashes, Success-or-Partial and building, jobs and scripts mapped."""
    n = len(rows)
    ok = [r for r in rows if r["status"] in ("Successful", "Partial")]
    built = [r for r in ok if r.get("builds")]
    tot = Counter()
    for r in rows:
        tot.update(r.get("counts") or {})
    share = lambda a, b: f"{100 * a / b:.1f}%" if b else "-"  # noqa: E731
    out = ["", f"gitlab: {n} files, {sum(1 for r in rows if r['crash'])} crashes; Successful or Partial and "
           f"building for both targets: {len(built)}/{n} = {share(len(built), n)}",
           f"  jobs mapped to actions: {tot['jobs_mapped']}/{tot['jobs']} = {share(tot['jobs_mapped'], tot['jobs'])}",
           f"  script lines mapped to commands: {tot['scripts_mapped']}/{tot['scripts']} = "
           f"{share(tot['scripts_mapped'], tot['scripts'])}",
           f"  script lines lost without a finding: {sum(r.get('silent') or 0 for r in rows)}"]
    for r in rows:
        if r not in built:
            out.append(f"  not building: {r['file']} ({r['status']}; {r.get('build_error') or r.get('crash') or ''})")
    return "\n".join(out)


#: issue 25's goals: per corpus, >= 97% Successful-or-Partial and building, 0 crashes; mapped
#: into the .pipe, >= 90% of the commands and >= 80% of the steps
GOALS = {"ok_and_builds": 97.0, "command": 90.0, "step": 80.0}
MAPPED_CATEGORIES = ("job", "step", "command", "trigger")


def mapped_report(rows, kinds) -> list[str]:
    """Per kind: Successful-or-Partial and building, crashes, the share of jobs, steps, commands
    and trigger conditions mapped into the .pipe (not only listed as findings), and items lost
    with no finding (pipec.targets.import_inventory)."""
    out = ["", "per corpus: imported (Successful or Partial) AND building with `pipec build`; share of the "
           "original mapped into the .pipe", ""]
    head = ["kind", "files", "S+P+builds", "%", "crashes", *(f"{c}s mapped" for c in MAPPED_CATEGORIES),
            "lost"]
    table = [head]
    for kind in kinds:
        rs = [r for r in rows if r["kind"] == kind]
        if not rs:
            continue
        good = sum(1 for r in rs if r["status"] in ("Successful", "Partial") and r.get("builds"))
        cells = []
        for c in MAPPED_CATEGORIES:
            m = sum(r.get("mapped", {}).get(c, (0, 0))[0] for r in rs)
            t = sum(r.get("mapped", {}).get(c, (0, 0))[1] for r in rs)
            cells.append(f"{m}/{t} {100 * m / t:.1f}%" if t else "-")
        lost = sum(len(r.get("lost") or []) for r in rs)
        table.append([kind, str(len(rs)), str(good), f"{100 * good / len(rs):.1f}",
                      str(sum(1 for r in rs if r["crash"])), *cells, str(lost)])
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for i, r in enumerate(table):
        out.append("  ".join(x.ljust(w) if j == 0 else x.rjust(w) for j, (x, w) in enumerate(zip(r, widths))))
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append(f"goals: >= {GOALS['ok_and_builds']:.0f}% S+P+builds and 0 crashes per corpus; >= "
               f"{GOALS['command']:.0f}% of commands and >= {GOALS['step']:.0f}% of steps mapped")
    broken = [r for r in rows if r["status"] in ("Successful", "Partial") and r.get("builds") is False]
    for r in broken[:10]:
        out.append(f"  does not build: {r['file']}: {r.get('build_error')}")
    lost = [(r["file"], x) for r in rows for x in (r.get("lost") or [])]
    for f, x in lost[:10]:
        out.append(f"  lost with no finding: {f}: {x}")
    return out


if __name__ == "__main__":
    sys.exit(main())
