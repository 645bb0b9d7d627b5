"""Where a stored message's raw bytes are, and getting them back byte-exact."""

from __future__ import annotations

import zlib

from django.conf import settings

from tradeinbox.core.blobstore import BlobStore
from tradeinbox.store.models import Message, MessageRaw


def pack(raw: bytes) -> bytes | None:
    """The compressed form kept in the database, or None for a message kept as a blob."""
    if len(raw) > MessageRaw.INLINE_LIMIT:
        return None
    return zlib.compress(raw, 1)


def blob_store() -> BlobStore:
    return BlobStore(settings.TRADEINBOX["BLOB_DIR"])


def raw_bytes(message: Message) -> bytes:
    """The message exactly as received. Raises FileNotFoundError if it is gone."""
    row = MessageRaw.objects.filter(message_id=message.pk).values_list("data", flat=True).first()
    if row is not None:
        return zlib.decompress(bytes(row))
    return blob_store().get(message.raw_sha256)


def raw_present(message_ids_and_hashes: list[tuple[int, str]]) -> list[bool]:
    """For each (message pk, raw sha256): are its raw bytes stored somewhere?"""
    inline = set(
        MessageRaw.objects.filter(
            message_id__in=[pk for pk, _ in message_ids_and_hashes]
        ).values_list("message_id", flat=True)
    )
    blobs = blob_store()
    return [pk in inline or blobs.exists(digest) for pk, digest in message_ids_and_hashes]
