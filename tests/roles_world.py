"""A small two-team company for the role and audit tests.

Team Alpha: manager ``manager_a``, salespeople ``sales_a`` (owns everything private
below) and ``sales_a2``. Team Beta: ``manager_b`` and ``sales_b``. ``admin`` is in no
team. Every private thing of ``sales_a`` carries the marker :data:`PRIVATE`, the
template shared within team Alpha carries :data:`TEAM`, organisation-only data
(quarantine) :data:`ORG`, and a public-pool customer's mail :data:`POOL`, so a test can
tell from any response whose data leaked into it.

Mail is real: RFC 5322 bytes stored by the real importer (which also fills the
visibility index), then placed in ``sales_a``'s mailbox folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from django.contrib.auth.models import User

from tradeinbox import audit
from tradeinbox.customers.models import (
    Channel,
    Company,
    CompanyDomain,
    EmailAddress,
    MergeProposal,
    Person,
)
from tradeinbox.mailbox.models import Account, Folder, MessageLocation, OutboxMessage
from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Message, Quarantine
from tradeinbox.users.roles import assign_role

PRIVATE = "Zqprivatealpha"
TEAM = "Zqteamalpha"
ORG = "Zqorgonly"
POOL = "Zqpoolmail"
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
ROLE_NAMES = ("admin", "manager_a", "sales_a", "sales_a2", "manager_b", "sales_b")


@dataclass
class World:
    users: dict[str, User]
    company: Company
    person: Person
    other_person: Person
    channel: Channel
    proposal: MergeProposal
    account: Account
    folder: Folder
    message: Message
    pool_message: Message
    outbox: OutboxMessage
    objects: dict[str, object] = field(default_factory=dict)


def _mail(sender: str, to: str, subject: str, body: str, msgid: str, hours: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(WHEN + timedelta(hours=hours))
    msg["Message-ID"] = f"<{msgid}@roles.test>"
    msg.set_content(body)
    msg.add_attachment(PNG, maintype="image", subtype="png", filename=f"{PRIVATE}-drawing.png")
    return bytes(msg)


def build_world(tmp_path: Path) -> World:
    # No passwords: tests sign in with force_login (hashing six passwords per test is slow).
    users = {name: User.objects.create_user(name) for name in ROLE_NAMES}
    assign_role(users["admin"], "admin")
    assign_role(users["manager_a"], "manager", "Alpha")
    assign_role(users["sales_a"], "salesperson", "Alpha")
    assign_role(users["sales_a2"], "salesperson", "Alpha")
    assign_role(users["manager_b"], "manager", "Beta")
    assign_role(users["sales_b"], "salesperson", "Beta")

    folder_path = tmp_path / "mail"
    folder_path.mkdir()
    (folder_path / "private.eml").write_bytes(
        _mail(
            f"Alma {PRIVATE} <alma@{PRIVATE.lower()}.example>",
            "Sales A <sales-a@ourco.example>",
            f"{PRIVATE} quotation for 40 containers",
            f"Dear Sales A, {PRIVATE} needs your best price.",
            "private-1",
            0,
        )
    )
    (folder_path / "pool.eml").write_bytes(
        _mail(
            f"Pat {POOL} <pat@poolbuyer.example>",
            "Sales B <sales-b@ourco.example>",
            f"{POOL} inquiry about valves",
            f"Hello, {POOL} would like a catalogue.",
            "pool-1",
            1,
        )
    )
    Importer().import_paths([folder_path])
    message = Message.objects.get(subject__startswith=PRIVATE)
    pool_message = Message.objects.get(subject__startswith=POOL)

    company = Company.objects.create(name=f"{PRIVATE} Trading", owner=users["sales_a"])
    CompanyDomain.objects.create(company=company, domain=f"{PRIVATE.lower()}.example")
    person = Person.objects.create(name=f"Alma {PRIVATE}", company=company)
    other_person = Person.objects.create(name=f"A. {PRIVATE}", company=company)
    EmailAddress.objects.create(address=f"alma@{PRIVATE.lower()}.example", person=person)
    EmailAddress.objects.create(address=f"a.alma@{PRIVATE.lower()}.example", person=other_person)
    channel = Channel.objects.create(person=person, kind="whatsapp", value="+5511987654321")
    proposal = MergeProposal.objects.create(
        target=person,
        source=other_person,
        address_a=f"a.alma@{PRIVATE.lower()}.example",
        address_b=f"alma@{PRIVATE.lower()}.example",
        weight=0.4,
        strength="weak",
    )
    pool_company = Company.objects.create(name=f"{POOL} Buyer")
    CompanyDomain.objects.create(company=pool_company, domain="poolbuyer.example")
    pool_person = Person.objects.create(name=f"Pat {POOL}", company=pool_company)
    EmailAddress.objects.create(address="pat@poolbuyer.example", person=pool_person)

    account = Account(
        owner=users["sales_a"],
        email_address=f"sales-a@{PRIVATE.lower()}-ourco.example",
        sender_name="Sales A",
        imap_host="127.0.0.1",
        smtp_host="127.0.0.1",
        username="sales-a",
    )
    account.set_password("not used")
    account.save()
    folder = Folder.objects.create(account=account, name="INBOX", special_use="inbox")
    MessageLocation.objects.create(message=message, folder=folder, uid=1)
    outbox = OutboxMessage.objects.create(
        account=account,
        created_by=users["sales_a"],
        message_id=f"<out-1@{PRIVATE.lower()}.example>",
        raw_sha256="0" * 64,
        raw_size=10,
        subject=f"{PRIVATE} outbox offer",
        recipients=[f"alma@{PRIVATE.lower()}.example"],
        send_at=WHEN + timedelta(days=3650),
        next_attempt_at=WHEN + timedelta(days=3650),
    )
    Quarantine.objects.create(
        raw_sha256="f" * 64, size=3, source="x.eml", reason=f"{ORG} unreadable", created_at=WHEN
    )
    audit.record(users["sales_a"], "merge.confirm", company, summary=f"{PRIVATE} audit trail")
    world = World(
        users=users,
        company=company,
        person=person,
        other_person=other_person,
        channel=channel,
        proposal=proposal,
        account=account,
        folder=folder,
        message=message,
        pool_message=pool_message,
        outbox=outbox,
    )
    _optional_apps(world)
    return world


def _optional_apps(world: World) -> None:
    """Objects of the apps other parts of tradeinbox add (deals, writing, triage)."""
    from django.apps import apps

    sales_a = world.users["sales_a"]
    if apps.is_installed("tradeinbox.writing"):
        from tradeinbox.writing.models import UserTemplate

        world.objects["template"] = UserTemplate.objects.create(
            owner=sales_a, name=f"{TEAM} offer", subject="Offer", body="Dear {name}", shared=True
        )
    if apps.is_installed("tradeinbox.deals"):
        from tradeinbox.deals.models import Deal, FollowUp

        deal = Deal.objects.create(
            title=f"{PRIVATE} 40 containers",
            company=world.company,
            person=world.person,
            owner=sales_a,
            opened_at=WHEN,
        )
        world.objects["deal"] = deal
        world.objects["followup"] = FollowUp.objects.create(
            deal=deal,
            person=world.person,
            rule="cadence.step",
            step=1,
            action="task",
            anchor_at=WHEN,
            due_at=WHEN + timedelta(days=3),
            status="open",
        )
    if apps.is_installed("tradeinbox.quotes"):
        _quotes(world)
    if apps.is_installed("tradeinbox.triage"):
        from tradeinbox.triage.models import TriageResult

        world.objects["triage"] = TriageResult.objects.create(
            message=world.message, analysed_at=WHEN, inquiry=True, grade="C", due_at=WHEN
        )


def _quotes(world: World) -> None:
    """A quotation of sales_a's for the private customer, with its PDF, and a product."""
    import datetime as dt
    from decimal import Decimal

    from tradeinbox.core.quotebuild import LineInput, QuoteInput
    from tradeinbox.quotes import services
    from tradeinbox.quotes.models import ProductCost, QuoteDocument
    from tradeinbox.store.rawstore import blob_store

    line = LineInput(
        sku="LP600A",  # not a marker: the page URL carries it
        description={"en": f"{PRIVATE} LED panel"},
        quantity=100,
        costs={"materials": Decimal("72")},
        moq=50,
        tiers=[500],
    )
    inp = QuoteInput(
        lines=[line], cost_currency="CNY", quote_currency="USD", rate=Decimal("7.20"),
        rate_date=dt.date(2026, 3, 1), rate_source="BOC", margin_pct=Decimal(20),
        incoterm="FOB", origin_port="Ningbo", inland_freight=Decimal("720"),
        issued_on=dt.date(2026, 3, 2), valid_days=30, payment_terms="T/T", lead_time="35 days",
    )  # fmt: skip
    quote = services.create_quote(user=world.users["sales_a"], inp=inp, person=world.person)
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    world.objects["quote"] = quote
    world.objects["quote_document"] = QuoteDocument.objects.create(
        quote=quote, kind="quotation", number=quote.number, language="en", incoterm="FOB",
        sha256=blob_store().put(pdf), size=len(pdf), filename=f"{quote.number}.pdf",
        total=str(quote.total),
        created_by=world.users["sales_a"],
    )  # fmt: skip
    world.objects["product"] = ProductCost.objects.create(sku="LP-600", name="LED panel")
