"""Forms: connecting a mailbox, composing a message, moving a scheduled send."""

from __future__ import annotations

from datetime import UTC

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tradeinbox.mailbox.models import Account
from tradeinbox.mailbox.outbox import parse_recipients
from tradeinbox.mailbox.providers import PRESETS

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # what most providers accept in one message

PROVIDERS = [
    ("", _("Other (enter the server settings below)")),
    ("alibaba", _("Alibaba Mail (阿里企业邮箱)")),
    ("exmail", _("Tencent Exmail (腾讯企业邮)")),
    ("netease", _("NetEase Qiye (网易企业邮箱)")),
    ("google", _("Google Workspace / Gmail")),
    ("microsoft", _("Microsoft 365 / Outlook")),
]


class AccountForm(forms.ModelForm):
    provider = forms.ChoiceField(
        choices=PROVIDERS,
        required=False,
        label=_("Provider"),
        help_text=_("Fills in the server settings; leave the server fields empty to use them."),
    )
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        label=_("Password"),
        help_text=_("Stored encrypted. Some providers need an app password."),
    )
    save_without_test = forms.BooleanField(
        required=False, label=_("Save even if the connection test fails")
    )

    class Meta:
        model = Account
        fields = [
            "email_address",
            "sender_name",
            "company",
            "imap_host",
            "imap_port",
            "imap_security",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "username",
            "smtp_username",
            "verify_tls",
            "sent_copy",
            "signature",
        ]
        labels = {
            "email_address": _("Email address"),
            "sender_name": _("Your name"),
            "company": _("Company"),
            "imap_host": _("IMAP server"),
            "imap_port": _("IMAP port"),
            "imap_security": _("IMAP encryption"),
            "smtp_host": _("SMTP server"),
            "smtp_port": _("SMTP port"),
            "smtp_security": _("SMTP encryption"),
            "username": _("User name"),
            "smtp_username": _("SMTP user name (if different)"),
            "verify_tls": _("Check the server's certificate"),
            "sent_copy": _("Copy of sent mail"),
            "signature": _("Signature"),
        }
        help_texts = {
            "company": _("Buyers see \u201cName @ Company\u201d as the sender."),
            "username": _("Usually the full email address."),
        }
        widgets = {"signature": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("imap_host", "smtp_host", "username"):
            self.fields[name].required = False
        if self.instance.pk is None:
            self.fields["password"].required = True

    def clean(self):
        data = super().clean()
        preset = PRESETS.get(data.get("provider") or "")
        if preset:
            keys = (
                "imap_host",
                "imap_port",
                "imap_security",
                "smtp_host",
                "smtp_port",
                "smtp_security",
            )
            for key in keys:
                if key.endswith("host") and data.get(key):
                    break  # the user typed their own servers: keep everything they chose
            else:
                for key, value in zip(keys, preset, strict=True):
                    data[key] = value
                    setattr(self.instance, key, value)
        if not data.get("imap_host"):
            self.add_error("imap_host", _("Enter the IMAP server, or choose a provider."))
        if not data.get("smtp_host"):
            data["smtp_host"] = data.get("imap_host", "")
            self.instance.smtp_host = data["smtp_host"]
        if not data.get("username") and data.get("email_address"):
            data["username"] = data["email_address"]
            self.instance.username = data["username"]
        return data

    def save(self, commit: bool = True) -> Account:
        account = super().save(commit=False)
        if self.cleaned_data.get("password"):
            account.set_password(self.cleaned_data["password"])
        if commit:
            account.save()
        return account


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ComposeForm(forms.Form):
    account = forms.ModelChoiceField(
        queryset=Account.objects.all(), label=_("From"), empty_label=None
    )
    to = forms.CharField(label=_("To"), max_length=5000)
    cc = forms.CharField(label=_("Cc"), required=False, max_length=5000)
    bcc = forms.CharField(label=_("Bcc"), required=False, max_length=5000)
    subject = forms.CharField(label=_("Subject"), max_length=998)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 14}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    send_at = forms.DateTimeField(
        label=_("Send later (your time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    in_reply_to = forms.CharField(required=False, widget=forms.HiddenInput)
    references = forms.CharField(required=False, widget=forms.HiddenInput)
    # A reply's quoted history, kept apart so the pre-send check reads only the new text.
    quoted = forms.CharField(
        label=_("Quoted message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "readonly": True}),
    )
    thread = forms.IntegerField(required=False, widget=forms.HiddenInput)
    attachment_meta = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm_errors = forms.BooleanField(
        required=False, label=_("I have read the problems above; send it anyway")
    )
    # The "schedule at the suggested time" button's value (UTC, ISO 8601).
    schedule_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def _addresses(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        try:
            parse_recipients(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value

    def clean_to(self) -> str:
        value = self._addresses("to")
        if not parse_recipients(value):
            raise forms.ValidationError(_("Add at least one recipient."))
        return value

    def clean_cc(self) -> str:
        return self._addresses("cc")

    def clean_bcc(self) -> str:
        return self._addresses("bcc")

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        if sum(f.size for f in files) > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError(
                _("Attachments over 25 MB are refused by most mail servers.")
            )
        return files

    def clean_send_at(self):
        value = self.cleaned_data.get("send_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_current_timezone())
        return value

    def clean_schedule_at(self):
        value = self.cleaned_data.get("schedule_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        return value

    def when(self):
        """The send time chosen: the accepted suggestion, else "send later", else now (None)."""
        return self.cleaned_data.get("schedule_at") or self.cleaned_data.get("send_at")


class RescheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("New time (your time)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    def clean_send_at(self):
        value = self.cleaned_data["send_at"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_current_timezone())
        return value
