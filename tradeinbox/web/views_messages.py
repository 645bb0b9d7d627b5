"""One message: its page, its sanitised HTML body, its attachments and raw source.

Bytes come from the blob store. Nothing a sender wrote is ever served as an
active document: the HTML body goes through :mod:`tradeinbox.web.sanitize` and
carries its own CSP; attachments are downloads (``Content-Disposition:
attachment``, ``nosniff``) except raster images, which may be shown inline.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from tradeinbox.core.parse import parse_message
from tradeinbox.store.models import Attachment, Message
from tradeinbox.store.rawstore import blob_store, raw_bytes
from tradeinbox.users import roles
from tradeinbox.web.sanitize import SAFE_INLINE_IMAGES, body_csp, body_document, sanitise_html
from tradeinbox.web.views import page

ATTACHMENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
_UNSAFE_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def _read_blob(sha256: str) -> bytes:
    try:
        return blob_store().get(sha256)
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("content not in the blob store") from exc


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A file name that cannot escape a folder or break a header."""
    name = unicodedata.normalize("NFC", name or "")
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip(" ._")
    return name[:200] or fallback


def content_disposition(kind: str, filename: str) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''percent-encoded`` (RFC 6266, RFC 8187)."""
    name = safe_filename(filename)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = safe_filename(ascii_name.replace("%", "_"), "attachment")
    if "." in name and "." not in ascii_name:
        ascii_name += "." + safe_filename(name.rsplit(".", 1)[1], "bin").encode(
            "ascii", "ignore"
        ).decode("ascii")
    value = f'{kind}; filename="{ascii_name}"'
    if ascii_name != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def _protect(response: HttpResponse, csp: str = ATTACHMENT_CSP) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = csp
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, max-age=0, no-cache"
    return response


def _message(request: HttpRequest, pk: int) -> Message:
    """The message if this user may see it; 404 exactly as for one that does not exist."""
    return get_object_or_404(
        roles.visible_messages(request.user, Message.objects.select_related("thread")), pk=pk
    )


# -- the message page ----------------------------------------------------------------


@require_GET
@page
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message(request, pk)
    images = request.GET.get("images") == "1"
    view = "text" if request.GET.get("view") == "text" or not message.has_html else "html"
    blocked = 0
    if view == "html":
        # Parse once here only to know whether there is anything to unblock; the
        # iframe fetches the document itself from message_body.
        html = _html_of(message)
        if html is None:
            view = "text"
        else:
            blocked = sanitise_html(html, allow_remote_images=False).blocked_remote_images
    attachments = list(message.attachments.all())
    body_url = reverse("message_body", args=[message.pk]) + ("?images=1" if images else "")
    return render(
        request,
        "web/message.html",
        {
            "message": message,
            "attachments": attachments,
            "view": view,
            "images": images,
            "blocked_images": blocked,
            "body_url": body_url,
            "nav": "inbox",
        },
    )


def _html_of(message: Message) -> str | None:
    try:
        raw = raw_bytes(message)
    except (FileNotFoundError, ValueError):
        return None
    return parse_message(raw).html


@require_GET
@page
def message_body(request: HttpRequest, pk: int) -> HttpResponse:
    """The sanitised HTML body as a stand-alone document for the sandboxed iframe."""
    message = _message(request, pk)
    html = _html_of(message)
    if html is None:
        raise Http404("no HTML body")
    allow = request.GET.get("images") == "1"

    def cid_url(content_id: str) -> str:
        return reverse("message_cid", args=[message.pk, content_id])

    safe = sanitise_html(html, allow_remote_images=allow, cid_url=cid_url)
    response = HttpResponse(
        body_document(safe.html, get_language() or ""), content_type="text/html; charset=utf-8"
    )
    response["X-Frame-Options"] = "SAMEORIGIN"
    return _protect(response, body_csp(allow))


@require_GET
@page
def message_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The original message bytes, as a download."""
    message = _message(request, pk)
    try:
        original = raw_bytes(message)
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("the original message is not stored") from exc
    response = HttpResponse(original, content_type="message/rfc822")
    name = safe_filename(message.subject, "message")[:80] + ".eml"
    response["Content-Disposition"] = content_disposition("attachment", name)
    return _protect(response)


# -- attachments ---------------------------------------------------------------------


def _serve_attachment(attachment: Attachment, inline: bool) -> HttpResponse:
    try:
        # Streamed from disk: a 100 MB drawing must not sit in the web process's memory.
        handle = blob_store().path(attachment.sha256).open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("content not in the blob store") from exc
    # Trust the bytes, not the sender's label: inline only when the sniffed type
    # is a raster image, and then with that type.
    showable = inline and attachment.sniffed_type in SAFE_INLINE_IMAGES
    content_type = attachment.sniffed_type if showable else "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(
        "inline" if showable else "attachment", attachment.filename
    )
    response["Content-Length"] = str(attachment.size)
    return _protect(response)


@require_GET
@page
def attachment_download(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    message = _message(request, pk)
    attachment = get_object_or_404(Attachment, message_id=message.pk, position=position)
    return _serve_attachment(attachment, inline=request.GET.get("inline") == "1")


@require_GET
@page
def message_cid(request: HttpRequest, pk: int, content_id: str) -> HttpResponse:
    """An inline image referenced as ``cid:`` from the HTML body (RFC 2392)."""
    message = _message(request, pk)
    attachment = (
        Attachment.objects.filter(message_id=message.pk, content_id=content_id)
        .order_by("position")
        .first()
    )
    if attachment is None or attachment.sniffed_type not in SAFE_INLINE_IMAGES:
        raise Http404("no such inline image")
    return _serve_attachment(attachment, inline=True)
