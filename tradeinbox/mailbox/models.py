"""Mailbox connection: accounts, their IMAP folders, where each message sits, the outbox.

An :class:`Account` is one real company mailbox (IMAP for reading, SMTP for sending). Its
password is stored only encrypted (:mod:`tradeinbox.mailbox.crypto`).

:class:`Folder` keeps the IMAP state that makes sync incremental (RFC 3501 UIDs under a
UIDVALIDITY, RFC 7162 HIGHESTMODSEQ) and ``last_uid``, the checkpoint written in the same
transaction as the messages it covers, so a killed initial sync resumes where it stopped.

:class:`MessageLocation` says "message M is UID U in folder F" (unique per folder and UID);
a message in INBOX and Archive has two locations but is stored once.

:class:`OutboxMessage` is a message to send. Its Message-ID and bytes are fixed when it is
written, before the first attempt, so a retry after a crash can look for it in Sent.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tradeinbox.store.models import Message


class Security(models.TextChoices):
    TLS = "tls", _("TLS (encrypted from the start)")
    STARTTLS = "starttls", _("STARTTLS (plain port upgraded to encrypted)")
    NONE = "none", _("None (only for a server on this computer)")


class SentCopy(models.TextChoices):
    AUTO = "auto", _("Automatic: save to Sent unless the server already did")
    APPEND = "append", _("Always save a copy to Sent")
    SERVER = "server", _("The server saves sent mail itself (Gmail, Microsoft 365)")


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Account(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mail_accounts",
    )
    email_address = models.EmailField(max_length=320, unique=True)
    sender_name = models.CharField(max_length=120)
    company = models.CharField(max_length=120, blank=True)
    signature = models.TextField(blank=True)

    imap_host = models.CharField(max_length=255)
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    smtp_host = models.CharField(max_length=255)
    smtp_port = models.PositiveIntegerField(default=465)
    smtp_security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=320)
    smtp_username = models.CharField(max_length=320, blank=True, help_text=_("blank: same"))
    password_encrypted = models.TextField()
    verify_tls = models.BooleanField(default=True)
    sent_copy = models.CharField(max_length=10, choices=SentCopy.choices, default=SentCopy.AUTO)

    sync_enabled = models.BooleanField(default=True)
    sync_interval_seconds = models.PositiveIntegerField(default=120)
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    sync_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sync_locked_by = models.CharField(max_length=128, blank=True)
    sync_lease_until = models.DateTimeField(null=True, blank=True)
    initial_sync_done = models.BooleanField(default=False)
    capabilities = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email_address"]

    def __str__(self) -> str:
        return self.email_address

    @property
    def display_name(self) -> str:
        """The sender name in the "Name @ Company" form buyers recognise."""
        if self.company:
            return f"{self.sender_name} @ {self.company}"
        return self.sender_name

    @property
    def from_header(self) -> str:
        from email.headerregistry import Address

        return str(Address(display_name=self.display_name, addr_spec=self.email_address))

    @property
    def smtp_login(self) -> str:
        return self.smtp_username or self.username

    def set_password(self, password: str) -> None:
        from tradeinbox.mailbox.crypto import encrypt

        self.password_encrypted = encrypt(password)

    def get_password(self) -> str:
        from tradeinbox.mailbox.crypto import decrypt

        return decrypt(self.password_encrypted)

    def clean(self) -> None:
        errors = {}
        for field, host in (("imap_security", self.imap_host), ("smtp_security", self.smtp_host)):
            if getattr(self, field) == Security.NONE and not is_loopback(host):
                errors[field] = _(
                    "Unencrypted connections are only allowed to a server on this computer. "
                    "Choose TLS or STARTTLS."
                )
        for field in ("sender_name", "company"):
            value = getattr(self, field)
            if any(c in value for c in '\r\n<>"@'):
                errors[field] = _('Please leave out line breaks and the characters < > " @.')
        if errors:
            raise ValidationError(errors)


class Folder(models.Model):
    class SpecialUse(models.TextChoices):
        INBOX = "inbox", _("Inbox")
        SENT = "sent", _("Sent")
        JUNK = "junk", _("Junk")
        ARCHIVE = "archive", _("Archive")
        DRAFTS = "drafts", _("Drafts")
        TRASH = "trash", _("Trash")
        ALL = "all", _("All mail")
        FLAGGED = "flagged", _("Flagged")
        NONE = "", _("Folder")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(max_length=1000)
    delimiter = models.CharField(max_length=4, blank=True)
    special_use = models.CharField(max_length=10, choices=SpecialUse.choices, blank=True)
    uidvalidity = models.BigIntegerField(null=True)
    uidnext = models.BigIntegerField(null=True)
    highestmodseq = models.BigIntegerField(null=True)
    last_uid = models.BigIntegerField(default=0)  # every UID <= this is stored (checkpoint)
    message_count = models.PositiveIntegerField(default=0)
    last_synced_at = models.DateTimeField(null=True)
    exists_on_server = models.BooleanField(default=True)

    class Meta:
        ordering = ["account", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="folder_account_name")
        ]

    def __str__(self) -> str:
        return f"{self.account}/{self.name}"


class MessageLocation(models.Model):
    """Message ``message`` is ``uid`` in ``folder`` (null message: quarantined input)."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, related_name="locations"
    )
    folder = models.ForeignKey(Folder, on_delete=models.CASCADE, related_name="locations")
    uid = models.BigIntegerField()
    flags = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["folder", "uid"], name="location_folder_uid")
        ]

    def __str__(self) -> str:
        return f"{self.folder} UID {self.uid}"


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to send")
        SENDING = "sending", _("Sending")
        ACCEPTED = "accepted", _("Sent; saving a copy to Sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not sent")
        UNCERTAIN = "uncertain", _("May have been sent")
        CANCELLED = "cancelled", _("Cancelled")

    class Phase(models.TextChoices):
        NONE = "", "not started"
        ENVELOPE = "envelope", "envelope"
        COMMIT = "commit", "end of data sent"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="outbox")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    message_id = models.CharField(max_length=255, unique=True)
    raw_sha256 = models.CharField(max_length=64)
    raw_size = models.PositiveBigIntegerField()
    subject = models.TextField(blank=True)
    recipients = models.JSONField(default=list)  # envelope: To + Cc + Bcc addresses
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=10, choices=Phase.choices, default="", blank=True)
    send_at = models.DateTimeField(db_index=True)  # UTC; "now" for an immediate send
    next_attempt_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=12)
    locked_by = models.CharField(max_length=128, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    refused = models.JSONField(default=dict, blank=True)  # address -> server's words
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_copy_saved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_claim_order")]

    def __str__(self) -> str:
        return f"{self.subject or self.message_id} ({self.status})"

    @property
    def changeable(self) -> bool:
        """Cancel and reschedule are possible until the worker takes the message."""
        return self.status == self.Status.QUEUED
