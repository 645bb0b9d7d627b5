"""Threat guard: phishing, business-email-compromise and spam signals with evidence.

Every rule returns :class:`~tradeinbox.core.evidence.Evidence` whose weight (0..1)
says how strongly it points at a threat. The rules cover what hurts an export
sales team most: a fake "our bank account has changed" mail from a lookalike of a
customer's domain, a "quotation.pdf.exe", an "RFQ" that is really a webmail login
page. :func:`assess_threat` combines the rules with the learned text model in
:mod:`tradeinbox.core.classifier` into a :class:`ThreatResult`.

Rule families (rule ids in parentheses):

* lookalike domains of our own, known customers' and impersonated brands'
  domains - confusable skeletons (Unicode TR #39 idea, reduced table), edit
  distance, IDN/punycode (RFC 3492), brand embedded in another domain
  (``threat.lookalike.*``);
* display-name impersonation of known contacts and brands (``threat.display.*``);
* Reply-To / Return-Path that divert answers to another domain (``threat.reply.*``);
* authentication failures from :mod:`tradeinbox.core.authres` (``auth.*``);
* payment-diversion, credential-harvest, urgency and advance-fee language in
  EN/ZH/ES/PT/FR/DE (``threat.lang.*``, phrases in ``data/threat_phrases.txt``);
* dangerous attachments (``threat.attach.*``);
* links whose visible text names another domain than their target, IP-literal
  and userinfo links, forms asking for passwords (``threat.link.*``, ``threat.form.*``);
* filter evasion: mixed-script words, styled letters, random subject tokens,
  the recipient's address in the subject, machine-made senders
  (``threat.disguise.*``, in :mod:`tradeinbox.core.lookalike`), look-alike
  letters and invisible characters in words (:mod:`tradeinbox.core.senders`);
* senders on free hosting platforms or abused top-level domains, display names
  that show another domain or dress free mail as a company (``threat.sender.*``,
  ``threat.display.*``, in :mod:`tradeinbox.core.senders`);
* bulk-mail content: gambling, adult, pharmacy, prize lures (``threat.lang.*``).

The verdict combines the text model (which also sees which rules fired, and learns
their worth from its training data) with the rules that were too rare in that data
to be learned, by noisy-OR: either can flag a message on its own, so lures the
model has never seen (new languages, new platforms) are still caught by the
explainable rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tradeinbox.core.authres import AuthVerdict
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.fastmatch import Anchored, Prepared, word_gate, word_starts
from tradeinbox.core.i18n import tr
from tradeinbox.core.linkscan import LinkReport, scan_links
from tradeinbox.core.lookalike import (  # noqa: F401  (re-exported for callers and tests)
    _CONFUSABLE_NAME,
    DomainIndex,
    _brand_pattern,
    _known_index,
    brand_index,
    brands,
    check_disguise,
    decode_idn,
    freemail,
    lookalike,
    skeleton,
)
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.origin import registered_domain
from tradeinbox.core.senders import check_freemail_lure, check_obfuscation, check_sender

DATA = Path(__file__).with_name("data")

# Rules whose firing makes a threat "phish" rather than plain "spam".
PHISH_RULES = (
    "threat.lookalike",
    "threat.display",
    "threat.lang.payment_diversion",
    "threat.lang.credential",
    "threat.attach",
    "threat.link.mismatch",
    "threat.link.ip",
    "threat.link.userinfo",
    "threat.form",
    "threat.reply.freemail",
    "threat.display.domain",
    "threat.disguise.zero_width",
)


@dataclass(slots=True)
class ThreatContext:
    """What the guard knows about *us*: our domains, customers, contacts.

    ``known_contacts`` maps a lower-cased display name to the addresses that
    person really writes from. ``trusted_authserv_ids`` are our MTAs' RFC 8601
    authserv-ids (None: trust by position, see :mod:`tradeinbox.core.authres`).
    """

    own_domains: frozenset[str] = frozenset()
    known_domains: frozenset[str] = frozenset()
    known_contacts: dict[str, frozenset[str]] = field(default_factory=dict)
    trusted_authserv_ids: tuple[str, ...] | None = None


@dataclass(slots=True)
class ThreatResult:
    """Verdict of the guard. ``score`` is the probability-like threat level 0..1."""

    score: float
    label: str  # "phish" | "spam" | "ham"
    evidence: list[Evidence]
    rule_score: float = 0.0
    model_score: float | None = None


# ------------------------------------------------------------------ data files


_CJK_TEXT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _required_literals(phrase: str) -> tuple[str, ...]:
    """Strings of which at least one occurs in any text the regex ``phrase`` matches.

    Walks the top level of the parsed pattern and keeps the element with the longest
    guaranteed literal (a plain run, or a group whose every branch starts with one).
    An empty tuple means "no usable literal": the phrase is always tried.
    """
    from re import _parser as sre_parse  # the stdlib's own regex parser

    def literal_prefix(items) -> str:
        out = []
        for op, value in items:
            if op is sre_parse.LITERAL:
                out.append(chr(value))
            else:
                break
        return "".join(out)

    best: tuple[str, ...] = ()
    best_len = 1
    run: list[str] = []
    items = list(sre_parse.parse(phrase))
    for op, value in [*items, (None, None)]:
        if op is sre_parse.LITERAL:
            run.append(chr(value))
            continue
        if run:
            text = "".join(run)
            if len(text.strip()) > best_len:
                best, best_len = (text.strip(),), len(text.strip())
            run = []
        if op is sre_parse.SUBPATTERN:
            inner = list(value[-1])
            if len(inner) == 1 and inner[0][0] is sre_parse.BRANCH:
                branches = [literal_prefix(list(b)) for b in inner[0][1][1]]
            else:
                branches = [literal_prefix(inner)]
            shortest = min((len(b.strip()) for b in branches), default=0)
            if shortest > best_len and all(branches):
                best, best_len = tuple(b.strip() for b in branches), shortest
    return best


@lru_cache(maxsize=1)
def phrase_patterns() -> list[tuple[str, tuple[str, ...], re.Pattern[str]]]:
    """(section, required literals, compiled phrase) for every phrase.

    Phrases are matched against lower-cased text. A phrase's regex only runs when
    one of its required literals is in the text (a fast substring test), which
    keeps the scan well under a millisecond for the whole lexicon.
    """
    compiled = []
    current = ""
    for line in (DATA / "threat_phrases.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        phrase = line.lower()
        anchor = "" if _CJK_TEXT.search(phrase) else r"\b"
        compiled.append((current, _required_literals(phrase), re.compile(anchor + f"(?:{phrase})")))
    return compiled


def check_lookalikes(
    msg: ParsedMessage, ctx: ThreatContext, link_hosts: list[str]
) -> list[Evidence]:
    """From/Reply-To/link domains imitating our, our customers' or a brand's domain."""
    known = _known_index(frozenset(ctx.own_domains) | frozenset(ctx.known_domains))
    brand = brand_index()
    sources: list[tuple[str, str]] = []
    if msg.from_address:
        sources.append(("From", msg.from_address.domain))
    sources.extend(("Reply-To", a.domain) for a in msg.reply_to[:2])
    sources.extend(("link", h) for h in link_hosts[:25])
    evidence: list[Evidence] = []
    seen: set[str] = set()
    for where, host in sources:
        reg = registered_domain(host)
        if not reg or reg in seen or reg in known.domains or reg in brand.domains:
            continue
        seen.add(reg)
        hit = known.match(host) if known.domains else None
        if hit:
            evidence.append(Evidence("threat.lookalike.known", hit[0] + 0.2, f"{where}: {hit[1]}"))
        else:
            hit = brand.match(host)
            if hit and hit[0] >= 0.45:
                weight = hit[0] if where != "link" else hit[0] - 0.15
                evidence.append(Evidence("threat.lookalike.brand", weight, f"{where}: {hit[1]}"))
        if reg != decode_idn(reg):
            evidence.append(
                Evidence("threat.lookalike.idn", 0.15, f"{where}: {reg} is IDN {decode_idn(reg)}")
            )
    return evidence


# ------------------------------------------------------------------ sender identity

_EMAIL_IN_NAME = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def check_display_name(msg: ParsedMessage, ctx: ThreatContext) -> list[Evidence]:
    """Display names that borrow someone else's identity."""
    sender = msg.from_address
    if not sender or not sender.name:
        return []
    evidence = []
    name = sender.name.strip().strip("'\"").lower()
    actual = registered_domain(sender.domain)
    shown = _EMAIL_IN_NAME.search(name)
    if shown and registered_domain(shown.group(1)) != actual:
        evidence.append(
            Evidence(
                "threat.display.other_address",
                0.35,
                tr(
                    "display name shows %(shown)s but the address is %(address)s",
                    shown=shown.group(0),
                    address=sender.email,
                ),
            )
        )
    known = ctx.known_contacts.get(name)
    if known and sender.email not in known:
        known_domains = {registered_domain(e.rpartition("@")[2]) for e in known}
        weight = 0.55 if actual not in known_domains else 0.25
        evidence.append(
            Evidence(
                "threat.display.known_contact",
                weight,
                tr(
                    "%(name)r is a known contact who writes from %(known)s, not %(address)s",
                    name=sender.name,
                    known=", ".join(sorted(known)),
                    address=sender.email,
                ),
            )
        )
    recipients = {registered_domain(a.domain) for a in msg.to + msg.cc}
    # "Banco do BrasiI" (capital i) and "Аpple" (Cyrillic A) must still name the brand.
    plain = re.sub(r"(?<=[a-z])I(?![A-Za-z])", "l", sender.name.translate(_CONFUSABLE_NAME)).lower()
    for match in _brand_pattern().finditer(plain):
        keyword = match.group(1).lower()
        genuine = brands()[keyword]
        if genuine and actual not in genuine and sender.domain not in genuine:
            evidence.append(
                Evidence(
                    "threat.display.brand",
                    0.35,
                    tr(
                        "display name says %(brand)r but mail is from %(domain)s",
                        brand=match.group(1),
                        domain=sender.domain,
                    ),
                )
            )
            break
        if not genuine and actual not in recipients and actual not in ctx.own_domains:
            evidence.append(
                Evidence(
                    "threat.display.staff_role",
                    0.25,
                    tr(
                        "%(role)r from outside domain %(domain)s",
                        role=match.group(1),
                        domain=sender.domain,
                    ),
                )
            )
            break
    return evidence


