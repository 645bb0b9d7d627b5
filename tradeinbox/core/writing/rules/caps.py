"""ALL-CAPS: shouting in lines and runs of words.

Capitals read as shouting in e-mail. Trade mail, however, is full of legitimate
capitals: Incoterms (FOB, CIF, EXW ...), units and currencies (PCS, USD), document names
(PI, B/L, PDF) and model codes (XR-200, AB12). A capitalised token counts as shouting only
when it is an ordinary dictionary word ("PLEASE", "NOT", "TODAY") and not a known acronym;
tokens touching digits or hyphenated codes are model codes and ignored. Text in scripts
without case (Chinese ...) is simply skipped, so "我们的MOQ是500PCS" has nothing to shout.

* ``caps.line`` (warning): a line of four or more words that is mostly shouted.
* ``caps.words`` (warning): two or more shouted words in a row ("PLEASE CONFIRM NOW").
* ``caps.word`` (info): a single shouted word used for emphasis ("I REALLY need").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from tradeinbox.core.i18n import tr
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext

# Acronyms that are normal in trade and business mail (never shouting).
ACRONYMS = frozenset(
    """
    FOB CIF CFR CNF EXW FCA FAS CPT CIP DAP DPU DDP DDU DAT DES DEQ MOQ PCS PC PCE SET SETS
    CTN CTNS PKG PLT KG KGS LBS CBM GW NW OEM ODM SKU PO PI CI PL BL AWB HS HSN ETA ETD ETC
    ATD ATA LCL FCL TEU FEU HQ GP RF TT LC DP DA OA CAD CAN CEO CFO COO CTO CMO VP GM MD HR
    IT QA QC PR PM AM GMT UTC USA US UK EU UAE PRC ROC HK SAR CN DE FR ES IT JP KR IN BR MX
    USD EUR GBP CNY RMB JPY HKD AUD CAD CHF INR AED SAR RUB BRL MXN KRW
    PDF DOC DOCX XLS XLSX PPT CSV JPG JPEG PNG ZIP RAR URL FAQ FYI ASAP TBD TBA TBC NB PS RE
    FW FWD OK ID NO REF VAT GST TAX EAN UPC CE FCC ROHS REACH UL ISO SGS BV TUV ITS GS CB
    ERP CRM API SMS GPS LED LCD USB AC DC PVC PE PP ABS PET HDPE LDPE PU TPU EVA SS CNC MIG
    TIG OD ID CIQ COC COO FDA BSCI SEDEX WRAP GOTS OEKO NDA MOU LOI RFQ RFP RFI SOP KPI ROI
    AKA ATTN CC BCC AKA IMO FWIW BTW LOL TIA PST EST CST MST PDT EDT CDT MDT CET CEST
    LLC LTD INC CO CORP PLC GMBH AG SA SL SRL BV NV AB AS OY PTE PTY LLP SPA KK
    NOTE IMPORTANT SWIFT BIC IBAN ABA ACH EFT TT LC DHL UPS TNT EMS FEDEX USPS SF
    """.split()
)
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_/.@&-])([A-Z][A-Z'’]*[A-Z])(?![A-Za-z0-9_/@&]|[.-][A-Za-z0-9])"
)
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@lru_cache(maxsize=1)
def _english():
    from spellchecker import SpellChecker

    return SpellChecker("en", distance=1)


def is_shouted(token: str) -> bool:
    """An upper-case token that is a common English word and not a business acronym."""
    word = token.replace("’", "'")
    if word in ACRONYMS or len(word) < 2:
        return False
    if len(word) <= 3 and word not in {
        "NOT",
        "YOU",
        "AND",
        "THE",
        "NOW",
        "ALL",
        "ANY",
        "WHY",
        "DO",
    }:
        return False  # short capitals are far more often acronyms (ENA, ECT, HPL)
    spell = _english()
    return word.lower() in spell.word_frequency


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    start, end = text.content_span
    body = text.body
    content = body[start:end]
    latin_words = _LATIN_WORD.findall(content)
    upper_words = [w for w in latin_words if len(w) > 1 and w.isupper()]
    if len(latin_words) >= 8 and len(upper_words) >= 0.8 * len(latin_words):
        yield Finding(
            "caps.message",
            "warning",
            start,
            end,
            tr("The whole message is in capital letters, which reads as shouting."),
            tr("Write in normal sentence case."),
        )
        return
    pos = start
    for line in content.splitlines(keepends=True):
        line_start, pos = pos, pos + len(line)
        if not line.strip() or len(_CJK.findall(line)) > 0.2 * len(line.strip()):
            continue
        words = _LATIN_WORD.findall(line)
        tokens = list(_TOKEN.finditer(line))
        shouted = [m for m in tokens if is_shouted(m.group(1))]
        if not shouted:
            continue
        caps_total = sum(1 for w in words if len(w) > 1 and w.isupper())
        if caps_total == len(words) and len(words) <= 5:
            continue  # a short heading or label line ("SHIPPING DETAILS"), not shouting
        if len(words) >= 4 and caps_total >= 0.8 * len(words) and len(shouted) >= 2:
            stripped = line.strip()
            offset = line_start + line.index(stripped)
            yield Finding(
                "caps.line",
                "warning",
                offset,
                offset + len(stripped),
                tr("This line is written in capitals, which reads as shouting."),
                tr("Use sentence case; bold or a short heading works better for emphasis."),
            )
            continue
        # Runs of shouted words next to each other ("PLEASE CONFIRM").
        run: list[re.Match[str]] = []
        for m in [*shouted, None]:
            if m is not None and run and line[run[-1].end() : m.start()].strip(" ,") == "":
                run.append(m)
                continue
            if len(run) >= 2:
                yield Finding(
                    "caps.words",
                    "warning",
                    line_start + run[0].start(1),
                    line_start + run[-1].end(1),
                    tr(
                        "%(words)r is in capitals, which reads as shouting.",
                        words=" ".join(r.group(1) for r in run),
                    ),
                    tr("Write it in normal case."),
                )
            elif len(run) == 1 and len(run[0].group(1)) >= 4:
                word = run[0].group(1)
                yield Finding(
                    "caps.word",
                    "info",
                    line_start + run[0].start(1),
                    line_start + run[0].end(1),
                    tr("%(word)r in capitals may read as shouting.", word=word),
                    tr(
                        "Write %(word)s or use bold.",
                        word=word.capitalize() if word[0].isalpha() else word,
                    ),
                )
            run = [m] if m is not None else []
