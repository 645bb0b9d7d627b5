"""Per-user preferences: interface language and time zone."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tradeinbox import audit
from tradeinbox.users.models import Profile


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """IANA zones people live in (``Area/City``), sorted, with UTC first."""
    zones = sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )
    return [("UTC", "UTC"), *((z, z.replace("_", " ")) for z in zones)]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=time_zone_choices)


def preferences(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    current_language = profile.language or translation.get_language() or settings.LANGUAGE_CODE
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            before = {"language": profile.language, "time_zone": profile.time_zone}
            profile.language = form.cleaned_data["language"]
            profile.time_zone = form.cleaned_data["time_zone"]
            profile.save(update_fields=["language", "time_zone"])
            after = {"language": profile.language, "time_zone": profile.time_zone}
            audit.record(request, "settings.preferences", profile, before=before, after=after)
            translation.activate(profile.language)
            messages.success(request, _("Your preferences were saved."))
            response = redirect("preferences")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                profile.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
            )
            return response
    else:
        form = PreferencesForm(
            initial={"language": current_language, "time_zone": profile.time_zone or "UTC"}
        )
    return render(request, "web/preferences.html", {"form": form, "nav": "preferences"})
