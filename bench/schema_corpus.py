"""Measure pipec's shipped JSON Schemas against real-world files (a measurement, not a test).

    python bench/schema_corpus.py [--corpus DIR] [--only buildspec|appspec]

DIR defaults to ../shared/corpus relative to the repository root. Each kind is measured over
the files of its folder (DIR/buildspec/, DIR/appspec/): every file is read as YAML (JSON is YAML)
and validated; the table shows file, PASS/FAIL and the first error, then a summary count. A
missing corpus or folder is reported and the command still exits 0: the corpus is not part of
the project and is never copied into it.

Layout: one ``measure_<kind>(corpus) -> list[Row]`` per schema (buildspec: its owner is
pipec.targets.aws.buildspec; appspec: pipec.targets.aws.appspec), sharing :func:`measure_folder` and
:func:`print_table`; :func:`main` runs them all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


class Row(NamedTuple):
    file: str
    ok: bool
    error: str  # the first error ("" when ok)


def measure_folder(folder: Path, load: Callable[[str], object],
                   validate: Callable[[object], list[str]]) -> list[Row]:
    """Load and validate every file of ``folder`` (sorted by name)."""
    rows = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            data = load(path.read_text(encoding="utf-8"))
        except Exception as exc:  # malformed YAML, duplicate keys, undecodable text
            first = str(exc).strip().splitlines()
            rows.append(Row(path.name, False, "cannot read: " + " ".join(s.strip() for s in first)))
            continue
        errors = validate(data)
        rows.append(Row(path.name, not errors, errors[0] if errors else ""))
    return rows


def print_table(kind: str, rows: list[Row], out=sys.stdout) -> None:
    width = max([len(r.file) for r in rows] + [4])
    print(f"\n{kind}: {len(rows)} files", file=out)
    print(f"{'file':<{width}}  result  first error", file=out)
    for r in rows:
        print(f"{r.file:<{width}}  {'PASS' if r.ok else 'FAIL':<6}  {r.error}", file=out)
    passed = sum(r.ok for r in rows)
    print(f"{kind}: {passed} pass, {len(rows) - passed} fail (of {len(rows)})", file=out)


# ----------------------------------------------------------------------------- buildspec


#: The verdict on each corpus buildspec that fails the schema, after checking the CodeBuild User
#: Guide ("Build specification reference", "Batch build buildspec reference") and the
#: CodePipeline action reference. "file": the file has a key CodeBuild does not define (it
#: ignores it) or a value it does not accept; "schema": the schema was wrong (then fix the
#: schema, not this table).
BUILDSPEC_VERDICTS: dict[str, str] = {
    "aws__aws-encryption-sdk-python__decrypt_oracle__.chalice__buildspec.yaml":
        "file: 'type: zip' under artifacts is not a buildspec key (the artifact type is a setting of "
        "the project, artifacts/type in create-project); CodeBuild ignores it",
}


def measure_buildspec(corpus: Path, out=None) -> list[Row] | None:
    """Validate every file of corpus/buildspec/ against targets/aws/schemas/buildspec.schema.json
    (read as CodeBuild reads YAML: pipec.targets.aws.buildspec.load); print the table, the summary
    and the verdict on each failure (:data:`BUILDSPEC_VERDICTS`)."""
    from pipec.targets.aws import buildspec

    out = out or sys.stdout
    folder = corpus / "buildspec"
    if not folder.is_dir():
        print(f"\nbuildspec: no folder {folder}; nothing measured", file=out)
        return None
    rows = measure_folder(folder, buildspec.load, buildspec.validate)
    print_table("buildspec", rows, out=out)
    failed = [r for r in rows if not r.ok]
    if failed:
        print("buildspec verdicts (file wrong or schema wrong):", file=out)
        for r in failed:
            print(f"  {r.file}: {BUILDSPEC_VERDICTS.get(r.file, 'NOT REVIEWED: check it against the AWS docs')}",
                  file=out)
        unreviewed = sum(r.file not in BUILDSPEC_VERDICTS for r in failed)
        print(f"buildspec: {len(failed) - unreviewed} failures reviewed (file wrong), {unreviewed} not reviewed",
              file=out)
    return rows


# ----------------------------------------------------------------------------- appspec

#: The verdict on each corpus appspec that fails the schema, after checking the CodeDeploy User
#: Guide's AppSpec reference and the CodeDeploy agent's parser (aws/aws-codedeploy-agent,
#: application_specification.rb). "file": the file would not deploy as written, or has a key
#: CodeDeploy ignores; "schema": the schema was wrong (then fix the schema, not this table).
APPSPEC_VERDICTS: dict[str, str] = {
    "aws-samples__aws-codedeploy-appspec-assistant__ecs-default-appspec-template-advanced.json":
        "file: an unfilled template (AssignPublicIp 'ENABLED-or-DISABLED', PlatformVersion "
        "'[Version number, ex: 1.3.0]')",
    "aws-samples__aws-codedeploy-appspec-assistant__ecs-default-appspec-template-uncommented.yml":
        "file: an unfilled template (AssignPublicIp 'ENABLED-or-DISABLED', PlatformVersion "
        "'[Version number, ex: 1.3.0]')",
    "aws-samples__aws-codedeploy-appspec-assistant__server-(ec2-and-onPrem)-default-appspec-template-uncommented.yml":
        "file: an unfilled template (timeout 'timeout-in-seconds', mode 'mode-specification', type "
        "'object-type', except not a list, destination not an absolute path)",
    "zakus2023__aws-ec2-codedeploy-bluegreen__deploy__appspec.yml":
        "file: 'overwrite: true' is not an AppSpec key; the agent reads only source and destination, "
        "so nothing is overwritten (the documented setting is file_exists_behavior: OVERWRITE)",
}


class AppspecRow(NamedTuple):
    file: str
    platform: str  # ec2, ecs, lambda or ? (none detected)
    ok: bool
    error: str  # the first error ("" when ok)
    errors: int


def _load_appspec(path: Path):
    import json

    import yaml

    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


def measure_appspec(corpus: Path, out=None) -> list[AppspecRow] | None:
    """Validate every file of corpus/appspec/ (YAML or JSON) against
    targets/aws/schemas/appspec.schema.json; print file, detected platform, PASS/FAIL and the first
    error, a summary per platform, and the verdict on each failure (:data:`APPSPEC_VERDICTS`)."""
    out = out or sys.stdout
    try:
        from pipec.targets.aws import appspec
    except ImportError:
        print("\nappspec: pipec.targets.aws.appspec is not available; nothing measured", file=out)
        return None
    folder = corpus / "appspec"
    if not folder.is_dir():
        print(f"\nappspec: no folder {folder}; nothing measured", file=out)
        return None

    rows: list[AppspecRow] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            data = _load_appspec(path)
        except Exception as exc:  # malformed YAML or JSON, undecodable text
            first = " ".join(line.strip() for line in str(exc).strip().splitlines())
            rows.append(AppspecRow(path.name, "?", False, "cannot read: " + first, 1))
            continue
        errors = appspec.validate(data)
        rows.append(AppspecRow(path.name, appspec.detect_platform(data) or "?", not errors,
                               errors[0] if errors else "", len(errors)))

    width = max([len(r.file) for r in rows] + [4])
    print(f"\nappspec: {len(rows)} files", file=out)
    print(f"{'file':<{width}}  platform  result  first error", file=out)
    for r in rows:
        more = f" (+{r.errors - 1} more)" if r.errors > 1 else ""
        print(f"{r.file:<{width}}  {r.platform:<8}  {'PASS' if r.ok else 'FAIL':<6}  {r.error}{more}", file=out)
    passed = sum(r.ok for r in rows)
    per = []
    for platform in ("ec2", "ecs", "lambda", "?"):
        mine = [r for r in rows if r.platform == platform]
        if mine:
            per.append(f"{platform} {sum(r.ok for r in mine)}/{len(mine)}")
    print(f"appspec: {passed} pass, {len(rows) - passed} fail (of {len(rows)}); pass by platform: "
          + ", ".join(per), file=out)
    failed = [r for r in rows if not r.ok]
    if failed:
        print("appspec verdicts (file wrong or schema wrong):", file=out)
        for r in failed:
            print(f"  {r.file}: {APPSPEC_VERDICTS.get(r.file, 'NOT REVIEWED: check it against the AWS docs')}",
                  file=out)
        unreviewed = sum(r.file not in APPSPEC_VERDICTS for r in failed)
        print(f"appspec: {len(failed) - unreviewed} failures reviewed (file wrong), {unreviewed} not reviewed",
              file=out)
    return rows


# ----------------------------------------------------------------------------- command

MEASURES = {"buildspec": measure_buildspec, "appspec": measure_appspec}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help=f"the corpus folder (default: {DEFAULT_CORPUS})")
    parser.add_argument("--only", choices=sorted(MEASURES), help="measure one schema only")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"No corpus at {args.corpus}: nothing to measure. Give its location with --corpus DIR.")
        return 0
    print(f"corpus: {args.corpus}")
    for kind, measure in MEASURES.items():
        if args.only in (None, kind):
            measure(args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
