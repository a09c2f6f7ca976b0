"""Targets: one module per platform, each translating the validated :mod:`pipec.model` into files.

There are no targets yet: the AWS target (CloudFormation via troposphere, buildspec.yml,
appspec.yml) and the GitHub Actions target arrive in the next issues. Each will be a module here
with an ``emit`` side (model -> files) and a ``read`` side (files -> normal form), registered in
one explicit table in this module, with no import-time magic.
"""
