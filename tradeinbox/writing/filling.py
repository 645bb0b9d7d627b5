"""Filling a template for a person, a company and a deal from the CRM.

The Django side of :mod:`tradeinbox.core.writing.templates`: it reads the customer rows,
turns them into the core's plain dataclasses, adds what the user typed on the compose
page, and renders. The core decides everything else (strict variables, the sandbox).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from tradeinbox.core.writing import context as core_context
from tradeinbox.core.writing.context import RenderContext, SenderInfo
from tradeinbox.core.writing.salutation import normalise_title
from tradeinbox.core.writing.signature import build_signature
from tradeinbox.core.writing.templates import (
    LANGUAGES,
    TEMPLATE_KEYS,
    Rendered,
    TemplateProblem,
    load_builtin,
    render_template,
    template_variables,
)
from tradeinbox.customers.models import Channel, EmailAddress, Person
from tradeinbox.writing.models import UserTemplate

# Where Spanish or Chinese is the language business mail is written in.
_SPANISH = set("ES MX AR CO CL PE VE EC GT CU BO DO HN PY SV NI CR PA UY PR GQ".split())
_CHINESE = set("CN TW HK MO".split())
BUILTIN_NAMES = {
    "cold_outreach": "Cold outreach",
    "inquiry_reply": "Inquiry reply",
    "quotation_cover": "Quotation cover",
    "negotiation_followup": "Negotiation follow-up (value pack)",
    "sample_followup": "Sample follow-up",
    "order_confirmation": "Order confirmation",
    "production_progress": "Production progress",
    "shipping_notice": "Shipping notice",
    "after_sales_feedback": "After-sales feedback",
    "call_confirmation": "Confirmation after a WhatsApp or phone talk",
    "newsletter_optin": "Newsletter opt-in invitation",
    "vacation_autoreply": "Vacation auto-reply",
}
_REFERENCE_FIELDS = {
    "rfq": "rfq_no",
    "rfp": "rfq_no",
    "po": "po_no",
    "order": "po_no",
    "pi": "pi_no",
    "quotation": "quote_no",
    "bl": "bl_no",
    "container": "container_no",
}


@dataclass(frozen=True, slots=True)
class Source:
    """A template's text, wherever it comes from."""

    value: str  # "builtin:en:cold_outreach" or "user:12"
    name: str
    language: str
    subject: str
    body: str


