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
from functools import cache
from typing import Any, get_type_hints


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


# --- values typed by a user ------------------------------------------------------------------

# Dotted prefixes a user may fill by hand, and the dataclass each one sets.
_TARGETS = ("sender.company", "person", "company", "deal", "sender")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _target(context: RenderContext, name: str) -> tuple[Any, str] | None:
    for prefix in _TARGETS:
        if name.startswith(prefix + "."):
            obj = context.sender.company if prefix == "sender.company" else getattr(context, prefix)
            attr = name[len(prefix) + 1 :]
            if attr in {f.name for f in fields(obj)} and attr != "company":
                return obj, attr
    return None


def variable_kind(name: str) -> str:
    """How a form asks for ``name``: "date", "int", "list" (one per line), "items" or "text".

    "items" are order lines written ``name | quantity | unit | price``. "" when ``name`` is
    not a field a user can fill (a derived value such as ``salutation``, or unknown).
    """
    found = _target(RenderContext(), name)
    if found is None:
        return ""
    obj, attr = found
    hint = _hints(type(obj))[attr]
    text = str(hint)
    if "date" in text:
        return "date"
    if "int" in text:
        return "int"
    if "dict" in text:
        return "items"
    if "list" in text:
        return "list"
    return "text"


_ITEM_KEYS = ("name", "quantity", "unit", "price")


def apply_values(context: RenderContext, values: dict[str, str]) -> list[str]:
    """Set the variables a user typed (``{"deal.po_no": "88123", ...}``) on ``context``.

    Empty values are skipped (the variable stays absent, so a template that needs it says
    so). Returns one message per value that could not be used; the others are applied.
    """
    problems: list[str] = []
    for name, raw in values.items():
        text = (raw or "").strip()
        if not text:
            continue
        found = _target(context, name)
        if found is None:
            problems.append(f"{name}: not a variable that can be filled in")
            continue
        obj, attr = found
        kind = variable_kind(name)
        try:
            value: Any
            if kind == "date":
                value = date.fromisoformat(text)
            elif kind == "int":
                value = int(text)
            elif kind == "list":
                value = [line.strip() for line in text.splitlines() if line.strip()]
            elif kind == "items":
                value = []
                for line in text.splitlines():
                    cells = [c.strip() for c in line.split("|")]
                    if any(cells):
                        value.append({k: v for k, v in zip(_ITEM_KEYS, cells, strict=False) if v})
            else:
                value = text
        except ValueError:
            expected = "a date (YYYY-MM-DD)" if kind == "date" else "a whole number"
            problems.append(f"{name}: {text!r} is not {expected}")
            continue
        setattr(obj, attr, value)
    return problems
