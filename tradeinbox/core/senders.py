"""Who the mail claims to be from, and text disguised to slip past filters.

Rules of the threat guard (:mod:`tradeinbox.core.threats`) that look at the From
line and at obfuscated words. Each returns :class:`~tradeinbox.core.evidence.Evidence`
whose weight (0..1) says how strongly it points at a threat. They describe how
fraud and bulk spam are *made*, in any language and any year, not a corpus:

* a sender on a free site-hosting or app platform (a Firebase project sends no
  company's invoices), on a top-level domain that anti-abuse reports rank as
  mostly abused, or on no valid domain at all (``threat.sender.*``);
* a display name that shows another domain than the address, that dresses a
  free-mail account as a company department, that carries the recipient's own
  address, or that is only punctuation (``threat.display.*``);
* a money or account lure (prize, wallet, inheritance, login) from a free-mail
  account (``threat.sender.freemail_lure``);
* letters swapped for look-alike digits (``B0NUS``), a capital I for an l
  (``CouId``), invisible characters inside words (``Amazo\u200dn``)
  (``threat.disguise.*``).
"""

from __future__ import annotations

import re

from tradeinbox.core.evidence import Evidence
from tradeinbox.core.i18n import tr
from tradeinbox.core.linkscan import FREE_HOSTING
from tradeinbox.core.lookalike import freemail
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.origin import public_suffix, registered_domain

# Top-level domains whose registrations are mostly abusive in the Spamhaus and
# Interisle/APWG yearly statistics (cheap new gTLDs); legitimate use exists, so the
# weight is small and only adds to other evidence.
ABUSED_TLDS = frozenset(
    "top xyz click buzz icu cyou rest bond sbs cfd quest beauty hair skin makeup lol mom "
    "monster cam casa work support shop online site live life fun space website store "
    "pw tk ml ga cf gq loan win bid date racing review stream download men party trade "
    "science accountant cricket faith webcam zip mov best autos boats homes yachts".split()
)
# Words that make a display name an organisation or a department rather than a person.
_ORG_WORDS = re.compile(
    r"(?i)\b(?:support|service|services|team|security|billing|account|accounts|admin|"
    r"administrator|administra[cç][aã]o|helpdesk|help\s*desk|customer|client|notification|"
    r"notifications|alert|alerts|verification|delivery|shipping|courier|bank|banking|"
    r"payment|payments|invoice|rewards?|bonus|promo|promotions?|winner|claims?|"
    r"department|office|center|centre|desk|portal|wallet|suporte|atendimento|"
    r"comunicado|aviso|nota|fatura|entrega|servicio|soporte|cliente|kundenservice|"
    r"kundendienst|versand|zustellung|paket|livraison|colis|kunde|no-?reply)\b"
)
_DOMAIN_IN_NAME = re.compile(
    r"(?<![\w@.-])((?:[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?\.)+(?:[a-z]{2,12}))(?![\w.-])", re.I
)
_COMMON_NOT_DOMAIN = re.compile(r"(?i)^(?:[a-z]\.)+[a-z]$|^(?:mr|mrs|ms|dr|st|jr|sr|inc|co)\.")
# "B0NUS", "INF0RMATI0N": a zero standing in for an O inside an all-capitals word.
_ZERO_FOR_O = re.compile(r"(?<![\w-])[A-Z]*[A-Z]0+[A-Z][A-Z0]*(?![\w-])")
# "ZusteIIung", "Iog in", "CouId": a capital I standing in for a lower-case l
# (only these shapes: camel-case words such as "parseInt" or "LinkedIn" are fine).
_I_FOR_L = re.compile(
    r"[a-z]II[a-z]|(?<![\w])I(?:og\s?-?in|ogin)\b|(?<![\w])(?:[CcWw]|[Ss]h)ouId\b|"
    r"(?<![\w])[A-Z]I[a-z]{3,}|[a-z]{3,}I(?![\w])|(?<![\w])0[a-z]{4,}"
)
# Invisible characters inside a Latin-script word: joiners and spaces of width zero,
# the combining grapheme joiner, the Mongolian vowel separator, the word joiner.
# (Persian and Indic writing use ZWNJ inside words by rule: not Latin, not matched.)
_ZERO_WIDTH_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u034f\u180e"
_ZERO_WIDTH_IN_WORD = re.compile(
    r"[A-Za-z\u00c0-\u024f][\u200b-\u200d\u2060\ufeff\u034f\u180e]+[A-Za-z\u00c0-\u024f]"
)
_ONLY_PUNCTUATION = re.compile(r"^[\W_]+$")
_FORWARD = re.compile(r"(?i)^\s*(?:fw|fwd|tr|wg|enc|rv|i)\s*:")
_VALID_DOMAIN = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24}|xn--[a-z0-9-]{2,59})"
)


_LEET = re.compile(f"(?P<zero>{_ZERO_FOR_O.pattern})|{_I_FOR_L.pattern}")
# Cheap first pass: the shapes above all need one of these character pairs.
_LEET_HINT = re.compile(r"[A-Z]0|0[A-Za-z]|[a-z]I|[A-Z]I[a-z]|\bIog")


def _leet_words(text: str) -> list[str]:
    found: list[str] = []
    if not _LEET_HINT.search(text):
        return found
    for m in _LEET.finditer(text):
        word = m.group(0)
        if m.group("zero") and sum(c.isalpha() for c in word) < 4:
            continue
        if word not in found:
            found.append(word)
    return found[:4]


