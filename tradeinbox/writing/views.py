"""Writing assistant pages: the user's templates, and the compose page's live parts (htmx).

* ``panel`` renders the template picker's variable inputs and, with ``action=fill``,
  fills the template for the chosen person/deal and swaps the subject and body in
  (out-of-band), or lists the variables still missing: never a mail with a gap.
* ``check`` runs the pre-send check on the draft as typed and returns the findings with
  their spans highlighted in a preview, the send-time suggestion and the recipients.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tradeinbox.core.writing.templates import known_variables
from tradeinbox.mailbox import drafts
from tradeinbox.mailbox.forms import ComposeForm
from tradeinbox.mailbox.models import Account
from tradeinbox.users.roles import sendable_accounts
from tradeinbox.web.views import page
from tradeinbox.writing import filling, precheck
from tradeinbox.writing.forms import UserTemplateForm
from tradeinbox.writing.models import UserTemplate

COURTESY = [
    ("", "—"),
    ("mr", "Mr."),
    ("ms", "Ms."),
    ("mrs", "Mrs."),
    ("dr", "Dr."),
    ("prof", "Prof."),
]
GROUP_LABELS = {"mine": "My templates", "en": "English", "zh": "中文", "es": "Español"}


def _account(data, user) -> Account | None:
    """The chosen mailbox among those the user may send from (tradeinbox.users.roles)."""
    sendable = sendable_accounts(user)
    pk = data.get("account")
    if pk and str(pk).isdigit():
        found = sendable.filter(pk=int(pk)).first()
        if found is not None:
            return found
    return sendable.first()


def _panel_state(request: HttpRequest, data) -> dict:
    """The picker's choices, what is selected, and the inputs the template still needs."""
    user = request.user
    selected = {
        key: data.get(key, "") or ""
        for key in ("tpl", "tpl_person", "tpl_deal", "tpl_language", "tpl_title")
    }
    values = filling.typed_values(data)
    state = {
        "template_groups": [
            (GROUP_LABELS.get(g, g), options) for g, options in filling.template_choices(user)
        ],
        "people": precheck.person_choices(user),
        "deals": filling.deal_choices(user),
        "courtesy_titles": COURTESY,
        "selected": selected,
        "variable_fields": [],
        "fill": None,
    }
    source = filling.load_source(selected["tpl"], user) if selected["tpl"] else None
    if source is not None:
        filled = filling.build_context(
            user=user,
            account=_account(data, user),
            person_pk=selected["tpl_person"],
            deal_pk=selected["tpl_deal"],
            language=selected["tpl_language"] or source.language,
            courtesy=selected["tpl_title"],
            values=values,
            today=timezone.localdate(),
        )
        filling.render(source, filled)
        state.update(source=source, filled=filled)
        state["variable_fields"] = filling.variable_fields(source, filled, values)
    return state


def compose_panel(request: HttpRequest, form: ComposeForm) -> dict:
    """Context for the template picker on a full compose page (first load or re-shown)."""
    data = request.POST if request.method == "POST" else {**form.initial, **request.GET.dict()}
    if "template" in data and "tpl" not in data:
        data = {**data, "tpl": data["template"]}
    if "person" in data and "tpl_person" not in data:
        data = {**data, "tpl_person": data["person"]}
    return _panel_state(request, data)


@require_POST
@page
def panel(request: HttpRequest) -> HttpResponse:
    """htmx: the picker's variable inputs; with ``action=fill`` also the filled subject/body."""
    state = _panel_state(request, request.POST)
    fill = request.POST.get("action") == "fill"
    filled = state.get("filled")
    if fill and state.get("source") is None:
        state["fill_error"] = _("Choose a template first.")
    elif fill and filled is not None:
        state["fill"] = filled
        if filled.rendered is not None and not filled.problems:
            form = ComposeForm(
                initial={
                    "subject": filled.rendered.subject,
                    "body": filled.rendered.body,
                    "to": request.POST.get("to") or filled.to,
                }
            )
            state["swap_form"] = form
            state["swap_to"] = not request.POST.get("to") and bool(filled.to)
    response = render(request, "writing/_panel.html", state)
    if state.get("swap_form") is not None:
        response["HX-Trigger-After-Settle"] = "recheck"
    return response


def _local_datetime(text: str):
    """The "send later" field (the user's time); None while it is empty or half typed."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


@require_POST
@page
def check(request: HttpRequest) -> HttpResponse:
    """htmx: the pre-send check of the draft as it is now."""
    data = request.POST
    if not data.get("body", "").strip() and not data.get("subject", "").strip():
        return render(request, "writing/_check_empty.html")
    account = _account(data, request.user)
    send_at = _local_datetime(data.get("send_at", ""))
    draft = precheck.build_draft(
        account=account,
        to=data.get("to", ""),
        cc=data.get("cc", ""),
        bcc=data.get("bcc", ""),
        subject=data.get("subject", ""),
        body=data.get("body", ""),
        quoted=data.get("quoted", ""),
        in_reply_to=data.get("in_reply_to", ""),
        attachments=precheck.attachments_from_meta(data.get("attachment_meta", ""))
        + drafts.kept_for_check(data, request.user),
        send_at=send_at,
    )
    thread = data.get("thread", "")
    person = precheck.person_row(request.user, data.get("tpl_person"))
    result = precheck.run_check(
        draft, thread_id=int(thread) if thread.isdigit() else None, person=person
    )
    return render(request, "writing/_check.html", {"check": result})


# --- the user's own templates ----------------------------------------------------------------


@page
def template_list(request: HttpRequest) -> HttpResponse:
    own = UserTemplate.objects.usable_by(request.user).select_related("owner")
    builtin = [
        (
            key,
            name,
            [
                filling.load_source(f"builtin:{lang}:{key}", request.user)
                for lang in ("en", "zh", "es")
            ],
        )
        for key, name in filling.BUILTIN_NAMES.items()
    ]
    return render(
        request,
        "writing/templates.html",
        {"own": own, "builtin": builtin, "nav": "templates"},
    )


@require_http_methods(["GET", "POST"])
@page
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = None
    if pk is not None:
        instance = get_object_or_404(UserTemplate, pk=pk, owner=request.user)
    initial = {}
    source = request.GET.get("from", "")
    if instance is None and source:
        found = filling.load_source(source, request.user)
        if found is not None:
            initial = {
                "name": _("%(name)s (my copy)") % {"name": found.name},
                "language": found.language,
                "subject": found.subject,
                "body": found.body,
            }
    form = UserTemplateForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        row = form.save(commit=False)
        row.owner = request.user
        try:
            row.save()
        except IntegrityError:
            form.add_error("name", _("You already have a template with this name."))
        else:
            messages.success(
                request, _("Template \u201c%(name)s\u201d saved.") % {"name": row.name}
            )
            return redirect("writing:templates")
    return render(
        request,
        "writing/template_form.html",
        {
            "form": form,
            "template_row": instance,
            "variables": sorted(known_variables()),
            "nav": "templates",
        },
    )


@require_POST
@page
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(UserTemplate, pk=pk, owner=request.user)
    row.delete()
    messages.success(request, _("Template \u201c%(name)s\u201d deleted.") % {"name": row.name})
    return redirect("writing:templates")
