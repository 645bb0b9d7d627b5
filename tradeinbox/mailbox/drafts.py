"""Drafts other apps prepare for the compose page, with files already attached.

An app (the quotations app, for a quotation or proforma invoice PDF) registers a loader
for a token prefix; the compose page opened with ``?draft=<prefix>:<id>`` shows the
draft's text and its files. The user may untick a file; the ticked ones go into the
outbox message with the uploaded ones, and the loader's ``sent`` callback learns which
outbox row carried the draft. Files are read when the mail is queued, from wherever the
app keeps them durably (the blob store), never from the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tradeinbox.core.writing.lint import DraftAttachment


@dataclass(frozen=True)
class DraftFile:
    key: str  # stable within the draft, e.g. "doc:12"
    filename: str
    content_type: str
    size: int
    url: str  # where the user opens the file
    read: Callable[[], bytes]


@dataclass
class PreparedDraft:
    token: str
    label: str  # what the draft is, e.g. "Quotation Q-2026-0001"
    url: str  # the page it came from
    initial: dict[str, str]
    files: list[DraftFile] = field(default_factory=list)
    sent: Callable[[object], None] = lambda row: None


Loader = Callable[[str, object], PreparedDraft | None]
_LOADERS: dict[str, Loader] = {}


def register(prefix: str, loader: Loader) -> None:
    """``loader(ident, user)`` returns the draft ``prefix:ident`` if the user may open it."""
    _LOADERS[prefix] = loader


def load(token: str, user) -> PreparedDraft | None:
    prefix, _, ident = (token or "").partition(":")
    loader = _LOADERS.get(prefix)
    if loader is None or not ident:
        return None
    return loader(ident, user)


def kept(draft: PreparedDraft | None, data, *, first_load: bool = False) -> list[DraftFile]:
    """The draft's files the user left ticked (all of them when the page first opens)."""
    if draft is None:
        return []
    if first_load:
        return list(draft.files)
    keys = set(data.getlist("draft_keep")) if hasattr(data, "getlist") else set()
    return [f for f in draft.files if f.key in keys]


def kept_for_check(data, user) -> list[DraftAttachment]:
    """What the live pre-send check should count as attached (names and sizes)."""
    draft = load(data.get("draft", ""), user)
    return [DraftAttachment(f.filename, f.size, f.content_type) for f in kept(draft, data)]
