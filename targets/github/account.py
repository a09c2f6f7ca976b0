"""The resources of the GitHub companion template that an AWS account holds only once.

An account has one IAM OIDC provider per URL, so the provider for
``token.actions.githubusercontent.com`` cannot be created by every companion stack; and a
CodeArtifact domain or repository of a given name exists once per account and Region, so a
pipeline compiled for both platforms cannot create it from both of its templates. Each is
therefore created under a condition that a template parameter controls, with the hint in the
parameter's description and in docs/targets.md ("Deploying both templates"):

* ``GitHubOidcProviderArn`` (default empty: create the provider). Give the ARN of the account's
  provider for every stack after the first; ``github { oidc_provider ARN }`` makes that ARN the
  default and creates nothing.
* ``CreateCodeArtifact`` (``true`` or ``false``, default ``true``): ``false`` when the AWS target's
  template of the same pipeline, which creates the same domain and repositories, is deployed in
  the account and Region. The job roles name the domain and repositories by ARN either way.
"""

from __future__ import annotations

from troposphere import Equals, If, Output, Parameter, Ref, iam

#: IAM keeps one OIDC provider per URL in an account: "You cannot register the same provider
#: multiple times in a single Amazon Web Services account" (CreateOpenIDConnectProvider, Url,
#: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html).
PROVIDER_PARAMETER = "GitHubOidcProviderArn"
CREATE_PROVIDER = "CreateGitHubOidcProvider"
CODEARTIFACT_PARAMETER = "CreateCodeArtifact"
CREATE_CODEARTIFACT = "CreateCodeArtifactResources"
_CODEARTIFACT_TYPES = ("AWS::CodeArtifact::Domain", "AWS::CodeArtifact::Repository")


def oidc_provider(side, existing: str | None, host: str):
    """The provider the job roles trust: the parameter's ARN, or the provider this stack creates
    when the parameter is empty."""
    t = side.t
    if existing:
        return t.add_parameter(Parameter(PROVIDER_PARAMETER, Type="String", Default=existing,
                                         Description="The account's existing GitHub OIDC identity provider")).ref()
    param = t.add_parameter(Parameter(
        PROVIDER_PARAMETER, Type="String", Default="",
        AllowedPattern=r"^(arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\.actions\.githubusercontent\.com)?$",
        Description=f"ARN of the account's GitHub OIDC provider ({host}). Leave empty to create it; an account "
                    "holds one per URL, so give the ARN (output GitHubOidcProviderArn of the stack that "
                    "created it) to every other stack."))
    t.add_condition(CREATE_PROVIDER, Equals(Ref(param), ""))
    res = side.add(iam.OIDCProvider("GitHubOidcProvider", Condition=CREATE_PROVIDER, Url=f"https://{host}",
                                    ClientIdList=["sts.amazonaws.com"], Tags=side.tags()))
    t.add_output(Output(PROVIDER_PARAMETER, Condition=CREATE_PROVIDER, Value=Ref(res),
                        Description="The GitHub OIDC provider this stack created: give it to the other "
                                    "GitHub stacks of the account as their GitHubOidcProviderArn"))
    return If(CREATE_PROVIDER, Ref(res), Ref(param))


def codeartifact_condition(side) -> None:
    """Put the companion's CodeArtifact domains and repositories under ``CreateCodeArtifact``."""
    made = [r for r in side.t.resources.values() if r.resource_type in _CODEARTIFACT_TYPES]
    if not made:
        return
    side.t.add_parameter(Parameter(
        CODEARTIFACT_PARAMETER, Type="String", Default="true", AllowedValues=["true", "false"],
        Description="Create the CodeArtifact domains and repositories the jobs use. Give false when the "
                    "AWS target's template of this pipeline (which creates the same ones) is deployed "
                    "in this account and Region."))
    side.t.add_condition(CREATE_CODEARTIFACT, Equals(Ref(CODEARTIFACT_PARAMETER), "true"))
    for r in made:
        r.Condition = CREATE_CODEARTIFACT
