"""Deploy actions: CodeDeploy to EC2 and Lambda, CodeDeployToECS (blue/green), ECS (rolling) and
S3. The deployment group's settings come from :mod:`.deployment_groups`, the appspec from
:mod:`.specs`, written by :func:`pipec.targets.aws.spec_imports.deploy_body`. CloudFormation
deployments are :mod:`.stacks`.
"""

from __future__ import annotations

from pipec.importer import Doc, q, v


class Deploys:
    """CodeDeploy, ECS and S3 deploy actions."""

    def codedeploy(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        ctx = self.ctx
        raw, lid, platform = self.deployment_group(parent, a, cfg)
        if lid is None:
            return []
        gprops = self.props(lid)
        if platform is None:
            platform = "ec2"
        if platform == "ecs":
            ctx.skip(parent, "template: action provider", f"action {raw}: a CodeDeploy action with an ECS "
                     "application (use CodeDeployToECS)", a, "ActionTypeId")
            return []
        raw, name, block = self.open_action(parent, a, cfg, f"deploy {{}} to {platform}", "CodeDeploy", stage_raw,
                                            stage_name)
        inputs = self.inputs(block, a, raw)
        if platform == "ec2" and not inputs:
            ctx.skip(block, "template: deploy without revision", f"action {raw} has no revision artifact", a,
                     "InputArtifacts")
            parent.items.pop()
            self.action_names.discard(name.lower())
            parent.items.extend(("comment", x) for k, x in block.items if k == "comment")
            return []
        if inputs and inputs[0] in self.sources and platform == "ec2":
            # pipec deploys EC2 revisions that a build produces (E407 otherwise): a packaging build
            # before this stage makes the revision from the source's files (issue 25)
            ctx.skip(block, "template: CodeDeploy revision from a source",
                     f"action {raw} deploys source {inputs[0]} directly; pipec deploys EC2 revisions that a "
                     "build produces, so a build that packages the source's files is added before it", a,
                     "InputArtifacts")
            inputs[0] = self.placeholder_artifact(f"{inputs[0]}-revision", raw, source=inputs[0])
        if inputs:
            block.stmt("from", inputs[0])
        aws_lines = []
        if platform == "ec2":
            tags = 0
            for f in self.items(gprops.get("Ec2TagFilters"), block, gprops, "Ec2TagFilters"):
                tags += self.tag_filter(block, f, lid)
            tagset = self.get(gprops, "Ec2TagSet")
            if isinstance(tagset, dict):
                lists = self.items(tagset.get("Ec2TagSetList"), block, tagset, "Ec2TagSetList")
                if len(lists) == 1 and isinstance(lists[0], dict):
                    for f in self.items(lists[0].get("Ec2TagGroup"), block, lists[0], "Ec2TagGroup"):
                        tags += self.tag_filter(block, f, lid)
                elif lists:
                    ctx.skip(block, "template: EC2 tag sets", f"group {lid}: instances must match several tag "
                             "groups at once", gprops, "Ec2TagSet")
            groups = []
            for g in self.items(gprops.get("AutoScalingGroups"), block, gprops, "AutoScalingGroups"):
                n = self.text(g, block, gprops, "AutoScalingGroups", "an Auto Scaling group", required=True,
                              placeholder="REPLACE-ME-asg")
                if n:
                    groups.append(q(n))
            if groups:
                block.stmt("autoscaling", *groups)
            if not tags and not groups:
                block.comment("Placeholder: the deployment group names no instances pipec can write.")
                block.stmt("instances", "tag", "Name", "=", q("REPLACE-ME"))
                ctx.task("resource", f"set the instances of deployment {name}")
            lb = self.get(gprops, "LoadBalancerInfo")
            if isinstance(lb, dict):
                tgs = self.items(lb.get("TargetGroupInfoList"), block, lb, "TargetGroupInfoList")
                if len(tgs) == 1 and isinstance(tgs[0], dict):
                    tg = self.text(tgs[0].get("Name"), block, tgs[0], "Name", "the target group", required=True,
                                   placeholder="REPLACE-ME-target-group")
                    if tg:
                        block.stmt("target_group", q(tg))
                elif tgs or lb.get("ElbInfoList"):
                    ctx.skip(block, "template: load balancer", f"group {lid}: Classic load balancers or several "
                             "target groups", gprops, "LoadBalancerInfo")
            handled = {"Ec2TagFilters", "Ec2TagSet", "AutoScalingGroups", "LoadBalancerInfo"}
        else:
            handled = set()
        self.strategy(block, gprops, lid, platform)
        self.rollback(block, gprops, lid)
        aws_lines += self.group_extras(block, gprops, lid, handled)
        data = self.appspec(block, None, platform, cfg, "DeploymentGroupName")
        if data is not None:
            self.deploy_body(block, data, platform)
        if platform == "lambda":
            self.lambda_required(block, name)
        if aws_lines:
            blk = block.block("aws")
            for line in aws_lines:
                blk.stmt(line)
        return []

    def deploy_body(self, block: Doc, data, platform: str):
        from pipec.targets.aws import spec_imports as spec_import

        spec_import.deploy_body(self.ctx, block, data, platform)

    def lambda_required(self, block: Doc, name: str):
        have = {item.split(" ", 1)[0] for kind, item in block.items if kind == "stmt"}
        for key in ("function", "alias"):
            if key not in have:
                block.comment(f"Placeholder: the appspec gives no {key}.")
                block.stmt(key, q(f"REPLACE-ME-{key}"))
                self.ctx.task("resource", f"set the Lambda {key} of deployment {name}")

    def ecs_bluegreen(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        ctx = self.ctx
        raw, lid, _platform = self.deployment_group(parent, a, cfg)
        if lid is None:
            return []
        gprops = self.props(lid)
        raw, name, block = self.open_action(parent, a, cfg, "deploy {} to ecs", "CodeDeployToECS", stage_raw,
                                            stage_name)
        self.inputs(block, a, raw)
        taskdef_art = self.text(self.get(cfg, "TaskDefinitionTemplateArtifact"), block, cfg,
                                "TaskDefinitionTemplateArtifact", "the task definition artifact")
        src = self.artifacts.get(taskdef_art or "")
        if src is None:
            ins = self.inputs(Doc("x"), a, raw)
            src = ins[0] if ins else None
        if src is None:
            ctx.skip(block, "template: input artifact not imported", f"action {raw}: the task definition "
                     "artifact is not imported", cfg, "TaskDefinitionTemplateArtifact")
            src = self.source_order[0]
        block.stmt("from", src)
        services = self.items(gprops.get("ECSServices"), block, gprops, "ECSServices")
        svc = services[0] if services and isinstance(services[0], dict) else {}
        if len(services) != 1 and lid:  # lid "": the group is not in the template (reported already)
            ctx.skip(block, "template: ECS services", f"group {lid}: {len(services)} ECS services", gprops,
                     "ECSServices")
        cluster = self.text(svc.get("ClusterName"), block, svc, "ClusterName", "the cluster", required=True,
                            placeholder="REPLACE-ME-cluster") or "REPLACE-ME-cluster"
        service = self.text(svc.get("ServiceName"), block, svc, "ServiceName", "the service", required=True,
                            placeholder="REPLACE-ME-service") or "REPLACE-ME-service"
        block.stmt("cluster", v(cluster))
        block.stmt("service", v(service))
        lb = self.get(gprops, "LoadBalancerInfo") or {}
        pairs = self.items(lb.get("TargetGroupPairInfoList"), block, lb, "TargetGroupPairInfoList") \
            if isinstance(lb, dict) else []
        pair = pairs[0] if pairs and isinstance(pairs[0], dict) else {}

        def listener(route, what):
            r = self.get(pair, route)
            arns = self.items(r.get("ListenerArns"), block, r, "ListenerArns") if isinstance(r, dict) else []
            if not arns:
                return None
            return self.text(arns[0], block, r, "ListenerArns", what, required=True,
                             placeholder=f"arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/REPLACE-ME-"
                                         f"{'prod' if route.startswith('Prod') else 'test'}/0/0",
                             check=lambda s: s.startswith("arn:"))

        prod = listener("ProdTrafficRoute", "the production listener")
        if prod is None:
            prod = "arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/REPLACE-ME-prod/0/0"
            block.comment("Placeholder: the deployment group has no production listener pipec can read.")
            ctx.task("resource", f"set the listener of deployment {name}")
        block.stmt("listener", q(prod))
        test = listener("TestTrafficRoute", "the test listener")
        if test:
            block.stmt("test_listener", q(test))
        tgs = [self.text(t.get("Name"), block, t, "Name", "a target group", required=True,
                         placeholder=f"REPLACE-ME-tg-{i + 1}") for i, t in
               enumerate(self.items(pair.get("TargetGroups"), block, pair, "TargetGroups")) if isinstance(t, dict)]
        tgs = [t for t in tgs if t]
        if len(tgs) != 2:
            block.comment("Placeholder: the deployment group does not name two target groups.")
            tgs = ["REPLACE-ME-blue", "REPLACE-ME-green"]
            ctx.task("resource", f"set the target groups of deployment {name}")
        block.stmt("target_groups", v(tgs[0]), v(tgs[1]))
        path = self.text(self.get(cfg, "TaskDefinitionTemplatePath"), block, cfg, "TaskDefinitionTemplatePath",
                         "the task definition file")
        if path and path != "taskdef.json":
            block.stmt("task_definition", v(path))
        if "Image1ArtifactName" in cfg or "Image1ContainerName" in cfg:
            ctx.skip(block, "template: ECS image placeholder",
                     f"action {raw} fills the task definition's image placeholder from an image artifact "
                     "(Image1ArtifactName); with pipec the task definition file must already name the image", cfg,
                     "Image1ArtifactName" if "Image1ArtifactName" in cfg else "Image1ContainerName")
        self.strategy(block, gprops, lid, "ecs")
        self.rollback(block, gprops, lid)
        aws_lines = self.group_extras(block, gprops, lid, {"ECSServices", "LoadBalancerInfo"})
        apath = self.text(self.get(cfg, "AppSpecTemplatePath"), None, cfg, "AppSpecTemplatePath",
                          "the appspec file") or "appspec.yaml"
        data = self.appspec(block, apath, "ecs", cfg, "AppSpecTemplatePath")
        if data is not None:
            self.deploy_body(block, data, "ecs")
        if not any(kind == "stmt" and item.startswith("container ") for kind, item in block.items):
            block.comment("Placeholder: the container and port come from the appspec.")
            block.stmt("container", "REPLACE-ME-container", "port", "80")
            ctx.task("resource", f"set the container and port of deployment {name}")
        if aws_lines:
            blk = block.block("aws")
            for line in aws_lines:
                blk.stmt(line)
        return []

    def ecs_rolling(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        raw, name, block = self.open_action(parent, a, cfg, "deploy {} to ecs", "ECS", stage_raw, stage_name)
        inputs = self.inputs(block, a, raw)
        if not inputs:
            self.ctx.skip(block, "template: input artifact not imported", f"action {raw} has no input", a, "Name")
            inputs = [self.source_order[0]]
        block.stmt("from", inputs[0])
        cluster = self.text(self.get(cfg, "ClusterName"), block, cfg, "ClusterName", "the cluster", required=True,
                            placeholder="REPLACE-ME-cluster") or "REPLACE-ME-cluster"
        service = self.text(self.get(cfg, "ServiceName"), block, cfg, "ServiceName", "the service", required=True,
                            placeholder="REPLACE-ME-service") or "REPLACE-ME-service"
        block.stmt("cluster", v(cluster))
        block.stmt("service", v(service))
        block.stmt("strategy", "rolling")
        f = self.text(self.get(cfg, "FileName"), block, cfg, "FileName", "the image definitions file")
        if f and f != "imagedefinitions.json":
            block.stmt("image_file", v(f))
        return []

    def s3_deploy(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        raw, name, block = self.open_action(parent, a, cfg, "deploy {} to s3", "S3Deploy", stage_raw, stage_name)
        inputs = self.inputs(block, a, raw)
        block.stmt("from", inputs[0] if inputs else self.source_order[0])
        bucket = self.text(self.get(cfg, "BucketName"), block, cfg, "BucketName", "the bucket", required=True,
                           placeholder="REPLACE-ME-bucket")
        block.stmt("bucket", v(bucket or "REPLACE-ME-bucket"))
        extract = self.flag(self.get(cfg, "Extract"), block, cfg, "Extract", "Extract") if "Extract" in cfg else True
        key = self.text(self.get(cfg, "ObjectKey"), block, cfg, "ObjectKey", "the object key")
        if extract is False:
            block.stmt("object_key", v(key or "REPLACE-ME-key.zip"))
        else:
            block.stmt("extract")
            if key:
                self.ctx.skip(block, "template: S3 deploy prefix", f"action {raw}: extracting under the prefix "
                              f"{key}", cfg, "ObjectKey")
        cc = self.text(self.get(cfg, "CacheControl"), block, cfg, "CacheControl", "Cache-Control")
        if cc:
            block.stmt("cache_control", q(cc))
        return []