def check_sender(msg: ParsedMessage) -> list[Evidence]:
    """Sender domain and display-name rules (see the module docstring)."""
    sender = msg.from_address
    if not sender or "@" not in sender.email:
        return []
    evidence: list[Evidence] = []
    domain = sender.domain.lower().rstrip(".")
    reg = registered_domain(domain)
    labels = domain.split(".")
    own = {a.email for a in (*msg.to, *msg.cc)}
    forwarded = bool(_FORWARD.match(msg.subject or ""))
    if sender.email not in own and not forwarded and not _VALID_DOMAIN.fullmatch(domain):
        # No mail system sends from a host name without a top-level domain: the From
        # line was typed by hand into a mailing kit. (Mail from oneself, and what a
        # person forwards, are left out: there the From line is the person's own.)
        evidence.append(
            Evidence(
                "threat.sender.invalid_domain",
                0.45,
                tr("sender domain %(domain)r is not valid", domain=domain),
            )
        )
    suffixes = {".".join(labels[i:]) for i in range(max(0, len(labels) - 4), len(labels) - 1)}
    if reg in FREE_HOSTING or suffixes & FREE_HOSTING:
        evidence.append(
            Evidence(
                "threat.sender.free_hosting",
                0.45,
                tr("sent from %(domain)s, a free site-hosting / app platform", domain=domain),
            )
        )
    tld = labels[-1] if labels else ""
    if tld in ABUSED_TLDS:
        evidence.append(
            Evidence("threat.sender.abused_tld", 0.12, tr("sender domain under .%(tld)s", tld=tld))
        )

    name = (sender.name or "").strip().strip("'\"")
    if not name:
        return evidence
    if _ONLY_PUNCTUATION.match(name):
        evidence.append(
            Evidence(
                "threat.display.punctuation", 0.2, tr("display name is only %(name)r", name=name)
            )
        )
        return evidence
    lowered = name.lower()
    recipients = [a.email for a in msg.to[:3] if a.email and "@" in a.email]
    if any(email in lowered for email in recipients) or any(
        a.local_part and len(a.local_part) >= 4 and f"{a.local_part}@" in lowered
        for a in msg.to[:3]
    ):
        evidence.append(
            Evidence(
                "threat.display.recipient",
                0.3,
                tr("display name %(name)r addresses the recipient", name=name),
            )
        )
    if "@" not in name:
        for m in _DOMAIN_IN_NAME.finditer(name):
            shown = m.group(1).lower()
            if _COMMON_NOT_DOMAIN.search(shown) or not public_suffix(shown):
                continue
            shown_reg = registered_domain(shown)
            if shown_reg and shown_reg != reg and shown_reg.split(".")[0] not in domain:
                evidence.append(
                    Evidence(
                        "threat.display.domain",
                        0.2,
                        tr(
                            "display name shows %(shown)s but the mail is from %(domain)s",
                            shown=shown,
                            domain=domain,
                        ),
                    )
                )
                break
    if reg in freemail():
        org = _ORG_WORDS.search(name)
        digits = sum(c.isdigit() for c in name)
        if org or digits >= 3:
            why = (
                tr("the word %(word)r", word=org.group(0))
                if org
                else tr("%(count)d digits", count=digits)
            )
            evidence.append(
                Evidence(
                    "threat.display.freemail_org",
                    0.3,
                    tr(
                        "free-mail sender %(address)s named like an organisation (%(why)s)",
                        address=sender.email,
                        why=why,
                    ),
                )
            )
    return evidence


def check_obfuscation(subject: str, name: str, text: str) -> list[Evidence]:
    """Words disguised with digits, capital I for l, or invisible characters."""
    evidence: list[Evidence] = []
    head = f"{subject}\n{name}"
    leet = _leet_words(head)
    body_leet = _leet_words(text[:2000])
    if leet or len(body_leet) >= 2:
        words = (leet + [w for w in body_leet if w not in leet])[:4]
        evidence.append(
            Evidence(
                "threat.disguise.lookalike_letters",
                0.3 if leet else 0.2,
                tr("letters replaced by look-alikes: %(words)s", words=", ".join(words)),
            )
        )
    sample = text[:5000]
    hidden = None
    if any(c in head or c in sample for c in _ZERO_WIDTH_CHARS):  # cheap test first
        hidden = _ZERO_WIDTH_IN_WORD.search(head) or _ZERO_WIDTH_IN_WORD.search(sample)
    if hidden:
        shown = hidden.group(0).encode("unicode_escape").decode("ascii")
        evidence.append(
            Evidence(
                "threat.disguise.zero_width",
                0.4,
                tr("invisible characters inside a word (%(shown)s)", shown=shown),
            )
        )
    return evidence


_LURES = ("threat.lang.crypto", "threat.lang.prize", "threat.lang.gambling",
          "threat.lang.advance_fee", "threat.lang.credential", "threat.lang.payment_diversion")  # fmt: skip


def check_freemail_lure(msg: ParsedMessage, evidence: list[Evidence]) -> list[Evidence]:
    """A money or account lure sent from a consumer webmail account.

    Banks, exchanges, lotteries and couriers write from their own domains; a prize,
    a wallet warning or an inheritance offered from a free-mail box is the fraud.
    """
    sender = msg.from_address
    if not sender or "@" not in sender.email:
        return []
    if registered_domain(sender.domain) not in freemail():
        return []
    lure = next((e for e in evidence if e.rule in _LURES and e.weight > 0), None)
    if lure is None:
        return []
    return [
        Evidence(
            "threat.sender.freemail_lure",
            0.25,
            f"{lure.rule.rpartition('.')[2].replace('_', ' ')} lure from free-mail {sender.email}",
        )
    ]
