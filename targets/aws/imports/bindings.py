"""Which platform runs each imported stage (issue 25: an imported template always builds).

GitHub Actions starts only on events of the workflow's own repository and fetches only GitHub
repositories: a CodeCommit or S3 source (or a Bitbucket or GitLab connection) can be watched and
read by CodePipeline alone. pipec says so with E408 when a stage for GitHub reads such a source or
when the pipeline has no GitHub source at all (docs/language.md, "Sources"; docs/targets.md). The
importer therefore binds to CodePipeline (``stage NAME via aws``):

- every stage, when the template has no GitHub source (the pipeline is CodePipeline's only; no
  workflow is written);
- otherwise each stage with an action that reads a source that is not on GitHub.

Each binding is a finding (``template: stages via aws``) that says why, so that a person who wants
the stages on GitHub too knows what to change (move the source to GitHub).
"""

from __future__ import annotations

#: the source words of .pipe that GitHub Actions can fetch (the workflow's repository)
GITHUB_WORDS = ("github",)


def _reads(block) -> set[str]:
    """The artifacts the actions of a stage block read (``from A B``), nested blocks included."""
    out: set[str] = set()
    for kind, item in block.items:
        if kind == "stmt" and item.startswith("from "):
            out.update(w.strip('"') for w in item.split()[1:])
        elif kind == "block":
            out |= _reads(item)
    return out


def bind_stages(ctx, p, sources: dict, where) -> None:
    """Add ``via aws`` to the stage headers of ``p`` that GitHub Actions could not run."""
    foreign = {name for name, (word, _block, _a) in sources.items() if word not in GITHUB_WORDS}
    if not foreign:
        return
    everything = len(foreign) == len(sources)
    bound = []
    for kind, item in p.items:
        if kind != "block" or not item.header.startswith("stage ") or " via " in item.header:
            continue
        if everything or _reads(item) & foreign:
            item.header += " via aws"
            bound.append(item.header.split()[1])
    if not bound:
        return
    kinds = ", ".join(sorted({sources[n][0] for n in foreign}))
    if everything:
        why = (f"the pipeline's sources ({kinds}) are ones only CodePipeline can watch and fetch: every stage "
               "runs on CodePipeline only (via aws), and no GitHub workflow is written")
    else:
        why = (f"stage(s) {', '.join(bound)} read a {kinds} source, which GitHub Actions cannot fetch: they run "
               "on CodePipeline only (via aws)")
    ctx.skip(p, "template: stages via aws", why + "; move the source to GitHub to run them there too", where,
             "Stages")
