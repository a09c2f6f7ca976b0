"""Lambda invoke actions: the function, its user parameters, input and output artifacts.
"""

from __future__ import annotations

from pipec.importer import Doc, q, v


class Invokes:
    """Lambda invoke actions."""

    def invoke(self, parent: Doc, a, cfg, category, stage_raw, stage_name):
        raw, name, block = self.open_action(parent, a, cfg, "invoke {}", "Lambda", stage_raw, stage_name)
        fn = self.text(self.get(cfg, "FunctionName"), block, cfg, "FunctionName", "the function", required=True,
                       placeholder="REPLACE-ME-function")
        block.stmt("function", v(fn or "REPLACE-ME-function"))
        params = self.text(self.get(cfg, "UserParameters"), block, cfg, "UserParameters", "the parameters")
        if params is not None and params != "":
            block.stmt("parameters", q(params))
        inputs = self.inputs(block, a, raw)
        if inputs:
            block.stmt("from", *inputs)
        made = []
        for o in self.items(a.get("OutputArtifacts")):
            if isinstance(o, dict) and isinstance(o.get("Name"), str):
                pipe = self.new_artifact(o["Name"])
                block.stmt("artifact", pipe)
                made.append((o["Name"], pipe))
        return made
