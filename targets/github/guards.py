"""Guards: what keeps a workflow run where a CodePipeline execution would be, beyond the jobs'
own steps (docs/targets.md, "Stage locks, guards and gates"; docs/language.md, "Run-time
semantics"):

- **the lock** (:meth:`Guards.run_lock`): CodePipeline lets one execution into a stage at a time.
  A GitHub concurrency group is held by one job or one workflow run; a job-level group per stage
  would let a stage's jobs interleave with another run's (run 2's deploy between run 1's deploy
  and its test), so the workflow holds one group for the whole run, which holds every stage lock;
- **change sets after their block** (:meth:`Guards.block_needs`): a CloudFormation change set is
  executed in the run order after its ``parallel`` block, so the stack job needs its siblings;
- **the branch guard** of runs started by hand (:meth:`Guards.guard_jobs`): CodePipeline builds
  the source's branch; ``workflow_dispatch`` can start from any branch, so the first jobs run only
  on that branch, and the environments get a deployment branch policy (:meth:`Guards.branch_refs`);
- **pull-request runs** bound to GitHub skip deployments and approvals;
- **gates that fail closed** (:meth:`Guards.protection_step`): an approval's job, or a deployment
  in an environment with a branch policy, first checks that the environment really has its
  required reviewers and branch policy (``environments/apply.sh`` creates them), and fails if not;
- **W519**: tag pushes that start CodePipeline but not the workflow.
"""

from __future__ import annotations


from pipec import model, plan
from pipec.patterns import expand
from pipec.targets.escape import expression_string
from pipec.targets.github.jobs import job_id

#: a run that is not a pull-request run (docs/language.md "on pull_request")
NOT_PULL_REQUEST = "github.event_name != 'pull_request'"
#: the characters of a pipec pattern that are not literal (docs/language.md "Patterns")
GLOB = set("*?[]{}!\\")
PROTECTION_STEP = "Check the protection of environment {}"


def manual_guard(branch: str) -> str:
    """The condition that lets a run started by hand through only on ``branch``."""
    return f"github.event_name != 'workflow_dispatch' || github.ref == {expression_string('refs/heads/' + branch)}"


def all_of(*parts: str | None) -> str | None:
    """The conditions joined with ``&&``, each ``||`` part in parentheses."""
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return " && ".join(f"({p})" if "||" in p else p for p in parts)


