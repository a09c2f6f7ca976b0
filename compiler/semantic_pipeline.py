"""Checks of the whole pipeline, made once every stage is built.

Platform bindings (``via``: E310) and the teaching warnings about production deployments (W500
to W506), which look at the order of approvals, tests and deployments across stages.
"""

from __future__ import annotations

from pipec import model
from pipec.diagnostics import Span
from pipec.semantic_base import Checker, action_outputs
from pipec.semantic_tables import STRATEGIES, TESTISH, looks_production


class PipelineChecks(Checker):
    """Platform bindings and the teaching warnings, over the built stages."""

    def _output_span(self, act, name: str) -> Span | None:
        """Where ``act`` declares the output artifact ``name`` (the action itself if unknown)."""
        if isinstance(act, model.Build):
            for o in act.outputs:
                if o.name == name and o.span is not None:
                    return o.span
        if isinstance(act, model.Invoke):
            return self._invoke_output_spans.get(name, act.span)
        return act.span

    def check_bindings(self, sources, stages):
        starts = {t.platform for s in sources for t in s.triggers}
        for st in stages:
            if st.platform and st.platform not in starts and None not in starts:
                self.err("E310", f"stage '{st.name}' runs only on {st.platform}, but nothing starts the "
                         f"pipeline there", st.span,
                         f"Every trigger is bound to another platform. Add a trigger 'via {st.platform}' (or "
                         "one without 'via'), or remove 'via' from this stage.")
        binding = {s.name: None for s in sources}
        for st in stages:
            for act in st.actions:
                for out in action_outputs(act):
                    binding[out] = st.platform
        for st in stages:
            for act in st.actions:
                for name in act.inputs:
                    other = binding.get(name)
                    if other and st.platform != other:
                        where = f"only on {other}"
                        self.err("E310", f"'{act.name}' uses artifact '{name}', which is produced {where}",
                                 act.span,
                                 f"Stage '{st.name}' runs on {st.platform or 'both platforms'}, so its inputs "
                                 "must be produced there too. Bind both stages to the same platform, or "
                                 "produce the artifact in a stage that runs on both.")

    def teaching(self, p: model.Pipeline):
        """Teaching warnings. An approval or a test counts for a deployment only when it runs
        strictly before it: in an earlier stage, or earlier in the same stage (not in the same
        parallel group, not after it)."""
        deploys = [a for st in p.stages if st.platform != "github" for a in st.actions
                   if isinstance(a, (model.Deploy, model.StackDeploy, model.BucketDeploy))]
        if deploys:
            for src in p.sources:
                for t in src.triggers:
                    if isinstance(t, model.PullRequestTrigger) and t.platform != "github":
                        self.warn("W506", f"a pull request starts this pipeline, deployments included "
                                  f"('{deploys[0].name}')", t.span,
                                  "A CodePipeline run started by a pull request runs every stage, so "
                                  "unreviewed code would be deployed. Bind the trigger to GitHub "
                                  "('on pull_request ... via github'): CodePipeline then never sees pull "
                                  "requests, and the workflow's pull-request runs skip every deployment and "
                                  "approval. Or keep pull-request pipelines free of deployments.")
        approved = tested = False
        for st in p.stages:
            groups: dict[int, list] = {}  # run order -> its actions, in the stage's order
            for a in st.actions:
                groups.setdefault(a.run_order, []).append(a)
            for order in sorted(groups):
                group = groups[order]
                for act in group:
                    self.check_deploy(st, act, approved, tested)
                for act in group:
                    if isinstance(act, model.Approval):
                        approved = True
                    if not tested and isinstance(act, model.Build) and (act.kind == "test" or any(
                            TESTISH.search(c.text) for ph in act.phases for c in ph.commands)):
                        tested = True  # (once tested, no later command is searched: issue 18)

    #: W517 when a minimum healthy percentage keeps every instance of a fleet this small in service
    SMALL_FLEET = 10

    def check_min_healthy(self, act: model.Deploy):
        """W517: CodeDeploy rounds a FLEET_PERCENT minimum up to whole instances, so a high one
        lets no instance of a small fleet leave service (:func:`pipec.timeline.smallest_fleet`)."""
        from pipec.timeline import smallest_fleet

        p = act.strategy.percent
        n = smallest_fleet(p)
        if n > self.SMALL_FLEET:
            easier = next(q for q in range(p, -1, -1) if smallest_fleet(q) <= self.SMALL_FLEET)
            self.warn("W517", f"'{act.name}' keeps {p}% of its instances healthy: with fewer than {n} instances "
                      "none may leave service, and CodeDeploy fails the deployment (HEALTH_CONSTRAINTS_INVALID)",
                      act.strategy.span or act.span,
                      f"CodeDeploy rounds {p}% of the fleet up to whole instances. Use 'rolling one-at-a-time' "
                      f"(every instance but one stays healthy), or a lower percentage: {easier}% lets one "
                      f"instance of {self.SMALL_FLEET} leave.")

    def check_deploy(self, st: model.Stage, act, approved: bool, tested: bool):
        if isinstance(act, model.Deploy) and act.strategy.kind in ("canary", "linear") \
                and act.strategy.kind in STRATEGIES[act.platform] and not act.rollback.alarms:
            self.warn("W505", f"'{act.name}' shifts traffic in steps without alarms", act.strategy.span or act.span,
                      "Traffic shifting is only as safe as what watches it: name the CloudWatch alarms that "
                      "should stop the deployment, 'rollback on failure alarm \"HighErrorRate\"'.")
        if isinstance(act, model.Deploy) and act.platform == "ec2" and act.strategy.kind == "rolling" \
                and act.strategy.batch == "min_healthy" and act.strategy.percent is not None:
            self.check_min_healthy(act)
        if not isinstance(act, (model.Deploy, model.StackDeploy, model.BucketDeploy)):
            return
        if not looks_production(st.name, act.name):
            return
        if not approved:
            self.warn("W501", f"'{act.name}' deploys to production without an approval before it", act.span,
                      "Until automated tests earn the team's full trust, put an 'approve' action before "
                      "production (in an earlier stage, or earlier in this one) so that a person checks "
                      "staging first.")
        if not tested:
            self.warn("W502", f"'{act.name}' deploys to production without a test before it", act.span,
                      "Run tests before production: a 'test' action, or a build whose commands run the tests, "
                      "in an earlier stage or earlier in this one.")
        if isinstance(act, model.Deploy):
            if act.strategy.kind == "all-at-once":
                self.warn("W500", f"'{act.name}' deploys all at once to production", act.strategy.span or act.span,
                          "All-at-once updates every target together: a bad version hits every user and rolling "
                          "back means redeploying. Prefer rolling, blue-green or canary for production.")
            if not act.rollback.enabled:
                self.warn("W504", f"'{act.name}' deploys to production without automatic rollback", act.span,
                          "With 'rollback none' a failed deployment stays failed until someone redeploys by "
                          "hand; 'rollback on failure' is the safe default.")