def check_reply_path(msg: ParsedMessage) -> list[Evidence]:
    """Reply-To or Return-Path that take the conversation to another domain."""
    sender = msg.from_address
    if not sender:
        return []
    evidence = []
    from_reg = registered_domain(sender.domain)
    list_post = msg.list_headers.get("list-post", "") + msg.list_headers.get("list-id", "")
    for reply in msg.reply_to[:2]:
        reply_reg = registered_domain(reply.domain)
        if not reply_reg or reply_reg == from_reg:
            continue
        if reply.email in list_post or reply_reg in list_post:
            continue  # a mailing list asking for replies to the list
        if reply_reg in freemail() and from_reg not in freemail():
            evidence.append(
                Evidence(
                    "threat.reply.freemail",
                    0.3,
                    tr(
                        "replies to %(domain)s go to webmail address %(address)s",
                        domain=sender.domain,
                        address=reply.email,
                    ),
                )
            )
        else:
            evidence.append(
                Evidence(
                    "threat.reply.divert",
                    0.12,
                    tr(
                        "Reply-To %(reply)s differs from %(address)s",
                        reply=reply.email,
                        address=sender.email,
                    ),
                )
            )
        break
    if msg.return_path and "@" in msg.return_path:
        bounce_reg = registered_domain(msg.return_path.rpartition("@")[2])
        if bounce_reg and bounce_reg != from_reg:
            evidence.append(
                Evidence("threat.reply.return_path", 0.02, f"Return-Path {msg.return_path}")
            )
    return evidence


