"""``pipec explain``: where each action runs, for pipelines that place actions in other accounts
or Regions (docs/language.md, "Accounts and Regions"). Says nothing for the others, so their
explanations are unchanged.

:func:`aws_overview` (the pipeline's place, the stores and the templates to deploy first),
:func:`aws_action` (the action's Region and the role it assumes), :func:`github_action` (the role
and Region of the job) and :func:`neutral_action` (the place in the pipeline's own terms).
"""

from __future__ import annotations

from pipec import model
from pipec.explain_text import Doc, join_words


def _place(p: model.Pipeline, a) -> tuple[str, str] | None:
    account, region = p.place_of(a)
    if account is None and region is None:
        return None
    return account or p.account, region or p.region


def _text(value) -> str:
    """A generated template's value as it reads (the partition as ``aws``)."""
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        value = value["Fn::Sub"]
    return str(value).replace("${AWS::Partition}", "aws")


def aws_overview(doc: Doc, p: model.Pipeline, files: dict, template: dict) -> set[str]:
    """The pipeline's place and what goes where (read from the generated ``template``); returns
    the templates it named."""
    if not p.placed:
        return set()
    bucket = _text(template["Resources"]["ArtifactBucket"]["Properties"]["BucketName"])
    support = sorted(f for f in files if f.startswith(f"aws/{p.name}/support/"))
    targets = sorted(f for f in files if f.startswith(f"aws/{p.name}/targets/"))
    doc.para(f"The pipeline runs in account {p.account}, Region {p.region}; some actions run elsewhere (below). "
             f"Artifacts go to the S3 bucket {bucket}, encrypted with a KMS key the "
             "template creates, whose key policy and the bucket policy let exactly the roles pipec creates in the "
             "accounts the actions run in read them.")
    if support:
        doc.blank()
        doc.para("CodePipeline keeps one artifact store per Region and copies the artifacts there: the store of "
                 + join_words([f.rsplit('/', 1)[1].split('.')[0] for f in support]) + " comes from "
                 + join_words(support) + ", deployed first in the pipeline's account (its key's ARN is a parameter "
                 "of the pipeline's template).")
    doc.blank()
    doc.para("Each account and Region an action runs in has a template to deploy there once, before the pipeline "
             "runs: " + join_words(targets) + ". It holds the role the pipeline's actions assume there (trusting "
             "only the pipeline's role) and what those actions need in that place.")
    return set(support) | set(targets)


def aws_action(doc: Doc, p: model.Pipeline, a, decl: dict, files: dict) -> None:
    """``decl``: the action as the generated template declares it (its ``RoleArn``); ``files``:
    the generated files (the target template's instance profile)."""
    where = _place(p, a)
    if where is None:
        return
    account, region = where
    role = _text(decl.get("RoleArn"))
    rel = f"aws/{p.name}/targets/{account}-{region}.template.yaml"
    doc.bullet(f"Runs in account {account}, Region {region}" + (" (the action's Region)" if region != p.region else "")
               + f": the action assumes the role {role}, from {rel}.")
    _instances(doc, a, files, rel, "the pipeline's artifact store of that Region")


def _instances(doc: Doc, a, files: dict, rel: str, store: str) -> None:
    """The instance profile an EC2 deployment's instances need, as the place's template ``rel``
    names it."""
    if not (isinstance(a, model.Deploy) and a.platform == "ec2" and rel in files):
        return
    from pipec import yamlout

    names = [r["Properties"]["InstanceProfileName"] for r in yamlout.load(files[rel])["Resources"].values()
             if r["Type"] == "AWS::IAM::InstanceProfile"]
    if names:
        doc.bullet(f"Launch its instances with the instance profile {names[0]} from {rel}: the CodeDeploy "
                   f"agent downloads the revision from {store} with the instance's own credentials, and that "
                   "profile may read exactly those revisions.")


def github_action(doc: Doc, p: model.Pipeline, a, jobs: dict, files: dict) -> None:
    where = _place(p, a)
    if where is None:
        return
    for jid, job in jobs:
        creds = [s for s in job.get("steps", []) if "configure-aws-credentials" in str(s.get("uses", ""))]
        if creds:
            w = creds[0].get("with", {})
            doc.bullet(f"Job {jid} assumes the role {w.get('role-to-assume')} in Region {w.get('aws-region')} "
                       "through GitHub's OIDC provider; the role trusts only this job's environment, so its "
                       "protection rules stand in front of that account.")
    _instances(doc, a, files, f"github/{p.name}/accounts/{where[0]}-{where[1]}.template.yaml",
               "the revision bucket of that account")


def neutral_action(doc: Doc, p: model.Pipeline, a) -> None:
    where = _place(p, a)
    if where is not None:
        doc.bullet(f"Runs in account {where[0]}, Region {where[1]} (the pipeline runs in account {p.account}, "
                   f"Region {p.region}).")
