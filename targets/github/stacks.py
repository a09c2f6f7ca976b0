"""A CloudFormation deployment through a change set, as a GitHub job does it: what CodePipeline's
``CHANGE_SET_REPLACE`` then ``CHANGE_SET_EXECUTE`` actions do, with the change set named.

CodePipeline creates the change set under the name the action gives (``ChangeSetName``) and
executes that change set, by name, one run order later
(https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CloudFormation.html).
``aws cloudformation deploy --no-execute-changeset`` cannot name its change set, so the job calls
``create-change-set`` itself with a name unique to the run (``NAME-RUN_ID-RUN_ATTEMPT``: a stale
change set of an earlier run, or CodePipeline's own ``NAME``, is never the one executed), waits
for it, checks its status and executes it by that name. A change set that CloudFormation marks
``FAILED`` because the template and parameters change nothing ("The submitted information didn't
contain changes", or "No updates are to be performed") is deleted and the job succeeds without
executing anything, as ``--no-fail-on-empty-changeset`` did; any other status fails the job.

The reader (:mod:`pipec.targets.github.read.deploys`) recognises exactly these lines.
"""

from __future__ import annotations

from pipec.targets.github.jobs import env_name

#: the statuses of a change set that has nothing to execute, as StatusReason starts
NO_CHANGES = ("The submitted information didn't contain changes", "No updates are to be performed")
#: the change set's name on GitHub: the .pipe file's name, then the run's id and attempt
RUN_SUFFIX = "-${{ github.run_id }}-${{ github.run_attempt }}"


def parameters_line(keys) -> str:
    """``PARAMETERS=...``: the parameters as CloudFormation's JSON list, built by jq from the
    step's ``PARAM_*`` variables (no value is ever parsed by the shell)."""
    args = " ".join(f'--arg {k} "$PARAM_{env_name(k)}"' for k in keys)
    return ("PARAMETERS=$(jq -n '[$ARGS.named | to_entries[] | {ParameterKey: .key, ParameterValue: .value}]' "
            f"{args})")


def change_set_lines(parameter_keys, capabilities: list[str]) -> list[str]:
    """The script of a change-set stack job. Reads $STACK, $TEMPLATE, $BUCKET, $CFN_ROLE,
    $CHANGE_SET and each $PARAM_*; the template comes from the downloaded artifact (release/)."""
    lines = [
        "set -euo pipefail",
        "# CodePipeline's CHANGE_SET_REPLACE: the change set named for this run",
        'KEY="$STACK/$CHANGE_SET.template"',
        'aws s3 cp "release/$TEMPLATE" "s3://$BUCKET/$KEY" > /dev/null',
        'STATUS=$(aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].StackStatus" '
        "--output text 2> /dev/null || echo NONE)",
        'case "$STATUS" in NONE|REVIEW_IN_PROGRESS) TYPE=CREATE ;; *) TYPE=UPDATE ;; esac',
    ]
    create = ['aws cloudformation create-change-set --stack-name "$STACK" --change-set-name "$CHANGE_SET"',
              '--change-set-type "$TYPE"', '--template-url "https://$BUCKET.s3.$AWS_REGION.amazonaws.com/$KEY"',
              '--role-arn "$CFN_ROLE"']
    if parameter_keys:
        lines.append(parameters_line(parameter_keys))
        create.append('--parameters "$PARAMETERS"')
    if capabilities:
        create.append("--capabilities " + " ".join(capabilities))
    lines.append(" ".join(create) + " > /dev/null")
    lines += [
        'aws cloudformation wait change-set-create-complete --stack-name "$STACK" --change-set-name "$CHANGE_SET" '
        "|| true",
        'read -r CS_STATUS CS_REASON < <(aws cloudformation describe-change-set --stack-name "$STACK" '
        '--change-set-name "$CHANGE_SET" --query "[Status, StatusReason]" --output text)',
        'if [ "$CS_STATUS" != CREATE_COMPLETE ]; then',
        '  case "$CS_STATUS: $CS_REASON" in',
        "    " + "|".join(f'"FAILED: {reason}"*' for reason in NO_CHANGES) + ")",
        '      echo "change set $CHANGE_SET: no changes to stack $STACK"',
        '      aws cloudformation delete-change-set --stack-name "$STACK" --change-set-name "$CHANGE_SET"',
        "      exit 0 ;;",
        "  esac",
        '  echo "change set $CHANGE_SET: $CS_STATUS $CS_REASON" >&2',
        "  exit 1",
        "fi",
        "# CodePipeline's CHANGE_SET_EXECUTE: that change set, by name",
        'aws cloudformation execute-change-set --stack-name "$STACK" --change-set-name "$CHANGE_SET"',
        "while true; do",
        '  STATUS=$(aws cloudformation describe-stacks --stack-name "$STACK" --query "Stacks[0].StackStatus" '
        "--output text)",
        '  case "$STATUS" in',
        "    *_IN_PROGRESS) sleep 10 ;;",
        '    CREATE_COMPLETE|UPDATE_COMPLETE|IMPORT_COMPLETE) echo "stack $STACK: $STATUS"; break ;;',
        '    *) echo "stack $STACK: $STATUS" >&2; exit 1 ;;',
        "  esac",
        "done",
    ]
    return lines