def template_choices(user) -> list[tuple[str, list[tuple[str, str]]]]:
    """Option groups for the picker: the user's own (and shared) templates, then the library."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    own = [
        (f"user:{t.pk}", f"{t.name} ({t.language})") for t in UserTemplate.objects.usable_by(user)
    ]
    if own:
        groups.append(("mine", own))
    for language in LANGUAGES:
        groups.append(
            (
                language,
                [(f"builtin:{language}:{key}", BUILTIN_NAMES[key]) for key in TEMPLATE_KEYS],
            )
        )
    return groups


def load_source(value: str, user) -> Source | None:
    """The template behind a picker value, or None when it does not exist (or is not theirs)."""
    kind, _, rest = value.partition(":")
    if kind == "builtin":
        language, _, key = rest.partition(":")
        try:
            found = load_builtin(key, language)
        except KeyError:
            return None
        return Source(value, BUILTIN_NAMES[key], language, found.subject, found.body)
    if kind == "user" and rest.isdigit():
        row = UserTemplate.objects.usable_by(user).filter(pk=int(rest)).first()
        if row is not None:
            return Source(value, row.name, row.language, row.subject, row.body)
    return None


def split_name(name: str) -> tuple[str, str]:
    """``(first, last)`` from a display name; "Okafor, Ada" and "王伟" included."""
    name = " ".join(name.replace('"', " ").split())
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    if name and re.fullmatch(r"[\u3400-\u9fff]{2,4}", name):
        return name[1:], name[0]  # Chinese: family name first, one character in most cases
    parts = name.split(" ")
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]


def formal_address(person: Person) -> str:
    """The address a customer does business from: formal, then official, never former."""
    rows = [
        a
        for a in person.addresses.all()
        if a.kind not in (EmailAddress.Kind.FORMER, EmailAddress.Kind.DISPOSABLE)
        and not any(e.get("rule") == "former.hard_bounce" for e in a.former_evidence)
    ]
    rows.sort(key=lambda a: (not a.is_formal, a.kind != "official", -a.messages_from, a.address))
    return rows[0].address if rows else ""


def person_phone(person: Person) -> str:
    order = {Channel.Kind.PHONE: 0, Channel.Kind.MOBILE: 1, Channel.Kind.WHATSAPP: 2}
    channels = sorted(
        (c for c in person.channels.all() if c.kind in order), key=lambda c: order[c.kind]
    )
    return channels[0].value if channels else ""


def guess_language(country: str) -> str:
    """The language a template should default to for a buyer in ``country``."""
    country = (country or "").upper()
    if country in _SPANISH:
        return "es"
    if country in _CHINESE:
        return "zh"
    return "en"


def sender_info(account) -> SenderInfo:
    first, last = split_name(account.sender_name or "")
    return SenderInfo(
        first_name=first,
        last_name=last,
        email=account.email_address,
        company=core_context.Company(name=account.company or ""),
    )


def _deal_row(deal_pk: str | int | None, user):
    """The chosen deal, when the deals app provides one the user may see."""
    if not deal_pk or not str(deal_pk).isdigit():
        return None
    try:
        from tradeinbox.deals.models import Deal
    except ImportError:  # the deals app is optional for compose
        return None
    return Deal.objects.visible_to(user).filter(pk=int(deal_pk)).first()


def deal_choices(user, limit: int = 200) -> list[tuple[int, str]]:
    try:
        from tradeinbox.deals.models import Deal
    except ImportError:
        return []
    rows = Deal.objects.visible_to(user).select_related("company")[:limit]
    return [(d.pk, f"{d.title}" + (f" · {d.company}" if d.company_id else "")) for d in rows]


@dataclass
class Filled:
    """What the compose page needs after building a context and (maybe) rendering."""

    context: RenderContext
    rendered: Rendered | None = None
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    to: str = ""  # the person's formal address, for an empty To field


def build_context(
    *,
    user,
    account,
    person_pk: str | int | None = None,
    deal_pk: str | int | None = None,
    language: str = "",
    courtesy: str = "",
    values: dict[str, str] | None = None,
    today: date | None = None,
) -> Filled:
    """The render context for the chosen person, deal and sender, plus typed values."""
    ctx = RenderContext(today=today)
    filled = Filled(ctx)
    if account is not None:
        ctx.sender = sender_info(account)
        if account.signature.strip():
            # The outbox adds the account's signature block under "-- ", so the letter
            # itself closes with the name only.
            ctx.extra["signature"] = account.sender_name
    deal = _deal_row(deal_pk, user)
    person = None
    if person_pk and str(person_pk).isdigit():
        person = (
            Person.objects.visible_to(user)
            .select_related("company")
            .prefetch_related("addresses", "channels")
            .filter(pk=int(person_pk))
            .first()
        )
    if person is None and deal is not None and getattr(deal, "person_id", None):
        person = Person.objects.filter(pk=deal.person_id).first()
    company = person.company if person is not None else getattr(deal, "company", None)
    if person is not None:
        first, last = split_name(person.name)
        filled.to = formal_address(person)
        ctx.person = core_context.Person(
            first_name=first,
            last_name=last,
            job_title=person.title,
            email=filled.to,
            phone=person_phone(person),
            country=company.country if company is not None else "",
        )
    if company is not None:
        ctx.company = core_context.Company(name=company.name, country=company.country)
    if deal is not None:
        _apply_deal(ctx, deal)
    ctx.person.title = normalise_title(courtesy)
    ctx.language = language if language in LANGUAGES else guess_language(ctx.company.country)
    if deal is not None and not language and getattr(deal, "language", "") in LANGUAGES:
        ctx.language = deal.language
    ctx.person.language = ctx.language
    filled.problems = core_context.apply_values(ctx, values or {})
    if "signature" not in ctx.extra and not build_signature(ctx.sender, ctx.language):
        filled.problems.append("signature: add your name to the mailbox settings")
    return filled


def _apply_deal(ctx: RenderContext, deal) -> None:
    ctx.deal.product = getattr(deal, "title", "") or ""
    if getattr(deal, "currency", ""):
        ctx.deal.currency = deal.currency
    if getattr(deal, "amount", None) is not None:
        ctx.deal.amount = f"{deal.amount:,.2f}"
    references = getattr(deal, "references", None)
    if references is None:
        return
    for ref in references.all():
        attr = _REFERENCE_FIELDS.get(ref.kind)
        if attr and not getattr(ctx.deal, attr):
            setattr(ctx.deal, attr, ref.shown or ref.value)


def render(source: Source, filled: Filled) -> Filled:
    """Render ``source``; an undefined variable is reported by name, never left as a gap."""
    try:
        filled.rendered = render_template(source.subject, source.body, filled.context)
    except TemplateProblem as exc:
        filled.missing = exc.missing
        filled.problems.extend(exc.unsafe + exc.syntax)
    return filled


@dataclass(frozen=True, slots=True)
class VariableField:
    name: str
    kind: str  # date | int | list | items | text
    value: str
    needed: bool  # the template cannot be rendered without it


def variable_fields(source: Source, filled: Filled, values: dict[str, str]) -> list[VariableField]:
    """Inputs for the variables the template reads that the CRM does not provide."""
    try:
        names = template_variables(source.subject, source.body)
    except TemplateProblem:
        return []
    known = filled.context.variables()
    missing = set(filled.missing)
    out = []
    for name in names:
        kind = core_context.variable_kind(name)
        if not kind:
            continue
        typed = values.get(name, "")
        if not typed and _lookup(known, name) is not None:
            continue  # the CRM provides it
        out.append(VariableField(name, kind, typed, name in missing))
    out.sort(key=lambda f: (not f.needed, f.name))
    return out


def _lookup(variables: dict, dotted: str):
    node = variables
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def typed_values(data) -> dict[str, str]:
    """The ``var.<name>`` inputs of a compose form, as ``{name: text}``."""
    return {k[4:]: v for k, v in data.items() if k.startswith("var.") and isinstance(v, str)}