# ------------------------------------------------------------------ language

_LANGUAGE_WEIGHTS = {
    "crypto": (0.25, 0.45),
    "payment_diversion": (0.45, 0.6),
    "credential": (0.2, 0.45),
    "urgency": (0.06, 0.12),
    "advance_fee": (0.2, 0.45),
    "gambling": (0.25, 0.5),
    "adult": (0.3, 0.55),
    "pharma": (0.25, 0.45),
    "prize": (0.2, 0.45),
}


@lru_cache(maxsize=1)
def _phrase_gates() -> list[tuple[frozenset[str] | None, Anchored]]:
    """For each phrase: word beginnings one of which it needs (fastmatch.word_gate),
    and the phrase wrapped for anchor-driven search (fastmatch.Anchored)."""
    return [(word_gate(rx), Anchored(rx)) for _, _, rx in phrase_patterns()]


def check_language(subject: str, text: str) -> list[Evidence]:
    """Fraud requests in the subject and the newest part of the body."""
    sample = " ".join(f"{subject}\n{text[:4000]}".split()).lower()
    heads = word_starts(sample)  # a cheap first gate: the phrase's words must begin here
    prepared: Prepared | None = None
    hits: dict[str, list[str]] = {}
    phrases = zip(phrase_patterns(), _phrase_gates(), strict=True)
    for (section, literals, _pattern), (gate, anchored) in phrases:
        if gate is not None and heads.isdisjoint(gate):
            continue
        if literals and not any(literal in sample for literal in literals):
            continue
        found = hits.setdefault(section, [])
        if len(found) >= 3:
            continue
        prepared = prepared or Prepared(sample, use_index=False)
        match = anchored.search(prepared)
        if match and match.group(0) not in found:
            found.append(match.group(0))
    evidence = []
    for section, found in hits.items():
        if not found:
            continue
        each, cap = _LANGUAGE_WEIGHTS.get(section, (0.1, 0.2))
        weight = min(cap, each * len(found))
        quoted = "; ".join(f"\u201c{h}\u201d" for h in found)
        evidence.append(Evidence(f"threat.lang.{section}", round(weight, 3), quoted[:200]))
    return evidence


