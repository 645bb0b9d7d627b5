"""Triage pages: the list of inquiries waiting for an answer, and "mark wrong"."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tradeinbox.triage.learning import CorrectionError, mark_wrong
from tradeinbox.triage.models import GRADES, TriageLabel, TriageResult
from tradeinbox.triage.queries import waiting_inquiries, with_shown_grade
from tradeinbox.triage.services import model_status
from tradeinbox.users import roles
from tradeinbox.web.views import page

PAGE_SIZE = 100
ORDER = ("D", "C", "B")  # "A" (junk or fraud) gets no reply deadline


@require_GET
@page
def triage_list(request: HttpRequest) -> HttpResponse:
    """Inbound inquiries without an answer yet, the most urgent deadline first."""
    chosen = [g for g in request.GET.getlist("grade") if g in GRADES]
    try:
        page_number = max(1, min(10_000, int(request.GET.get("page", "1"))))
    except ValueError:
        page_number = 1
    start = (page_number - 1) * PAGE_SIZE
    # Only inquiries in messages this user may see (tradeinbox.users.roles).
    rows = list(
        roles.visible(request.user, waiting_inquiries(chosen))[start : start + PAGE_SIZE + 1]
    )
    counts = dict(
        roles.visible(request.user, waiting_inquiries())
        .order_by()
        .values_list("shown")
        .annotate(n=Count("message_id"))
        .values_list("shown", "n")
    )
    grades = [{"grade": g, "count": counts.get(g, 0), "chosen": g in chosen} for g in ORDER]
    query = "&".join(f"grade={g}" for g in chosen)
    return render(
        request,
        "triage/list.html",
        {
            "rows": rows[:PAGE_SIZE],
            "has_next": len(rows) > PAGE_SIZE,
            "page_number": page_number,
            "grades": grades,
            "grade_query": query,
            "total": sum(counts.values()),
            "now": datetime.now(UTC),
            "model_status": model_status(),
            "nav": "triage",
        },
    )


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@require_POST
@page
def mark(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: the grade (``kind=grade``) or verdict (``kind=label``) is wrong, ``value``
    is right. Stored as a label and learnt by this installation's model."""
    row = get_object_or_404(
        roles.visible(request.user, with_shown_grade(TriageResult.objects.all())), message_id=pk
    )
    kind = request.POST.get("kind", "")
    value = request.POST.get("value", "")
    back = _safe_next(request, reverse("message_detail", args=[pk]))
    try:
        labels = mark_wrong(row, request.user, kind, value)
    except CorrectionError as exc:
        if exc.code == "unchanged":
            messages.info(request, _("Nothing was changed: it already was that."))
        else:
            messages.error(request, _("Nothing was changed: that is not a valid choice."))
        return redirect(back)
    if kind == TriageLabel.Kind.GRADE:
        shown = row.shown_grade or _("not an inquiry")
        text = _("Thank you. The grade is now %(grade)s; tradeinbox keeps your correction.")
        messages.success(request, text % {"grade": shown})
    else:
        text = _("Thank you. The verdict is now “%(verdict)s”; this installation learns from it.")
        messages.success(request, text % {"verdict": verdict_name(row.shown_label)})
    if any(label.kind == TriageLabel.Kind.LABEL for label in labels) and kind != "label":
        messages.info(request, _("A B, C or D grade also means the message is no threat."))
    return redirect(back)


def verdict_name(label: str) -> str:
    return {"phish": _("Phishing"), "spam": _("Spam"), "ham": _("Legitimate")}.get(label, label)
