"""Inquiry grading A/B/C/D with evidence; never by nationality."""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from inquiry_helpers import make  # noqa: E402

from tradeinbox.core.evidence import Evidence  # noqa: E402
from tradeinbox.core.inquiry import GradingSettings, detect_inquiry, grade_inquiry  # noqa: E402
from tradeinbox.core.parse import parse_message  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "inquiries"

KEY_ACCOUNT = """Dear Sales Team,

{company} is sourcing valves for a water project. Please quote EXW and FOB Shanghai:

Item 1: Gate valve, SS316, DN100, PN16, flanged, qty 120
Item 2: Check valve, ductile iron, DN200, PN16, qty 40

Material certificates EN 10204 3.1 and ISO 9001 certification are required.

Best regards,
{name}
Senior Buyer, Procurement
{company}
{address}
Tel: {phone}
www.{domain}
"""

NIGERIA = dict(
    company="Apapa Water Works Ltd",
    name="Chinedu Okeke",
    address="14 Creek Road, Apapa, Lagos, Nigeria",
    phone="+234 1 270 4411",
    domain="apapawaterworks.com.ng",
)
GERMANY = dict(
    company="Rhein Wasserbau GmbH",
    name="Stefan Keller",
    address="Hafenstraße 3, 24143 Kiel, Germany",
    phone="+49 431 765 4321",
    domain="rhein-wasserbau.de",
)


def graded(msg, threat=None, **kw):
    return grade_inquiry(msg, detect_inquiry(msg), threat, **kw)


@dataclass
class Threat:
    label: str
    score: float | None = None


def _key_account(who: dict, sender_domain: str | None = None):
    domain = sender_domain or who["domain"]
    return make(
        KEY_ACCOUNT.format(**who),
        subject="RFQ-2026-0142 gate valves",
        sender=f"{who['name']} <{who['name'].split()[0].lower()}@{domain}>",
    )


def test_nationality_does_not_change_the_grade() -> None:
    nigeria = graded(_key_account(NIGERIA))
    germany = graded(_key_account(GERMANY))
    assert nigeria.grade == germany.grade == "D"
    assert abs(nigeria.authenticity - germany.authenticity) < 0.05
    # Passing a country changes nothing unless the user set a rule for it.
    assert graded(_key_account(NIGERIA), country="NG").grade == "D"


def test_country_rule_is_an_explicit_user_setting() -> None:
    assert GradingSettings().country_rules == {}
    rules = GradingSettings(country_rules={"XX": "B"})
    result = graded(_key_account(GERMANY), settings=rules, country="xx")
    assert result.grade == "B"
    assert any(e.rule == "grade.user_country_rule" for e in result.evidence)


def test_reply_deadlines_default() -> None:
    s = GradingSettings()
    assert s.reply_hours["C"] == s.reply_hours["D"] == 2 and s.reply_hours["B"] == 24
    assert graded(_key_account(GERMANY)).reply_within_hours == 2
    browse = make("Hi, please send me your catalogue and price list. Thanks, Kevin")
    result = graded(browse)
    assert result.grade == "B" and result.reply_within_hours == 24


def test_same_content_from_free_mail_is_not_key_account() -> None:
    result = graded(_key_account(GERMANY, sender_domain="gmail.com"))
    assert result.grade in ("A", "C")  # not D: no company domain
    assert any(e.rule == "grade.domain.free" for e in result.evidence)


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (
            "We want to place a big order of your valves. Before that you must pay the "
            "registration fee of USD 2,500 by Western Union. Send your bank account details.",
            "grade.A.advance_fee",
        ),
        (
            "We like your LED lights and will place a big order. Please send invitation letter "
            "for visa for 3 persons so we can visit your factory.",
            "grade.A.visa_or_guarantee",
        ),
        (
            "Please send your best price for the items. View the requirement list through the "
            "link below: https://rfq-view.web.app/list",
            "grade.A.credential_lure",
        ),
    ],
)
def test_scams_are_grade_a(body: str, rule: str) -> None:
    result = graded(make(body, sender="Purchase <purchase.dept2026@gmail.com>"))
    assert result.grade == "A"
    assert any(e.rule == rule for e in result.evidence)
    assert result.reply_within_hours is None


def test_mass_mail_without_product_is_a_but_with_product_is_not() -> None:
    generic = "Dear Sir/Madam,\n\nWe are interested in your products. Please send price list."
    mass = make(generic, to="undisclosed-recipients:;")
    assert graded(mass).grade == "A"
    specific = "Dear Sir/Madam,\n\nPlease quote 800 pcs of 150W LED street lights, IP66, 5000K."
    assert graded(make(specific, to="undisclosed-recipients:;")).grade == "C"


def test_threat_verdict_makes_grade_a() -> None:
    msg = make("Please quote 2,000 pcs of model HD-BV50, FOB Ningbo.")
    assert graded(msg).grade == "C"
    result = graded(msg, Threat("phish", 0.97))
    assert result.grade == "A"
    assert any(e.rule == "grade.A.threat_phish" for e in result.evidence)
    assert graded(msg, Threat("ham", None)).grade == "C"


def test_targeted_by_picture() -> None:
    msg = make(
        "Hello, what is the price of the lamp in the attached picture for 300 units?",
        attachments=(("lamp.jpg", "image/jpeg"),),
    )
    assert graded(msg).grade == "C"


def test_not_an_inquiry_has_no_grade() -> None:
    msg = make("Are we still on for lunch tomorrow?", subject="Lunch")
    result = graded(msg)
    assert result.grade is None and result.reply_within_hours is None


def test_authenticity_orders_the_grades_and_evidence_is_serialisable() -> None:
    d = graded(_key_account(GERMANY))
    b = graded(make("Hi, send me your catalogue please.", sender="K <k123@gmail.com>"))
    a = graded(make("Pay the registration fee of USD 900 by Western Union to get the order."))
    assert d.authenticity > b.authenticity > a.authenticity
    assert 0.0 <= a.authenticity <= 1.0 and 0.0 <= d.authenticity <= 1.0
    for e in d.evidence:
        assert isinstance(e, Evidence)
        assert set(e.as_dict()) == {"rule", "weight", "detail"}
    assert d.as_dict()["grade"] == "D"


def test_labelled_set_grades() -> None:
    rows = list(csv.DictReader((FIXTURES / "labels.csv").open(encoding="utf-8")))
    for extra in ("validation.csv", "unseen.csv"):
        rows += list(csv.DictReader((FIXTURES / extra).open(encoding="utf-8")))
    own = [r for r in rows if not r["file"].startswith("corpora/") and r["grade"]]
    per: dict[str, list[int]] = {}
    for row in own:
        msg = parse_message((FIXTURES / row["file"]).read_bytes())
        got = graded(msg).grade
        per.setdefault(row["grade"], [0, 0])[got == row["grade"]] += 1
    assert set(per) == {"A", "B", "C", "D"}
    for grade, (wrong, right) in per.items():
        assert right / (right + wrong) >= 0.85, (grade, right, wrong)
