"""``pipec simulate FILE [--event E] [--fail F]... [--target aws|github] [--format text|json]``.

Prints, for each platform, which triggers fire for the event (with their ``.pipe`` lines), the
actions in run order, what each platform's console would show, and the logs of what failed
(:mod:`pipec.simulate_logs`). The text is rendered from the same data as the JSON, so the two
always agree. Everything is labelled as simulated: no AWS or GitHub call is made.
"""

from __future__ import annotations

import json

from pipec import model
from pipec.simulate_logs import Source, console, logs
from pipec.simulate_run import (PLATFORM_NAMES, PLATFORMS, Failure, alarm_too_late, job_results, parse_event,
                                parse_failure, run)

BANNER = "SIMULATED: nothing runs on AWS or GitHub; the logs follow the platforms' documented formats"


def simulate_data(pipeline: model.Pipeline, text: str, path: str, event: str | None = None, fail=(),
                  target: str | None = None, source: str | None = None) -> dict:
    """The whole result as plain data (raises :class:`pipec.simulate_run.SimulateError` for a bad
    ``event`` or ``fail``)."""
    ev = parse_event(event, pipeline, source)
    failures = [parse_failure(f, pipeline) for f in fail]
    src = Source(pipeline, text)
    platforms = []
    for platform in (target,) if target else PLATFORMS:
        r = run(pipeline, platform, ev, failures)
        results = job_results(r)
        order = list(dict.fromkeys(_job_of(line) for line in r.trace))
        platforms.append({
            "platform": platform,
            "name": PLATFORM_NAMES[platform],
            "triggers": [{"text": d.text, "line": d.span.line if d.span else None, "fires": d.fires}
                         for d in r.decisions],
            "starts": r.started,
            "order": order,
            "results": {j: results[j] for j in order},
            "not_on_this_platform": [_describe(f) for f in r.ignored],
            "after_the_deployment": [{**_describe(f), "ended": alarm_too_late(src.actions[f.action], f.minute),
                                      "line": src.find(src.actions[f.action], "rollback")
                                      or src.action_line(f.action)} for f in r.late
                                     # only for a deployment that ran: one that never started ends nothing
                                     if results.get(f.action) in ("succeeded", "failed")],
            # a failure point the run never got to (an earlier failure, a rejection or a held
            # transition stopped it first): said, not left out silently
            "not_reached": [{**_describe(f), "result": results.get(f.action, "not run")} for f in r.failures
                            if r.started and f not in r.ignored and f not in r.late
                            and results.get(f.action) != "failed"],
            "console": console(r, src) if r.started else [],
            "logs": logs(r, src) if r.started else [],
            "points": _points(r, src, path) if r.started else [],
            "trace": list(r.trace),
        })
    return {"simulated": True, "file": path, "pipeline": pipeline.name,
            "event": {"kind": ev.kind, "ref": ev.ref, "files": list(ev.files) if ev.files is not None else None,
                      "action": ev.action, "source": ev.source, "text": ev.describe()},
            "failures": [_describe(f) for f in failures], "platforms": platforms}


def _job_of(trace_line: str) -> str:
    head, _, rest = trace_line.partition(" ")
    return rest if head in ("skip", "held") else head


def _describe(f: Failure) -> dict:
    return {"fail": f.text, "action": f.action, "point": list(f.point), "hook": f.hook, "minute": f.minute,
            "cause": f.cause}


def _points(r, src: Source, path: str) -> list[dict]:
    """Each failure that happened, as ``FILE:LINE`` and what is written there."""
    out = []
    results = job_results(r)
    for f in r.failures:
        if results.get(f.action) != "failed":
            continue
        kind = f.point[0]
        if kind in ("command", "finally"):
            text, line = src.command(f.action, f.point[2], f.point[3], kind == "finally")
            short = text.split("\n")[0] + (" ..." if "\n" in text else "")
            what = f"{f.point[2]}{' finally' if kind == 'finally' else ''} command {short!r} of {f.action} failed"
        elif kind == "timeout":
            line = src.find(src.actions[f.action], "timeout") or src.action_line(f.action)
            what = f"the timeout of {f.action} ran out"
        elif f.cause == "health":
            line = src.action_line(f.action)
            what = f"the new tasks of {f.action} failed their health checks"
        elif f.hook:
            d = src.actions[f.action]
            line = src.hook_line(d, f.hook)
            what = f"hook {f.hook} of {f.action} failed"
        elif kind == "alarm":
            line = src.find(src.actions[f.action], "rollback") or src.action_line(f.action)
            what = f"an alarm stopped {f.action} at minute {f.minute}"
        elif kind == "reject":
            line = src.action_line(f.action)
            what = f"approval {f.action} was rejected"
        else:
            line = src.action_line(f.action)
            what = f"{f.action} failed"
        out.append({"location": f"{path}:{line}" if line else path, "line": line, "what": what})
    return out


# ----------------------------------------------------------------------------- text


def _gutter(entry: dict) -> str:
    n = entry.get("line")
    return f"{n:>4} | " if n else "     | "


def _entry(entry: dict) -> list[str]:
    """An output line with its gutter; a multi-line command keeps the gutter on every line."""
    return [_gutter(entry) + part for part in entry["text"].split("\n")]


