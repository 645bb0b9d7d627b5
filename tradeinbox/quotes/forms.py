"""Forms: a quotation (header + product lines), a saved product, the company settings."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tradeinbox.core import incoterms
from tradeinbox.core.costsheet import CONTAINERS
from tradeinbox.core.quotebuild import LineInput, QuoteInput, parse_tiers
from tradeinbox.quotes.models import LANGUAGES, CompanySettings, ProductCost

MONEY = {"max_digits": 14, "decimal_places": 4, "min_value": Decimal(0)}
# <input type="date"> takes ISO dates only: a localised value (2026/11/22 in zh-Hans) shows empty.
ISO_DATE = "%Y-%m-%d"
PCT = {"max_digits": 5, "decimal_places": 2, "min_value": Decimal(0), "max_value": Decimal(99)}
CARRIAGE = [
    ("none", _("None (EXW/FCA/FOB only)")),
    ("sea_fcl", _("Sea, full containers (rate per container)")),
    ("sea_lcl", _("Sea, LCL (rate per m³ W/M)")),
    ("air", _("Air (rate per chargeable kg)")),
    ("road", _("Road (flat per shipment)")),
    ("courier", _("Courier (flat per shipment)")),
]
RULE_CHOICES = [(r, f"{r} – {incoterms.DESCRIPTIONS[r].name}") for r in incoterms.RULES]
RULE_CODES = [(r, r) for r in incoterms.RULES]
#: Rules that need no main carriage: without a freight rate the others are not priced.
NO_CARRIAGE_RULES = ("EXW", "FCA", "FOB")
TEMPLATES = [
    ("quotation_cover", _("Quotation cover")),
    ("order_confirmation", _("Order confirmation (needs the buyer's PO number)")),
]


def _currency(value: str) -> str:
    value = (value or "").strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise ValidationError(_("Use a three-letter currency code such as USD, EUR or CNY."))
    return value


class QuoteForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Customer"), coerce=int)
    deal = forms.TypedChoiceField(label=_("Deal"), coerce=int, required=False, empty_value=None)
    language = forms.ChoiceField(label=_("Document language"), choices=LANGUAGES)
    incoterm = forms.ChoiceField(label=_("Incoterm on the document"), choices=RULE_CHOICES)
    incoterms = forms.MultipleChoiceField(
        label=_("Also price under"), choices=RULE_CODES, required=False,
        help_text=_("C- and D-rules are priced only with a main carriage."),
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    origin_port = forms.CharField(label=_("Port of loading"), max_length=120, required=False)
    origin_place = forms.CharField(
        label=_("Factory / pick-up place"), max_length=200, required=False
    )
    destination_port = forms.CharField(
        label=_("Port of destination"), max_length=120, required=False
    )
    destination_place = forms.CharField(
        label=_("Delivery place (D-terms)"), max_length=200, required=False
    )
    cost_currency = forms.CharField(label=_("Cost currency"), max_length=3)
    quote_currency = forms.CharField(label=_("Quote currency"), max_length=3)
    rate = forms.DecimalField(
        label=_("Exchange rate (1 quote currency = ? cost currency)"), required=False,
        max_digits=16, decimal_places=6, min_value=Decimal("0.000001"),
    )  # fmt: skip
    rate_date = forms.DateField(
        label=_("Rate taken on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE),
    )
    rate_source = forms.CharField(label=_("Rate source"), max_length=120, required=False)
    margin_pct = forms.DecimalField(label=_("Margin % on the selling price"), **PCT)
    vat_pct = forms.DecimalField(label=_("VAT % in the costs"), **PCT)
    rebate_pct = forms.DecimalField(label=_("Export VAT rebate %"), **PCT)
    carriage_mode = forms.ChoiceField(label=_("Main carriage"), choices=CARRIAGE)
    container = forms.ChoiceField(
        label=_("Container"), choices=[(c, c) for c in CONTAINERS], initial="40HQ"
    )
    freight_rate = forms.DecimalField(
        label=_("Freight rate (quote currency)"), required=False, **MONEY
    )
    inland_freight = forms.DecimalField(
        label=_("Inland freight to port (cost currency)"), required=False, **MONEY
    )
    export_clearance = forms.DecimalField(
        label=_("Export clearance (cost currency)"), required=False, **MONEY
    )
    origin_handling = forms.DecimalField(
        label=_("Origin terminal handling (cost currency, per container for FCL)"),
        required=False, **MONEY,
    )  # fmt: skip
    insurance_pct = forms.DecimalField(label=_("Insurance rate % (CIF)"), required=False, **PCT)
    cip_insurance_pct = forms.DecimalField(label=_("Insurance rate % (CIP)"), required=False, **PCT)
    destination_handling = forms.DecimalField(
        label=_("Destination handling (quote currency)"), required=False, **MONEY
    )
    on_carriage = forms.DecimalField(
        label=_("On-carriage to the place (quote currency)"), required=False, **MONEY
    )
    import_clearance = forms.DecimalField(
        label=_("Import clearance (quote currency, DDP)"), required=False, **MONEY
    )
    import_vat_pct = forms.DecimalField(label=_("Import VAT % (DDP)"), required=False, **PCT)
    issued_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)
    )
    valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=365)
    payment_terms = forms.CharField(label=_("Payment terms"), max_length=300)
    lead_time = forms.CharField(label=_("Lead time"), max_length=200)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, people=(), deals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—")] + list(people)
        self.fields["deal"].choices = [("", _("— none —"))] + list(deals)

    def clean_cost_currency(self) -> str:
        return _currency(self.cleaned_data["cost_currency"])

    def clean_quote_currency(self) -> str:
        return _currency(self.cleaned_data["quote_currency"])

    def clean(self):
        data = super().clean()
        cost, quote = data.get("cost_currency"), data.get("quote_currency")
        if cost and quote and cost != quote:
            if data.get("rate") is None:
                self.add_error("rate", _("Enter the exchange rate between the two currencies."))
            if data.get("rate_date") is None:
                self.add_error("rate_date", _("Say when the rate was taken."))
        mode = data.get("carriage_mode")
        if mode and mode != "none" and data.get("freight_rate") is None:
            self.add_error("freight_rate", _("Enter the freight rate, or choose no main carriage."))
        return data

    def rules(self) -> list[str]:
        """The rules to price: C- and D-rules include main carriage, so they need one."""
        chosen = list(self.cleaned_data.get("incoterms") or incoterms.RULES)
        if self.cleaned_data["carriage_mode"] == "none":
            chosen = [r for r in chosen if r in NO_CARRIAGE_RULES]
        return chosen

    def to_input(self, lines: list[LineInput]) -> QuoteInput:
        d = self.cleaned_data
        zero = Decimal(0)
        return QuoteInput(
            lines=lines, cost_currency=d["cost_currency"], quote_currency=d["quote_currency"],
            rate=d.get("rate"), rate_date=d.get("rate_date"), rate_source=d.get("rate_source", ""),
            margin_pct=d["margin_pct"], vat_pct=d["vat_pct"], rebate_pct=d["rebate_pct"],
            incoterm=d["incoterm"], incoterms=self.rules(),
            origin_place=d.get("origin_place", ""), origin_port=d.get("origin_port", ""),
            destination_port=d.get("destination_port", ""),
            destination_place=d.get("destination_place", ""),
            carriage_mode=d["carriage_mode"], container=d["container"],
            freight_rate=d.get("freight_rate"), inland_freight=d.get("inland_freight"),
            export_clearance=d.get("export_clearance"), origin_handling=d.get("origin_handling"),
            insurance_pct=d.get("insurance_pct") or zero,
            cip_insurance_pct=d.get("cip_insurance_pct"),
            destination_handling=d.get("destination_handling"),
            on_carriage=d.get("on_carriage"), import_clearance=d.get("import_clearance"),
            import_vat_pct=d.get("import_vat_pct") or zero,
            issued_on=d["issued_on"], valid_days=d["valid_days"],
            payment_terms=d["payment_terms"], lead_time=d["lead_time"], notes=d.get("notes", ""),
            language=d["language"],
        )  # fmt: skip


class LineForm(forms.Form):
    """A product line: a saved product, typed cost lines, or a saved product with overrides."""

    product = forms.ModelChoiceField(
        label=_("Saved product"), queryset=ProductCost.objects.all(), required=False,
        empty_label=_("— type the costs —"),
    )  # fmt: skip
    sku = forms.CharField(label=_("SKU"), max_length=64, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=300, required=False,
        widget=forms.TextInput(attrs={"class": "q-wide"}),
    )  # fmt: skip
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, required=False)
    unit = forms.CharField(
        label=_("Unit"), max_length=16, required=False,
        widget=forms.TextInput(attrs={"class": "q-narrow", "placeholder": "pcs"}),
    )  # fmt: skip
    materials = forms.DecimalField(label=_("Materials"), required=False, **MONEY)
    labour = forms.DecimalField(label=_("Labour"), required=False, **MONEY)
    overhead = forms.DecimalField(label=_("Overhead"), required=False, **MONEY)
    packaging = forms.DecimalField(label=_("Packaging"), required=False, **MONEY)
    cbm_per_unit = forms.DecimalField(
        label=_("m³ per unit"), required=False, max_digits=12, decimal_places=6, min_value=0
    )
    kg_per_unit = forms.DecimalField(
        label=_("kg per unit"), required=False, max_digits=12, decimal_places=4, min_value=0
    )
    margin_pct = forms.DecimalField(
        label=_("Margin %"), required=False, widget=forms.NumberInput(attrs={"class": "q-narrow"}),
        **PCT,
    )  # fmt: skip
    tiers = forms.CharField(label=_("Tiers"), max_length=200, required=False)

    COST_FIELDS = ("materials", "labour", "overhead", "packaging")

    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", {}) or {}
        return not d.get("product") and not d.get("sku") and not d.get("quantity")

    def clean_tiers(self) -> list[int]:
        try:
            return parse_tiers(self.cleaned_data.get("tiers") or "")
        except ValueError as exc:
            raise ValidationError(
                _("Write quantities separated by commas, e.g. 500, 5000.")
            ) from exc

    def clean(self):
        d = super().clean()
        if self.is_blank():
            return d
        product = d.get("product")
        if not d.get("quantity"):
            self.add_error("quantity", _("Enter the quantity."))
        if product is None:
            if not d.get("sku"):
                self.add_error("sku", _("Enter a SKU or choose a saved product."))
            if all(d.get(k) is None for k in self.COST_FIELDS):
                self.add_error("materials", _("Enter the cost lines or choose a saved product."))
        return d

    def to_line(self) -> tuple[LineInput, ProductCost | None]:
        d = self.cleaned_data
        p: ProductCost | None = d.get("product")
        costs = {
            k: d[k] if d.get(k) is not None else (getattr(p, k) if p else Decimal(0))
            for k in self.COST_FIELDS
        }
        carton = None
        if p and p.carton_length_cm and p.carton_width_cm and p.carton_height_cm:
            carton = (p.carton_length_cm, p.carton_width_cm, p.carton_height_cm)
        description = d.get("description") or (p.description() if p else d.get("sku", ""))
        margin = d.get("margin_pct")
        if margin is None and p is not None:
            margin = p.margin_pct
        tiers = d.get("tiers") or (parse_tiers(p.tiers) if p and p.tiers else [])
        line = LineInput(
            sku=d.get("sku") or p.sku, description=description, quantity=d["quantity"],
            costs=costs, unit=d.get("unit") or (p.unit if p else "pcs"),
            moq=p.moq if p else 0, units_per_carton=p.units_per_carton if p else 1,
            carton_cm=carton if d.get("cbm_per_unit") is None else None,
            carton_kg=p.carton_kg if p else None,
            cbm_per_unit=d.get("cbm_per_unit") or Decimal(0),
            kg_per_unit=d.get("kg_per_unit") or Decimal(0),
            hs_code=p.hs_code if p else "", import_duty_pct=p.import_duty_pct if p else Decimal(0),
            margin_pct=margin, tiers=tiers,
        )  # fmt: skip
        return line, p


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not [f for f in self.forms if not f.is_blank()]:
            raise ValidationError(_("Add at least one product."))
        skus = [f.to_line()[0].sku for f in self.forms if not f.is_blank()]
        if len(set(skus)) != len(skus):
            raise ValidationError(_("Each product may appear once; change the duplicate SKU."))

    def lines(self) -> list[tuple[LineInput, ProductCost | None]]:
        return [f.to_line() for f in self.forms if not f.is_blank()]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=0, max_num=50)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Document"),
        choices=[("quotation", _("Quotation")), ("proforma", _("Proforma invoice"))],
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    incoterm = forms.ChoiceField(label=_("Incoterm"), choices=RULE_CHOICES)


class ReplyForm(forms.Form):
    documents = forms.MultipleChoiceField(
        label=_("Attach"), widget=forms.CheckboxSelectMultiple, required=True
    )
    template = forms.ChoiceField(label=_("Mail template"), choices=TEMPLATES)
    language = forms.ChoiceField(label=_("Mail language"), choices=LANGUAGES)
    po_no = forms.CharField(label=_("Buyer's PO number"), max_length=64, required=False)

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].choices = list(documents)

    def clean(self):
        data = super().clean()
        if data.get("template") == "order_confirmation" and not data.get("po_no"):
            self.add_error("po_no", _("The order confirmation quotes the buyer's PO number."))
        return data


class ProductForm(forms.ModelForm):
    class Meta:
        model = ProductCost
        exclude = ["created_at", "updated_at"]

    def clean_cost_currency(self) -> str:
        return _currency(self.cleaned_data["cost_currency"])

    def clean_tiers(self) -> str:
        try:
            return ", ".join(str(q) for q in parse_tiers(self.cleaned_data.get("tiers") or ""))
        except ValueError as exc:
            raise ValidationError(
                _("Write quantities separated by commas, e.g. 500, 5000.")
            ) from exc


class CompanySettingsForm(forms.ModelForm):
    logo = forms.FileField(
        label=_("Logo (SVG, PNG or JPEG, up to 1 MB)"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/svg+xml,image/png,image/jpeg"}),
    )  # fmt: skip
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = CompanySettings
        exclude = ["logo_sha256", "logo_type", "updated_at"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def clean_cost_currency(self) -> str:
        return _currency(self.cleaned_data["cost_currency"])

    def clean_quote_currency(self) -> str:
        return _currency(self.cleaned_data["quote_currency"])

    def _pattern(self, name: str) -> str:
        from datetime import date

        from tradeinbox.core.costsheet import SheetError
        from tradeinbox.core.documents import document_number

        value = self.cleaned_data[name].strip()
        try:
            document_number(value, 1, date(2026, 1, 1))
        except SheetError as exc:
            raise ValidationError(
                _("Use the tokens {yyyy} {yy} {mm} {dd} {seq} {seq:4} and nothing else in braces.")
            ) from exc
        if "{seq" not in value:
            raise ValidationError(_("The pattern needs {seq} (or {seq:4}) for the running number."))
        return value

    def clean_quotation_pattern(self) -> str:
        return self._pattern("quotation_pattern")

    def clean_proforma_pattern(self) -> str:
        return self._pattern("proforma_pattern")

    def clean_logo(self):
        f = self.cleaned_data.get("logo")
        if not f:
            return None
        if f.size > 1024 * 1024:
            raise ValidationError(_("The logo is over 1 MB."))
        data = f.read()
        kind = _image_type(data)
        if kind is None:
            raise ValidationError(_("The logo must be an SVG, PNG or JPEG image."))
        return kind, data


def _image_type(data: bytes) -> str | None:
    """The image type from the file's own bytes (its name and the browser may lie)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:2048].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "image/svg+xml"
    return None
