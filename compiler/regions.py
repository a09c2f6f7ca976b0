"""AWS account IDs and the Regions a pipeline may place an action in.

A Region is accepted when CodePipeline, CodeBuild and CodeDeploy all have an endpoint there in the
standard ``aws`` partition: the intersection of the three services' Region lists in botocore
1.44.18's ``botocore/data/endpoints.json`` (``get_available_regions('codepipeline'|'codebuild'|
'codedeploy', 'aws')``), checked against the AWS General Reference page "AWS CodePipeline endpoints
and quotas" (https://docs.aws.amazon.com/general/latest/gr/codepipeline.html), which lists the
Regions CodePipeline runs in (cross-Region actions "can only be created in those AWS Regions where
CodePipeline is supported", CodePipeline User Guide, "Add a cross-Region action"). The table is
plain data so that the check never needs the network; a newer Region is added here.
"""

from __future__ import annotations

from pipec.lazy_regex import lazy

#: CodePipeline, CodeBuild and CodeDeploy all have endpoints in these Regions (see above)
REGIONS = (
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-6", "ca-central-1", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
    "me-south-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
)

#: an AWS account ID: 12 digits ("Your AWS account ID is a 12-digit number", AWS Account Management
#: reference guide, "View AWS account identifiers")
ACCOUNT_ID = lazy(r"[0-9]{12}")


def known_region(name: str) -> bool:
    return name in REGIONS
