"""Quotations and proforma invoices kept in the database.

* :class:`CompanySettings` - one row (pk 1): the letterhead (name, address, logo), the bank
  details printed on proforma invoices (never in a mail body), numbering patterns and the
  defaults of a new quotation.
* :class:`ProductCost` - a saved product cost sheet: cost lines, packing, MOQ, margin.
* :class:`Quote` - one quotation for a customer: the cost sheet it was priced from
  (``sheet``, ``tradeinbox-cost-sheet/1``) and the prices computed then (``result``, with
  the seller-only figures). A quote is never edited after it is saved, so its prices are
  history; a revision is a new quote (``revises``) with its own number.
* :class:`QuoteLine` - a product of a quote, with its unit price under every Incoterm:
  the price history of a product.
* :class:`QuoteDocument` - a generated PDF (quotation or proforma invoice), kept in the
  blob store by its SHA-256.
* :class:`QuoteReply` - the draft reply that carries documents to the customer; the
  compose page opens it and marks it sent with the outbox row.
* :class:`DocumentSequence` - the last number given per kind and year (gap-free).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tradeinbox.customers.models import Company, Person

LANGUAGES = [("en", "English"), ("zh", "中文"), ("es", "Español")]


class CompanySettings(models.Model):
    name = models.CharField(_("company name"), max_length=200, blank=True)
    name_zh = models.CharField(_("company name in Chinese"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True, help_text=_("One line per row."))
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("email"), max_length=320, blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=64, blank=True)
    logo_sha256 = models.CharField(max_length=64, blank=True)
    logo_type = models.CharField(max_length=32, blank=True)
    bank_beneficiary = models.CharField(_("beneficiary"), max_length=200, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_address = models.CharField(_("bank address"), max_length=300, blank=True)
    bank_account = models.CharField(_("account number"), max_length=64, blank=True)
    bank_swift = models.CharField(_("SWIFT/BIC"), max_length=16, blank=True)
    quotation_pattern = models.CharField(
        _("quotation numbers"), max_length=64, default="Q-{yyyy}-{seq:4}"
    )
    proforma_pattern = models.CharField(
        _("proforma invoice numbers"), max_length=64, default="PI-{yyyy}-{seq:4}"
    )
    cost_currency = models.CharField(_("cost currency"), max_length=3, default="CNY")
    quote_currency = models.CharField(_("quote currency"), max_length=3, default="USD")
    margin_pct = models.DecimalField(_("margin %"), max_digits=5, decimal_places=2, default=15)
    min_margin_pct = models.DecimalField(
        _("lowest acceptable margin %"), max_digits=5, decimal_places=2, default=8
    )
    vat_pct = models.DecimalField(_("VAT %"), max_digits=5, decimal_places=2, default=13)
    rebate_pct = models.DecimalField(
        _("export VAT rebate %"), max_digits=5, decimal_places=2, default=13
    )
    origin_port = models.CharField(_("port of loading"), max_length=120, blank=True)
    origin_place = models.CharField(_("factory / pick-up place"), max_length=200, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("quotations valid for (days)"), default=30)
    payment_terms = models.CharField(_("payment terms"), max_length=300, blank=True)
    lead_time = models.CharField(_("lead time"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    @classmethod
    def load(cls) -> CompanySettings:
        row = cls.objects.filter(pk=1).first()
        if row is None:
            row, _created = cls.objects.get_or_create(pk=1)
        return row


class ProductCost(models.Model):
    """A saved product cost sheet. Costs per unit, VAT-inclusive, in ``cost_currency``."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("description (English)"), max_length=300)
    name_zh = models.CharField(_("description (Chinese)"), max_length=300, blank=True)
    name_es = models.CharField(_("description (Spanish)"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=16, default="pcs")
    hs_code = models.CharField(_("HS code"), max_length=16, blank=True)
    cost_currency = models.CharField(_("cost currency"), max_length=3, default="CNY")
    materials = models.DecimalField(_("materials"), max_digits=14, decimal_places=4, default=0)
    labour = models.DecimalField(_("labour"), max_digits=14, decimal_places=4, default=0)
    overhead = models.DecimalField(_("overhead"), max_digits=14, decimal_places=4, default=0)
    packaging = models.DecimalField(_("packaging"), max_digits=14, decimal_places=4, default=0)
    units_per_carton = models.PositiveIntegerField(_("units per carton"), default=1)
    carton_length_cm = models.DecimalField(
        _("carton length (cm)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    carton_width_cm = models.DecimalField(
        _("carton width (cm)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    carton_height_cm = models.DecimalField(
        _("carton height (cm)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    carton_kg = models.DecimalField(
        _("carton gross weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    moq = models.PositiveIntegerField(_("MOQ"), default=0)
    margin_pct = models.DecimalField(
        _("margin % (blank: the quote's)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    import_duty_pct = models.DecimalField(
        _("import duty % (for DDP)"), max_digits=5, decimal_places=2, default=0
    )
    tiers = models.CharField(_("quantity tiers"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"

    def description(self) -> dict[str, str]:
        out = {"en": self.name}
        if self.name_zh:
            out["zh"] = self.name_zh
        if self.name_es:
            out["es"] = self.name_es
        return out


class Quote(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Prepared")
        SENT = "sent", _("Sent")
        ORDERED = "ordered", _("Converted to order")
        LOST = "lost", _("Lost")

    number = models.CharField(max_length=64, unique=True)
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    pi_number = models.CharField(max_length=64, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="quotes",
    )  # fmt: skip
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    deal = models.ForeignKey(
        "deals.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    revises = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    buyer_name = models.CharField(max_length=255, blank=True)
    buyer_contact = models.CharField(max_length=255, blank=True)
    buyer_email = models.CharField(max_length=320, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    language = models.CharField(max_length=2, choices=LANGUAGES, default="en")
    incoterm = models.CharField(max_length=3)
    named_place = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=18, decimal_places=4)
    issued_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    sheet = models.JSONField()  # the cost sheet it was priced from
    result = models.JSONField()  # tradeinbox.core.quotation.quote() output (seller view)
    converted_at = models.DateTimeField(null=True, blank=True)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-seq", "-id"]
        indexes = [models.Index(fields=["year", "seq"], name="quote_year_seq")]

    def __str__(self) -> str:
        return self.number


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        ProductCost, null=True, blank=True, on_delete=models.SET_NULL, related_name="quote_lines"
    )
    sku = models.CharField(max_length=64, db_index=True)
    description = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField()
    unit = models.CharField(max_length=16, blank=True)
    unit_price = models.DecimalField(max_digits=18, decimal_places=4)  # at the quote's rule
    amount = models.DecimalField(max_digits=18, decimal_places=4)
    prices = models.JSONField(default=dict)  # Incoterm -> unit price (string)

    class Meta:
        ordering = ["quote", "position"]


class QuoteDocument(models.Model):
    class Kind(models.TextChoices):
        QUOTATION = "quotation", _("Quotation")
        PROFORMA = "proforma", _("Proforma invoice")

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.CharField(max_length=64)
    language = models.CharField(max_length=2, choices=LANGUAGES)
    incoterm = models.CharField(max_length=3)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    filename = models.CharField(max_length=200)
    total = models.CharField(max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class QuoteReply(models.Model):
    """A reply prepared from a writing template with documents attached, until sent."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="replies")
    documents = models.ManyToManyField(QuoteDocument, related_name="replies")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    template = models.CharField(max_length=64)
    language = models.CharField(max_length=2, choices=LANGUAGES)
    account = models.ForeignKey(
        "mailbox.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.TextField(blank=True)
    cc = models.TextField(blank=True)
    subject = models.TextField()
    body = models.TextField()
    quoted = models.TextField(blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    thread_id = models.BigIntegerField(null=True, blank=True)
    outbox = models.ForeignKey(
        "mailbox.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class DocumentSequence(models.Model):
    """The last number given for ``kind`` in ``year``; see :mod:`tradeinbox.quotes.numbering`."""

    kind = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="document_sequence_once")
        ]
