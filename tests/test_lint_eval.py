"""bench/lint_eval.py: the Enron export's traces of stripped attachments count as attachments,
and only where the attachment belonged to the mail being checked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import corpus
from tradeinbox.core.parse import parse_message

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import lint_eval  # noqa: E402


def message(body: str, subject: str = "Report") -> bytes:
    head = (
        "Message-ID: <1@enron>\nDate: Tue, 27 Nov 2001 10:17:57 -0800 (PST)\n"
        "From: gerald.nemec@enron.com\nTo: mark.whitt@enron.com\n"
        f"Subject: {subject}\nContent-Type: text/plain; charset=us-ascii\n\n"
    )
    return (head + body).encode()


REPLY_HISTORY = (
    "\n -----Original Message-----\nFrom: \tWhitt, Mark  \nSent:\tMonday, November 26, 2001"
    " 3:22 PM\nTo:\tNemec, Gerald\nSubject:\tReport\n\nHere it is.\n\n<<Report Q3.xls>>\n"
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Please see attached and let me know.\n\n \n", ["stripped-attachment"]),  # icon line
        ("Attached is the draft.\n\n \n\nGerald\n", ["stripped-attachment"]),
        ("See the file.\n\n << File: LOI draft.doc >> \n", ["LOI draft.doc"]),
        ("Comments below.\n\n(See attached file: memo.doc)\n", ["memo.doc"]),
        ("The curves:\n - Huber curves.xls\n", ["Huber curves.xls"]),
        ("Chart:\n<Embedded Picture (Metafile)>\n", ["embedded-object"]),
        ("Thanks, see you Monday.\n", []),
        # Outlook indents the history separator by one space: that is not an icon line.
        ("Thanks for letting me know.\n\nTjae\n" + REPLY_HISTORY, []),
    ],
)
def test_stripped_attachment_traces(body, expected):
    found = lint_eval.restore_attachments(parse_message(message(body)))
    assert [a.filename for a in found] == expected


def test_marker_in_history_counts_for_a_forward_only():
    body = "Attached is the report.\n" + REPLY_HISTORY
    reply = lint_eval.restore_attachments(parse_message(message(body, "RE: Report")))
    forward = lint_eval.restore_attachments(parse_message(message(body, "FW: Report")))
    assert reply == [] and [a.filename for a in forward] == ["Report Q3.xls"]


@pytest.mark.corpora
@pytest.mark.slow
def test_enron_errors_under_one_per_20_messages(capsys):
    root = corpus("enron_maildir_sample")
    lint_eval.main(["--corpora", str(root.parent)])
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["messages"] > 1000
    assert figures["errors_per_20"] < 1.0
