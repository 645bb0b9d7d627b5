"""Templates written by users, next to the built-in library in ``core/writing/templates``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

LANGUAGE_CHOICES = [("en", "English"), ("zh", "中文"), ("es", "Español")]


class UserTemplateQuerySet(models.QuerySet):
    def usable_by(self, user) -> UserTemplateQuerySet:
        """A user's own templates and the ones colleagues shared with the team."""
        from tradeinbox.users.roles import same_team_q

        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(owner=user) | Q(shared=True) & same_team_q(user, "owner"))


class UserTemplate(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_templates"
    )
    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, default="en")
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("body"))
    shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="usertemplate_owner_name")
        ]

    def __str__(self) -> str:
        return self.name
