"""Per-user preferences, roles and teams, kept beside Django's auth user."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    language = models.CharField(max_length=10, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"profile of {self.user}"


class Team(models.Model):
    """A group of salespeople with its managers; data of other teams stays out of sight."""

    name = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role and team. Read it through :mod:`tradeinbox.users.roles`.

    Until the first row exists the installation is single-user and everybody signed
    in is an admin; from then on a user without a row is a salesperson in no team.
    """

    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        MANAGER = "manager", _("Manager")
        SALESPERSON = "salesperson", _("Salesperson")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SALESPERSON)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.role}, {self.team or 'no team'})"


class MessageAddress(models.Model):
    """Every address a message is from or to: the index that decides who sees it.

    A message is visible to the owners of the customers (companies) behind these
    addresses; see :func:`tradeinbox.users.roles.visible_messages`. Filled when
    messages are stored (``messages_stored``) and by ``backfill_message_addresses``.
    The empty address marks a message with no usable address, so "has rows" means
    "indexed".
    """

    message = models.ForeignKey(
        "store.Message",
        on_delete=models.CASCADE,
        related_name="party_addresses",
        db_index=False,  # the unique (message, address) index serves lookups by message
    )
    address = models.CharField(max_length=320)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "address"], name="message_address_once")
        ]
        indexes = [models.Index(fields=["address"], name="message_address_by_address")]
