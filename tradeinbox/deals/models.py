"""Deals: one timeline per piece of business, reply clocks and follow-ups.

* :class:`Deal` - a piece of business with a buyer: stage, amount, grade, owner. Messages
  join it by thread (:class:`DealThread`) or by a shared document number
  (:class:`DealReference`), whichever address they came from (see
  :mod:`tradeinbox.core.deals.linking`); :class:`DealMessage` and :class:`DealChat` say
  which messages and chat lines it gathered and why. :class:`StageChange` is its history.
* :class:`ReplyClock` - every customer message we received, with its grade and, when it
  waits for an answer, its deadline in business hours and when it was answered.
* :class:`FollowUp` - a follow-up the cadence planned: a draft (scheduled in the outbox or
  waiting for review), a task, or the "call or WhatsApp instead" suggestion.
* :class:`DealSettings` - the company's business hours, reply deadlines and cadence policy.
* :class:`FeedToken` - the secret in a user's calendar-feed URL.
"""

from __future__ import annotations

import os
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tradeinbox.core.deals.business_hours import BusinessCalendar
from tradeinbox.core.deals.cadence import CadenceSettings
from tradeinbox.core.deals.deadlines import DeadlineSettings
from tradeinbox.customers.models import ChatMessage, Company, Person
from tradeinbox.store.models import Message, Thread


class Stage(models.TextChoices):
    # Values are tradeinbox.core.deals.stages.Stage values.
    COLD = "cold", _("Cold")
    INQUIRY = "inquiry", _("Inquiry")
    QUOTED = "quoted", _("Quoted")
    SAMPLE = "sample", _("Sample")
    NEGOTIATION = "negotiation", _("Negotiation")
    ORDER = "order", _("Order")
    PRODUCTION = "production", _("Production")
    SHIPPED = "shipped", _("Shipped")
    AFTER_SALES = "after_sales", _("After-sales")
    CLOSED_WON = "closed_won", _("Closed won")
    CLOSED_LOST = "closed_lost", _("Closed lost")


CLOSED_STAGES = (Stage.CLOSED_WON, Stage.CLOSED_LOST)


class DealSettings(models.Model):
    """One row (pk 1): the seller's working time and the reply and follow-up policy."""

    class FollowUpMode(models.TextChoices):
        SCHEDULE = (
            "schedule",
            _("Schedule follow-up drafts in the outbox (cancelled if the buyer replies)"),
        )
        REVIEW = "review", _("Keep follow-up drafts for me to review and send")

    time_zone = models.CharField(max_length=64, default="UTC")
    workdays = models.CharField(max_length=20, default="0,1,2,3,4")  # Monday 0 .. Sunday 6
    day_start = models.TimeField(default=time(9))
    day_end = models.TimeField(default=time(18))
    lunch_start = models.TimeField(null=True, blank=True, default=time(12))
    lunch_end = models.TimeField(null=True, blank=True, default=time(13))
    country = models.CharField(max_length=2, blank=True)  # public holidays (ISO 3166)
    reply_hours_b = models.FloatField(null=True, blank=True, default=24.0)
    reply_hours_c = models.FloatField(null=True, blank=True, default=2.0)
    reply_hours_d = models.FloatField(null=True, blank=True, default=2.0)
    ungraded_hours = models.FloatField(null=True, blank=True, default=24.0)
    max_unanswered = models.PositiveSmallIntegerField(default=3)
    followup_mode = models.CharField(
        max_length=10, choices=FollowUpMode.choices, default=FollowUpMode.SCHEDULE
    )
    chat_cursor = models.BigIntegerField(default=0)  # last ChatMessage id linked to deals
    updated_at = models.DateTimeField(auto_now=True)

    @classmethod
    def load(cls) -> DealSettings:
        row = cls.objects.filter(pk=1).first()
        if row is None:
            row, _created = cls.objects.get_or_create(
                pk=1,
                # First-run defaults from the environment; the settings page edits them.
                defaults={
                    "time_zone": os.environ.get("TRADEINBOX_BUSINESS_TZ")
                    or settings.TIME_ZONE
                    or "UTC",
                    "country": os.environ.get("TRADEINBOX_BUSINESS_COUNTRY", "")[:2].upper(),
                },
            )
        return row

    def workday_numbers(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.workdays.split(",") if d.strip().isdigit())

    def calendar(self) -> BusinessCalendar:
        lunch = (self.lunch_start, self.lunch_end) if self.lunch_start and self.lunch_end else None
        return BusinessCalendar.standard(
            self.time_zone or "UTC",
            start=self.day_start,
            end=self.day_end,
            lunch=lunch,
            workdays=self.workday_numbers(),
            country=self.country or None,
        )

    def deadline_settings(self) -> DeadlineSettings:
        return DeadlineSettings(
            calendar=self.calendar(),
            reply_hours={
                "A": None,
                "B": self.reply_hours_b,
                "C": self.reply_hours_c,
                "D": self.reply_hours_d,
            },
            ungraded_hours=self.ungraded_hours,
        )

    def cadence_settings(self) -> CadenceSettings:
        return CadenceSettings(max_unanswered=self.max_unanswered, calendar=self.calendar())


