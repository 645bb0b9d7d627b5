"""Recipient rules: reply-all, a second mail today, and addresses that will not reach anyone.

* ``recipients.reply_all`` (warning): a reply to many people, or to people at two or more
  outside companies, is often an accidental reply-all that leaks prices to a competitor
  or a buyer's other suppliers.
* ``recipients.second_today`` (warning): we already mailed this person today (the
  recipient's local day when their time zone is known); a second mail reads as pressure.
* ``recipients.bad_address``: an address known to be former (the person left) or bounced
  is an error; a disposable-domain address (throwaway inbox) is a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo

from tradeinbox.core.i18n import tr, tr_noop
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext

# Whole sentences per kind, so each can be translated as a unit.
_GONE = {
    "former": tr_noop("%(email)s has left the company."),
    "bounced": tr_noop("%(email)s bounced."),
    "invalid": tr_noop("%(email)s is invalid."),
}


def _registrable(domain: str) -> str:
    try:
        from tradeinbox.core.addresses import registrable_domain
    except ImportError:  # pragma: no cover - addresses.py is part of core
        return ".".join(domain.split(".")[-2:])
    return registrable_domain(domain)


def _freemail() -> frozenset[str]:
    from tradeinbox.core.addresses import freemail_domains

    return freemail_domains()


def _recipient_tz(email: str, ctx: LintContext) -> tzinfo | None:
    facts = ctx.recipient_facts.get(email)
    if facts is None:
        return None
    from tradeinbox.core.writing.sendtime import recipient_timezone, tzinfo_for

    name, _ = recipient_timezone(facts)
    # "UTC+05:30" (from past Date offsets) is not an IANA name: tzinfo_for handles both.
    return tzinfo_for(name) if name else None


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    visible = [*draft.to, *draft.cc]
    is_reply = bool(draft.in_reply_to) or (draft.subject or "").lower().startswith(("re:", "aw:"))
    if draft.reply_all or (draft.reply_all is None and is_reply and len(visible) >= 2):
        own = {_registrable(d.lower().lstrip("@")) for d in ctx.own_domains if d}
        if draft.sender is not None and "@" in draft.sender.email:
            own.add(_registrable(draft.sender.domain))
        # A personal free-mail box (the buyer's own gmail, Cc'd as recommended) is not
        # another company: only company domains count as "outside companies".
        outside = sorted({_registrable(a.domain) for a in visible if a.domain} - own - _freemail())
        if len(visible) >= ctx.many_recipients:
            yield Finding(
                "recipients.reply_all",
                "warning",
                None,
                None,
                tr("This reply goes to %(count)d people.", count=len(visible)),
                tr("Check that everyone needs it; reply only to the sender if not."),
                where="recipients",
            )
        elif len(outside) >= 2:
            yield Finding(
                "recipients.reply_all",
                "warning",
                None,
                None,
                tr(
                    "This reply goes to %(count)d outside companies (%(domains)s).",
                    count=len(outside),
                    domains=", ".join(outside[:4]),
                ),
                tr(
                    "Make sure prices and terms are meant for all of them;"
                    " otherwise reply separately."
                ),
                where="recipients",
            )

    when = draft.send_at or datetime.now(UTC)
    for address in visible:
        email = address.email.lower()
        tz = _recipient_tz(email, ctx) or when.tzinfo or UTC
        day = when.astimezone(tz).date()
        earlier = [
            s
            for s in ctx.recent_sends
            if s.email.lower() == email
            and s.sent_at.astimezone(tz).date() == day
            and s.sent_at < when
        ]
        if earlier:
            yield Finding(
                "recipients.second_today",
                "warning",
                None,
                None,
                tr(
                    "You already mailed %(email)s today (%(time)s their time).",
                    email=email,
                    time=f"{earlier[-1].sent_at.astimezone(tz):%H:%M}",
                ),
                tr("Wait for an answer, or add this to tomorrow's follow-up."),
                where="recipients",
            )

    for address in draft.recipients:
        email = address.email.lower()
        kind = ctx.address_kinds.get(email, "")
        if kind in _GONE:
            yield Finding(
                "recipients.bad_address",
                "error",
                None,
                None,
                tr(_GONE[kind], email=email),
                tr("Remove it and write to the person's replacement or another contact."),
                where="recipients",
            )
            continue
        disposable = kind == "disposable"
        if not disposable and ctx.check_addresses and "@" in email:
            try:
                from tradeinbox.core.addresses import classify_address

                disposable = classify_address(email).is_disposable
            except (ImportError, ValueError):
                disposable = False
        if disposable:
            yield Finding(
                "recipients.bad_address",
                "warning",
                None,
                None,
                tr("%(email)s is at a disposable (throwaway) mail domain.", email=email),
                tr("Ask the buyer for a company or permanent address before sending offers."),
                where="recipients",
            )
