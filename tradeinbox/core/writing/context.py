"""The facts a template, a salutation or a signature is made from.

Plain dataclasses, filled by the caller (the web compose page reads them from the
CRM; tests build them by hand). :meth:`RenderContext.variables` turns them into the
nested mapping that templates see (``person.last_name``, ``deal.rfq_no`` ...).
Fields left ``None`` or empty are *absent*: a template that uses one fails with the
variable's name (see :mod:`tradeinbox.core.writing.templates`), it never renders a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any


@dataclass(slots=True)
class Person:
    """The recipient. ``title`` is a courtesy title the user set or a signature showed.

    ``title`` is one of ``"mr"``, ``"ms"``, ``"mrs"``, ``"dr"``, ``"prof"`` (or empty when
    unknown); it is never guessed from the first name.
    """

    first_name: str = ""
    last_name: str = ""
    title: str = ""
    job_title: str = ""
    email: str = ""
    phone: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    timezone: str = ""  # IANA name set by the user, e.g. "Asia/Shanghai"
    language: str = ""  # preferred language code: "en", "zh", "es" ...
    interest: str = ""  # what the buyer is known to want (a hook for outreach)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(slots=True)
class Company:
    """A company: the buyer's (``context.company``) or ours (``sender.company``)."""

    name: str = ""
    legal_name: str = ""
    country: str = ""
    website: str = ""
    industry: str = ""
    city: str = ""
    products: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # e.g. "ISO 9001 certified since 2012"

    @property
    def full_name(self) -> str:
        return self.legal_name or self.name


@dataclass(slots=True)
class Deal:
    """One opportunity: inquiry, RFQ, quotation, order and shipment references.

    ``items`` are dicts (``name``, ``quantity``, ``unit``, ``price`` ...) so templates can
    loop over them; ``value_pack`` lists what we add instead of a bare discount.
    """

    product: str = ""
    inquiry_ref: str = ""
    rfq_no: str = ""
    quote_no: str = ""
    pi_no: str = ""
    po_no: str = ""
    incoterm: str = ""  # "FOB Ningbo", "CIF Valencia" ...
    currency: str = ""
    amount: str = ""
    quantity: str = ""
    moq: str = ""
    lead_time: str = ""
    payment_terms: str = ""
    valid_until: date | None = None
    sample_sent_on: date | None = None
    ship_date: date | None = None
    eta: date | None = None
    carrier: str = ""
    tracking_no: str = ""
    vessel: str = ""
    bl_no: str = ""
    container_no: str = ""
    port_of_loading: str = ""
    port_of_destination: str = ""
    production_percent: int | None = None
    production_stage: str = ""
    answers: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    value_points: list[str] = field(default_factory=list)
    value_pack: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    agreed_points: list[str] = field(default_factory=list)
    channel: str = ""  # "WhatsApp", "phone", "WeChat" (for the call-confirmation template)
    talk_date: date | None = None


@dataclass(slots=True)
class SenderInfo:
    """Who writes: our salesperson and our company, used for sign-offs and signatures."""

    first_name: str = ""
    last_name: str = ""
    job_title: str = ""
    email: str = ""
    phone: str = ""  # E.164 preferred: "+86 574 8765 4321"
    mobile: str = ""
    whatsapp: str = ""
    website: str = ""
    linkedin: str = ""
    company: Company = field(default_factory=Company)
    away_from: date | None = None
    away_until: date | None = None
    deputy_name: str = ""
    deputy_email: str = ""

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(slots=True)
class RenderContext:
    """Everything one rendering sees. ``extra`` holds user-defined variables."""

    person: Person = field(default_factory=Person)
    company: Company = field(default_factory=Company)
    deal: Deal = field(default_factory=Deal)
    sender: SenderInfo = field(default_factory=SenderInfo)
    language: str = "en"
    today: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def variables(self) -> dict[str, Any]:
        """The template namespace. Empty values are left out so that using them is an error.

        ``salutation`` and ``signature`` are derived (see :mod:`.salutation`, :mod:`.signature`).
        """
        from tradeinbox.core.writing.salutation import salutation
        from tradeinbox.core.writing.signature import build_signature

        out: dict[str, Any] = {
            "person": _present(self.person, ("full_name",)),
            "company": _present(self.company, ("full_name",)),
            "deal": _present(self.deal, ()),
            "sender": _present(self.sender, ("full_name",)),
            "language": self.language,
        }
        out["sender"]["company"] = _present(self.sender.company, ("full_name",))
        out["salutation"] = salutation(self.person, self.company, self.language).text
        signature = build_signature(self.sender, self.language)
        if signature:
            out["signature"] = signature
        if self.today is not None:
            out["today"] = self.today
        out.update({key: value for key, value in self.extra.items() if _is_present(value)})
        return out


def _is_present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str | list | tuple | dict):
        return len(value) > 0
    return True


def _present(obj: Any, properties: tuple[str, ...]) -> dict[str, Any]:
    """The non-empty fields of a dataclass (plus some properties) as a dict."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if hasattr(value, "__dataclass_fields__"):
            continue  # nested dataclasses are added by the caller
        if _is_present(value):
            out[f.name] = value
    for name in properties:
        value = getattr(obj, name)
        if _is_present(value):
            out[name] = value
    return out


def format_date(value: date | datetime, language: str) -> str:
    """A date written the way a business letter in ``language`` writes it (Babel CLDR data)."""
    from babel.dates import format_date as babel_format_date

    locale = {"zh": "zh_CN", "es": "es_ES"}.get(language, "en_GB")
    if isinstance(value, datetime):
        value = value.date()
    return babel_format_date(value, format="long", locale=locale)
