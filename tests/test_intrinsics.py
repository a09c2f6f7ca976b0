"""CloudFormation intrinsic functions (targets/aws/intrinsics.py): each function, nesting, values
that only a deployment decides, conditions, for the importer's :class:`Evaluator` and the
readers' :class:`Resolver`.

Templates are written in YAML with short tags and loaded with :func:`pipec.targets.aws.cfn.load`,
as the readers and ``pipec import`` see them.
"""

from __future__ import annotations

import pytest

from pipec.targets.aws import cfn
from pipec.targets.aws.intrinsics import (
    NO_VALUE, Evaluator, Resolver, Unresolved, declared_name, has_unresolved, referenced_id, scalar, substitute,
)

TEMPLATE = """\
Parameters:
  Env: {Type: String, Default: prod}
  Count: {Type: Number, Default: 3}
  Subnets: {Type: CommaDelimitedList, Default: [a, b]}
  Secret: {Type: String}
  Flag: {Type: String, Default: true}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [!Ref Count, 3]]
  Either: !Or [!Condition IsDev, !Equals [!Ref Secret, x]]
  Unknown: !Equals [!Ref Secret, x]
  AndFalse: !And [!Condition IsDev, !Condition Unknown]
  OrTrue: !Or [!Condition IsProd, !Condition Unknown]
  Loop: !Condition Loop
  Missing: !Condition NotDefined
Mappings:
  Sizes:
    prod: {compute: large}
    dev: {compute: small}
Resources:
  Project:
    Type: AWS::CodeBuild::Project
    Properties: {Name: !Sub "${Env}-build"}
  Unnamed:
    Type: AWS::CodeBuild::Project
    Properties: {}
  Bucket:
    Type: AWS::S3::Bucket
  Self:
    Type: AWS::S3::Bucket
    Properties: {BucketName: !Ref Self}
"""


@pytest.fixture
def ev() -> Evaluator:
    data = cfn.load(TEMPLATE)
    return Evaluator(resources=data["Resources"], parameters=data["Parameters"],
                     conditions=data["Conditions"], mappings=data["Mappings"])


def value(ev: Evaluator, yaml_text: str):
    """``yaml_text`` (one value, short tags allowed) resolved by ``ev``."""
    return ev.resolve(cfn.load("v: " + yaml_text)["v"])


# ----------------------------------------------------------------------------- Evaluator: each function


@pytest.mark.parametrize("expr, expected", [
    ("!Ref Env", "prod"),
    ("!Ref Count", "3"),                        # defaults are text, as CloudFormation passes them
    ("!Ref Subnets", "a,b"),                    # a list default is its comma-delimited text
    ("!Ref Flag", "true"),
    ("!Ref AWS::Partition", "aws"),
    ("!Ref AWS::URLSuffix", "amazonaws.com"),
    ("!Ref Project", "prod-build"),             # a resource's Ref is the name the template gives it
    ('!Sub "${Env}-${AWS::Partition}"', "prod-aws"),
    ('!Sub ["${A}/${Env}", {A: !Ref Count}]', "3/prod"),
    ('!Sub "${!Literal}-${Env}"', "${Literal}-prod"),
    ("!Join [-, [a, !Ref Env, 1]]", "a-prod-1"),
    ("!Join ['', [x, true]]", "xtrue"),
    ("!Select [1, [a, b, c]]", "b"),
    ("!Split [',', 'a,b']", ["a", "b"]),
    ("!FindInMap [Sizes, !Ref Env, compute]", "large"),
    ("!ToJsonString {a: !Ref Env, b: [1]}", '{"a":"prod","b":[1]}'),
    ("!If [IsProd, yes-branch, no-branch]", "yes-branch"),
    ("!If [IsDev, yes-branch, no-branch]", "no-branch"),
    ("plain", "plain"),
    ("{Name: !Ref Env, Other: 1}", {"Name": "prod", "Other": 1}),
])
def test_each_function(ev, expr, expected):
    got = value(ev, expr)
    assert got == expected
    assert not has_unresolved(got)


