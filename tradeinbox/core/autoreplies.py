"""Auto-replies (RFC 3834): vacation / out-of-office, and "has left the company".

RFC 3834 section 5 asks responders to send ``Auto-Submitted: auto-replied``; many
don't, so vendor headers (``X-Autoreply``, ``X-Autorespond``, ``Precedence: auto_reply``,
Exchange's ``X-Auto-Response-Suppress``) and the subject and body wording in the
languages export teams meet are used too. A "left the company" reply is what the CRM
cares most about: the contact is ``former`` and the sales person needs the successor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tradeinbox.core.evidence import Evidence

AUTOREPLY_THRESHOLD = 1.0

_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[ _-]?(?:reply|response|answer)|auto:|autoreply|auto-reply|"
    r"out of (?:the )?office|ooo\b|away from (?:the )?office|on (?:vacation|holiday|leave)|"
    r"vacation|abwesenheit|automatische antwort|r[ée]ponse automatique|absence|"
    r"respuesta autom[aá]tica|fuera de (?:la )?oficina|ausente|resposta autom[aá]tica|"
    r"risposta automatica|fuori ufficio|автоответ|автоматический ответ|"
    r"自动回复|自動回覆|自動回复|自動応答|自動返信|不在|休假|otomatik yan[ıi]t|"
    r"automatisch antwoord|afwezig)",
    re.I,
)
_SUBJECT_ANYWHERE = re.compile(
    r"(?:automatic reply|auto(?:matic)? response|out of (?:the )?office|autoreply|"
    r"自动回复|自動回覆|自動応答|abwesenheitsnotiz|r[ée]ponse automatique|"
    r"respuesta autom[aá]tica|resposta autom[aá]tica|автоответ)",
    re.I,
)
_VACATION_BODY = re.compile(
    r"out of (?:the )?office|on (?:annual |sick |maternity )?(?:vacation|holiday|leave)|"
    r"away from (?:the |my )?(?:office|desk)|limited access to (?:my )?e-?mail|"
    r"(?:i am|i'm) (?:currently )?(?:away|travelling|traveling|out)|will be back|"
    r"return(?:ing)? (?:to the office )?on|bin (?:bis|ab) .{0,40}(?:nicht|wieder)|"
    r"abwesend|im urlaub|je suis absent|en cong[ée]s?|estoy fuera|de vacaciones|"
    r"estou (?:fora|ausente)|de f[ée]rias|sono (?:fuori|in ferie)|в отпуске|"
    r"休假|出差|不在|休暇|出張",
    re.I,
)
_LEFT_BODY = re.compile(
    r"(?:has|have) left (?:the|our|this) (?:company|organi[sz]ation|firm|business|group)|"
    r"(?:is|are) no longer (?:with|employed|working|at|part of)|no longer works? (?:for|at|with)|"
    r"(?:has|have) left\b.{0,40}\b(?:company|organi[sz]ation)|"
    r"(?:this|the) (?:mailbox|e-?mail address|address|account) (?:is|will be) no longer "
    r"(?:monitored|in use|active|valid)|"
    r"已离职|已經離職|已经离职|已離職|离开公司|退職(?:いたしました|しました)?|"
    r"ya no (?:trabaja|forma parte|labora|est[aá] en)|no trabaja m[aá]s|"
    r"n[aã]o (?:trabalha|faz) mais|n[aã]o (?:est[aá]|faz parte) mais|"
    r"nicht mehr (?:im unternehmen|f[üu]r|bei|t[äa]tig|besch[äa]ftigt)|"
    r"a quitt[ée] (?:la soci[ée]t[ée]|l'entreprise)|ne fait plus partie|ne travaille plus|"
    r"non (?:lavora|fa) pi[uù]|(?:больше )?не работает|уволил",
    re.I,
)


@dataclass(slots=True)
class AutoReply:
    kind: str  # "vacation" | "left_company" | "auto"
    detail: str
    evidence: list[Evidence] = field(default_factory=list)


def _h(headers: list[tuple[str, str]], name: str) -> str:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value.strip()
    return ""


def detect_autoreply(headers: list[tuple[str, str]], text: str) -> AutoReply | None:
    """An :class:`AutoReply` when headers or subject mark ``headers``/``text`` as one."""
    ev: list[Evidence] = []
    auto_submitted = _h(headers, "auto-submitted").lower()
    if auto_submitted.startswith("auto-replied"):
        ev.append(Evidence("autoreply.rfc3834", 1.0, f"Auto-Submitted: {auto_submitted}"))
    elif auto_submitted.startswith("auto-"):
        ev.append(Evidence("autoreply.auto_generated", 0.4, f"Auto-Submitted: {auto_submitted}"))
    for name in ("x-autoreply", "x-autorespond", "x-autoreply-from", "x-mail-autoreply"):
        if _h(headers, name):
            ev.append(Evidence("autoreply.vendor_header", 1.0, f"{name}: {_h(headers, name)}"))
            break
    precedence = _h(headers, "precedence").lower()
    if precedence == "auto_reply":
        ev.append(Evidence("autoreply.precedence", 1.0, "Precedence: auto_reply"))
    if _h(headers, "x-auto-response-suppress"):
        ev.append(Evidence("autoreply.exchange", 0.3, "X-Auto-Response-Suppress (Exchange)"))
    subject = _h(headers, "subject")
    if _SUBJECT.search(subject) or _SUBJECT_ANYWHERE.search(subject):
        ev.append(Evidence("autoreply.subject", 1.0, f"subject {subject[:80]!r}"))
    score = sum(e.weight for e in ev)
    if score < AUTOREPLY_THRESHOLD:
        return None
    body = text[:4000]
    left = _LEFT_BODY.search(body)
    if left:
        ev.append(Evidence("autoreply.left_company", 0.9, f"says {left.group(0)!r}"))
        return AutoReply("left_company", left.group(0), ev)
    vacation = _VACATION_BODY.search(body) or _VACATION_BODY.search(subject)
    if vacation:
        ev.append(Evidence("autoreply.vacation", 0.5, f"says {vacation.group(0)!r}"))
        return AutoReply("vacation", vacation.group(0), ev)
    return AutoReply("auto", subject[:200], ev)


def says_left_company(text: str) -> str | None:
    """The phrase saying a person has left, also usable for human-written replies."""
    m = _LEFT_BODY.search(text[:6000])
    return m.group(0) if m else None
