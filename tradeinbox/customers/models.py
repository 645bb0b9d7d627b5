"""Customers: companies, people, their addresses and channels, merges, chats, pools.

* :class:`Company` - a customer firm, found by its registrable domain(s)
  (:class:`CompanyDomain`); owned by a salesperson or, with ``owner`` empty, in the
  public pool.
* :class:`Person` - one human; a cluster of :class:`EmailAddress` rows joined by
  evidence (:mod:`tradeinbox.core.identity`). A person merged into another keeps its row
  (``merged_into``) so the merge can be split again.
* :class:`MergeProposal` - a merge with its evidence: ``proposed`` (weak evidence, waits
  for a click), ``confirmed`` (applied: automatically for strong evidence or by a user),
  ``rejected``, or ``split`` (undone). ``moved`` records exactly what was moved.
* :class:`Channel` - phone, WhatsApp, WeChat, Telegram, VK, Skype, LinkedIn.
* :class:`ChatMessage` - imported WhatsApp/Telegram lines on the person's timeline.
* :class:`SalesRole` - superseded by ``users.Membership`` (kept for its migration).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models


class SalesRole(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager", "Manager"
        SALESPERSON = "salesperson", "Salesperson"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sales_role"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SALESPERSON)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


def is_manager(user) -> bool:
    """Managers and admins see their scope's customers and may reassign them.

    Roles live in :mod:`tradeinbox.users.roles` now (``SalesRole`` rows were copied
    there by the users app's migration 0002 and are no longer read).
    """
    from tradeinbox.users.roles import ADMIN, MANAGER, role_of

    return role_of(user) in (MANAGER, ADMIN)


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user) -> CompanyQuerySet:
        """Own (or, for managers, the team's) customers and the public pool; admins and
        managers of no team: everything (:mod:`tradeinbox.users.roles`)."""
        from tradeinbox.users.roles import visible_companies

        return visible_companies(user, self)

    def in_pool(self) -> CompanyQuerySet:
        return self.filter(owner__isnull=True)


class Company(models.Model):
    name = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=2, blank=True)  # ISO 3166-1 alpha-2
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    owner_since = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name or self.primary_domain or f"company {self.pk}"

    @property
    def primary_domain(self) -> str:
        first = self.domains.order_by("id").first()
        return first.domain if first else ""


class CompanyDomain(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)  # registrable domain

    def __str__(self) -> str:
        return self.domain


class PersonQuerySet(models.QuerySet):
    def active(self) -> PersonQuerySet:
        return self.filter(merged_into__isnull=True)

    def visible_to(self, user) -> PersonQuerySet:
        """People of visible companies, and people with no company (free-mail only)."""
        from tradeinbox.users.roles import visible_people

        return visible_people(user, self)


class Person(models.Model):
    name = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_people"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        if self.name:
            return self.name
        first = self.addresses.order_by("id").first()
        return first.address if first else f"person {self.pk}"


class EmailAddress(models.Model):
    class Kind(models.TextChoices):
        OFFICIAL = "official", "official"
        ROLE = "role", "role"
        FREEMAIL = "freemail", "free-mail"
        DISPOSABLE = "disposable", "disposable"
        FORMER = "former", "former"

    address = models.CharField(max_length=320, unique=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="addresses"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OFFICIAL)
    kind_evidence = models.JSONField(default=list)
    former_evidence = models.JSONField(default=list)  # bounces, "has left" replies
    is_formal = models.BooleanField(default=False)  # the address the customer does business from
    is_own = models.BooleanField(default=False)  # one of the team's own mailboxes
    profile = models.JSONField(default=dict)  # names, phones, signatures (core.identity)
    messages_from = models.PositiveIntegerField(default=0)
    messages_to = models.PositiveIntegerField(default=0)
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["address"]
        verbose_name_plural = "email addresses"

    def __str__(self) -> str:
        return self.address

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


class AddressLink(models.Model):
    """One message's evidence that two addresses may be one person (a < b)."""

    a = models.CharField(max_length=320, db_index=True)
    b = models.CharField(max_length=320, db_index=True)
    rule = models.CharField(max_length=64)
    weight = models.FloatField()
    detail = models.TextField()
    message_key = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["a", "b", "rule", "message_key"], name="link_once")
        ]


class MergeProposal(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "proposed"
        CONFIRMED = "confirmed", "confirmed"
        REJECTED = "rejected", "rejected"
        SPLIT = "split", "split"

    target = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges_in")
    source = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merges_out")
    address_a = models.CharField(max_length=320)
    address_b = models.CharField(max_length=320)
    weight = models.FloatField()
    strength = models.CharField(max_length=8)  # strong | weak
    evidence = models.JSONField(default=list)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    automatic = models.BooleanField(default=False)
    moved = models.JSONField(default=dict)  # what a confirm moved, so split can restore it
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.address_a} + {self.address_b} ({self.status})"


class Channel(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", "Phone"
        MOBILE = "mobile", "Mobile"
        WHATSAPP = "whatsapp", "WhatsApp"
        WECHAT = "wechat", "WeChat"
        TELEGRAM = "telegram", "Telegram"
        VK = "vk", "VK"
        SKYPE = "skype", "Skype"
        LINKEDIN = "linkedin", "LinkedIn"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=255)  # normalised: E.164, handle, profile URL
    source = models.CharField(max_length=32, default="manual")  # "signature" | "manual"
    evidence = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "value"], name="channel_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class ChatImport(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="chat_imports")
    format = models.CharField(max_length=16)  # whatsapp | telegram_json
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    message_count = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "sha256"], name="chat_import_once")
        ]


class ChatMessage(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="chat_messages")
    chat_import = models.ForeignKey(ChatImport, on_delete=models.CASCADE, related_name="lines")
    channel = models.CharField(max_length=16)  # whatsapp | telegram
    timestamp = models.DateTimeField(db_index=True)
    sender = models.CharField(max_length=255, blank=True)
    from_customer = models.BooleanField(default=True)
    text = models.TextField(blank=True)
    media = models.CharField(max_length=255, blank=True)
    is_system = models.BooleanField(default=False)

    class Meta:
        ordering = ["timestamp", "id"]


def timeline_sort_key(item: dict) -> datetime:
    return item["when"]
