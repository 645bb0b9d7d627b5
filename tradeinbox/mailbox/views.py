"""Pages: mailboxes (add, test, sync, remove), folders, compose, outbox.

Server-rendered; JavaScript only makes compose livelier (tradeinbox.writing). The
connection test runs before an account is saved, so a typo is reported step by step
instead of failing later in the worker.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from tradeinbox import audit
from tradeinbox.core.writing.lint import DraftAttachment
from tradeinbox.mailbox import drafts, outbox
from tradeinbox.mailbox.connect import check_imap, check_smtp, imap_endpoint, smtp_endpoint
from tradeinbox.mailbox.forms import AccountForm, ComposeForm, RescheduleForm
from tradeinbox.mailbox.models import Account, Folder, MessageLocation, OutboxMessage
from tradeinbox.users import roles
from tradeinbox.web.views import page
from tradeinbox.writing import precheck
from tradeinbox.writing.views import compose_panel

FOLDER_PAGE_SIZE = 50
# What the audit log keeps of an account (never the password, only that it changed).
AUDITED_FIELDS = (
    "email_address", "sender_name", "company", "imap_host", "imap_port", "imap_security",
    "smtp_host", "smtp_port", "smtp_security", "username", "smtp_username", "verify_tls",
    "sent_copy", "sync_enabled", "owner_id",
)  # fmt: skip


def _snapshot(account: Account) -> dict:
    return {name: getattr(account, name) for name in AUDITED_FIELDS}


def _account(request: HttpRequest, pk: int, action: str = "view") -> Account:
    """An account this user sees (else 404) and, for ``change``, may change (else 403)."""
    account = get_object_or_404(roles.visible(request.user, Account.objects.all()), pk=pk)
    if action != "view":
        roles.require(request.user, action, account)
    return account


@page
def accounts(request: HttpRequest) -> HttpResponse:
    rows = roles.visible(
        request.user,
        Account.objects.annotate(folder_count=Count("folders")).prefetch_related("folders"),
    )
    return render(request, "mailbox/accounts.html", {"accounts": rows, "nav": "mailbox"})


@sensitive_post_parameters("password")  # masked in error reports
@require_http_methods(["GET", "POST"])
@page
def account_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = _account(request, pk, "change") if pk else None
    before = _snapshot(instance) if instance else None
    form = AccountForm(request.POST or None, instance=instance)
    checks = []
    if request.method == "POST" and form.is_valid():
        account = form.save(commit=False)
        if not account.owner_id:
            account.owner = request.user
        checks = [check_imap(imap_endpoint(account)), check_smtp(smtp_endpoint(account))]
        if all(c.ok for c in checks) or form.cleaned_data.get("save_without_test"):
            account.next_sync_at = datetime.now(UTC)
            account.save()
            after = {
                **_snapshot(account),
                "password_changed": bool(form.cleaned_data.get("password")),
            }
            action = "account.edit" if before else "account.add"
            audit.record(request, action, account, before=before, after=after)
            messages.success(
                request,
                _("%(email)s is connected. Its mail appears as the worker syncs it.")
                % {"email": account.email_address},
            )
            return redirect("mailbox:account_detail", pk=account.pk)
    return render(
        request,
        "mailbox/account_form.html",
        {"form": form, "checks": checks, "account": instance, "nav": "mailbox"},
    )


@page
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk)
    folders = account.folders.filter(exists_on_server=True).order_by("special_use", "name")
    order = {"inbox": 0, "sent": 1, "drafts": 2, "archive": 3, "junk": 4, "trash": 5}
    folders = sorted(folders, key=lambda f: (order.get(f.special_use, 9), f.name.lower()))
    return render(
        request,
        "mailbox/account_detail.html",
        {"account": account, "folders": folders, "nav": "mailbox"},
    )


@require_POST
@page
def account_test(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "change")
    checks = [check_imap(imap_endpoint(account)), check_smtp(smtp_endpoint(account))]
    return render(
        request,
        "mailbox/account_detail.html",
        {
            "account": account,
            "folders": account.folders.filter(exists_on_server=True),
            "checks": checks,
            "nav": "mailbox",
        },
    )


@require_POST
@page
def account_sync(request: HttpRequest, pk: int) -> HttpResponse:
    _account(request, pk, "change")
    Account.objects.filter(pk=pk).update(next_sync_at=datetime.now(UTC), sync_enabled=True)
    messages.info(request, _("Sync requested; the worker picks it up within seconds."))
    return redirect("mailbox:account_detail", pk=pk)


@require_POST
@page
def account_remove(request: HttpRequest, pk: int) -> HttpResponse:
    account = _account(request, pk, "change")
    if account.outbox.filter(status__in=["queued", "sending", "accepted"]).exists():
        messages.error(
            request,
            _("Messages are still waiting to be sent from this mailbox; cancel them first."),
        )
        return redirect("mailbox:account_detail", pk=pk)
    account.outbox.all().delete()
    email = account.email_address
    audit.record(request, "account.remove", account, before=_snapshot(account))
    account.delete()
    messages.success(
        request, _("%(email)s was removed. Mail already stored stays.") % {"email": email}
    )
    return redirect("mailbox:accounts")


@page
def folder(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        roles.visible(request.user, Folder.objects.select_related("account")), pk=pk
    )
    locations = (
        MessageLocation.objects.filter(folder=item, message__isnull=False)
        .select_related("message")
        .order_by("-message__date", "-uid")
    )
    paginator = Paginator(locations, FOLDER_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "mailbox/folder.html",
        {"folder": item, "page_obj": page_obj, "nav": "mailbox"},
    )


@require_http_methods(["GET", "POST"])
@page
def compose(request: HttpRequest) -> HttpResponse:
    """Write a mail with the writing assistant; the pre-send check runs once more on send.

    Errors found by the check stop the send until the user ticks "send anyway"; warnings
    and hints never do. A reply (``?reply_to=<message>``) starts with To/Cc recommended
    by the customers app, "Re:" subject, the quote and the threading headers.
    """
    sendable = roles.sendable_accounts(request.user)
    if not sendable.exists():
        messages.info(request, _("Connect a mailbox first."))
        return redirect("mailbox:account_add")
    initial = {
        k: request.GET[k]
        for k in ("to", "cc", "subject", "in_reply_to", "references")
        if k in request.GET
    }
    if request.GET.get("reply_to", "").isdigit():
        original = get_object_or_404(
            roles.visible_messages(request.user), pk=int(request.GET["reply_to"])
        )
        initial.update(precheck.reply_initial(original))
    # A draft another app prepared (a quotation with its PDF): its text and its files.
    prepared = drafts.load(request.POST.get("draft") or request.GET.get("draft", ""), request.user)
    if prepared is not None and request.method == "GET":
        initial.update(prepared.initial)
    draft_files = drafts.kept(prepared, request.POST, first_load=request.method == "GET")
    form = ComposeForm(request.POST or None, request.FILES or None, initial=initial)
    form.fields["account"].queryset = sendable  # only one's own mailboxes (admins: any)
    check = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        attachments = [
            outbox.OutgoingAttachment(
                f.name, f.content_type or "application/octet-stream", f.read()
            )
            for f in data["attachments"]
        ] + [outbox.OutgoingAttachment(f.filename, f.content_type, f.read()) for f in draft_files]
        when = form.when()
        draft = precheck.build_draft(
            account=data["account"],
            to=data["to"],
            cc=data["cc"],
            bcc=data["bcc"],
            subject=data["subject"],
            body=data["body"],
            quoted=data["quoted"],
            in_reply_to=data["in_reply_to"],
            attachments=[
                DraftAttachment(a.filename, len(a.data), a.content_type) for a in attachments
            ],
            send_at=when,
        )
        person = precheck.person_row(request.user, request.POST.get("tpl_person"))
        check = precheck.run_check(draft, thread_id=data["thread"], person=person)
        if check.errors and not data["confirm_errors"]:
            messages.error(
                request,
                _(
                    "The pre-send check found problems that would likely hurt this mail."
                    " Fix them, or tick \u201csend anyway\u201d."
                ),
            )
        else:
            row = outbox.compose(
                data["account"],
                to=data["to"],
                cc=data["cc"],
                bcc=data["bcc"],
                subject=data["subject"],
                body=data["body"],
                attachments=attachments,
                send_at=when,
                in_reply_to=data["in_reply_to"],
                references=data["references"],
                user=request.user,
                quoted=data["quoted"],
            )
            if prepared is not None:
                prepared.sent(row)
            if when and when > datetime.now(UTC):
                messages.success(
                    request, _("Scheduled. You can change or cancel it until it goes.")
                )
            else:
                messages.success(
                    request, _("Sending \u201c%(subject)s\u201d.") % {"subject": row.subject}
                )
            return redirect("mailbox:outbox")
    return render(
        request,
        "mailbox/compose.html",
        {
            "form": form,
            "check": check,
            "nav": "compose",
            "draft": prepared,
            "draft_kept": {f.key for f in draft_files},
            **compose_panel(request, form),
        },
    )


def _outbox_row(request: HttpRequest, pk: int) -> OutboxMessage:
    """A row this user sees (else 404) and may change (else 403)."""
    row = get_object_or_404(roles.visible(request.user, OutboxMessage.objects.all()), pk=pk)
    roles.require(request.user, "change", row)
    return row


@page
def outbox_list(request: HttpRequest) -> HttpResponse:
    rows = roles.visible(
        request.user, OutboxMessage.objects.select_related("account").order_by("-created_at", "-id")
    )
    paginator = Paginator(rows, 50)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "mailbox/outbox.html",
        {"page_obj": page_obj, "reschedule_form": RescheduleForm(), "nav": "outbox"},
    )


@require_POST
@page
def outbox_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _outbox_row(request, pk)
    if outbox.cancel(pk):
        messages.success(request, _("Cancelled; it will not be sent."))
    else:
        messages.error(request, _("Too late to cancel: it is being sent or has gone."))
    return redirect("mailbox:outbox")


@require_POST
@page
def outbox_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    _outbox_row(request, pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a date and time."))
    elif outbox.reschedule(pk, form.cleaned_data["send_at"]):
        messages.success(request, _("The send time was changed."))
    else:
        messages.error(request, _("Too late to change: it is being sent or has gone."))
    return redirect("mailbox:outbox")


@require_POST
@page
def outbox_send_again(request: HttpRequest, pk: int) -> HttpResponse:
    _outbox_row(request, pk)
    if outbox.send_again(pk):
        messages.success(request, _("It will be sent again now."))
    return redirect("mailbox:outbox")