def render_text(data: dict) -> str:
    out = [f"pipec simulate {data['file']} (pipeline {data['pipeline']})", BANNER,
           f"Event: {data['event']['text']}"]
    if data["failures"]:
        out.append("Failures: " + ", ".join(f["fail"] for f in data["failures"]))
    else:
        out.append("Failures: none")
    for p in data["platforms"]:
        out += ["", f"== {p['name']} =="]
        out.append("Triggers (line | fires? | trigger):")
        if not p["triggers"]:
            out.append("     | none bound to this platform")
        for t in p["triggers"]:
            out.append(f"{_gutter(t)}{'fires  ' if t['fires'] else 'no     '} {t['text']}")
        for f in p["not_on_this_platform"]:
            out.append(f"Note: --fail {f['fail']}: {f['action']} does not run on {p['name']}")
        for f in p["after_the_deployment"]:
            out.append(f"{_gutter(f)}Note: --fail {f['fail']}: the deployment ended at minute {f['ended']}; CodeDeploy "
                       "no longer watches its alarms, so nothing stops it and nothing rolls back")
        if not p["starts"]:
            out.append(f"No run starts on {p['name']} for this event.")
            continue
        out.append("Runs (in an order that respects 'after'; parallel actions by name): " + ", ".join(f"{j} ({p['results'][j]})" for j in p["order"]))
        for f in p["not_reached"]:
            out.append(f"Note: --fail {f['fail']}: the run never got there ({f['action']}: {f['result']})")
        out.append("")
        out += [x for e in p["console"] for x in _entry(e)]
        for block in p["logs"]:
            out += ["", block["title"] + ":"]
            out += [x for e in block["lines"] for x in _entry(e)]
        if p["points"]:
            out += ["", "Back to the .pipe file:"]
            out += [f"  {pt['location']}: {pt['what']}" for pt in p["points"]]
    return "\n".join(out) + "\n"


def render_json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def cmd_simulate(args) -> int:
    """The ``pipec simulate`` command (called by :mod:`pipec.cli`)."""
    import sys

    from pipec.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, _compile_or_report
    from pipec.simulate_run import SimulateError

    compiled = _compile_or_report(args.file)
    if compiled is None:
        return EXIT_INPUT
    pipeline, _warnings, text = compiled
    if args.compare_strategies:
        return _compare(pipeline, args)
    given = [flag for flag, value in (("--notice", args.notice), ("--fleet", args.fleet),
                                      ("--batch-minutes", args.batch_minutes)) if value is not None]
    if given:  # they shape the strategy comparison only: never ignored without a word
        print(f"pipec: error: {', '.join(given)} only appl{'ies' if len(given) == 1 else 'y'} with "
              "--compare-strategies ACTION\n  hint: Add "
              "--compare-strategies with a deployment's name, or leave them out.", file=sys.stderr)
        return EXIT_USAGE
    try:
        data = simulate_data(pipeline, text, args.file, args.event, args.fail or (), args.target, args.source)
    except SimulateError as exc:
        print(f"pipec: error: {exc}\n  hint: {exc.hint}", file=sys.stderr)
        return EXIT_USAGE
    fmt = "json" if args.json else args.format
    sys.stdout.write(render_json(data) if fmt == "json" else render_text(data))
    return EXIT_OK


def _compare(pipeline: model.Pipeline, args) -> int:
    """``--compare-strategies ACTION``: the deployment's strategy beside the usual alternatives."""
    import sys

    from pipec.cli import EXIT_OK, EXIT_USAGE
    from pipec.simulate_run import SimulateError
    from pipec.timeline import compare, render_compare

    deploys = {a.name: a for a in pipeline.actions() if isinstance(a, model.Deploy)}
    d = deploys.get(args.compare_strategies)
    if d is None:
        print(f"pipec: error: --compare-strategies {args.compare_strategies!r}: the pipeline has no deployment "
              f"of that name\n  hint: Give one of: {', '.join(deploys) or '(none: this pipeline deploys nothing)'}.",
              file=sys.stderr)
        return EXIT_USAGE
    detect = 3
    for f in args.fail or ():
        try:
            parsed = parse_failure(f, pipeline)
        except SimulateError as exc:
            print(f"pipec: error: {exc}\n  hint: {exc.hint}", file=sys.stderr)
            return EXIT_USAGE
        if parsed.minute is not None and parsed.action == d.name:
            detect = parsed.minute
    if args.notice is not None:
        detect = args.notice
    args.fleet = 4 if args.fleet is None else args.fleet  # the model's defaults (docs/simulate.md)
    args.batch_minutes = 2 if args.batch_minutes is None else args.batch_minutes
    if args.fleet < 1 or args.batch_minutes < 1 or detect < 0 or args.fleet > 1000 or args.batch_minutes > 600 \
            or detect > 1440:
        print("pipec: error: --fleet (1 to 1000), --batch-minutes (1 to 600) and --notice (0 to 1440) are out of "
              "range", file=sys.stderr)
        return EXIT_USAGE
    if (args.json or args.format == "json"):
        rows = compare(d, detect, args.fleet, args.batch_minutes)
        sys.stdout.write(json.dumps({"simulated": True, "action": d.name, "platform": d.platform, "detect": detect,
                                     "fleet": args.fleet, "batch_minutes": args.batch_minutes,
                                     "strategies": [{"strategy": r.strategy, "downtime": r.downtime,
                                                     "peak_exposure": r.peak_exposure, "exposure": r.exposure,
                                                     "rollback": r.rollback, "extra_capacity": r.extra,
                                                     "minimum_healthy": r.minimum_healthy, "problem": r.problem,
                                                     "timeline": [[m.minute, m.old, m.new, m.unserved, m.healthy,
                                                                   m.running] for m in r.timeline]}
                                                    for r in rows]}, indent=2) + "\n")
    else:
        sys.stdout.write(render_compare(d, detect, args.fleet, args.batch_minutes))
    return EXIT_OK
