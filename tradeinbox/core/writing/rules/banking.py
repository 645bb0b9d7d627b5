"""Bank details in the body: IBAN, SWIFT/BIC, account numbers, payment card numbers.

Bank details in a mail body are what business-e-mail-compromise fraud rewrites: a buyer
who is told "our account changed" by e-mail pays the fraudster. Sellers therefore put them
only in the PI PDF and confirm them by phone. ``banking.details`` is an error.

Precision matters because trade mail is full of long numbers (PO numbers, model codes,
container and tracking numbers):

* an IBAN must have the length its country registers and pass the ISO 13616 mod-97 check;
* a card number must be 13-19 digits, start with an issuer prefix (ISO/IEC 7812 IIN), pass
  the Luhn check, be written contiguously or in the issuer's groups, and not be labelled as
  a model, item, order or tracking number;
* a SWIFT/BIC (ISO 9362) or a plain account number counts only next to words that say so
  ("SWIFT", "BIC", "account no." with "bank" nearby).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from tradeinbox.core.i18n import tr
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext

# IBAN lengths per country (SWIFT IBAN registry).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip

_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?)\b")
_CARD = re.compile(r"(?<![\w.+/-])(\d(?:[ -]?\d){12,18})(?![\w/-]|\.\d)")
_LABELLED_CODE = re.compile(
    r"(?:model|item|part|sku|art(?:icle)?|code|ref(?:erence)?|order|po|p\.o\.|invoice|inv|"
    r"tracking|awb|b/l|bl|container|serial|s/n|product|batch|lot|hs|ean|upc|gtin|isbn|imei|"
    r"deal|contract|ticket|case|phone|tel|fax|mobile|型号|货号|订单|编号|单号)\b[\s.:#-]*(?:no\.?|number|#)?[\s.:#-]*$",
    re.IGNORECASE,
)
_SWIFT = re.compile(
    r"(?:swift|bic|swift/bic|swift\s+code|bic\s+code|código\s+swift|银行代码|swift代码)"
    r"[\s.:#-]*(?:code)?[\s.:#-]*(?-i:([A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?))\b",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(
    r"(?:account|acct|a/c|cuenta|conta|konto|compte|账号|帐号|账户|帐户|收款账号)"
    r"[\s.:#]*(?:no\.?|number|num|n[º°o]\.?|#|nr\.?)?[\s.:#]*(\d(?:[ -]?\d){5,29})\b",
    re.IGNORECASE,
)
_BANK_WORDS = re.compile(
    r"\b(?:bank|banco|banque|beneficiary|beneficiario|iban|swift|routing|aba|wire|remit\w*|"
    r"transfer|transferencia|sort\s+code)\b|银行|开户行|收款人|汇款",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    from babel import Locale

    return frozenset(code for code in Locale("en").territories if code.isalpha())


def iban_valid(candidate: str) -> bool:
    """ISO 13616: registered length and ``int(rearranged) % 97 == 1``."""
    iban = candidate.replace(" ", "").upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The card scheme by issuer prefix and length (ISO/IEC 7812), or None."""
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4" and n in (13, 16, 19):
        return "Visa"
    if (51 <= two <= 55 or 2221 <= four <= 2720) and n == 16:
        return "Mastercard"
    if two in (34, 37) and n == 15:
        return "American Express"
    if (four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649) and 16 <= n <= 19:
        return "Discover"
    if two == 62 and 16 <= n <= 19:
        return "UnionPay"
    if 3528 <= four <= 3589 and 16 <= n <= 19:
        return "JCB"
    if (two in (36, 38) or 300 <= int(digits[:3]) <= 305) and n == 14:
        return "Diners Club"
    return None


def _grouping_ok(raw: str) -> bool:
    """Contiguous, or grouped the way cards are printed (4-4-4-4, 4-6-5, 4-6-4)."""
    groups = re.split(r"[ -]", raw)
    if len(groups) == 1:
        return True
    sizes = [len(g) for g in groups]
    if sizes in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    fix = tr(
        "Remove bank details from the mail body; send them in the PI PDF and confirm by phone."
    )
    for match in text.iter_matches(_IBAN):
        if iban_valid(match.group(1)):
            yield Finding(
                "banking.details",
                "error",
                match.start(1),
                match.end(1),
                tr("An IBAN (%(start)s...) is written in the mail body.", start=match.group(1)[:4]),
                fix,
            )
    for match in text.iter_matches(_CARD):
        raw = match.group(1)
        digits = re.sub(r"\D", "", raw)
        if not (13 <= len(digits) <= 19) or not _grouping_ok(raw):
            continue
        brand = card_brand(digits)
        if brand is None or not luhn_valid(digits):
            continue
        before = text.body[max(text.own[0], match.start() - 30) : match.start()]
        if _LABELLED_CODE.search(before):
            continue
        yield Finding(
            "banking.card_number",
            "error",
            match.start(1),
            match.end(1),
            tr(
                "A %(brand)s card number (ending %(last)s) is written in the mail body.",
                brand=brand,
                last=digits[-4:],
            ),
            tr("Never send card numbers by e-mail; use the payment provider's link or phone."),
        )
    for match in text.iter_matches(_SWIFT):
        if match.group(2) not in _countries():
            continue
        yield Finding(
            "banking.details",
            "error",
            match.start(1),
            match.end(1),
            tr("A SWIFT/BIC code (%(code)s) is written in the mail body.", code=match.group(1)),
            fix,
        )
    for match in text.iter_matches(_ACCOUNT):
        window = text.body[max(text.own[0], match.start() - 200) : match.end() + 200]
        if not _BANK_WORDS.search(window):
            continue  # a customer or utility account number, not a bank account
        digits = re.sub(r"\D", "", match.group(1))
        if len(digits) < 6:
            continue
        yield Finding(
            "banking.details",
            "error",
            match.start(1),
            match.end(1),
            tr("A bank account number is written in the mail body."),
            fix,
        )
