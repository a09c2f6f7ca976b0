"""Resource counts of pipec's template for the reference pipeline next to the AWS CDK peer's.

    .venv/bin/python bench/compare_cdk.py [CDK_TEMPLATE]

CDK_TEMPLATE defaults to /work/shared/bench/cdk-peer/template.json (the peer built in
/work/shared/bench/cdk-peer, see its README). When that file is absent the script says so and
prints pipec's counts alone (exit status 0: this is a measurement, not a test).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "examples" / "02-reference.pipe"
DEFAULT_PEER = Path("/work/shared/bench/cdk-peer/template.json")


def pipec_template() -> tuple[dict, str]:
    from pipec import compile_file
    from pipec.build import context_for, generate

    pipeline, _ = compile_file(str(REFERENCE))
    with tempfile.TemporaryDirectory() as out:
        files = generate(pipeline, context_for(str(REFERENCE), out, source_root=out), ["aws"])
    text = files[f"aws/{pipeline.name}.template.yaml"]
    return yaml.safe_load(text), text


def counts(template: dict) -> Counter:
    return Counter(r["Type"] for r in template.get("Resources", {}).values())


def main(argv: list[str]) -> int:
    peer_path = Path(argv[0]) if argv else DEFAULT_PEER
    ours, text = pipec_template()
    mine = counts(ours)
    peer = None
    if peer_path.is_file():
        peer_text = peer_path.read_text(encoding="utf-8")
        peer = counts(json.loads(peer_text))
    else:
        print(f"CDK peer template not found at {peer_path}: showing pipec's counts only.\n")

    types = sorted(set(mine) | set(peer or {}))
    width = max(len(t) for t in types + ["resource type"])
    header = f"| {'resource type':<{width}} | pipec |" + (" CDK |" if peer is not None else "")
    print(header)
    print(f"|{'-' * (width + 2)}|------:|" + ("----:|" if peer is not None else ""))
    for t in types:
        row = f"| {t:<{width}} | {mine.get(t, 0):>5} |"
        if peer is not None:
            row += f" {peer.get(t, 0):>3} |"
        print(row)
    total = f"| {'total':<{width}} | {sum(mine.values()):>5} |"
    if peer is not None:
        total += f" {sum(peer.values()):>3} |"
    print(total)
    print(f"\npipec template: {len(text.splitlines())} lines, {len(text.encode())} bytes (YAML)")
    if peer is not None:
        print(f"CDK template:   {len(peer_text.splitlines())} lines, {len(peer_text.encode())} bytes (JSON), {peer_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
