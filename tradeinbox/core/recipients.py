"""Whom to write to: To = the formal address, Cc = the personal ones used in the thread.

Export buyers often run a deal from a personal mailbox (gmail, 163.com, WhatsApp) while
the purchase order, the L/C and the bank's paperwork must show the company address. So the
recommendation for a reply is:

* **To**: the *formal* address of each customer person in the thread - the company
  (official, not role, not former) address they do business from, most used first; a
  department address (``purchase@``) when that is what the customer itself writes from;
* **Cc**: personal (free-mail) addresses the customer used *in this thread*, so the
  person still sees the mail where they actually read it;
* **warnings** for every address that is former (left the company), hard-bounced, or on a
  disposable domain - whether recommended or typed in by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tradeinbox.core.evidence import Evidence
from tradeinbox.core.i18n import tr

__all__ = ["RecipientAddress", "Recommendation", "recommend", "warnings_for"]


@dataclass(slots=True)
class RecipientAddress:
    email: str
    person: str  # person key
    kind: str  # official | role | freemail | disposable | former
    is_formal: bool = False
    bounced: bool = False
    former_detail: str = ""
    messages_from: int = 0
    last_used: datetime | None = None


@dataclass(slots=True)
class Recommendation:
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    warnings: list[Evidence] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


def warnings_for(addr: RecipientAddress) -> list[Evidence]:
    out: list[Evidence] = []
    if addr.kind == "former":
        detail = (
            tr("%(email)s is former: %(detail)s", email=addr.email, detail=addr.former_detail)
            if addr.former_detail
            else tr("%(email)s is former: the person has left", email=addr.email)
        )
        out.append(Evidence("recipients.former", 1.0, detail))
    if addr.bounced:
        detail = tr("mail to %(email)s bounced (hard)", email=addr.email)
        out.append(Evidence("recipients.bounced", 1.0, detail))
    if addr.kind == "disposable":
        detail = tr("%(email)s is a disposable address", email=addr.email)
        out.append(Evidence("recipients.disposable", 0.8, detail))
    return out


def _usable(addr: RecipientAddress) -> bool:
    return addr.kind not in ("former", "disposable") and not addr.bounced


def _rank(addr: RecipientAddress) -> tuple:
    stamp = addr.last_used.timestamp() if addr.last_used else 0.0
    return (not addr.is_formal, -addr.messages_from, -stamp, addr.email)


def recommend(
    addresses: list[RecipientAddress],
    used_in_thread: set[str],
    chosen: list[str] | None = None,
) -> Recommendation:
    """Recommend To/Cc for the customer people owning ``addresses``.

    ``used_in_thread``: addresses the customer wrote from (or was written to) in this
    thread. ``chosen``: addresses the user already typed; each gets its warnings too.
    """
    rec = Recommendation()
    by_person: dict[str, list[RecipientAddress]] = {}
    for addr in addresses:
        by_person.setdefault(addr.person, []).append(addr)
    used = {u.lower() for u in used_in_thread}
    for person, addrs in by_person.items():
        involved = any(a.email in used for a in addrs)
        if used and not involved:
            continue  # people of the company who are not part of this thread
        business = sorted(
            (a for a in addrs if _usable(a) and a.kind in ("official", "role")), key=_rank
        )
        personal_used = [
            a for a in addrs if _usable(a) and a.kind == "freemail" and a.email in used
        ]
        if business:
            pick = business[0]
            if pick.kind == "role" and any(a.kind == "official" for a in business):
                pick = next(a for a in business if a.kind == "official")
            rec.to.append(pick.email)
            if pick.is_formal:
                why = tr(
                    "To %(email)s: the formal address %(person)s does business from",
                    email=pick.email,
                    person=person,
                )
            elif pick.kind == "role":
                why = tr(
                    "To %(email)s: the role address %(person)s does business from",
                    email=pick.email,
                    person=person,
                )
            else:
                why = tr(
                    "To %(email)s: the official address %(person)s does business from",
                    email=pick.email,
                    person=person,
                )
            rec.evidence.append(Evidence("recipients.to", 1.0, why))
            for a in personal_used:
                rec.cc.append(a.email)
                rec.evidence.append(
                    Evidence(
                        "recipients.cc",
                        0.8,
                        tr("Cc %(email)s: personal address used in this thread", email=a.email),
                    )
                )
        elif personal_used:
            # No working company address: write where the person actually answers.
            first, *rest = sorted(personal_used, key=_rank)
            rec.to.append(first.email)
            rec.evidence.append(
                Evidence(
                    "recipients.to_personal",
                    0.6,
                    tr("To %(email)s: no working company address", email=first.email),
                )
            )
            rec.cc.extend(a.email for a in rest)
        for a in addrs:
            if a.email in used or a.email in rec.to:
                rec.warnings.extend(warnings_for(a))
    known = {a.email: a for a in addresses}
    for email in chosen or []:
        addr = known.get(email.lower())
        if addr is not None and addr.email not in used:
            rec.warnings.extend(warnings_for(addr))
    seen: set[tuple[str, str]] = set()
    rec.warnings = [
        w
        for w in rec.warnings
        if (w.rule, w.detail) not in seen and not seen.add((w.rule, w.detail))
    ]
    return rec