@pytest.mark.parametrize("expr, text, missing", [
    ("!Ref AWS::Region", "${AWS::Region}", ("AWS::Region",)),
    ("!Ref AWS::AccountId", "${AWS::AccountId}", ("AWS::AccountId",)),
    ("!Ref Secret", "${Secret}", ("parameter Secret (no default)",)),
    ("!Ref Unnamed", "${Unnamed}", ("the name of Unnamed (created by the template)",)),
    ("!Ref Nowhere", "${Nowhere}", ("Nowhere (not defined in the template)",)),
    ("!GetAtt Bucket.Arn", "${Bucket.Arn}", ("the attribute Bucket.Arn",)),
    ("!GetAtt [Bucket, Arn]", "${Bucket.Arn}", ("the attribute Bucket.Arn",)),
    ('!Sub "arn:${AWS::Partition}:s3:::${Bucket.Arn}/${Secret}"', "arn:aws:s3:::${Bucket.Arn}/${Secret}",
     ("the attribute Bucket.Arn", "parameter Secret (no default)")),
    ("!ImportValue shared-vpc", "${ImportValue}", ("an Fn::ImportValue",)),
    ("!Base64 text", "${Fn::Base64}", ("Fn::Base64",)),
    ("!If [Unknown, a, b]", "${Fn::If}", ("condition Unknown",)),
    ("!If [IsProd, a]", "${Fn::If}", ("a malformed Fn::If",)),
    ("!Join [-, !Split [',', !Ref Secret]]", "${Fn::Join}", ("an Fn::Join of a computed list",)),
    ("!Select [5, [a, b]]", "${Fn::Select}", ("Fn::Select of a computed list",)),
    ("!Split [',', !Ref AWS::Region]", "${Fn::Split}", ("Fn::Split of a value set at deployment",)),
    ("!FindInMap [Sizes, !Ref AWS::Region, compute]", "${Fn::FindInMap}",
     ("Fn::FindInMap with keys set at deployment",)),
    ("!FindInMap [Sizes, test, compute]", "${Fn::FindInMap}", ("Fn::FindInMap of a missing entry",)),
    ("!ToJsonString {a: !Ref AWS::Region}", "${Fn::ToJsonString}",
     ("Fn::ToJsonString of values set at deployment",)),
    ("!Sub [42]", "${Fn::Sub}", ("a malformed Fn::Sub",)),
    ("{Ref: [not, a, name]}", "${Ref}", ("a malformed Ref",)),
])
def test_unresolvable_values_say_what_they_wait_for(ev, expr, text, missing):
    got = value(ev, expr)
    assert isinstance(got, Unresolved)
    assert (str(got), got.missing) == (text, missing)


def test_no_value_leaves_the_item_out(ev):
    assert value(ev, "!Ref AWS::NoValue") is NO_VALUE
    assert value(ev, "[a, !Ref AWS::NoValue, b]") == ["a", "b"]
    assert value(ev, "{A: 1, B: !If [IsProd, !Ref AWS::NoValue, 2]}") == {"A": 1}
    got = value(ev, '!Sub ["x${V}", {V: !Ref AWS::NoValue}]')
    assert (str(got), got.missing) == ("x${V}", ("V",))


# ----------------------------------------------------------------------------- nesting


def test_nested_functions(ev):
    expr = "!Join ['/', [!Select [0, !Split [-, !Sub '${Env}-x']], !FindInMap [Sizes, dev, compute], " \
           "!If [Both, !Ref Count, none]]]"
    assert value(ev, expr) == "prod/small/3"


def test_an_unresolved_part_keeps_the_rest_of_the_text(ev):
    got = value(ev, "!Join [':', [arn, !Ref AWS::Partition, !Ref AWS::Region, !Select [0, [x]]]]")
    assert (str(got), got.missing) == ("arn:aws:${AWS::Region}:x", ("AWS::Region",))


def test_a_name_that_refers_to_itself_stops(ev):
    got = value(ev, "!Ref Self")
    assert isinstance(got, Unresolved)
    assert got.missing == ("a deeply nested expression",)


# ----------------------------------------------------------------------------- conditions


