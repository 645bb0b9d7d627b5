"""The reply that carries a quotation or proforma invoice to the customer.

:func:`prepare_reply` fills a writing template (the quotation cover, or the order
confirmation for a PI) for the quote's person and deal through the writing app, answers
the customer's latest mail when there is one (threading headers and the quote), and keeps
the draft with its documents as a :class:`~tradeinbox.quotes.models.QuoteReply`.
:func:`compose_draft` is what the compose page opens (``?draft=quote:<id>``): the draft's
text and the PDFs, read from the blob store when the mail is queued. Bank details and
margins are never put into the mail text: the templates carry neither, and the values
given to them are the buyer-facing figures only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tradeinbox.customers.models import EmailAddress
from tradeinbox.mailbox.drafts import DraftFile, PreparedDraft
from tradeinbox.quotes.models import Quote, QuoteDocument, QuoteReply
from tradeinbox.quotes.services import document_bytes, visible_quotes
from tradeinbox.store.models import Message
from tradeinbox.users import roles

TEMPLATES = ("quotation_cover", "order_confirmation")


class ReplyProblem(ValueError):
    """The template could not be filled; ``missing`` names the variables it lacked."""

    def __init__(self, message: str, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = missing or []


def latest_inbound(q: Quote, user) -> Message | None:
    """The customer's newest mail the user may see: the reply answers it."""
    if q.person_id is None:
        return None
    addresses = EmailAddress.objects.filter(person_id=q.person_id, is_own=False).values("address")
    return (
        roles.visible_messages(user)
        .filter(from_email__in=addresses)
        .order_by("-date", "-id")
        .first()
    )


def _money(value: str) -> str:
    return f"{Decimal(value):,.2f}"


def template_values(q: Quote, docs: list[QuoteDocument], *, po_no: str = "") -> dict[str, str]:
    """The quote's buyer-facing facts as writing-template variables (``deal.*``)."""
    rule = next((d.incoterm for d in docs if d.kind == "proforma"), q.incoterm)
    block = q.result["incoterms"][rule]
    doc = q.sheet.get("document") or {}
    lines = list(q.lines.all())
    product = lines[0].description if lines else ""
    if len(lines) > 1:
        product = f"{product} (+{len(lines) - 1})"
    moqs = [p.get("moq", 0) for p in q.sheet.get("products", []) if p.get("moq")]
    values = {
        "deal.quote_no": q.number,
        "deal.product": product,
        "deal.currency": q.currency,
        "deal.amount": _money(block["total"]),
        "deal.incoterm": f"{rule} {block['named_place']} (Incoterms® 2020)".replace("  ", " "),
        "deal.lead_time": str(doc.get("lead_time") or ""),
        "deal.payment_terms": str(doc.get("payment_terms") or ""),
        "deal.valid_until": q.valid_until.isoformat() if q.valid_until else "",
        "deal.moq": ", ".join(f"{ln.sku}: {m}" for ln, m in zip(lines, moqs, strict=False))
        if moqs
        else "",
        "deal.quantity": ", ".join(f"{ln.quantity} {ln.unit}" for ln in lines),
        "deal.items": "\n".join(
            f"{ln.description} | {ln.quantity} | {ln.unit} | {_money(ln.prices.get(rule, ln.unit_price))}"
            for ln in lines
        ),
    }
    if q.pi_number and any(d.kind == "proforma" for d in docs):
        values["deal.pi_no"] = q.pi_number
    if po_no:
        values["deal.po_no"] = po_no
    return values


def prepare_reply(q: Quote, user, *, documents: list[QuoteDocument], template: str,
                  language: str, po_no: str = "") -> QuoteReply:  # fmt: skip
    """Fill the template for the quote and keep the draft with ``documents`` attached."""
    from tradeinbox.writing import filling, precheck

    if template not in TEMPLATES:
        raise ReplyProblem(f"unknown template {template!r}")
    if not documents:
        raise ReplyProblem(_("Choose at least one document to attach."))
    source = filling.load_source(f"builtin:{language}:{template}", user)
    if source is None:
        raise ReplyProblem(f"no {language} {template} template")
    original = latest_inbound(q, user)
    initial = precheck.reply_initial(original) if original is not None else {}
    sendable = roles.sendable_accounts(user)
    account = None
    if initial.get("account", "").isdigit():
        account = sendable.filter(pk=int(initial["account"])).first()
    account = account or sendable.first()
    if account is None:
        raise ReplyProblem(_("Connect a mailbox first: the reply is sent from one."))
    filled = filling.build_context(
        user=user, account=account, person_pk=q.person_id, deal_pk=q.deal_id,
        language=language, values=template_values(q, documents, po_no=po_no),
        today=timezone.localdate(),
    )  # fmt: skip
    filling.render(source, filled)
    if filled.rendered is None or filled.problems:
        raise ReplyProblem(
            "; ".join(filled.problems) or "the template needs more details",
            filled.missing,
        )
    with transaction.atomic():
        reply = QuoteReply.objects.create(
            quote=q, template=template, language=language, account=account,
            to=initial.get("to") or filled.to or q.buyer_email, cc=initial.get("cc", ""),
            subject=filled.rendered.subject, body=filled.rendered.body,
            quoted=initial.get("quoted", ""), in_reply_to=initial.get("in_reply_to", ""),
            references=initial.get("references", ""),
            thread_id=int(initial["thread"]) if initial.get("thread", "").isdigit() else None,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )  # fmt: skip
        reply.documents.set(documents)
    return reply


def visible_replies(user):
    return QuoteReply.objects.filter(quote__in=visible_quotes(user))


def compose_draft(ident: str, user) -> PreparedDraft | None:
    """The compose page's view of a prepared reply (``drafts.register("quote", ...)``)."""
    if not ident.isdigit():
        return None
    reply = (
        visible_replies(user)
        .filter(pk=int(ident), status=QuoteReply.Status.DRAFT)
        .select_related("quote")
        .first()
    )
    if reply is None:
        return None
    q = reply.quote
    initial = {
        "to": reply.to, "cc": reply.cc, "subject": reply.subject, "body": reply.body,
        "quoted": reply.quoted, "in_reply_to": reply.in_reply_to,
        "references": reply.references, "thread": str(reply.thread_id or ""),
        "tpl_person": str(q.person_id or ""), "tpl_deal": str(q.deal_id or ""),
    }  # fmt: skip
    if reply.account_id:
        initial["account"] = str(reply.account_id)
    files = [
        DraftFile(
            key=f"doc:{d.pk}",
            filename=d.filename,
            content_type="application/pdf",
            size=d.size,
            url=reverse("quotes:document", args=[d.pk]),
            read=lambda d=d: document_bytes(d),
        )  # fmt: skip
        for d in reply.documents.order_by("kind", "id")
    ]
    return PreparedDraft(
        token=f"quote:{reply.pk}", label=q.number, url=reverse("quotes:quote", args=[q.pk]),
        initial=initial, files=files, sent=lambda row: mark_sent(reply.pk, row),
    )  # fmt: skip


def mark_sent(reply_pk: int, row) -> None:
    """The compose page queued the reply: remember the outbox row; the quote is sent."""
    with transaction.atomic():
        QuoteReply.objects.filter(pk=reply_pk).update(
            status=QuoteReply.Status.SENT, outbox=row, sent_at=datetime.now(UTC)
        )
        reply = QuoteReply.objects.select_related("quote").get(pk=reply_pk)
        Quote.objects.filter(pk=reply.quote_id, status=Quote.Status.OPEN).update(
            status=Quote.Status.SENT
        )
