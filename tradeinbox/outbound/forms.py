"""Forms of the outbound pages: domain check, DKIM keys, lists, consent, campaigns."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tradeinbox.core.consent import normalise_address
from tradeinbox.outbound.campaigns import parse_addresses, template_problems
from tradeinbox.outbound.models import Campaign, NewsletterList

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$"
)
LANGUAGES = [("en", "English"), ("zh", "简体中文"), ("es", "Español")]


def clean_domain(value: str) -> str:
    value = value.strip().rstrip(".").lower()
    if value.startswith(("http://", "https://")) or "@" in value:
        value = re.sub(r"^https?://", "", value).split("/")[0].rpartition("@")[2]
    if not _DOMAIN.match(value):
        raise ValidationError(_("Enter a domain name such as example.com."))
    return value


class DomainCheckForm(forms.Form):
    domain = forms.CharField(
        label=_("Domain"), max_length=253, help_text=_("The domain of your From: address.")
    )
    ip = forms.GenericIPAddressField(
        label=_("Sending IP address"),
        required=False,
        help_text=_(
            "Where your mail leaves from; needed for the reverse DNS and blocklist checks."
        ),
    )
    selector = forms.CharField(
        label=_("DKIM selector"),
        max_length=63,
        required=False,
        help_text=_("Empty: your active key here, else the common selectors are tried."),
    )

    def clean_domain(self) -> str:
        return clean_domain(self.cleaned_data["domain"])

    def clean_selector(self) -> str:
        value = self.cleaned_data["selector"].strip().lower()
        if value and not re.match(r"^[a-z0-9][a-z0-9.-]{0,62}$", value):
            raise ValidationError(_("Letters, digits, dots and hyphens only."))
        return value


def _default_selector() -> str:
    return f"ti{datetime.now(UTC):%Y%m}"


class DkimGenerateForm(forms.Form):
    domain = forms.CharField(label=_("Domain"), max_length=253)
    selector = forms.CharField(label=_("Selector"), max_length=63, initial=_default_selector)
    bits = forms.TypedChoiceField(
        label=_("Key length"),
        coerce=int,
        choices=[(2048, _("2048 bits (recommended)")), (1024, "1024"), (3072, "3072")],
        initial=2048,
    )

    def clean_domain(self) -> str:
        return clean_domain(self.cleaned_data["domain"])


class DkimImportForm(forms.Form):
    domain = forms.CharField(label=_("Domain"), max_length=253)
    selector = forms.CharField(label=_("Selector"), max_length=63)
    pem = forms.CharField(
        label=_("Private key (PEM)"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        max_length=20000,
        help_text=_("Stored encrypted. It is never shown again."),
    )

    def clean_domain(self) -> str:
        return clean_domain(self.cleaned_data["domain"])


class NewsletterForm(forms.ModelForm):
    class Meta:
        model = NewsletterList
        fields = ["name", "slug", "description", "account", "language", "public_signup"]
        labels = {
            "name": _("Name"),
            "slug": _("Short name in links"),
            "description": _("What subscribers get"),
            "account": _("Sent from"),
            "language": _("Language of the confirmation mail"),
            "public_signup": _("Anyone may sign up on the public page"),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "language": forms.Select(choices=LANGUAGES),
        }


class InviteForm(forms.Form):
    address = forms.CharField(label=_("Email address"), max_length=320)
    how = forms.CharField(
        label=_("How did they ask?"),
        max_length=200,
        help_text=_("For the consent record, e.g. “asked at our Canton Fair booth”."),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A note, a message reference, a business card scan ..."),
    )

    def clean_address(self) -> str:
        try:
            return normalise_address(self.cleaned_data["address"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class SubscribeForm(forms.Form):
    address = forms.CharField(label=_("Your email address"), max_length=320)
    agree = forms.BooleanField(
        label=_("Yes, send me this newsletter. I can unsubscribe at any time."), required=True
    )

    def clean_address(self) -> str:
        try:
            return normalise_address(self.cleaned_data["address"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name",
            "newsletter",
            "account",
            "language",
            "subject_template",
            "body_template",
            "extra_addresses",
        ]
        labels = {
            "name": _("Name"),
            "newsletter": _("List"),
            "account": _("Sent from"),
            "language": _("Language"),
            "subject_template": _("Subject"),
            "body_template": _("Text"),
            "extra_addresses": _("More addresses"),
        }
        help_texts = {
            "body_template": _(
                "Template variables: {{ salutation }}, {{ person.first_name }}, "
                "{{ company.name }}, {{ signature }} ... An unsubscribe line is added."
            ),
            "extra_addresses": _(
                "Optional, one per line. Only those who confirmed the list receive mail."
            ),
        }
        widgets = {
            "language": forms.Select(choices=LANGUAGES),
            "body_template": forms.Textarea(attrs={"rows": 10}),
            "extra_addresses": forms.Textarea(attrs={"rows": 4}),
        }

    def clean(self) -> dict:
        data = super().clean()
        if data.get("subject_template") and data.get("body_template"):
            problems = template_problems(data["subject_template"], data["body_template"])
            if problems:
                raise ValidationError(problems)
        _good, bad = parse_addresses(data.get("extra_addresses") or "")
        if bad:
            self.add_error(
                "extra_addresses",
                _("Not email addresses: %(list)s") % {"list": ", ".join(bad[:5])},
            )
        return data


class SuppressionForm(forms.Form):
    address = forms.CharField(label=_("Email address"), max_length=320)
    newsletter = forms.ModelChoiceField(
        NewsletterList.objects.all(),
        label=_("List"),
        required=False,
        empty_label=_("Every list"),
    )
    note = forms.CharField(label=_("Why"), max_length=500, required=False)

    def clean_address(self) -> str:
        try:
            return normalise_address(self.cleaned_data["address"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
