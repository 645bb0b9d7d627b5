"""Forms of the deal pages: details, stage, follow-up text, consolidation mail, settings."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from tradeinbox.deals.models import DealSettings, Stage
from tradeinbox.mailbox.outbox import parse_recipients

WEEKDAYS = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices, label=_("Stage"))
    accepted = forms.BooleanField(required=False, widget=forms.HiddenInput)


class DealForm(forms.Form):
    title = forms.CharField(max_length=255, label=_("Title"))
    amount = forms.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, label=_("Amount")
    )
    currency = forms.RegexField(
        regex=r"^[A-Za-z]{3}$",
        required=False,
        label=_("Currency"),
        error_messages={"invalid": _("A three-letter code such as USD, EUR or CNY.")},
    )
    formal_address = forms.ChoiceField(required=False, label=_("Formal address"))
    owner = forms.ChoiceField(required=False, label=_("Owner"))

    def __init__(self, *args, addresses=(), users=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["formal_address"].choices = [("", _("Chosen automatically"))] + [
            (a, a) for a in addresses
        ]
        if users is None:
            del self.fields["owner"]
        else:
            self.fields["owner"].choices = [("", _("Nobody (public pool)"))] + [
                (str(u.pk), u.get_username()) for u in users
            ]

    def clean(self):
        data = super().clean()
        if data.get("amount") is not None and not data.get("currency"):
            self.add_error("currency", _("Give the currency of the amount."))
        return data


class FollowUpForm(forms.Form):
    subject = forms.CharField(max_length=998, label=_("Subject"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 10}), label=_("Text"))


def _addresses(value: str) -> str:
    try:
        parse_recipients(value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from exc
    return value


class ConsolidationForm(forms.Form):
    to = forms.CharField(max_length=2000, label=_("To"))
    cc = forms.CharField(max_length=4000, required=False, label=_("Cc"))
    subject = forms.CharField(max_length=998, label=_("Subject"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18}), label=_("Text"))

    def clean_to(self) -> str:
        value = _addresses(self.cleaned_data["to"])
        if not parse_recipients(value):
            raise forms.ValidationError(_("Add at least one recipient."))
        return value

    def clean_cc(self) -> str:
        return _addresses(self.cleaned_data.get("cc") or "")


class SettingsForm(forms.ModelForm):
    workday_list = forms.MultipleChoiceField(
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        label=_("Working days"),
        required=False,
    )

    class Meta:
        model = DealSettings
        fields = [
            "time_zone",
            "day_start",
            "day_end",
            "lunch_start",
            "lunch_end",
            "country",
            "reply_hours_d",
            "reply_hours_c",
            "reply_hours_b",
            "ungraded_hours",
            "max_unanswered",
            "followup_mode",
        ]
        labels = {
            "time_zone": _("Time zone of the sales office"),
            "day_start": _("Working day starts"),
            "day_end": _("Working day ends"),
            "lunch_start": _("Lunch break from"),
            "lunch_end": _("Lunch break until"),
            "country": _("Public holidays of (country code)"),
            "reply_hours_d": _("Key-account inquiries (D): answer within business hours"),
            "reply_hours_c": _("Targeted inquiries (C): answer within business hours"),
            "reply_hours_b": _("Browsing inquiries (B): answer within business hours"),
            "ungraded_hours": _("Other customer mail: answer within business hours"),
            "max_unanswered": _("Stop after this many unanswered follow-ups in a row"),
            "followup_mode": _("Follow-up drafts"),
        }
        help_texts = {
            "time_zone": _("An IANA name such as Asia/Shanghai or Europe/Madrid."),
            "country": _("Two letters, e.g. CN; empty for no public holidays."),
            "ungraded_hours": _("Leave empty for no deadline."),
        }
        widgets = {
            "day_start": forms.TimeInput(attrs={"type": "time"}),
            "day_end": forms.TimeInput(attrs={"type": "time"}),
            "lunch_start": forms.TimeInput(attrs={"type": "time"}),
            "lunch_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance and not self.is_bound:
            self.initial["workday_list"] = [str(d) for d in sorted(self.instance.workday_numbers())]

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise forms.ValidationError(_("Unknown time zone.")) from exc
        return value

    def clean_country(self) -> str:
        import holidays

        value = (self.cleaned_data.get("country") or "").strip().upper()
        if value and value not in holidays.list_supported_countries():
            raise forms.ValidationError(_("No public-holiday data for this country code."))
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("day_start"), data.get("day_end")
        if start and end and not start < end:
            self.add_error("day_end", _("The working day must end after it starts."))
        lunch = (data.get("lunch_start"), data.get("lunch_end"))
        if any(lunch) and not all(lunch):
            self.add_error("lunch_end", _("Give both ends of the lunch break, or neither."))
        if not data.get("workday_list"):
            self.add_error("workday_list", _("Choose at least one working day."))
        for key in ("reply_hours_b", "reply_hours_c", "reply_hours_d", "ungraded_hours"):
            value = data.get(key)
            if value is not None and not 0 < value <= 24 * 30:
                self.add_error(key, _("Between 0 and 720 business hours."))
        if data.get("max_unanswered") is not None and not 1 <= data["max_unanswered"] <= 20:
            self.add_error("max_unanswered", _("Between 1 and 20."))
        return data

    def save(self, commit: bool = True) -> DealSettings:
        row = super().save(commit=False)
        row.workdays = ",".join(sorted(self.cleaned_data["workday_list"]))
        if commit:
            row.save()
        return row
