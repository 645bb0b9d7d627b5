"""The importer's public hooks (``import_items``, ``on_batch``, ``flags_of``), as IMAP sync
uses them: every message accounted for, recorded in the batch's own transaction."""

from __future__ import annotations

import pytest

from tests.servers.mail import make_message
from tradeinbox.core.sources import RawMessage
from tradeinbox.store import importer as importer_module
from tradeinbox.store.importer import Flags, Importer, StoredItem
from tradeinbox.store.models import Message, Quarantine

pytestmark = pytest.mark.django_db


def raw(subject: str, message_id: str, body: str = "Dear buyer,\nour offer.\n") -> bytes:
    return make_message(subject, body, message_id=f"<{message_id}@hooks.example.test>")


def items() -> list[RawMessage]:
    return [
        RawMessage("src/1", raw("Offer A", "a")),
        RawMessage("src/2", b"no header block at all, just words"),
        RawMessage("src/3", raw("Offer A", "a")),  # a second copy in the same batch
        RawMessage("src/4", raw("Offer B", "b")),
    ]


@pytest.mark.parametrize("processes", [0, 2])
def test_every_message_is_reported_with_its_outcome_and_pk(processes):
    batches: list[list[StoredItem]] = []
    summary = Importer(batch_size=10, on_batch=batches.append).import_items(
        items(), processes=processes
    )
    assert summary.imported == 2 and summary.duplicates == 1 and summary.quarantined == 1
    [batch] = batches
    by_source = {item.source: item for item in batch}
    assert sorted(by_source) == ["src/1", "src/2", "src/3", "src/4"]
    first = Message.objects.get(message_id="a@hooks.example.test")
    assert by_source["src/1"] == StoredItem("src/1", first.pk, "imported")
    assert by_source["src/3"] == StoredItem("src/3", first.pk, "duplicate")
    assert by_source["src/2"] == StoredItem("src/2", None, "quarantined")
    assert by_source["src/4"].outcome == "imported"

    # Again: nothing new, and the earlier copies' pks are reported.
    batches.clear()
    Importer(batch_size=10, on_batch=batches.append).import_items(items(), processes=processes)
    outcomes = {item.source: (item.outcome, item.message_pk) for item in batches[0]}
    assert outcomes["src/1"] == ("duplicate", first.pk)
    assert outcomes["src/2"] == ("quarantined", None)
    assert Quarantine.objects.count() == 1


def test_flags_are_stored_with_the_new_row():
    flags = {"src/1": Flags(seen=True), "src/4": Flags(answered=True, flagged=True)}
    Importer(flags_of=lambda source: flags.get(source, Flags())).import_items(items())
    a = Message.objects.get(message_id="a@hooks.example.test")
    b = Message.objects.get(message_id="b@hooks.example.test")
    assert (a.is_seen, a.is_answered, a.is_flagged) == (True, False, False)
    assert (b.is_seen, b.is_answered, b.is_flagged) == (False, True, True)


def test_a_failing_hook_rolls_its_batch_back():
    """Messages and whatever the hook records commit together or not at all."""

    def refuse(batch: list[StoredItem]) -> None:
        raise RuntimeError("the location could not be recorded")

    with pytest.raises(RuntimeError):
        Importer(on_batch=refuse).import_items(items())
    assert not Message.objects.exists()
    Importer().import_items(items())  # the re-run stores everything
    assert Message.objects.count() == 2


@pytest.mark.parametrize("processes", [0, 2])
def test_batches_also_end_at_a_byte_limit(monkeypatch, processes):
    monkeypatch.setattr(importer_module, "WINDOW_BYTES", 50_000)
    body = "catalogue line\n" * 2_000  # about 30 KB each
    big = [RawMessage(f"big/{i}", raw(f"Catalogue {i}", f"cat{i}", body)) for i in range(3)]
    batches: list[list[StoredItem]] = []
    Importer(batch_size=100, on_batch=batches.append).import_items(big, processes=processes)
    assert [len(batch) for batch in batches] == [2, 1]
    assert Message.objects.count() == 3