# ------------------------------------------------------------------ attachments

EXECUTABLE = {
    "exe", "scr", "pif", "com", "cpl", "msi", "msp", "bat", "cmd", "vbs", "vbe", "js", "jse",
    "wsf", "wsh", "hta", "ps1", "psm1", "lnk", "jar", "reg", "chm", "dll", "apk", "app",
    "gadget", "msc", "sct", "xll", "appx", "msix", "url", "inf", "scf", "elf", "sh",
}  # fmt: skip
DISK_IMAGE = {"iso", "img", "vhd", "vhdx", "udf", "dmg"}
MARKUP = {"html", "htm", "shtml", "xhtml", "svg", "mht", "mhtml", "shtm"}
MACRO_DOC = {"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam", "sldm", "xlsb"}
ARCHIVE = {"zip", "rar", "7z", "ace", "arj", "cab", "gz", "tgz", "tar", "bz2", "xz", "lzh", "z"}
_DECOY = {"pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png", "txt", "csv", "ppt", "pptx"}
_PASSWORD_HINT = re.compile(
    r"(?i)(password|passcode|senha|contrase[nñ]a|mot de passe|kennwort|密码)\s*[:：]?\s*\S{3,}"
)


def _extensions(filename: str) -> list[str]:
    name = filename.lower().strip().rstrip(".")
    parts = [p.strip() for p in name.split(".")[1:]]
    return [p for p in parts if p and len(p) <= 6 and p.isalnum()]


