"""The mail store: messages, threads, attachments and quarantined input.

Raw messages and attachment contents live in the content-addressed blob store on
disk (see :mod:`tradeinbox.core.blobstore`); rows keep metadata, the decoded text
for search and the hashes that find the bytes again. The full-text index is a
vendor-specific table created in migration 0002 (FTS5 on SQLite, a tsvector
table on PostgreSQL) and written by :mod:`tradeinbox.store.search`.
"""

from __future__ import annotations

from django.db import models


class Thread(models.Model):
    subject = models.TextField(blank=True)
    subject_key = models.CharField(max_length=255, db_index=True, blank=True)
    first_date = models.DateTimeField(null=True)
    last_date = models.DateTimeField(null=True, db_index=True)
    message_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.subject or f"thread {self.pk}"


class ThreadKey(models.Model):
    """A Message-ID seen in a message or its references, and the thread it belongs to."""

    key = models.CharField(max_length=255, unique=True)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="keys")


class Message(models.Model):
    dedupe_key = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    raw_sha256 = models.CharField(max_length=64)
    raw_size = models.PositiveBigIntegerField()
    subject = models.TextField(blank=True)
    from_name = models.CharField(max_length=255, blank=True)
    from_email = models.CharField(max_length=320, blank=True, db_index=True)
    recipients = models.JSONField(default=dict)  # {"to": [[name, email]], "cc": [...]}
    # Date header, else time of import. No index of its own: message_newest_first
    # (date, id) serves every date filter and sort, in either direction.
    date = models.DateTimeField()
    date_header_valid = models.BooleanField(default=True)
    utc_offset_minutes = models.SmallIntegerField(null=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.JSONField(default=list)
    thread = models.ForeignKey(
        Thread, on_delete=models.SET_NULL, null=True, related_name="messages"
    )
    body_text = models.TextField(blank=True)
    has_html = models.BooleanField(default=False)
    snippet = models.CharField(max_length=300, blank=True)
    attachment_count = models.PositiveSmallIntegerField(default=0)
    attachment_names = models.TextField(blank=True)
    source = models.TextField(blank=True)
    is_seen = models.BooleanField(default=False)
    is_answered = models.BooleanField(default=False)
    is_flagged = models.BooleanField(default=False)
    defects = models.JSONField(default=list)
    imported_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["-date", "-id"], name="message_newest_first")]

    def __str__(self) -> str:
        return self.subject or self.message_id or f"message {self.pk}"

    @property
    def to_list(self) -> list[list[str]]:
        return self.recipients.get("to", [])

    @property
    def cc_list(self) -> list[list[str]]:
        return self.recipients.get("cc", [])


class MessageRaw(models.Model):
    """The raw bytes of a message up to ``INLINE_LIMIT``, compressed (``rawstore.pack``).

    A file per message costs more than parsing it; small messages (nearly all
    of them) therefore live in the database, in their own table so that message
    lists never load them. Larger ones are in the blob store under
    ``Message.raw_sha256``. Read them with :func:`tradeinbox.store.rawstore.raw_bytes`.
    """

    INLINE_LIMIT = 512 * 1024

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, primary_key=True, related_name="raw_row"
    )
    data = models.BinaryField()


class TextSearchVectorField(models.Field):
    """PostgreSQL's ``tsvector``; plain text on SQLite, where the FTS5 table is used."""

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class MessageSearch(models.Model):
    """The full-text document of a message on PostgreSQL (unused on SQLite).

    A model rather than raw DDL so Django knows the table: flushing and cascading
    deletes treat it like any other. ``date`` and ``has_attachment`` repeat the
    message's, so that matches are filtered and ordered (and searched newest window
    first) without reading ``store_message``; ``sender_document`` is the sender alone,
    split into words the way SQLite's FTS5 splits them, with its own GIN index, so
    ``from:`` needs no weight recheck of the whole document. All are written by
    :func:`tradeinbox.store.search.index_rows`.
    """

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    date = models.DateTimeField()
    has_attachment = models.BooleanField(default=False)
    document = TextSearchVectorField()
    sender_document = TextSearchVectorField()

    class Meta:
        db_table = "store_message_search"
        # The sender words ride along in the date index (PostgreSQL; SQLite ignores
        # INCLUDE): from: on a common sender walks it without reading table rows. The
        # few messages with attachments have their own index, so has:attachment ANDs
        # a small bitmap instead of reading every row with the words.
        indexes = [
            models.Index(
                fields=["-date", "-message"],
                include=["sender_document"],
                name="search_newest_first",
            ),
            models.Index(
                fields=["-date", "-message"],
                condition=models.Q(has_attachment=True),
                name="search_with_attachment",
            ),
        ]


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveSmallIntegerField()
    filename = models.CharField(max_length=255)
    declared_type = models.CharField(max_length=127)
    sniffed_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    disposition = models.CharField(max_length=16, default="attachment")
    content_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["message", "position"], name="attachment_position")
        ]


class Quarantine(models.Model):
    """Input we could not store as a message. The bytes are kept, the reason shown."""

    raw_sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    source = models.TextField(blank=True)
    reason = models.TextField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"