class DealQuerySet(models.QuerySet):
    def visible_to(self, user) -> DealQuerySet:
        """Deals owned inside the user's scope, and unowned deals of customers they may see
        (their scope's or the public pool). Team-aware through the roles API: "own" means
        the scope's owners (a team manager's whole team); admins and managers of no team
        see every deal."""
        from tradeinbox.users.roles import owner_q, scope

        seen = scope(user)
        if seen is None:
            return self.none()
        if seen.everything:
            return self
        return self.filter(
            owner_q(user, "owner", pool=False)
            | Q(owner__isnull=True) & (Q(company__isnull=True) | owner_q(user, "company__owner"))
        )

    def open(self) -> DealQuerySet:
        return self.exclude(stage__in=CLOSED_STAGES)


class Deal(models.Model):
    title = models.CharField(max_length=255)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.INQUIRY)
    stage_set_at = models.DateTimeField(null=True, blank=True)  # last change by a user
    suggested_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    suggestion = models.JSONField(default=dict, blank=True)  # StageSuggestion.as_dict()
    grade = models.CharField(max_length=1, blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    language = models.CharField(max_length=8, default="en")
    formal_address = models.CharField(max_length=320, blank=True)  # chosen by the user
    cadence_paused = models.BooleanField(default=False)
    cadence = models.JSONField(default=dict, blank=True)  # the last cadence decision
    link_evidence = models.JSONField(default=list, blank=True)  # why it exists; conflicts
    opened_at = models.DateTimeField()
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-last_message_at", "-id"]

    def __str__(self) -> str:
        return self.title or f"deal {self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES


class DealThread(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="threads")
    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="deal_link")


class DealReference(models.Model):
    """A document number of the deal. ``group``/``value``: the link key
    (:class:`tradeinbox.core.deals.linking.LinkKey`); ``kind``/``shown``: as first written."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="references")
    group = models.CharField(max_length=16)
    value = models.CharField(max_length=64)
    kind = models.CharField(max_length=16)
    shown = models.CharField(max_length=64)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "group", "value"], name="deal_reference_once")
        ]
        indexes = [models.Index(fields=["group", "value"], name="deal_reference_key")]


class DealMessage(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_messages")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="deal_link")
    direction = models.CharField(max_length=3)  # in | out
    at = models.DateTimeField(db_index=True)
    evidence = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["at", "id"]


class DealChat(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_chats")
    chat = models.OneToOneField(ChatMessage, on_delete=models.CASCADE, related_name="deal_link")
    evidence = models.JSONField(default=list, blank=True)


class StageChange(models.Model):
    class Source(models.TextChoices):
        CREATED = "created", _("when the deal was created")
        USER = "user", _("set by hand")
        SUGGESTION = "suggestion", _("suggestion accepted")

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    evidence = models.JSONField(default=list, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]


class ReplyClock(models.Model):
    """A customer message we received. ``due_at`` is set when it waits for an answer;
    ``answered_at`` when we answered it on any channel. ``auto``: an auto-reply, bounce
    or list mail (never a reply from the buyer)."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="reply_clock")
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="clocks"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="reply_clocks"
    )
    sender = models.CharField(max_length=320, db_index=True)
    received_at = models.DateTimeField(db_index=True)
    grade = models.CharField(max_length=1, blank=True)
    grade_source = models.CharField(max_length=16, blank=True)  # triage | core | deal
    is_inquiry = models.BooleanField(default=False)
    threat = models.CharField(max_length=16, blank=True)  # ham | spam | phish ...
    auto = models.BooleanField(default=False)
    hours = models.FloatField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_channel = models.CharField(max_length=16, blank=True)
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    answered_from = models.CharField(max_length=320, blank=True)
    evidence = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["due_at", "received_at", "id"]

    @property
    def waiting(self) -> bool:
        return self.due_at is not None and self.answered_at is None


class FollowUp(models.Model):
    class Action(models.TextChoices):
        DRAFT = "draft", _("Follow-up mail")
        TASK = "task", _("Follow-up task")
        SUGGEST_CHANNEL = "suggest_channel", _("Call or message instead")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Draft to review")
        SCHEDULED = "scheduled", _("Scheduled in the outbox")
        OPEN = "open", _("To do")
        SENT = "sent", _("Sent")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Stopped")

    ACTIVE = (Status.PLANNED, Status.SCHEDULED, Status.OPEN)

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="followups")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL)
    rule = models.CharField(max_length=64)
    step = models.PositiveSmallIntegerField(default=0)  # 0: the change-channel suggestion
    action = models.CharField(max_length=16, choices=Action.choices)
    template = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16, default="email")
    anchor_at = models.DateTimeField()  # the outbound touch this step counts from
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    to = models.TextField(blank=True)
    cc = models.TextField(blank=True)
    subject = models.TextField(blank=True)
    body = models.TextField(blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    outbox = models.ForeignKey(
        "mailbox.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)  # why it stopped, in words
    # buyer_replied | user | outbox | replaced | closed | paused | no_rule | unanswered
    stop_code = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "rule", "step", "action", "anchor_at"], name="followup_once"
            )
        ]

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def channel_label(self) -> str:
        from tradeinbox.customers.models import Channel

        return dict(Channel.Kind.choices).get(self.channel, self.channel)


class FeedToken(models.Model):
    """The secret of a user's iCalendar feed URL; a new one revokes the old link."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deal_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)
