"""Outbound health: domain checks, DKIM keys, newsletter consent, suppression, campaigns.

* :class:`DomainCheck` - one run of the SPF/DKIM/DMARC/MX/PTR/blocklist check, done by the
  worker, with the report as JSON.
* :class:`DkimKey` - a DKIM key per domain and selector; the private key is stored only
  encrypted (:mod:`tradeinbox.mailbox.crypto`); at most one active key per domain signs.
* :class:`NewsletterList`, :class:`Consent`, :class:`ConsentEvent` - who agreed to which
  list, when, how and with what evidence; double opt-in; withdrawal.
* :class:`Suppression` - addresses never to mail in bulk (unsubscribed, hard bounce,
  complaint, manual), for one list or every list. :class:`DeliveryEvent` logs each bounce
  and complaint (soft bounces carry the retry time).
* :class:`Campaign`, :class:`CampaignRecipient` - a personalised mailing to consented
  addresses, paced by the worker, with per-recipient outcome.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tradeinbox.mailbox.models import Account, OutboxMessage


class DomainCheck(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the worker")
        DONE = "done", _("Done")
        ERROR = "error", _("Could not run")

    domain = models.CharField(max_length=253)
    ip = models.CharField(max_length=45, blank=True)
    selector = models.CharField(max_length=63, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    worst = models.CharField(max_length=4, blank=True)  # pass | warn | fail
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.domain} ({self.status})"


class DkimKey(models.Model):
    class Origin(models.TextChoices):
        GENERATED = "generated", _("Generated here")
        IMPORTED = "imported", _("Imported")

    domain = models.CharField(max_length=253)
    selector = models.CharField(max_length=63)
    private_key_encrypted = models.TextField()
    public_key = models.TextField()  # base64 SubjectPublicKeyInfo: the p= tag
    bits = models.PositiveIntegerField()
    origin = models.CharField(max_length=10, choices=Origin.choices)
    active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_signed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["domain", "-active", "selector"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "selector"], name="dkim_domain_selector"),
            models.UniqueConstraint(
                fields=["domain"], condition=Q(active=True), name="dkim_one_active_per_domain"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    def private_pem(self) -> bytes:
        from tradeinbox.mailbox.crypto import decrypt

        return decrypt(self.private_key_encrypted).encode("ascii")


class NewsletterList(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="newsletters")
    language = models.CharField(max_length=8, default="en")  # of the confirmation mail
    public_signup = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Consent(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    newsletter = models.ForeignKey(
        NewsletterList, on_delete=models.CASCADE, related_name="consents"
    )
    address = models.CharField(max_length=320)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    how = models.CharField(max_length=200)  # "signup form", "asked at Canton Fair booth" ...
    evidence = models.TextField(blank=True)  # what proves it: a note, the form's IP ...
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    requested_at = models.DateTimeField()
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirm_evidence = models.JSONField(default=dict, blank=True)  # time, IP, browser
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_how = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "address"], name="consent_once")
        ]

    def __str__(self) -> str:
        return f"{self.address} / {self.newsletter} ({self.status})"


class ConsentEvent(models.Model):
    """Append-only history of a consent: the record a regulator or a buyer may ask for."""

    class Kind(models.TextChoices):
        REQUESTED = "requested", _("Sign-up requested")
        CONFIRMATION_SENT = "confirmation_sent", _("Confirmation mail queued")
        CONFIRMED = "confirmed", _("Confirmed by the recipient")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    how = models.CharField(max_length=200, blank=True)
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Suppression(models.Model):
    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Complaint (marked as spam)")
        SOFT_BOUNCES = "repeated_soft_bounce", _("Repeated soft bounces")
        MANUAL = "manual", _("Added by hand")

    address = models.CharField(max_length=320, db_index=True)
    newsletter = models.ForeignKey(
        NewsletterList, on_delete=models.CASCADE, null=True, blank=True, related_name="suppressed"
    )  # null: every list
    reason = models.CharField(max_length=24, choices=Reason.choices)
    evidence = models.JSONField(default=list, blank=True)
    source_message_id = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"


class DeliveryEvent(models.Model):
    """One bounce, refusal or complaint about an address, with the words that said so."""

    class Kind(models.TextChoices):
        HARD = "hard_bounce", _("Hard bounce")
        SOFT = "soft_bounce", _("Soft bounce")
        COMPLAINT = "complaint", _("Complaint")

    address = models.CharField(max_length=320, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.CharField(max_length=64, blank=True)
    diagnostic = models.TextField(blank=True)
    source = models.CharField(max_length=16)  # "report" (a bounce mail) | "smtp" (refused)
    message_key = models.CharField(max_length=255)  # report Message-ID or outbox row
    original_message_id = models.CharField(max_length=255, blank=True)
    retry_after = models.DateTimeField(null=True, blank=True)
    evidence = models.JSONField(default=list, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["address", "kind", "message_key"], name="delivery_event_once"
            )
        ]


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Sending")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(max_length=200)
    newsletter = models.ForeignKey(
        NewsletterList, on_delete=models.PROTECT, related_name="campaigns"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="campaigns")
    language = models.CharField(max_length=8, default="en")
    subject_template = models.CharField(max_length=500)
    body_template = models.TextField()
    extra_addresses = models.TextField(blank=True)  # audience beyond the list; consent checked
    link_base = models.CharField(max_length=300, blank=True)  # public URL for unsubscribe links
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    pacing_note = models.TextField(blank=True)  # why the last batch stopped where it did

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CampaignRecipient(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SKIPPED = "skipped", _("Not sent")
        QUEUED = "queued", _("In the outbox")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    address = models.CharField(max_length=320)
    domain = models.CharField(max_length=253)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=32, blank=True)  # why skipped / bounced
    evidence = models.JSONField(default=list, blank=True)
    outbox = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "address"], name="recipient_once")
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="recipient_campaign_status")]

    def __str__(self) -> str:
        return f"{self.address} ({self.status})"
