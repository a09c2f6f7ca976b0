"""Performance harness for pipec (a measurement, never a test: nothing here asserts a time).

    python bench/perf.py [--runs N=11] [--warmup 2] [--quick] [--no-cdk] [--no-import] [--no-run]
                         [--corpus DIR] [--repo DIR] [--json OUT]

Prints the machine, then a plain-text table per section:

1. whole process: wall time and peak RSS (median of N runs after warm-up) of ``pipec check`` and
   ``pipec build --target all`` on examples/02-reference.pipe, next to ``python -c pass``;
2. in-process time per stage on the reference (parse, model, each target's emit, each reader,
   one workflow import);
3. scaling: generated pipelines of 10, 100, 1,000 and 2,500 actions through ``build --target all``;
4. import throughput over the 1,503 real-world workflows of ../shared/corpus (when present);
5. the AWS CDK peer (../shared/bench/cdk-peer) timed in the same run, when Node.js is available;
6. ``pipec run`` on a runnable pipeline next to act alone running the same run folder (the
   overhead pipec adds: start-up, compile, build, snapshot, reading act's log), when act is
   installed (``pip install -e '.[run]'``);
7. the goals, each with its figure and "met" / "missed".

``--repo DIR`` measures another checkout (for example ``git worktree add /tmp/before COMMIT``). The
code measured is always a copy: a temporary "site" directory holding ``pipec/`` (= DIR/compiler) with
``pipec/grammar`` (= DIR/grammar), ``pipec/targets`` (= DIR/targets) and ``pipec/docs/diagnostics.md``,
first on PYTHONPATH; the current tree is measured the same way, so before and after are comparable.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_REPO = HERE.parent
DEFAULT_CORPUS = DEFAULT_REPO.parent / "shared" / "corpus"
CDK_PEER = DEFAULT_REPO.parent / "shared" / "bench" / "cdk-peer"
REFERENCE = Path("examples") / "02-reference.pipe"
WORKFLOW = Path("examples") / "migration" / "github-actions" / ".github" / "workflows" / "web.yml"
SIZES = (10, 100, 1000, 2500)
GNU_TIME = "/usr/bin/time"


# ----------------------------------------------------------------------------- the code under test
def make_site(repo: Path, into: Path) -> Path:
    """``into/pipec`` = repo/compiler + grammar + targets (+ docs/diagnostics.md), a plain copy."""
    pkg = into / "pipec"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(repo / "compiler", pkg, ignore=ignore)
    shutil.copytree(repo / "grammar", pkg / "grammar", ignore=ignore)
    shutil.copytree(repo / "targets", pkg / "targets", ignore=ignore)
    diag = repo / "docs" / "diagnostics.md"
    if diag.is_file():
        (pkg / "docs").mkdir(exist_ok=True)
        shutil.copy2(diag, pkg / "docs" / "diagnostics.md")
        init = pkg / "docs" / "__init__.py"
        if not init.exists():
            init.write_text("")
    return into


def child_env(site: Path) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode caching is part of real start-up
    env["PYTHONPATH"] = str(site) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


# ----------------------------------------------------------------------------- process timing
def run_once(argv, cwd, env) -> tuple[float, int, int, float]:
    """(wall seconds, peak RSS KiB, exit status, CPU seconds: user + system) of one child process."""
    if os.path.exists(GNU_TIME):
        fd, out = tempfile.mkstemp(suffix=".time")
        os.close(fd)
        try:
            start = time.perf_counter()
            p = subprocess.run([GNU_TIME, "-f", "%e %M %U %S", "-o", out, *argv], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - start
            fields = Path(out).read_text().split("\n")
            line = [l for l in fields if re.match(r"^[\d.]+ \d+ [\d.]+ [\d.]+$", l.strip())]
            rss = int(line[-1].split()[1]) if line else 0
            cpu = float(line[-1].split()[2]) + float(line[-1].split()[3]) if line else 0.0
        finally:
            os.unlink(out)
        # perf_counter around the time(1) process is more precise than its %e (10 ms steps);
        # time(1)'s own start-up (about 1 ms) is included, the same for every command
        return wall, rss, p.returncode, cpu
    start = time.perf_counter()
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss, p.returncode, usage.ru_utime + usage.ru_stime


def measure(argv, cwd, env, runs: int, warmup: int, before=None) -> dict:
    """Median / min / max wall and median peak RSS over ``runs`` runs after ``warmup`` runs;
    ``before()`` runs before every run, outside the timing."""
    walls, rsss, codes, cpus = [], [], [], []
    for i in range(warmup + runs):
        if before:
            before()
        w, r, c, u = run_once(argv, cwd, env)
        if i >= warmup:
            walls.append(w)
            rsss.append(r)
            codes.append(c)
            cpus.append(u)
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls),
            "cpu_median": statistics.median(cpus),
            "rss_mib": statistics.median(rsss) / 1024, "rss_max_mib": max(rsss) / 1024,
            "runs": walls, "exit": sorted(set(codes))}


# ----------------------------------------------------------------------------- generated pipelines
def generate_pipe(n_actions: int) -> str:
    """A valid pipeline of exactly ``n_actions`` actions (the source counts as one), in stages of at
    most 50. CloudFormation takes at most 500 resources and 200 outputs per template (E412): each
    CodeBuild action costs 3 resources and an output, each GitHub job using AWS a role. So stage 1
    runs on both platforms (2 builds, a test, an S3 deploy, Lambda invokes), later even stages run
    `via aws` (2 builds, a test, an approval, an S3 deploy, invokes in parallel groups of 15) and
    odd stages `via github` (builds and tests as parallel jobs in groups of 10); artifacts flow
    from stage to stage on each platform."""
    out = [f"# generated by bench/perf.py: {n_actions} actions (the source counts as one)",
           f"pipeline scale-{n_actions} {{",
           '  source app github "my-org/my-repo" {', "    branch main", "    on push branches main", "  }"]
    remaining = n_actions - 1
    s = 0
    prev = {"both": None, "github": None, "aws": None}

    def codebuild(kind, name, platform, made):
        p = prev[platform] or prev["both"]
        lines = [f"    {kind} {name} {{", "      image ubuntu", "      runtime nodejs 20",
                 f"      from app {p}" if p else "      from app", f"      env PART = {name}",
                 '      install "npm ci"', f'      build "npm run build -- --part {name}" "npm test -- --part {name}"']
        if kind == "build":
            lines.append(f'      artifact o{name} files "**/*" base dist')
            made.append(f"o{name}")
        else:
            lines.append(f"      report r{name} junit files junit.xml base reports")
        return lines + ["    }"]

    def parallel(groups_of, items, body):
        for g in range(0, len(items), groups_of):
            chunk = items[g:g + groups_of]
            if len(chunk) == 1:
                body += chunk[0]
            else:
                body.append("    parallel {")
                for lines in chunk:
                    body += ["  " + x for x in lines]
                body.append("    }")

    while remaining > 0:
        s += 1
        k = min(50, remaining)
        remaining -= k
        platform = "both" if s == 1 else ("aws" if s % 2 == 0 else "github")
        out += ["", f"  stage s{s}" + ("" if platform == "both" else f" via {platform}") + " {"]
        body, made = [], []
        if platform == "github":  # CI fan-out: builds and tests as parallel jobs
            items = [codebuild("test" if i % 5 == 4 else "build", f"{'t' if i % 5 == 4 else 'b'}{s}x{i}", platform, made)
                     for i in range(k)]
            parallel(10, items, body)
        else:  # CodePipeline-style: two builds, a test, an approval, an S3 deploy, Lambda invokes
            head = (["build", "build", "test", "approve", "deploy"] if platform == "aws" else ["build", "build", "test", "deploy"])[:k]
            parallel(3, [codebuild(h, f"{h[0]}{s}x{i}", platform, made) for i, h in enumerate(head) if h in ("build", "test")], body)
            if "approve" in head and platform == "aws":
                body += [f"    approve a{s}x3 {{", f'      message "Check stage {s}"', "    }"]
            if "deploy" in head:
                body += [f"    deploy d{s}x{head.index('deploy')} to s3 {{", f"      from {made[0]}", f"      bucket my-bucket-{s}", "      extract", "    }"]
            inv = [[f"    invoke i{s}x{i} {{", f"      function hook-{i % 7}",
                    f'      parameters "{{\\"stage\\": {s}, \\"step\\": {i}}}"', "    }"] for i in range(len(head), k)]
            parallel(15, inv, body)
        out += body + ["  }"]
        if made:
            prev[platform] = made[-1]
    out.append("}")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- in-process stages
STAGES_SCRIPT = r'''
import inspect, json, os, statistics, sys, tempfile, time
runs, ref, wf = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
import pipec
from pipec.parser import parse
from pipec.semantic import analyze
from pipec.build import context_for, generate, write
from pipec.targets import TARGETS, load
from pipec import importer
rows = {"import pipec (parser, semantic, build, importer modules)": {"first": time.perf_counter() - t0}}
def timed(label, fn):
    s = time.perf_counter(); value = fn(); first = time.perf_counter() - s
    ts = []
    for _ in range(runs):
        s = time.perf_counter(); fn(); ts.append(time.perf_counter() - s)
    rows[label] = {"first": first, "median": statistics.median(ts), "min": min(ts)}
    return value
text = open(ref, encoding="utf-8").read()
module = timed("parse (pipec.parser.parse)", lambda: parse(text, ref))
pipeline, _ = timed("model (pipec.semantic.analyze)", lambda: analyze(module))
tmp = tempfile.mkdtemp()
out = os.path.join(tmp, "out")
ctx = lambda: context_for(ref, out, tmp)
files = {}
for name in TARGETS:
    files.update(timed(f"emit {name} (pipec.build.generate, target {name})", lambda: generate(pipeline, ctx(), [name])))
write(out, files)
for name in TARGETS:
    mod = load(name)
    if not hasattr(mod, "read"):
        continue
    params = inspect.signature(mod.read).parameters
    kw = {"source_root": tmp} if "source_root" in params else {}
    timed(f"read {name} ({name}.read on the built dir)", lambda: mod.read(out, pipeline.name, **kw))
timed("import web.yml (pipec.importer.import_one)", lambda: importer.import_one(wf))
print(json.dumps({"file": pipec.__file__, "rows": rows}))
'''


def stages(py, site, work: Path, ref: Path, wf: Path, runs: int) -> dict:
    p = subprocess.run([py, "-c", STAGES_SCRIPT, str(runs), str(ref), str(wf)], cwd=work, env=child_env(site),
                       capture_output=True, text=True)
    if p.returncode:
        return {"error": (p.stderr or p.stdout).strip()[-2000:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- sections
def machine() -> dict:
    info = {"cpu_count": os.cpu_count(), "python": sys.version.split()[0], "executable": sys.executable,
            "platform": platform.platform()}
    try:
        info["affinity"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        info["affinity"] = None
    try:
        info["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        info["loadavg"] = None
    node = shutil.which("node")
    info["node"] = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip() if node else None
    info["timer"] = "/usr/bin/time -f '%e %M %U %S' (RSS, CPU) + perf_counter (wall)" if os.path.exists(GNU_TIME) \
        else "os.wait4 (RSS, CPU) + perf_counter (wall)"
    return info


def count_files(d: Path) -> int:
    return sum(1 for p in d.rglob("*") if p.is_file())


def fresh(d: Path):
    def go():
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    return go


def import_throughput(py, site, work: Path, corpus: Path, jobs: int) -> dict:
    zpath = corpus / "fixtures" / "actionlint" / "testdata" / "realworld" / "dataset.zip"
    if not zpath.is_file():
        return {"absent": f"no corpus: {zpath} does not exist (give --corpus DIR)"}
    script = HERE / "import_fidelity.py"
    js = work / "import.json"
    start = time.perf_counter()
    p = subprocess.run([py, str(script), "--corpus", str(corpus), "--kinds", "realworld", "--no-roundtrip",
                        "--jobs", str(jobs), "--json", str(js)], cwd=work, env=child_env(site),
                       capture_output=True, text=True)
    wall = time.perf_counter() - start
    res = {"wall": wall, "exit": p.returncode, "jobs": jobs}
    try:
        rows = json.loads(js.read_text())
        res["files"] = len(rows)
        res["files_per_s"] = len(rows) / wall
        res["cpu_s_sum"] = sum(r.get("seconds", 0) for r in rows)
        res["crashes"] = sum(1 for r in rows if r.get("crash"))
        from collections import Counter
        res["statuses"] = dict(Counter(r["status"] for r in rows))
    except (OSError, ValueError) as exc:
        res["error"] = f"{exc}; {p.stderr.strip()[-500:]}"
    return res


def cdk_peer(peer: Path, work: Path, runs: int, warmup: int, with_app_validation: bool) -> dict:
    if not peer.is_dir():
        return {"skipped": f"no CDK peer at {peer}"}
    if not (shutil.which("node") and shutil.which("npm") and shutil.which("npx")):
        return {"skipped": "node/npm/npx not found"}
    d = work / "cdk-peer"
    shutil.copytree(peer, d, ignore=shutil.ignore_patterns("node_modules", "cdk.out", "out"))
    for root, dirs, files in os.walk(d):
        for x in dirs + files:
            os.chmod(os.path.join(root, x), 0o755 if x in dirs else 0o644)
        os.chmod(root, 0o755)
    env = dict(os.environ, CDK_DISABLE_VERSION_CHECK="1", CDK_DISABLE_CLI_TELEMETRY="true")
    start = time.perf_counter()
    p = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=d, env=env, capture_output=True, text=True)
    res = {"install_s": time.perf_counter() - start}
    if p.returncode:
        res["skipped"] = "npm install failed: " + (p.stderr or p.stdout).strip()[-500:]
        return res
    ver = subprocess.run(["node", "-p", "require('aws-cdk-lib/package.json').version"], cwd=d, capture_output=True,
                         text=True).stdout.strip()
    res["aws_cdk_lib"] = ver
    synth = ["npx", "cdk", "synth", "--no-version-reporting", "--no-notices", "-q"]
    outdir = work / "cdk-app-out"
    cmds = {"npx cdk synth": (synth, env, fresh(d / "cdk.out")),
            "npx cdk synth --no-validation": (synth + ["--no-validation"], env, fresh(d / "cdk.out"))}
    if with_app_validation:
        cmds["node app.js (validation on)"] = (["node", "app.js"], dict(env, CDK_OUTDIR=str(outdir)), fresh(outdir))
    cmds["node app.js CDK_VALIDATION=false"] = (["node", "app.js"], dict(env, CDK_OUTDIR=str(outdir),
                                                CDK_VALIDATION="false"), fresh(outdir))
    cmds["node -e 0"] = (["node", "-e", "0"], env, None)
    res["rows"] = {k: measure(argv, d, e, runs, warmup, before) for k, (argv, e, before) in cmds.items()}
    return res


# ----------------------------------------------------------------------------- report
RUN_PIPE = """pipeline bench-run {
  source app github "acme/bench-run" {
    branch main
    on push branches main
  }
  stage build {
    build web {
      install "mkdir -p dist" "export GREETING=hello"
      pre_build "test -f README.md"
      build {
        run "echo $GREETING > dist/index.html"
        finally "ls dist"
      }
      post_build "echo succeeding=$CODEBUILD_BUILD_SUCCEEDING"
      artifact site files "**/*" base dist
    }
  }
  stage test {
    test check {
      from site
      build "test -s index.html"
    }
  }
  stage ship {
    deploy web-prod to s3 {
      from site
      bucket "www.example.com"
      extract
    }
  }
}
"""

#: prints act's command line for RUN_PIPE, as pipec run would start it, with its run folder laid out
PREPARE = """
import json, sys
from pathlib import Path
import pipec
from pipec.build import context_for, generate_by_target
from pipec.targets import runner
path, run_dir = sys.argv[1], Path(sys.argv[2])
p, _ = pipec.compile_file(path)
root = Path(path).resolve().parent
files = generate_by_target(p, context_for(path, str(root), str(root)), ["github"])["github"]
gh = runner("github")
prepared = gh.prepare(p, files, run_dir, root, None, "push", {}, False, gh.find_act())
print(json.dumps({"argv": prepared.argv, "cwd": prepared.cwd, "jobs": len(prepared.jobs)}))
"""


def run_overhead(py, env, work: Path, runs: int, warmup: int) -> dict:
    """``pipec run`` of RUN_PIPE in a fresh git repository, and act alone on the run folder pipec
    prepares for it: the difference is what pipec adds."""
    repo = work / "run-repo"
    repo.mkdir()
    if subprocess.run(["git", "init", "-q", str(repo)], capture_output=True).returncode != 0:
        return {"skipped": "git is not installed"}
    (repo / "README.md").write_text("bench\n", encoding="utf-8")
    pipe = repo / "site.pipe"
    pipe.write_text(RUN_PIPE, encoding="utf-8")
    run_dir = work / "run-folder"
    prep = subprocess.run([py, "-c", PREPARE, str(pipe), str(run_dir)], cwd=repo, env=env, capture_output=True,
                          text=True)
    if prep.returncode != 0:
        return {"skipped": "act is not installed (pip install -e '.[run]')" if "ActMissing" in prep.stderr
                else f"preparing the run failed: {prep.stderr.strip().splitlines()[-1:]}"}
    act = json.loads(prep.stdout)
    rows = {
        "act alone (the run folder pipec prepares)": measure(act["argv"], act["cwd"], env, runs, warmup),
        "pipec run site.pipe": measure([py, "-m", "pipec", "run", str(pipe)], repo, env, runs, warmup),
    }
    bad = {k: v["exit"] for k, v in rows.items() if set(v["exit"]) != {0}}
    if bad:
        return {"skipped": f"a run failed: {bad}"}
    done = subprocess.run(act["argv"], cwd=act["cwd"], env=env, capture_output=True, text=True)
    steps = sum('"stepResult"' in line for line in done.stdout.splitlines() + done.stderr.splitlines())
    return {"rows": rows, "jobs": act["jobs"], "steps": steps,
            "overhead": rows["pipec run site.pipe"]["median"] - rows["act alone (the run folder pipec prepares)"]["median"]}


def table(head, rows) -> list[str]:
    rows = [[str(x) for x in r] for r in rows]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = lambda r: "| " + " | ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths))) + " |"
    return [fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(fmt, rows)]


def proc_row(label, m) -> list:
    bad = "" if m["exit"] == [0] else f"  (exit {m['exit']})"
    return [label + bad, f"{m['median']:.3f}", f"{m['min']:.3f}", f"{m['max']:.3f}", f"{m['rss_mib']:.1f}",
            f"{m['cpu_median']:.3f}"]


def goal(label, figure: str, ok: bool | None) -> list:
    return [label, figure, "n/a" if ok is None else ("met" if ok else "MISSED")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=11, help="timed runs per measurement (default 11)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    ap.add_argument("--quick", action="store_true", help="3 runs, 1 warm-up, sizes up to 1,000, no CDK app "
                    "with validation, import of at most the corpus as is")
    ap.add_argument("--no-cdk", action="store_true", help="skip the AWS CDK peer")
    ap.add_argument("--no-import", action="store_true", help="skip the import throughput")
    ap.add_argument("--no-run", action="store_true", help="skip the pipec run overhead")
    ap.add_argument("--corpus", default=os.environ.get("PIPEC_CORPUS", str(DEFAULT_CORPUS)))
    ap.add_argument("--repo", default=str(DEFAULT_REPO), help="the checkout to measure (default: this one)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for the import (default 2)")
    ap.add_argument("--json", metavar="OUT", help="write every number as JSON")
    args = ap.parse_args(argv)
    runs, warmup = (3, 1) if args.quick else (args.runs, args.warmup)
    sizes = SIZES[:3] if args.quick else SIZES
    repo = Path(args.repo).resolve()
    py = sys.executable
    result: dict = {"machine": machine(), "repo": str(repo), "runs": runs, "warmup": warmup}
    lines: list[str] = []
    say = lines.append

    try:
        rev = subprocess.run(["git", "-C", str(repo), "describe", "--always", "--dirty"], capture_output=True,
                             text=True).stdout.strip()
    except OSError:
        rev = ""
    result["revision"] = rev

    with tempfile.TemporaryDirectory(prefix="pipec-perf-") as tmp:
        tmp = Path(tmp)
        site = make_site(repo, tmp / "site")
        work = tmp / "work"
        work.mkdir()
        env = child_env(site)
        where = subprocess.run([py, "-c", "import pipec; print(pipec.__file__)"], cwd=work, env=env,
                               capture_output=True, text=True).stdout.strip()
        result["pipec_file"] = where
        if not where.startswith(str(site)):
            print(f"perf: pipec is imported from {where!r}, not from the copy in {site}", file=sys.stderr)
            return 2
        ref = work / "02-reference.pipe"
        shutil.copy2(repo / REFERENCE, ref)
        wf = repo / WORKFLOW
        m = result["machine"]
        say(f"pipec performance  repo {repo} ({rev or 'not a git checkout'})")
        say(f"machine: {m['cpu_count']} cores (os.cpu_count), {m['affinity']} usable (sched_getaffinity); "
            f"Python {m['python']}; {m['platform']}; node {m['node'] or 'absent'}; load average {m['loadavg']}")
        say(f"code measured: a copy of {repo}/{{compiler,grammar,targets}} imported as {where}")
        say(f"timing: {m['timer']}; median of {runs} runs after {warmup} warm-up run(s); PYTHONDONTWRITEBYTECODE "
            "unset in the children (bytecode is cached, as after an install); no absolute time is asserted")

        # 1. whole process
        py_cmd = [py, "-m", "pipec"]
        out = work / "ref-out"
        proc = {
            "python -c pass": measure([py, "-c", "pass"], work, env, runs, warmup),
            "pipec check": measure(py_cmd + ["check", str(ref)], work, env, runs, warmup),
            "pipec build --target all (empty output dir)": measure(
                py_cmd + ["build", str(ref), "-o", str(out), "--source-root", str(work)], work, env, runs, warmup,
                fresh(out)),
            "pipec build --target all (up to date)": measure(
                py_cmd + ["build", str(ref), "-o", str(out), "--source-root", str(work)], work, env, runs, warmup),
            "pipec --version": measure(py_cmd + ["--version"], work, env, runs, warmup),
            "pipec explain --code W500": measure(py_cmd + ["explain", "--code", "W500"], work, env, runs, warmup),
        }
        result["process"] = proc
        say("")
        say("## 1. Whole process on examples/02-reference.pipe (seconds wall; peak RSS MiB; CPU seconds, "
            "user + system, which waiting for a core does not inflate; medians)")
        say("")
        lines += table(["command", "median s", "min s", "max s", "peak RSS MiB", "CPU s"],
                       [proc_row(k, v) for k, v in proc.items()])
        floor = proc["python -c pass"]["median"]
        say(f"above the `python -c pass` floor: check +{proc['pipec check']['median'] - floor:.3f} s, build "
            f"+{proc['pipec build --target all (empty output dir)']['median'] - floor:.3f} s; build wrote "
            f"{count_files(out)} files")

        # 2. in-process stages
        st = stages(py, site, work, ref, wf, runs)
        result["stages"] = st
        say("")
        say(f"## 2. In-process stages on the reference (ms; 'first' is the first call in a fresh process, with "
            f"its imports and caches; median/min of {runs} later calls)")
        say("")
        if "error" in st:
            say("stage timing failed: " + st["error"])
        else:
            lines += table(["stage", "first ms", "median ms", "min ms"],
                           [[k, f"{v['first'] * 1e3:.2f}", f"{v['median'] * 1e3:.2f}" if "median" in v else "",
                             f"{v['min'] * 1e3:.2f}" if "min" in v else ""] for k, v in st["rows"].items()])

        # 3. scaling
        say("")
        say("## 3. Scaling: generated pipelines through `pipec build --target all` (whole process, empty output dir)")
        say("")
        scale = {}
        rows = []
        prev = None
        for n in sizes:
            f = work / f"scale-{n}.pipe"
            text = generate_pipe(n)
            f.write_text(text, encoding="utf-8")
            o = work / f"scale-{n}-out"
            r = runs if n < 1000 else min(runs, 3)
            w = warmup if n < 1000 else min(warmup, 1)
            mm = measure(py_cmd + ["build", str(f), "-o", str(o), "--source-root", str(work)], work, env, r, w, fresh(o))
            mm.update(actions=n, lines=text.count("\n"), bytes=len(text.encode()), files=count_files(o),
                      out_bytes=sum(p.stat().st_size for p in o.rglob("*") if p.is_file()), runs_used=r)
            mm["ratio"] = mm["median"] / prev["median"] if prev and n == prev["actions"] * 10 else None
            scale[n] = mm
            rows.append([f"{n:,} actions" + ("" if mm["exit"] == [0] else f" (exit {mm['exit']})"),
                         f"{mm['lines']:,}", f"{mm['bytes']:,}", f"{mm['files']}", f"{mm['out_bytes']:,}",
                         f"{mm['median']:.3f}", f"{mm['rss_mib']:.1f}", f"{mm['median'] / n * 1e3:.2f}",
                         f"{mm['ratio']:.2f}x" if mm["ratio"] else "", str(r)])
            prev = mm
        result["scaling"] = scale
        lines += table([".pipe", "lines", "bytes", "files", "output bytes", "median s", "peak RSS MiB",
                        "ms/action", "time vs 1/10 size", "runs"], rows)
        if 2500 in scale and 1000 in scale:
            say(f"2,500 vs 1,000 actions: {scale[2500]['median'] / scale[1000]['median']:.2f}x time for 2.5x size")

        # 4. import
        say("")
        say("## 4. Import throughput: actionlint's 1,503 real-world workflows (bench/import_fidelity.py "
            f"--kinds realworld --no-roundtrip --jobs {args.jobs})")
        say("")
        if args.no_import:
            imp = {"absent": "skipped (--no-import)"}
        else:
            imp = import_throughput(py, site, work, Path(args.corpus), args.jobs)
        result["import"] = imp
        if "absent" in imp:
            say(imp["absent"])
        elif "error" in imp:
            say(f"import run failed (exit {imp['exit']}): {imp['error']}")
        else:
            lines += table(["files", "wall s", "files/s", "sum of per-file s", "crashes", "statuses"],
                           [[imp["files"], f"{imp['wall']:.2f}", f"{imp['files_per_s']:.1f}", f"{imp['cpu_s_sum']:.2f}",
                             imp["crashes"], ", ".join(f"{k} {v}" for k, v in sorted(imp["statuses"].items()))]])
            say(f"(wall includes the {args.jobs} worker start-ups and reading the zip; exit status {imp['exit']})")

        # 5. CDK
        say("")
        say("## 5. AWS CDK peer (../shared/bench/cdk-peer), same machine, same run")
        say("")
        if args.no_cdk:
            cdk = {"skipped": "--no-cdk"}
        else:
            cdk = cdk_peer(CDK_PEER, work, runs, warmup, not args.quick)
        result["cdk"] = cdk
        build = proc["pipec build --target all (empty output dir)"]["median"]
        if "rows" in cdk:
            say(f"aws-cdk-lib {cdk.get('aws_cdk_lib')}; npm install took {cdk['install_s']:.1f} s (not compared)")
            say("")
            lines += table(["command", "median s", "min s", "max s", "peak RSS MiB", "CPU s", "pipec build / this"],
                           [proc_row(k, v) + [f"{build / v['median']:.3f} (" + (f"{v['median'] / build:.1f}x faster)" if v["median"] >= build
                                  else f"{build / v['median']:.1f}x slower)")]
                            for k, v in cdk["rows"].items()])
        else:
            say(f"CDK peer not measured: {cdk.get('skipped')}")

        # 6. pipec run
        say("")
        say("## 6. `pipec run` on a runnable pipeline (seconds wall, median): pipec's overhead over act's own run")
        say("")
        runm = {"skipped": "--no-run"} if args.no_run else run_overhead(py, env, work, runs, warmup)
        result["run"] = runm
        if "rows" in runm:
            lines += table(["command", "median s", "min s", "max s", "peak RSS MiB", "CPU s"],
                           [proc_row(k, v) for k, v in runm["rows"].items()])
            say(f"overhead of pipec run over act alone: {runm['overhead']:.3f} s ({runm['jobs']} job(s), "
                f"{runm['steps']} act steps)")
        else:
            say(f"pipec run not measured: {runm.get('skipped')}")

        # 7. goals
        say("")
        say("## 7. Goals (reported, never asserted)")
        say("")
        g = []
        cr = cdk.get("rows", {})
        def vs(key, factor):
            if key not in cr:
                return goal(f"build >= {factor}x faster than {key}", "not measured", None)
            x = cr[key]["median"] / build
            return goal(f"build >= {factor}x faster than {key}", f"{x:.1f}x", x >= factor)
        g.append(vs("npx cdk synth", 40))
        g.append(vs("npx cdk synth --no-validation", 3))
        g.append(vs("node app.js CDK_VALIDATION=false", 3))
        c = proc["pipec check"]["median"]
        g.append(goal("pipec check <= 0.060 s", f"{c:.3f} s", c <= 0.060))
        g.append(goal("pipec check <= 4x python -c pass", f"{c / floor:.1f}x ({floor:.3f} s)", c <= 4 * floor))
        g.append(goal("pipec build --target all <= 0.090 s", f"{build:.3f} s", build <= 0.090))
        for key in ("pipec --version", "pipec explain --code W500"):
            v = proc[key]["median"]
            g.append(goal(f"{key} <= 0.030 s", f"{v:.3f} s", v <= 0.030))
        if 2500 in scale:
            s = scale[2500]
            ok = s["exit"] == [0]
            g.append(goal("2,500 actions, all targets <= 1.0 s", f"{s['median']:.3f} s" + ("" if ok else " (failed)"),
                          ok and s["median"] <= 1.0))
            g.append(goal("2,500 actions peak RSS <= 100 MB", f"{s['rss_mib'] * 1.048576:.1f} MB ({s['rss_mib']:.1f} MiB)",
                          ok and s["rss_mib"] * 1.048576 <= 100))
        else:
            g.append(goal("2,500 actions, all targets <= 1.0 s", "not measured (--quick)", None))
        ratios = [(n, v["ratio"]) for n, v in scale.items() if v["ratio"]]
        if ratios:
            worst = max(ratios, key=lambda t: t[1])
            g.append(goal("10x size costs <= 11x time", ", ".join(f"{n // 10:,}->{n:,}: {r:.2f}x" for n, r in ratios),
                          worst[1] <= 11))
        if "wall" in imp and "files" in imp:
            g.append(goal(f"import {imp['files']:,} workflows <= 30 s", f"{imp['wall']:.2f} s", imp["wall"] <= 30))
        else:
            g.append(goal("import 1,503 workflows <= 30 s", "not measured", None))
        if "overhead" in runm:
            g.append(goal("pipec run overhead over act <= 0.5 s", f"{runm['overhead']:.3f} s", runm["overhead"] <= 0.5))
        else:
            g.append(goal("pipec run overhead over act <= 0.5 s", "not measured", None))
        result["goals"] = [dict(zip(("goal", "figure", "status"), x)) for x in g]
        lines += table(["goal", "figure", "status"], g)

    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
