"""The template editor: a template is checked before it is saved (syntax, typos, sandbox)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tradeinbox.core.writing.templates import check_template
from tradeinbox.writing.models import UserTemplate


class UserTemplateForm(forms.ModelForm):
    class Meta:
        model = UserTemplate
        fields = ["name", "language", "subject", "body", "shared"]
        labels = {
            "name": _("Name"),
            "language": _("Language"),
            "subject": _("Subject"),
            "body": _("Text"),
            "shared": _("Share with the team"),
        }
        help_texts = {
            "body": _(
                "Variables are written {{ person.first_name }}; an optional part "
                "{% if deal.po_no is defined %}...{% endif %}."
            ),
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "spellcheck": "true"})}

    def clean(self):
        data = super().clean()
        subject, body = data.get("subject"), data.get("body")
        if subject is None or body is None:
            return data
        for issue in check_template(subject, body):
            where = f" (line {issue.line})" if issue.line else ""
            self.add_error(issue.part, f"{issue.message}{where}")
        return data
