"""The CodePipeline resource: the builder of the AWS target, its stages and its simpler actions.

:class:`PipelineBuilder` is the whole builder: :class:`~pipec.targets.aws.template.TemplateBuilder`
with the parts that make each family of resources (:mod:`.artifacts`, :mod:`.sources`,
:mod:`.codebuild`, :mod:`.codedeploy`). :meth:`PipelineBuilder.run` walks the stages in run order,
asks each part for the actions of its kind, makes here the actions that need no part of their own
(a CloudFormation stack with its role, an S3 bucket deployment, a manual approval with its SNS
topic, a Lambda invoke), then adds the pipeline's role and the ``AWS::CodePipeline::Pipeline``
itself and writes the template's text. :func:`pipec.targets.aws.emit.emit` runs it; the GitHub
target uses the same builder for its companion template.
"""

from __future__ import annotations

import json

from troposphere import GetAtt, Join, Output, Parameter, Ref, Sub
from troposphere import codepipeline as cp
from troposphere import iam, sns

from pipec import model, resource_names, yamlout
from pipec.diagnostics import Diagnostics
from pipec.targets.aws import accounts
from pipec.targets.aws import iam as aws_iam
from pipec.targets.aws import patch as aws_patch
from pipec.targets.aws import security as aws_security
from pipec.targets.aws.artifacts import ArtifactStoreMixin
from pipec.targets.aws.codebuild import CodeBuildMixin
from pipec.targets.aws.codedeploy import CodeDeployMixin
from pipec.targets.aws.sources import SourcesMixin
from pipec.targets.aws.template import TemplateBuilder, template_data

CAPABILITIES = {"iam": "CAPABILITY_IAM", "named-iam": "CAPABILITY_NAMED_IAM",
                "auto-expand": "CAPABILITY_AUTO_EXPAND"}


