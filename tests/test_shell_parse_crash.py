"""tree-sitter-bash 0.25.1 can crash the process on some non-ASCII text (issue 22 review: a
Hypothesis-drawn command, '?{' followed by U+F6F7C, gave a segmentation fault in about one run
of three). pipec parses commands with every byte of a multi-byte character read as 'x'
(pipec.shell_parse.parse); these run in a child process, since a crash would end the test run."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: texts that made the parser crash (not every time): each is parsed 40 times per child
CRASHERS = ["?{\U000f6f7c", "\u00bb?{\U000f6f7c", "!tag x\n&anchor *alias\n\u0102\U0004a5ff\u00bb?{\U000f6f7c"]

CHILD = """
import sys
from pipec import aws_calls, shell_parse, shell_state
text = sys.argv[1]
for _ in range(40):
    tree, src = shell_parse.parse(text)
    assert tree.root_node.end_byte == len(src)
    aws_calls.calls("aws s3 cp x s3://b/" + text)
    shell_state._top_level("set -e; " + text)
print("ok")
"""


@pytest.mark.parametrize("text", CRASHERS)
def test_commands_that_crashed_the_parser_are_parsed(text):
    for _ in range(3):
        proc = subprocess.run([sys.executable, "-c", CHILD, text], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and proc.stdout == "ok\n", (proc.returncode, proc.stderr[-500:])


def test_words_keep_their_non_ascii_text():
    from pipec import aws_calls

    (call,) = aws_calls.calls('aws s3 cp build.zip "s3://bücher/κλειδί/$TAG"', {"TAG": "v1"})
    assert "bücher" in call.text and any("bücher/κλειδί/v1" in (n.resource or "") for n in call.needs)