class Guards:
    """The run lock, the guards on jobs and the environments' protection checks."""

    # ------------------------------------------------------------------ the lock
    def run_lock(self) -> dict | None:
        """The workflow's concurrency: one group for the whole run (``superseded``, written
        without ``cancel-in-progress``, false by default, so a run in progress finishes; ``queued`` with ``queue: max``, every waiting run in order), none for
        ``parallel``. GitHub keeps one run in progress and one pending in a
        group, and a newer pending run replaces the older one, as a newer CodePipeline execution
        supersedes one waiting to enter a stage."""
        if self.p.mode == "parallel":
            return None
        group = self.workflow
        if getattr(self, "events", None) == {"pull_request"}:
            # a workflow of pull requests only: a group per pull request
            group = f"{self.workflow}-pull-request-${{{{ github.event.pull_request.number }}}}"
        elif self.pull_requests_skip_deploys():
            # pull-request runs bound to GitHub deploy nothing (guard_jobs) and CodePipeline never
            # sees them: each pull request gets a group of its own, so that its runs neither wait
            # for nor replace the runs that deliver (a newer push to it still replaces an older run)
            group = ("${{ github.event_name == 'pull_request' && format('{0}-pull-request-{1}', "
                     f"{expression_string(self.workflow)}, github.event.pull_request.number) || "
                     f"{expression_string(self.workflow)} }}}}")
        if self.p.mode == "queued":
            # every waiting run, in the order it came, as CodePipeline's QUEUED mode: GitHub queues
            # up to 100 pending runs in a group with 'queue: max' (changelog 2026-05-07, "GitHub
            # Actions concurrency groups now allow larger queues"; only with cancel-in-progress false)
            return {"group": group, "cancel-in-progress": False, "queue": "max"}
        # cancel-in-progress is false by default: one running run and one pending in the group
        # (GitHub docs, "Control the concurrency of workflows and jobs"). The mapping rather than
        # the short form "concurrency: GROUP": zizmor's concurrency-limits audit reads the short
        # form as a group that forgot cancel-in-progress
        return {"group": group}

    # ------------------------------------------------------------------ change sets
    def block_needs(self, group: list) -> None:
        """A change-set deployment in ``group`` (one run order) also needs the other jobs of the
        group, as its execute action runs after them on CodePipeline (:func:`pipec.plan.order`)."""
        for act in group:
            if not plan.executes_after_block(act):
                continue
            job = self.jobs[job_id(act.name)]
            extra = [job_id(o.name) for o in group if o is not act and not plan.executes_after_block(o)]
            if extra:
                job["needs"] = [*job.get("needs", []), *extra]

    # ------------------------------------------------------------------ guards on jobs
    def guard_jobs(self, on: dict, made: dict[str, list[str]]) -> None:
        """The branch guard on the first jobs of a workflow that can be started by hand, and the
        pull-request guard on deployments and approvals (``made``: action -> its job ids)."""
        if "workflow_dispatch" in on and self.repo_source is not None:
            guard = manual_guard(self.repo_source.branch)
            for job in self.jobs.values():
                if not job.get("needs"):
                    job["if"] = all_of(job.get("if"), guard)
        # a pull-request run never deploys, in a workflow of pull requests only too
        if self.pull_requests_skip_deploys():
            for st in self.stages:
                for act in st.actions:
                    if not plan.skipped_on_pull_requests(act):
                        continue
                    first = self.jobs[made[act.name][0]]  # the request job of an approval, or the job
                    first["if"] = all_of(first.get("if"), NOT_PULL_REQUEST)
        for key, job in list(self.jobs.items()):
            if "if" in job:  # keep the key order of a job (name, needs, if, runs-on, ...)
                cond = job.pop("if")
                self.jobs[key] = _with_if(job, cond)

    def pull_requests_skip_deploys(self) -> bool:
        """A pull-request trigger bound to GitHub starts checks only (docs/language.md)."""
        return self.repo_source is not None and any(
            isinstance(t, model.PullRequestTrigger) and t.platform == "github" for t in self.repo_source.triggers)

    # ------------------------------------------------------------------ environments
    def branch_refs(self, on: dict) -> list[tuple[str, str]] | None:
        """The refs a run that may deploy starts from, as deployment branch and tag policies
        ((type, name) pairs), when every such ref is a name or a pattern GitHub's policies read
        alike (``*`` within one segment); None otherwise (docs/targets.md).

        The policy is what keeps a deployment's role to the pipeline's own runs: the roles trust a
        job by its environment (the OIDC ``sub`` claim of such a job names only the environment),
        and anyone who can push a branch can push a workflow that names that environment. Only
        the environment's deployment branch policy stops such a run, as only the pipeline's role
        can assume the deployment roles on CodePipeline."""
        src = self.repo_source
        if src is None:
            return None
        refs: list[tuple[str, str]] = [("branch", src.branch)]
        for t in src.triggers:
            if t.platform not in (None, "github"):
                continue
            if isinstance(t, model.PullRequestTrigger):
                if t.platform is None:
                    return None  # pull-request runs deploy on both platforms (W506): no policy can allow them
                continue
            if not isinstance(t, model.PushTrigger) or (t.tags is None and t.branches is None):
                continue
            kind, f = ("tag", t.tags) if t.tags is not None else ("branch", t.branches)
            if f.excludes:
                return None
            for pattern in f.includes:
                for alt in expand(pattern):
                    if "**" in alt or (GLOB - {"*"}) & set(alt):
                        return None
                    refs.append((kind, alt))
        return list(dict.fromkeys(refs))

    def protect(self, on: dict, kinds: dict[str, str]) -> None:
        """Branch policies for the environments of deployments and approvals, and the step that
        makes their jobs fail closed (after every job is made; ``kinds``: job id -> what the job
        is: build, deploy, approval, request, invoke)."""
        refs = self.branch_refs(on)
        used: dict[str, list[str]] = {}
        for jid, job in self.jobs.items():
            env = job.get("environment")
            if env is not None:
                used.setdefault(env["name"] if isinstance(env, dict) else env, []).append(jid)
        for name, jids in used.items():
            settings = self.environments[name]
            if refs and not settings.get("branches") and all(kinds[j] != "build" for j in jids):
                settings["refs"] = refs  # builds run on pull requests too: no policy for their environments
            for jid in jids:
                if kinds[jid] == "build":
                    continue
                # a job started by hand could come from any branch: it checks that the branch
                # policy is in place before it goes on (a push's run comes from the branches the
                # trigger names, and the policy, once applied, stops any other run)
                need = (["reviewers"] if kinds[jid] == "approval" else []) + (
                    ["branches"] if settings.get("branches") or settings.get("refs") and "workflow_dispatch" in on
                    else [])
                if need:
                    job = self.jobs[jid]
                    job["permissions"]["actions"] = "read"  # GET .../environments/NAME needs actions: read
                    job["steps"].insert(0, self.protection_step(name, need))

    def protection_step(self, environment: str, need: list[str]) -> dict:
        """A step that reads the job's environment (``GET /repos/{owner}/{repo}/environments/
        {environment_name}``, which needs ``actions: read``) and fails unless it has required
        reviewers and a deployment branch policy, as ``need`` says. The job only starts once the
        environment's rules pass, so with the rules in place this step finds them and goes on."""
        apply = f"github/{self.p.name}/environments/apply.sh"
        return {
            "name": PROTECTION_STEP.format(environment),
            "env": {"GH_TOKEN": "${{ github.token }}", "ENVIRONMENT": environment, "REQUIRE": " ".join(need)},
            "run": "\n".join([
                'have=$(gh api "repos/$GITHUB_REPOSITORY/environments/$ENVIRONMENT" --jq '
                "'[(.protection_rules // [])[] | select(.type == \"required_reviewers\") | \"reviewers\"]"
                " + (if .deployment_branch_policy then [\"branches\"] else [] end) | join(\" \")') || "
                'have="nothing (it cannot be read)"',
                "for rule in $REQUIRE; do",
                '  case " $have " in *" $rule "*) ;; *) echo "::error::GitHub environment $ENVIRONMENT must have its '
                f'$rule rule and has ${{have:-none}}: run {apply} as a repository administrator (environments in '
                'private repositories need GitHub Pro, Team or Enterprise, and required reviewers there Enterprise)"; '
                "exit 1 ;; esac",
                "done",
            ]),
        }

def _with_if(job: dict, cond: str) -> dict:
    """``job`` with ``if`` right after ``needs`` (or ``name``), where the emitter writes it."""
    out: dict = {}
    placed = False
    for k, v in job.items():
        if k == "runs-on" and not placed:
            out["if"] = cond
            placed = True
        out[k] = v
    if not placed:
        out["if"] = cond
    return out