def _zip_info(data: bytes) -> tuple[bool, list[str]]:
    """(encrypted?, member names) of a ZIP archive's data, without extracting."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()[:200]
            return any(i.flag_bits & 0x1 for i in infos), [i.filename for i in infos]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return False, []


def check_attachments(msg: ParsedMessage) -> list[Evidence]:
    """Attachments that run code, open a web page or hide what they are."""
    evidence = []
    for attachment in msg.attachments[:30]:
        name = attachment.filename or ""
        exts = _extensions(name)
        last = exts[-1] if exts else ""
        sniffed = (attachment.sniffed_type or "").lower()
        if len(exts) >= 2 and exts[-2] in _DECOY and (last in EXECUTABLE | MARKUP | DISK_IMAGE):
            evidence.append(
                Evidence(
                    "threat.attach.double_extension",
                    0.7,
                    tr("%(name)r hides .%(extension)s", name=name, extension=last),
                )
            )
        elif last in EXECUTABLE or "dosexec" in sniffed or "x-executable" in sniffed:
            evidence.append(
                Evidence("threat.attach.executable", 0.6, tr("%(name)r is a program", name=name))
            )
        elif last in DISK_IMAGE:
            evidence.append(
                Evidence("threat.attach.disk_image", 0.5, tr("%(name)r is a disk image", name=name))
            )
        elif last in MARKUP and attachment.disposition != "inline":
            evidence.append(
                Evidence(
                    "threat.attach.html",
                    0.4,
                    tr("%(name)r opens a local web page (fake login)", name=name),
                )
            )
        elif last in MACRO_DOC:
            evidence.append(
                Evidence("threat.attach.macro", 0.35, tr("%(name)r can carry macros", name=name))
            )
        elif last in ARCHIVE or "zip" in sniffed:
            encrypted, members = _zip_info(attachment.data) if attachment.data else (False, [])
            risky = [
                m
                for m in members
                if _extensions(m) and _extensions(m)[-1] in EXECUTABLE | MARKUP | DISK_IMAGE
            ]
            if risky:
                evidence.append(
                    Evidence(
                        "threat.attach.archive_program",
                        0.6,
                        tr("%(name)r contains %(member)r", name=name, member=risky[0]),
                    )
                )
            elif encrypted or _PASSWORD_HINT.search(msg.text[:3000]):
                evidence.append(
                    Evidence(
                        "threat.attach.encrypted_archive",
                        0.35,
                        tr(
                            "%(name)r is password-protected (scanners cannot look inside)",
                            name=name,
                        ),
                    )
                )
    return evidence


# ------------------------------------------------------------------ links & forms


def check_links(report: LinkReport) -> list[Evidence]:
    """Evidence from the link scan of the HTML body."""
    evidence = []
    if report.mismatches:
        shown, target, tracker = report.mismatches[0]
        weight = 0.15 if tracker else 0.35
        evidence.append(
            Evidence(
                "threat.link.mismatch",
                weight,
                tr("link text shows %(shown)s but goes to %(target)s", shown=shown, target=target)
                + (
                    " " + tr("(+%(count)d more)", count=len(report.mismatches) - 1)
                    if len(report.mismatches) > 1
                    else ""
                ),
            )
        )
    if report.ip_links:
        evidence.append(
            Evidence(
                "threat.link.ip",
                0.3,
                tr("link to a bare IP address %(link)s", link=report.ip_links[0]),
            )
        )
    if report.userinfo_links:
        evidence.append(
            Evidence(
                "threat.link.userinfo",
                0.3,
                tr("link hides its host after '@': %(link)s", link=report.userinfo_links[0]),
            )
        )
    if report.script_links:
        evidence.append(
            Evidence("threat.link.script", 0.25, tr("link runs javascript:/data: content"))
        )
    if report.shorteners:
        evidence.append(
            Evidence(
                "threat.link.shortener",
                0.08,
                tr("shortened link %(link)s", link=report.shorteners[0]),
            )
        )
    if report.free_hosting:
        evidence.append(
            Evidence(
                "threat.link.free_hosting",
                0.12,
                tr("link to a free hosting site %(link)s", link=report.free_hosting[0]),
            )
        )
    if report.password_form:
        evidence.append(
            Evidence("threat.form.password", 0.5, tr("the message contains a password form"))
        )
    elif report.forms:
        evidence.append(Evidence("threat.form.present", 0.2, tr("the message contains a web form")))
    return evidence


# ------------------------------------------------------------------ combination


def rule_evidence(
    msg: ParsedMessage,
    ctx: ThreatContext,
    auth: AuthVerdict | None = None,
    links: LinkReport | None = None,
) -> tuple[list[Evidence], LinkReport]:
    """Run every rule; returns (evidence, the link scan for the classifier)."""
    links = links or scan_links(msg.html, msg.text)
    evidence: list[Evidence] = []
    evidence += check_lookalikes(msg, ctx, links.hosts)
    evidence += check_display_name(msg, ctx)
    evidence += check_reply_path(msg)
    evidence += check_language(msg.subject, msg.text)
    evidence += check_disguise(msg)
    evidence += check_sender(msg)
    name = msg.from_address.name if msg.from_address else ""
    evidence += check_obfuscation(msg.subject, name or "", msg.text)
    evidence += check_attachments(msg)
    evidence += check_links(links)
    evidence += check_freemail_lure(msg, evidence)
    if auth is not None:
        evidence += [e for e in auth.evidence if e.weight]
        if auth.failed and any(e.rule.startswith("threat.display") for e in evidence):
            evidence.append(
                Evidence(
                    "threat.spoof",
                    0.3,
                    tr("authentication failed and the sender borrows an identity"),
                )
            )
    return evidence, links


def combine_rules(evidence: list[Evidence]) -> float:
    """Noisy-OR of the positive weights, damped by the negative ones (0..1)."""
    keep = 1.0
    relief = 0.0
    for item in evidence:
        if item.weight > 0:
            keep *= 1.0 - min(item.weight, 0.95)
        else:
            relief += -item.weight
    return max(0.0, (1.0 - keep) - relief)


def assess_threat(
    msg: ParsedMessage,
    ctx: ThreatContext | None = None,
    auth: AuthVerdict | None = None,
    model=None,
    threshold: float = 0.5,
) -> ThreatResult:
    """Score one message; ``model`` is a :class:`tradeinbox.core.classifier.TriageModel`.

    Without a model (or when its file is missing) the noisy-OR of the rule weights
    is the score, which is conservative: only strong rules reach 0.5.
    """
    ctx = ctx or ThreatContext()
    evidence, links = rule_evidence(msg, ctx, auth)
    rule_score = combine_rules(evidence)
    if model is None:
        from tradeinbox.core.classifier import default_model

        model = default_model()
    phishy = any(e.rule.startswith(PHISH_RULES) and e.weight >= 0.3 for e in evidence)
    if model is not None:
        threat_p, phish_p, model_evidence = model.score(msg, links, rule_score, evidence)
        # Noisy-OR of the model and the rules it could not learn from its training data
        # (too rare there): those can flag what the model has never seen. The rules it
        # did learn count through the model, with the weight the data gave them.
        # Only their positive evidence: a passing SPF/DKIM only proves the sender owns
        # the address, which says nothing about a brand in its display name.
        unlearned = combine_rules(
            [e for e in evidence if e.weight > 0 and e.rule not in model.learned_rules]
        )
        evidence.extend(model_evidence)
        score = 1.0 - (1.0 - threat_p) * (1.0 - unlearned)
        phishy = phishy or phish_p >= 0.5
    else:
        threat_p = None
        score = rule_score
    if score >= threshold:
        label = "phish" if phishy else "spam"
    else:
        label = "ham"
    evidence.sort(key=lambda e: -abs(e.weight))
    return ThreatResult(round(score, 4), label, evidence, round(rule_score, 4), threat_p)
