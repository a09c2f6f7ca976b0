"""Draw a pipeline: ``pipec graph FILE --format mermaid|dot|svg|png``.

:func:`render` turns a validated :class:`pipec.model.Pipeline` into a Mermaid ``flowchart LR``
(renders directly in GitHub Markdown), a Graphviz DOT ``digraph``, or, when the Graphviz ``dot``
program is installed, an SVG or PNG image made from the DOT text.

Drawing conventions (the same in Mermaid and DOT):

============================  ======================  ==================================
what                          Mermaid shape           DOT shape
============================  ======================  ==================================
source (repository, bucket)   cylinder ``[("…")]``    ``cylinder``
build action                  rectangle ``["…"]``     ``box``
test action                   rounded ``("…")``       ``box``, ``style=rounded``
deploy (CodeDeploy, ECS,      parallelogram           ``parallelogram``
CloudFormation stack, S3)     ``[/"…"/]``
approval: a gate              hexagon ``{{"…"}}``     ``hexagon``
invoke (a Lambda function)    subroutine ``[["…"]]``  ``box``, ``peripheries=2``
============================  ======================  ==================================

- The sources form a group "Source"; each source node names its provider and location and
  lists its triggers in compact form, one a line (``on push main · paths src/** !docs/**``,
  ``on pull_request opened, updated into main``, ``on manual``, ``on schedule 30 5 * * MON-FRI
  (UTC)``, each followed by ``· via aws`` or ``· via github`` when bound to one platform).
- Each stage is a group (a Mermaid ``subgraph``, a DOT ``cluster``) titled ``stage NAME``, with
  ``· via aws``/``· via github`` when the stage runs on one platform only and a second line
  ``transition disabled: REASON`` when its inbound transition is disabled.
- A deploy's label shows where it goes and how, one a line: ``deploy web-prod → ECS``, the
  strategy (``canary 10% then rest after 5m``), then the target (cluster / service, instance
  tags, function:alias; a stack or a bucket for CloudFormation and S3 deploys).
- An action that runs in another AWS account or Region than the pipeline has a last line
  ``account 444444444444 · eu-west-1``; the pipeline's group "Source" then says where the
  pipeline itself runs.
- A solid arrow carries an artifact from the source or action that produces it to each action
  that reads it, labelled with the artifact's name (one arrow per pair, names joined by ", ").
- A dashed arrow shows execution order (the previous stage, or the previous run order inside a
  stage: ``parallel`` actions share one) only where the arrows already drawn do not imply it.
  In a hybrid pipeline a stage follows the nearest earlier stage that runs on the same
  platform, so stages bound to different platforms appear as parallel branches.

Output is deterministic: node ids are generated in pipeline order (``src1``…, ``a1``…, groups
``g0``…), never derived from names (Mermaid misreads some, such as ``end``), and every
list is walked in written order. Labels are escaped for each format (Mermaid: entity codes such
as ``#quot;`` and ``#35;`` inside ``"…"`` labels; DOT: backslash escapes).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field

from pipec import model

FORMATS = ("mermaid", "dot", "svg", "png")


class GraphError(Exception):
    """A problem drawing the graph, with a one-line message for the user."""


# ----------------------------------------------------------------------------- the neutral graph


@dataclass
class _Node:
    id: str
    kind: str  # source, build, test, deploy, approval, invoke
    lines: list[str]


@dataclass
class _Group:
    id: str
    title: list[str]
    nodes: list[_Node] = field(default_factory=list)


@dataclass
class _Edge:
    src: str
    dst: str
    labels: list[str] = field(default_factory=list)
    dashed: bool = False


@dataclass
class _Graph:
    title: str
    groups: list[_Group]
    edges: list[_Edge]


def _duration(minutes: int) -> str:
    if minutes and minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _filter(f: model.Filter | None) -> str:
    if f is None:
        return ""
    return " ".join(list(f.includes) + [f"!{e}" for e in f.excludes])


def _via(platform: str | None) -> str:
    return f" · via {platform}" if platform else ""


def trigger_text(t: model.Trigger, source: model.Source | None = None) -> str:
    """A trigger in compact form, for example ``on push main · paths src/** !docs/**``."""
    if isinstance(t, model.PushTrigger):
        if t.tags is not None:
            text = f"on push tags {_filter(t.tags)}"
        elif source is not None and source.provider == "s3":
            text = "on upload"
        else:
            text = f"on push {_filter(t.branches)}".rstrip()
        if t.paths is not None:
            text += f" · paths {_filter(t.paths)}"
    elif isinstance(t, model.PullRequestTrigger):
        text = f"on pull_request {', '.join(t.events)} into {_filter(t.branches)}"
        if t.paths is not None:
            text += f" · paths {_filter(t.paths)}"
    elif isinstance(t, model.ManualTrigger):
        text = "on manual"
    elif isinstance(t, model.ScheduleTrigger):
        text = f"on schedule {t.cron} (UTC)"
    else:  # pragma: no cover - the model has no other trigger
        text = f"on {type(t).__name__}"
    return text + _via(t.platform)


def strategy_text(s: model.Strategy) -> str:
    """A deployment strategy in words, as written: ``canary 10% then rest after 5m``."""
    if s.kind == "rolling":
        if s.batch == "min_healthy":
            return f"rolling, min {s.percent}% healthy"
        if s.batch:
            return f"rolling {s.batch.replace('-', ' ')}"
        return "rolling update"
    if s.kind == "blue-green":
        if s.terminate_after_minutes is not None:
            return f"blue/green · old kept {_duration(s.terminate_after_minutes)}"
        return "blue/green"
    if s.kind == "canary":
        return f"canary {s.percent}% then rest after {_duration(s.interval_minutes or 0)}"
    if s.kind == "linear":
        return f"linear {s.percent}% every {_duration(s.interval_minutes or 0)}"
    return s.kind.replace("-", " ")


_PLATFORM = {"ec2": "EC2", "ecs": "ECS", "lambda": "Lambda"}


def _source_lines(s: model.Source) -> list[str]:
    if s.provider == "s3":
        where = f"s3 {s.bucket}/{s.object_key}" if s.object_key else f"s3 {s.bucket}"
    else:
        where = f"{s.provider} {s.repository}"
        if s.branch:
            where += f" @ {s.branch}"
    return [f"source {s.name}", where] + [trigger_text(t, s) for t in s.triggers]


def _deploy_target(d: model.Deploy) -> str:
    t = d.target
    if isinstance(t, model.EcsTarget):
        return f"{t.cluster} / {t.service}"
    if isinstance(t, model.LambdaTarget):
        return f"{t.function}:{t.alias}"
    parts = [f"tag {k}={v}" for k, v in t.tags] + [f"asg {g}" for g in t.autoscaling_groups]
    return ", ".join(parts) or "instances"


def _action_node(act, node_id: str) -> _Node:
    if isinstance(act, model.Build):
        return _Node(node_id, "test" if act.kind == "test" else "build", [f"{act.kind} {act.name}"])
    if isinstance(act, model.Deploy):
        head = f"deploy {act.name} → {_PLATFORM.get(act.platform, act.platform)}"
        return _Node(node_id, "deploy", [head, strategy_text(act.strategy), _deploy_target(act)])
    if isinstance(act, model.StackDeploy):
        detail = f"stack {act.stack}" + (f" · change set {act.change_set}" if act.change_set else "")
        return _Node(node_id, "deploy", [f"deploy {act.name} → CloudFormation", detail])
    if isinstance(act, model.BucketDeploy):
        detail = f"bucket {act.bucket}" + (f" · key {act.object_key}" if act.object_key else "")
        return _Node(node_id, "deploy", [f"deploy {act.name} → S3", detail])
    if isinstance(act, model.Approval):
        lines = [f"approve {act.name}"]
        if act.message:
            lines.append(act.message)
        lines.append(f"timeout {_duration(act.timeout_minutes)}")
        return _Node(node_id, "approval", lines)
    if isinstance(act, model.Invoke):
        return _Node(node_id, "invoke", [f"invoke {act.name} → Lambda", f"function {act.function}"])
    raise GraphError(f"cannot draw an action of type {type(act).__name__}")  # pragma: no cover


def _place(p: model.Pipeline, act) -> str | None:
    """``account A · Region R`` for an action placed in another account or Region, else None."""
    account, region = p.place_of(act)
    if account is None and region is None:
        return None
    return f"account {account or p.account} · {region or p.region}"


def _outputs(act) -> list[str]:
    if isinstance(act, model.Build):
        return [o.name for o in act.outputs]
    if isinstance(act, model.Invoke):
        return list(act.outputs)
    return []


def build_graph(p: model.Pipeline) -> _Graph:
    """The platform-neutral drawing of ``p``: groups of nodes, and edges."""
    groups: list[_Group] = []
    producer: dict[str, str] = {}

    src_group = _Group("g0", ["Source"] + ([f"pipeline in account {p.account} · {p.region}"] if p.placed else []))
    source_ids = []
    for i, s in enumerate(p.sources, 1):
        nid = f"src{i}"
        src_group.nodes.append(_Node(nid, "source", _source_lines(s)))
        producer.setdefault(s.artifact, nid)
        source_ids.append(nid)
    groups.append(src_group)

    ids: dict[int, str] = {}  # id(action) -> node id
    counter = 0
    for si, st in enumerate(p.stages, 1):
        title = [f"stage {st.name}{_via(st.platform)}"]
        if st.disabled_reason:
            title.append(f"transition disabled: {st.disabled_reason}")
        if (st.account or p.account) != p.account or (st.region or p.region) != p.region:
            # the stage's aws { account region }: where its deploys and invokes run unless they say otherwise
            title.append(f"deploys in account {st.account or p.account} · {st.region or p.region}")
        g = _Group(f"g{si}", title)
        for act in st.actions:
            counter += 1
            nid = f"a{counter}"
            ids[id(act)] = nid
            node = _action_node(act, nid)
            where = _place(p, act)
            if where:  # an action in another account or Region: where it runs, last
                node.lines.append(where)
            g.nodes.append(node)
            for name in _outputs(act):
                producer.setdefault(name, nid)
        groups.append(g)

    # artifact edges, one per (producer, consumer) pair, in consumer order then input order
    edges: list[_Edge] = []
    by_pair: dict[tuple[str, str], _Edge] = {}
    for act in p.actions():
        for name in act.inputs:
            src = producer.get(name)
            if src is None:
                continue
            key = (src, ids[id(act)])
            if key not in by_pair:
                by_pair[key] = _Edge(src, ids[id(act)])
                edges.append(by_pair[key])
            if name not in by_pair[key].labels:
                by_pair[key].labels.append(name)

    adj: dict[str, list[str]] = {}
    for e in edges:
        adj.setdefault(e.src, []).append(e.dst)

    def reaches(a: str, b: str) -> bool:
        seen, todo = {a}, [a]
        while todo:
            n = todo.pop()
            if n == b:
                return True
            for m in adj.get(n, ()):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        return False

    def add_order(a: str, b: str):
        if not reaches(a, b):
            edges.append(_Edge(a, b, dashed=True))
            adj.setdefault(a, []).append(b)

    # ordering edges: each run-order group follows the previous group of its stage; a stage's
    # first group follows the last group of the nearest earlier stage on each platform it runs on
    last_group: dict[str, list[str]] = {}  # platform -> node ids of the last group that runs there
    for st in p.stages:
        runs = sorted(set(a.run_order for a in st.actions))
        if not runs:
            continue
        platforms = [st.platform] if st.platform else ["aws", "github"]
        before: list[str] = []
        for plat in platforms:
            for n in last_group.get(plat, []):
                if n not in before:
                    before.append(n)
        first = True
        for r in runs:
            group = [ids[id(a)] for a in st.actions if a.run_order == r]
            for nid in group:
                if first and not before:
                    # the first stage that runs on this platform follows the sources
                    if source_ids and not any(reaches(s, nid) for s in source_ids):
                        for s in source_ids:
                            add_order(s, nid)
                else:
                    for b in before:
                        add_order(b, nid)
            before, first = group, False
        for plat in platforms:
            last_group[plat] = before

    return _Graph(p.name, groups, edges)


# ----------------------------------------------------------------------------- Mermaid


def mermaid_escape(text: str) -> str:
    """``text`` for a ``"…"`` label: Mermaid entity codes for the characters that would end the
    string or be read as markup (``"``, ``#``, ``<``, ``>``, ``&``, backquote), and for a ``%``
    before another (Mermaid removes ``%%{...}%%`` anywhere in the text, inside a label too, as a
    directive); newlines become spaces."""
    out = []
    for i, ch in enumerate(text):
        if ch == "%" and text[i + 1: i + 2] == "%":
            out.append("#37;")
        elif ch == "#":
            out.append("#35;")
        elif ch == '"':
            out.append("#quot;")
        elif ch == "<":
            out.append("#lt;")
        elif ch == ">":
            out.append("#gt;")
        elif ch == "&":
            out.append("#amp;")
        elif ch == "`":
            out.append("#96;")
        elif ch in "\r\n\t":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


_MERMAID_SHAPES = {
    "source": ('[("', '")]'),
    "build": ('["', '"]'),
    "test": ('("', '")'),
    "deploy": ('[/"', '"/]'),
    "approval": ('{{"', '"}}'),
    "invoke": ('[["', '"]]'),
}

_MERMAID_CLASSES = (
    ("source", "fill:#eef3fb,stroke:#4a6fa5"),
    ("build", "fill:#f4f4f4,stroke:#555"),
    ("test", "fill:#f4f4f4,stroke:#555"),
    ("deploy", "fill:#e9f7ef,stroke:#2e7d4f"),
    ("approval", "fill:#fff4d6,stroke:#b07d00"),
    ("invoke", "fill:#f3ecfa,stroke:#7b4fa5"),
)


def _mermaid_label(lines: list[str]) -> str:
    return "<br/>".join(mermaid_escape(x) for x in lines)


def to_mermaid(g: _Graph) -> str:
    out = ["---", f'title: "pipeline {mermaid_escape(g.title)}"', "---", "flowchart LR"]
    for grp in g.groups:
        if not grp.nodes:
            continue
        out.append(f'  subgraph {grp.id}["{_mermaid_label(grp.title)}"]')
        for n in grp.nodes:
            left, right = _MERMAID_SHAPES[n.kind]
            out.append(f"    {n.id}{left}{_mermaid_label(n.lines)}{right}")
        out.append("  end")
    for e in g.edges:
        if e.dashed:
            out.append(f"  {e.src} -.-> {e.dst}")
        else:
            out.append(f'  {e.src} -->|"{mermaid_escape(", ".join(e.labels))}"| {e.dst}')
    used = {n.kind for grp in g.groups for n in grp.nodes}
    for kind, style in _MERMAID_CLASSES:
        if kind in used:
            out.append(f"  classDef {kind} {style}")
    for kind, _ in _MERMAID_CLASSES:
        members = [n.id for grp in g.groups for n in grp.nodes if n.kind == kind]
        if members:
            out.append(f"  class {','.join(members)} {kind}")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- DOT


def dot_escape(text: str) -> str:
    """``text`` inside a DOT ``"…"`` string: backslashes and quotes escaped, newlines as ``\\n``."""
    return (text.replace("\\", "\\\\").replace('"', '\\"')
            .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n"))


_DOT_SHAPES = {
    "source": 'shape=cylinder, fillcolor="#eef3fb"',
    "build": 'shape=box, fillcolor="#f4f4f4"',
    "test": 'shape=box, style="rounded,filled", fillcolor="#f4f4f4"',
    "deploy": 'shape=parallelogram, fillcolor="#e9f7ef"',
    "approval": 'shape=hexagon, fillcolor="#fff4d6"',
    "invoke": 'shape=box, peripheries=2, fillcolor="#f3ecfa"',
}


def _dot_label(lines: list[str]) -> str:
    return "\\n".join(dot_escape(x) for x in lines)


def to_dot(g: _Graph) -> str:
    out = [f'digraph "{dot_escape(g.title)}" {{',
           f'  label="pipeline {dot_escape(g.title)}";',
           "  labelloc=t;",
           "  rankdir=LR;",
           '  fontname="Helvetica";',
           '  node [fontname="Helvetica", style=filled];',
           '  edge [fontname="Helvetica", fontsize=10];']
    for grp in g.groups:
        if not grp.nodes:
            continue
        out.append(f"  subgraph cluster_{grp.id} {{")
        out.append(f'    label="{_dot_label(grp.title)}";')
        out.append("    style=rounded;")
        for n in grp.nodes:
            out.append(f'    {n.id} [label="{_dot_label(n.lines)}", {_DOT_SHAPES[n.kind]}];')
        out.append("  }")
    for e in g.edges:
        if e.dashed:
            out.append(f"  {e.src} -> {e.dst} [style=dashed];")
        else:
            out.append(f'  {e.src} -> {e.dst} [label="{dot_escape(", ".join(e.labels))}"];')
    out.append("}")
    return "\n".join(out) + "\n"


def run_dot(dot_text: str, fmt: str) -> bytes:
    """``dot -T<fmt>`` on ``dot_text``; GraphError when Graphviz is missing or fails."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphError(f"the Graphviz program dot is not installed: cannot make {fmt} "
                         f"(install graphviz, or use --format dot)")
    try:
        proc = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        raise GraphError(f"could not run the Graphviz program dot: {e}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphError(f"the Graphviz program dot failed (exit {proc.returncode})"
                         + (f": {err[0]}" if err else ""))
    return proc.stdout


def render(pipeline: model.Pipeline, fmt: str = "mermaid") -> str | bytes:
    """Draw ``pipeline`` in ``fmt`` (one of :data:`FORMATS`): mermaid, dot and svg as text,
    png as bytes. svg and png need the Graphviz ``dot`` program (else :class:`GraphError`)."""
    if fmt not in FORMATS:
        raise GraphError(f"unknown graph format {fmt!r} (choose one of {', '.join(FORMATS)})")
    g = build_graph(pipeline)
    if fmt == "mermaid":
        return to_mermaid(g)
    text = to_dot(g)
    if fmt == "dot":
        return text
    data = run_dot(text, fmt)
    return data.decode("utf-8") if fmt == "svg" else data