class PipelineBuilder(SourcesMixin, CodeDeployMixin, CodeBuildMixin, ArtifactStoreMixin, TemplateBuilder):
    """The AWS target's template for one pipeline, and its buildspec and appspec files
    (:meth:`run`)."""

    def run(self) -> dict[str, str]:
        """Every file of the pipeline on the AWS target: relative path -> text, sorted by path."""
        from pipec.targets.aws import buildspec

        # actions in other accounts or Regions: named stores, a customer-managed key, other templates
        self.places = accounts.Places(self) if self.p.placed else None
        if self.places:
            self.places.store()
        else:
            self.artifact_store()
        source_actions, triggers = self.sources()
        copies, owners = self.appspec_copies()
        patch_errors: list = []
        stages = [cp.Stages(Name="Source", Actions=source_actions)]
        disabled = []
        for st in self.stages:
            actions = []
            order = 0
            for run_order in sorted({a.run_order for a in st.actions}):
                order += 1
                width = 1
                for act in (a for a in st.actions if a.run_order == run_order):
                    if self.places and accounts.place_of(self.p, act):
                        made = self.places.action(act, order)
                    elif isinstance(act, model.Build):
                        act = self.with_appspec_file(act, owners)
                        text = aws_patch.buildspec_text(
                            act, buildspec.emit(act, extra_post_build=tuple(copies.get(act.name, ()))),
                            self.ctx.source, patch_errors, self.p.filename)
                        self.files[f"aws/{self.p.name}/buildspec/{act.name}.yml"] = text
                        made = self.build_action(act, order, text)
                    elif isinstance(act, model.Approval):
                        made = self.approval_action(act, order)
                    else:
                        made = self.delivery_actions(act, order)
                    width = max(width, len(made))
                    actions.extend(made)
                order += width - 1
            stages.append(cp.Stages(Name=st.name, Actions=actions))
            if st.disabled_reason:
                # the characters CodePipeline accepts (pipec.resource_names.transition_reason; E206 otherwise)
                disabled.append(cp.DisableInboundStageTransitions(
                    StageName=st.name, Reason=resource_names.transition_reason(st.disabled_reason)))

        role_arn = self.p.aws.first("role")
        if role_arn is None:
            statements = self.artifact_access(write=True) + aws_iam.merge(self.pipeline_role_statements)
            named = {}
            if self.places:  # the target accounts' roles trust this role by name
                statements += self.places.pipeline_statements()
                named = {"RoleName": accounts.pipeline_role_name(self.p)}
            role = self.add(iam.Role("PipelineRole", **named,
                                     AssumeRolePolicyDocument=aws_iam.trust("codepipeline.amazonaws.com"),
                                     Policies=[iam.Policy(PolicyName="pipeline",
                                                          PolicyDocument=aws_iam.policy(statements))],
                                     Tags=self.tags(), **self.boundary()))
            role_arn = GetAtt(role, "Arn")
            self.t.add_output(Output("PipelineRoleArn", Value=role_arn, Description="The pipeline's service role"))
        store = {"Type": "S3", "Location": self.bucket_ref}
        if self.kms_key:
            store["EncryptionKey"] = cp.EncryptionKey(Id=self.kms_key, Type="KMS")
        kwargs = {}
        if triggers:
            kwargs["Triggers"] = triggers
        if self.p.variables:
            kwargs["Variables"] = [cp.VariableDeclaration(Name=v.name, DefaultValue=v.default,
                                                          **({"Description": v.description} if v.description else {}))
                                   for v in self.p.variables]
        if disabled:
            kwargs["DisableInboundStageTransitions"] = disabled
        if self.places:  # every action is made: the target roles the stores' policies name are known
            self.places.finish_policies()
        stores = self.places.artifact_stores(store) if self.places else None
        store_kw = {"ArtifactStores": stores} if stores else {"ArtifactStore": cp.ArtifactStore(**store)}
        pipeline = self.add(cp.Pipeline(
            "Pipeline", Name=self.p.name, PipelineType="V2", ExecutionMode=self.p.mode.upper(),
            RoleArn=role_arn, **store_kw, Stages=stages,
            Tags=self.tags(), **kwargs))
        self.t.add_output(Output("PipelineName", Value=Ref(pipeline), Description="The pipeline's name"))
        self.t.add_output(Output("PipelineConsoleUrl", Description="The pipeline in the AWS console",
                                 Value=Sub("https://${AWS::Region}.console.aws.amazon.com/codesuite/codepipeline/"
                                           "pipelines/${Pipeline}/view?region=${AWS::Region}")))
        if patch_errors or not getattr(self.ctx, "diagnose_only", False):
            # the template's text: only patches check anything in it (troposphere's quotas, E412,
            # are checked as the resources are added)
            text = yamlout.header(self.ctx.source, f"CloudFormation template for pipeline {self.p.name}")
            data = aws_patch.template(self.p, template_data(self.t), self.stages, patch_errors)
            if patch_errors:
                raise Diagnostics(sorted(patch_errors, key=lambda d: d.sort_key()))
            text += yamlout.dump(data)
            self.files[f"aws/{self.p.name}.template.yaml"] = text
        if self.places:
            self.files.update(self.places.files())
        return dict(sorted(self.files.items()))

    def stack_actions(self, d: model.StackDeploy, order: int):
        """The CloudFormation action of ``d`` (two with a change set: create it, execute it), and
        the role CloudFormation deploys the stack with."""
        role_arn = d.aws.first("role")
        if role_arn is None:
            role = self.add(iam.Role(
                self.key(d.name) + "StackRole",
                AssumeRolePolicyDocument=aws_iam.trust("cloudformation.amazonaws.com"),
                ManagedPolicyArns=[Ref(self.stack_policy_parameter(d))],
                Policies=[iam.Policy(PolicyName="artifacts",
                                     PolicyDocument=aws_iam.policy(self.artifact_access(write=False)))],
                Tags=self.tags(), **self.boundary()))
            role_arn = GetAtt(role, "Arn")
            self.t.add_output(Output(role.title + "Arn", Value=role_arn,
                                     Description=f"Role CloudFormation uses to deploy stack {d.stack}"))
        stack_arn = aws_iam.arn("cloudformation", f"stack/{d.stack}/*")
        # DescribeStackEvents: CodePipeline reads it to name the first failed resource in the
        # action's error ("AWS CloudFormation deploy action reference"); without it, a generic message
        self.allow(["cloudformation:CreateChangeSet", "cloudformation:CreateStack", "cloudformation:DeleteChangeSet",
                    "cloudformation:DescribeChangeSet", "cloudformation:DescribeStackEvents",
                    "cloudformation:DescribeStacks", "cloudformation:ExecuteChangeSet", "cloudformation:UpdateStack"],
                   stack_arn)
        self.allow(["iam:PassRole"], role_arn)
        if "auto-expand" in d.capabilities:
            # a change set of a template with a transform (SAM) needs the transform too
            self.allow(["cloudformation:CreateChangeSet"], aws_security.transform_arns())
        artifact, template = d.inputs[0], d.template
        config = {"StackName": d.stack, "TemplatePath": f"{artifact}::{template}", "RoleArn": role_arn}
        if d.capabilities:
            config["Capabilities"] = ",".join(CAPABILITIES[c] for c in d.capabilities)
        if d.parameters:
            config["ParameterOverrides"] = json.dumps(dict(d.parameters), separators=(",", ":"))
        type_id = cp.ActionTypeId(Category="Deploy", Owner="AWS", Provider="CloudFormation", Version="1")
        inputs = [cp.InputArtifacts(Name=n) for n in d.inputs]
        if d.change_set is None:
            return [cp.Actions(Name=d.name, ActionTypeId=type_id, Configuration={**config, "ActionMode": "CREATE_UPDATE"},
                               InputArtifacts=inputs, RunOrder=order)]
        return [
            cp.Actions(Name=f"{d.name}-change-set", ActionTypeId=type_id,
                       Configuration={**config, "ActionMode": "CHANGE_SET_REPLACE", "ChangeSetName": d.change_set},
                       InputArtifacts=inputs, RunOrder=order),
            cp.Actions(Name=d.name, ActionTypeId=type_id,
                       Configuration={"ActionMode": "CHANGE_SET_EXECUTE", "StackName": d.stack,
                                      "ChangeSetName": d.change_set},
                       RunOrder=order + 1),
        ]

    def stack_policy_parameter(self, d: model.StackDeploy) -> Parameter:
        """The parameter naming the managed policy of ``d``'s stack role (the template's user chooses it)."""
        return self.t.add_parameter(Parameter(
            self.key(d.name) + "StackPolicyArn", Type="String",
            Description=(f"ARN of the managed policy CloudFormation may use to create the resources of stack "
                         f"{d.stack} (pipec cannot know what the template creates; give it only what the "
                         "template needs)"),
            AllowedPattern=r"^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/.+$"))

    def delivery_actions(self, act, order: int) -> list:
        """The CodePipeline actions of a deployment, stack, bucket or invoke action (what an
        action placed in another account or Region can be too: :mod:`.accounts`)."""
        if isinstance(act, model.Deploy):
            return self.deploy_action(act, order)
        if isinstance(act, model.StackDeploy):
            return self.stack_actions(act, order)
        if isinstance(act, model.BucketDeploy):
            return self.bucket_action(act, order)
        return self.invoke_action(act, order)

    def bucket_action(self, d: model.BucketDeploy, order: int):
        """The S3 deploy action of ``d``."""
        bucket_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{d.bucket}")
        self.allow(["s3:PutObject", "s3:PutObjectAcl"], aws_iam.suffixed(bucket_arn, "/*"))
        config = {"BucketName": d.bucket, "Extract": "true" if d.extract else "false"}
        if not d.extract:
            config["ObjectKey"] = d.object_key
        if d.cache_control:
            config["CacheControl"] = d.cache_control
        return [cp.Actions(Name=d.name, ActionTypeId=cp.ActionTypeId(Category="Deploy", Owner="AWS",
                                                                      Provider="S3", Version="1"),
                           Configuration=config, InputArtifacts=[cp.InputArtifacts(Name=d.inputs[0])],
                           RunOrder=order)]

    def approval_action(self, a: model.Approval, order: int):
        """The manual approval action of ``a``, with the SNS topic it notifies, if any."""
        config = {}
        if a.message:
            config["CustomData"] = a.message
        if a.url:
            config["ExternalEntityLink"] = a.url
        topic_arn = None
        if a.topic_arn:
            param = self.t.add_parameter(Parameter(self.key(a.name) + "TopicArn", Type="String",
                                                   Default=a.topic_arn,
                                                   Description=f"Existing SNS topic for approval {a.name}"))
            topic_arn = Ref(param)
        elif a.notify_emails:
            topic_arn = Ref(self.approval_topic(a))
        if topic_arn is not None:
            config["NotificationArn"] = topic_arn
            self.allow(["sns:Publish"], topic_arn)
        kwargs = {"Configuration": config} if config else {}
        return [cp.Actions(Name=a.name, ActionTypeId=cp.ActionTypeId(Category="Approval", Owner="AWS",
                                                                      Provider="Manual", Version="1"),
                           TimeoutInMinutes=a.timeout_minutes, RunOrder=order, **kwargs)]

    def approval_topic(self, a: model.Approval):
        """The encrypted SNS topic pipec creates for an approval's e-mails, subscribed to each."""
        topic = self.add(sns.Topic(self.key(a.name) + "Topic",
                                   TopicName=self.named(a.aws.first("topic_name")) or f"{self.p.name}-{a.name}",
                                   KmsMasterKeyId="alias/aws/sns", Tags=self.tags()))
        for i, email in enumerate(a.notify_emails, 1):
            self.add(sns.SubscriptionResource(self.key(a.name) + f"Subscription{i}", Protocol="email",
                                              Endpoint=email, TopicArn=Ref(topic)))
        return topic

    def invoke_action(self, a: model.Invoke, order: int):
        """The Lambda invoke action of ``a``."""
        config = {"FunctionName": a.function}
        if a.parameters is not None:
            # '${' written in the parameters stays text, joined back in by Fn::Join: cfn-lint reads
            # '${...}' in a plain string as a forgotten Fn::Sub (E1029), and an Fn::Sub whose only
            # '${' are escaped ('${!') as needless (W1020)
            config["UserParameters"] = (Join("${", a.parameters.split("${")) if "${" in a.parameters
                                        else a.parameters)
        self.allow(["lambda:InvokeFunction"], aws_iam.function_arn(a.function))
        return [cp.Actions(Name=a.name, ActionTypeId=cp.ActionTypeId(Category="Invoke", Owner="AWS",
                                                                      Provider="Lambda", Version="1"),
                           Configuration=config, InputArtifacts=[cp.InputArtifacts(Name=n) for n in a.inputs],
                           OutputArtifacts=[cp.OutputArtifacts(Name=n) for n in a.outputs], RunOrder=order)]