@pytest.mark.parametrize("name, expected", [
    ("IsProd", True), ("IsDev", False), ("Both", True),
    ("Either", None),      # IsDev is false, the other side waits for a parameter without default
    ("Unknown", None), ("AndFalse", False), ("OrTrue", True),
    ("Loop", None), ("Missing", None), ("NotACondition", None),
])
def test_conditions_with_the_parameters_defaults(ev, name, expected):
    assert ev.condition(name) is expected


def test_the_evaluator_records_defaults_and_conditions(ev):
    value(ev, "!If [IsProd, !Sub '${Env}-${Count}', x]")
    assert ev.chosen == [("IsProd", True)]
    assert ev.used == ["Env", "Count"]     # the condition's own Ref of Env is not a value used
    ev.reset()
    assert (ev.used, ev.chosen) == ([], [])


def test_peek_records_no_parameter(ev):
    ev.resolve(cfn.load("v: !Ref Count")["v"])
    assert ev.peek(cfn.load("v: !Ref Env")["v"]) == "prod"
    assert ev.used == ["Count"]


# ----------------------------------------------------------------------------- Resolver (the read side)


def test_the_resolver_assumes_nothing():
    r = Resolver(cfn.load(TEMPLATE))

    def res(text):
        return r.resolve(cfn.load("v: " + text)["v"])

    assert res("!Ref Count") == 3                         # the default as written
    assert res("!Ref Project") == "prod-build"
    for expr, text in (("!Ref AWS::Partition", "${AWS::Partition}"), ("!Ref AWS::NoValue", "${AWS::NoValue}"),
                       ("!Ref Secret", "${Secret}"), ("!GetAtt Bucket.Arn", "${Bucket.Arn}"),
                       ('!Sub "${Env}-${AWS::Region}"', "prod-${AWS::Region}"),
                       ("!Join [-, [a, !Ref AWS::Region]]", "a-${AWS::Region}")):
        got = res(expr)
        assert isinstance(got, Unresolved) and str(got) == text, expr
    # every other function is kept as written, its arguments resolved
    assert res("!If [IsProd, !Ref Env, b]") == {"Fn::If": ["IsProd", "prod", "b"]}
    assert res("!ToJsonString {a: !Ref Env}") == {"Fn::ToJsonString": {"a": "prod"}}


def test_the_template_of_the_readers_resolves_with_the_resolver():
    t = cfn.Template.from_text(TEMPLATE)
    assert t.resolve({"Fn::Sub": "${Env}:${!x}"}) == "prod:${x}"
    assert cfn.Unresolved is Unresolved
    assert t.NAME_PROPERTY["AWS::CodeBuild::Project"] == "Name"


# ----------------------------------------------------------------------------- small helpers


@pytest.mark.parametrize("x, sub, expected", [
    ({"Ref": "A"}, False, "A"),
    ({"Fn::GetAtt": ["A", "Arn"]}, False, "A"),
    ({"Fn::GetAtt": "A.Arn"}, False, "A"),
    ({"Fn::Sub": "${A}"}, False, None),
    ({"Fn::Sub": "${A}"}, True, "A"),
    ({"Fn::Sub": "${A.Arn}"}, True, "A"),
    ({"Fn::Sub": "arn:${A}"}, True, None),
    ({"Ref": 3}, False, None),
    ("A", False, None),
    ({"Ref": "A", "Other": 1}, False, None),
])
def test_referenced_id(x, sub, expected):
    assert referenced_id(x, sub=sub) == expected


def test_declared_name_substitute_and_scalar():
    resources = cfn.load(TEMPLATE)["Resources"]
    assert declared_name(resources, "Project") == {"Fn::Sub": "${Env}-build"}
    assert declared_name(resources, "Unnamed") is None
    assert declared_name(resources, "Bucket") is None        # no Properties
    assert declared_name(resources, "Nowhere") is None
    assert substitute("${A}-${!B}-${C}", str.lower) == "a-${B}-c"
    assert [scalar(x) for x in (True, False, 3, "x")] == ["true", "false", "3", "x"]
