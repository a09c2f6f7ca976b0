"""False positives of pipec's secret detection (W503 from values: ``pipec.secretscan``) over the
examples and the shared corpus. A measurement, not a unit test.

    python bench/secrets_fp.py [--corpus ../shared/corpus] [--realworld] [--json OUT.json]

1. **examples**: every ``.pipe`` file under examples/ (exercises included) is checked; the W503
   warnings that come from a value are counted, and whether detect-secrets was imported at all
   (the pre-filter should rule every example out).
2. **imported**: every file of the corpus folders ``gha/``, ``buildspec/``, ``appspec/`` and
   ``cfn-pipeline/`` (templates with their repository's buildspecs) and examples/migration/ is
   imported with pipec's importer (what ``pipec import`` does) and the resulting ``.pipe`` text
   is scanned with :func:`pipec.secretscan.check`, as ``pipec check`` would.
3. **direct**: the text of those workflows and buildspecs that lands in commands and environments
   (a workflow's ``run:``, ``env:`` and step ``with:`` values; a buildspec's phase ``commands``,
   ``finally`` and ``env.variables``; the parameter-store and secrets-manager sections are
   references and are left out) scanned with :func:`pipec.secretscan.scan`, the function W503
   uses, environment values as ``NAME=value``. This also covers what the importer leaves as a
   comment.
4. ``--realworld``: the direct scan over actionlint's 1,503 real-world workflows
   (``fixtures/actionlint/testdata/realworld/dataset.zip``). Those are other projects' CI files,
   and some hold literal credentials (test-database passwords, published keys): each finding is
   printed for review and counted apart, not as a false positive by default.

Every string each part scanned, how many passed the pure-Python pre-filter (and so would import
detect-secrets), and every finding (the secret masked) are printed. The corpus is read in place,
never copied. Exit status 0 when parts 1-3 found nothing, 1 otherwise, 2 when the corpus folder is
absent (the examples are still measured and the report says the corpus was not).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
REPO_SEP = "__"


def mask(secret: str) -> str:
    return f"{secret[:4]}...({len(secret)} chars)" if len(secret) > 6 else "*" * len(secret)


def _load(text: str):
    try:
        return yaml.load(text, Loader=yaml.BaseLoader)  # every scalar a string, no tags resolved
    except yaml.YAMLError:
        return None


def workflow_strings(doc) -> list[tuple[str, str]]:
    """(where, text) of a GitHub Actions workflow: run scripts, env and with values."""
    out: list[tuple[str, str]] = []

    def pairs(mapping, where):
        if isinstance(mapping, dict):
            out.extend((where, f"{k}={v}") for k, v in mapping.items() if isinstance(v, str))

    if not isinstance(doc, dict):
        return out
    pairs(doc.get("env"), "env")
    for job in (doc.get("jobs") or {}).values() if isinstance(doc.get("jobs"), dict) else ():
        if not isinstance(job, dict):
            continue
        pairs(job.get("env"), "env")
        for step in job.get("steps") or [] if isinstance(job.get("steps"), list) else ():
            if isinstance(step, dict):
                if isinstance(step.get("run"), str):
                    out.append(("run", step["run"]))
                pairs(step.get("env"), "env")
                pairs(step.get("with"), "with")
    return out


def buildspec_strings(doc) -> list[tuple[str, str]]:
    """(where, text) of a buildspec: phase commands and finally, env.variables."""
    out: list[tuple[str, str]] = []
    if not isinstance(doc, dict):
        return out
    env = doc.get("env")
    if isinstance(env, dict) and isinstance(env.get("variables"), dict):
        out.extend(("env", f"{k}={v}") for k, v in env["variables"].items() if isinstance(v, str))
    phases = doc.get("phases")
    for phase in phases.values() if isinstance(phases, dict) else ():
        if isinstance(phase, dict):
            for key in ("commands", "finally"):
                seq = phase.get(key)
                out.extend((key, c) for c in seq if isinstance(c, str)) if isinstance(seq, list) else None
    return out


class Part:
    """The counts and findings of one part of the measurement."""

    def __init__(self, name: str):
        self.name, self.files, self.strings, self.candidates, self.findings = name, 0, 0, 0, []
        self.seconds = 0.0

    def row(self) -> str:
        return (f"{self.name:<28} {self.files:>6} {self.strings:>8} {self.candidates:>10} "
                f"{len(self.findings):>8} {self.seconds:>7.2f}s")

    def to_dict(self) -> dict:
        return {"part": self.name, "files": self.files, "strings": self.strings,
                "candidates": self.candidates, "findings": self.findings, "seconds": round(self.seconds, 3)}


def scan_direct(part: Part, label: str, items: list[tuple[str, str]]) -> None:
    from pipec import secretscan

    part.files += 1
    for where, text in items:
        part.strings += 1
        if secretscan.could_contain_secret(text):
            part.candidates += 1
        for f in secretscan.scan(text):
            line = text[:f.start].count("\n")
            snippet = text.split("\n")[line].strip().replace(f.secret, mask(f.secret))
            part.findings.append({"file": label, "where": where, "plugin": f.plugin,
                                  "secret": mask(f.secret), "text": snippet[:160]})


def check_pipe(part: Part, label: str, text: str) -> None:
    from pipec import parser, secretscan

    part.files += 1
    module = parser.parse(text, label)
    for item in secretscan.scanned_items(module):
        part.strings += 1
        part.candidates += secretscan.could_contain_secret(
            f"{item.key}={item.text}" if item.key else item.text)
    for _span, d in secretscan.check(module):
        part.findings.append({"file": label, "where": f"line {d.span.line}" if d.span else "",
                              "plugin": d.message.rsplit(" ", 1)[-1].rstrip(")"), "text": d.message})


def _companions(corpus: Path, template: Path) -> dict:
    from pipec import importer

    repo = REPO_SEP.join(template.name.split(REPO_SEP)[:2])
    comp = {}
    for sub in ("buildspec", "appspec"):
        for p in sorted((corpus / sub).glob("*")):
            if REPO_SEP.join(p.name.split(REPO_SEP)[:2]) == repo:
                try:
                    comp["/".join(p.name.split(REPO_SEP)[2:])] = importer.read_input(str(p))
                except importer.InputError:
                    pass
    return comp


def run(corpus: Path, realworld: bool) -> tuple[list[Part], bool]:
    from pipec import importer

    parts = []
    started = time.perf_counter()
    examples = Part("examples (.pipe)")
    for path in sorted((ROOT / "examples").rglob("*.pipe")):
        check_pipe(examples, str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
    examples.seconds = time.perf_counter() - started
    parts.append(examples)
    imported_library = "detect_secrets" in sys.modules
    print(f"checking the examples imported detect-secrets: {'yes' if imported_library else 'no'}")

    have_corpus = corpus.is_dir()
    inputs: list[tuple[str, Path]] = [("migration", p) for p in sorted((ROOT / "examples" / "migration").rglob("*"))
                                      if p.suffix in (".yml", ".yaml")]
    if have_corpus:
        for sub in ("gha", "buildspec", "appspec", "cfn-pipeline"):
            inputs += [(sub, p) for p in sorted((corpus / sub).glob("*")) if p.suffix in (".yml", ".yaml", ".json")]
    else:
        print(f"THE CORPUS IS ABSENT: {corpus} is not a folder. Only the examples were measured; "
              "give --corpus to measure the workflows and buildspecs.")

    started = time.perf_counter()
    imported = Part("imported .pipe")
    statuses: dict[str, int] = {}
    for kind, path in inputs:
        label = str(path.relative_to(corpus)) if have_corpus and corpus in path.parents else str(path.relative_to(ROOT))
        comp = _companions(corpus, path) if kind == "cfn-pipeline" else None
        result = importer.import_one(str(path), companions=comp)
        statuses[result.status] = statuses.get(result.status, 0) + 1
        if result.source is not None:
            check_pipe(imported, label, result.source)
    imported.seconds = time.perf_counter() - started
    parts.append(imported)
    print("imports: " + ", ".join(f"{s} {n}" for s, n in sorted(statuses.items())))

    started = time.perf_counter()
    direct = Part("direct (commands, env)")
    for kind, path in inputs:
        label = str(path.relative_to(corpus)) if have_corpus and corpus in path.parents else str(path.relative_to(ROOT))
        doc = _load(path.read_text(encoding="utf-8", errors="replace"))
        if isinstance(doc, dict) and "jobs" in doc:
            scan_direct(direct, label, workflow_strings(doc))
        elif isinstance(doc, dict) and "phases" in doc:
            scan_direct(direct, label, buildspec_strings(doc))
    direct.seconds = time.perf_counter() - started
    parts.append(direct)

    zpath = corpus / "fixtures" / "actionlint" / "testdata" / "realworld" / "dataset.zip"
    if realworld and zpath.is_file():
        started = time.perf_counter()
        rw = Part("realworld (for review)")
        with zipfile.ZipFile(zpath) as zf:
            for name in sorted(n for n in zf.namelist() if n.endswith((".yml", ".yaml"))):
                scan_direct(rw, name, workflow_strings(_load(zf.read(name).decode("utf-8", "replace"))))
        rw.seconds = time.perf_counter() - started
        parts.append(rw)
    elif realworld:
        print(f"--realworld: {zpath} is absent")
    return parts, have_corpus


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--realworld", action="store_true", help="also scan the 1,503 real-world workflows")
    ap.add_argument("--json", type=Path, help="write the counts and findings here")
    args = ap.parse_args(argv)

    parts, have_corpus = run(args.corpus.resolve(), args.realworld)
    print()
    print(f"{'part':<28} {'files':>6} {'strings':>8} {'prefilter':>10} {'findings':>8} {'time':>8}")
    for p in parts:
        print(p.row())
    for p in parts:
        for f in p.findings:
            print(f"  [{p.name}] {f['file']} {f['where']}: {f['plugin']}: {f['text']}")
    counted = [p for p in parts if not p.name.startswith("realworld")]
    false_positives = sum(len(p.findings) for p in counted)
    print(f"\nfindings in the examples and the corpus folders (each a false positive): {false_positives}")
    if not have_corpus:
        print(f"THE CORPUS WAS NOT MEASURED: {args.corpus} is absent (only the examples and "
              "examples/migration were).")
    if args.json:
        args.json.write_text(json.dumps({"corpus": str(args.corpus) if have_corpus else None,
                                         "parts": [p.to_dict() for p in parts]}, indent=2) + "\n")
    if false_positives:
        return 1
    return 0 if have_corpus else 2


if __name__ == "__main__":
    sys.exit(main())
