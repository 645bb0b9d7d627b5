"""The sync's bulk FETCH readers agree with IMAPClient's parser, on a real Dovecot."""

from __future__ import annotations

import pytest

from tests.servers import mail as mail_servers
from tests.servers.mail import deliver_many, make_message
from tradeinbox.mailbox.imapfetch import _parse_simple, fetch_bodies, uid_fetch

dovecot = mail_servers.dovecot
mail_user = mail_servers.mail_user

pytestmark = [pytest.mark.servers]


@pytest.fixture
def mailbox(dovecot, mail_user):
    messages = [make_message(f"Offer {i}", "Price list.\n" * (i * 50 + 1)) for i in range(6)]
    deliver_many(dovecot, mail_user.address, messages)
    with dovecot.imap(mail_user.address) as client:
        client.select_folder("INBOX")
        uids = sorted(client.search("ALL"))
        client.add_flags(uids[:2], [b"\\Seen", b"$Quoted"])
        client.add_flags(uids[1:3], [b"\\Flagged"])
        client.delete_messages(uids[4:5])
        client.expunge()
    return dovecot, mail_user.address


def test_flags_sizes_and_modseq_match_imapclient(mailbox):
    server, user = mailbox
    with server.imap(user) as client:
        client.enable("CONDSTORE")
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search("ALL"))
        ours = uid_fetch(client, "1:*", ["FLAGS", "RFC822.SIZE"])
        theirs = client.fetch(uids, ["FLAGS", "RFC822.SIZE"])
        assert sorted(ours) == uids
        for uid in uids:
            assert set(ours[uid][b"FLAGS"]) == set(theirs[uid][b"FLAGS"])
            assert ours[uid][b"RFC822.SIZE"] == theirs[uid][b"RFC822.SIZE"]
        changed = uid_fetch(client, "1:*", ["FLAGS"], ["CHANGEDSINCE 1"])
        assert all(isinstance(item[b"MODSEQ"][0], int) for item in changed.values())
        assert {f for item in ours.values() for f in item[b"FLAGS"]} >= {b"$Quoted", b"\\Flagged"}


def test_bodies_match_imapclient_and_skip_expunged(mailbox):
    server, user = mailbox
    with server.imap(user) as client:
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search("ALL"))
        asked = [*uids, max(uids) + 100]  # one UID that does not exist (expunged meanwhile)
        ours = fetch_bodies(client, asked)
        theirs = client.fetch(uids, ["BODY.PEEK[]"])
        assert sorted(ours) == uids
        assert all(ours[uid] == theirs[uid][b"BODY[]"] for uid in uids)


def test_unsolicited_flag_updates_mid_fetch_fall_back_to_imapclient(mailbox, monkeypatch):
    """Another client changes flags while we fetch: Dovecot slips FETCH (FLAGS) in."""
    from tradeinbox.mailbox import imapfetch

    fallbacks = []

    def counting(*args, **kwargs):
        fallbacks.append(1)
        return original(*args, **kwargs)

    original = imapfetch.parse_fetch_response
    monkeypatch.setattr(imapfetch, "parse_fetch_response", counting)
    server, user = mailbox
    with server.imap(user) as reader, server.imap(user) as other:
        reader.select_folder("INBOX")
        uids = sorted(reader.search("ALL"))
        expected = {
            uid: item[b"BODY[]"] for uid, item in reader.fetch(uids, ["BODY.PEEK[]"]).items()
        }
        other.select_folder("INBOX")
        other.add_flags(uids, [b"\\Answered"])
        bodies = fetch_bodies(reader, uids)
        assert bodies == expected
        assert fallbacks  # the unusual answer really went the slow, general way
        flags = uid_fetch(reader, "1:*", ["FLAGS"])
        assert all(b"\\Answered" in flags[uid][b"FLAGS"] for uid in uids)


def test_unusual_shapes_are_left_to_imapclient():
    assert _parse_simple([b"3 (UID 9 FLAGS (\\Seen) RFC822.SIZE 120)"]) == {
        9: {b"UID": 9, b"FLAGS": (b"\\Seen",), b"RFC822.SIZE": 120}
    }
    assert _parse_simple([b"3 (FLAGS (\\Seen))"]) is None  # no UID: by sequence number
    assert _parse_simple([b"3 (UID 9 X-GM-LABELS (Work))"]) is None  # an item we do not know
    assert _parse_simple([(b"3 (UID 9 BODY[] {3}", b"abc"), b")"]) is None  # a literal


def test_other_untagged_answers_mid_fetch_are_kept_for_imaplib(mailbox):
    """New mail arrives while we fetch: the EXISTS Dovecot sends is stored, not lost."""
    server, user = mailbox
    with server.imap(user) as reader:
        reader.select_folder("INBOX")
        uids = sorted(reader.search("ALL"))
        reader._imap.untagged_responses.pop("EXISTS", None)
        deliver_many(server, user, [make_message("Late offer", "Arrived mid-fetch.\n")])
        bodies = fetch_bodies(reader, uids)
        assert sorted(bodies) == uids
        assert reader._imap.untagged_responses.get("EXISTS") == [str(len(uids) + 1).encode()]
        assert reader.noop()  # the connection is still in step


def test_a_refused_bulk_fetch_raises_the_servers_words(mailbox):
    server, user = mailbox
    with server.imap(user) as client:
        client.select_folder("INBOX", readonly=True)
        with pytest.raises(client.Error, match="(?i)fetch"):
            fetch_bodies(client, [0])  # UID 0 does not exist in any sequence set (RFC 3501 9)
        assert client.noop()
