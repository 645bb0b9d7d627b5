"""The domain layer's texts in the reader's language: the tr() hook, the catalogs, the
compose check in Chinese, stored English texts translated when shown, an English CLI."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from tests.servers.dns import dns_server  # noqa: F401 - a fixture
from tests.test_writing_compose import compose_data, world  # noqa: F401 - world is a fixture
from tradeinbox.core import i18n
from tradeinbox.core.deals.cadence import CadenceSettings, CadenceState, Touch, next_action
from tradeinbox.core.deals.stages import DealMessage, Stage, suggest_stage
from tradeinbox.core.dnscheck import FORM_HINTS, Dns, check_dnsbl, check_ptr, make_resolver
from tradeinbox.core.message import Address
from tradeinbox.core.recipients import RecipientAddress, recommend
from tradeinbox.core.writing.lint import Draft, DraftAttachment, LintContext, RecentSend, lint
from tradeinbox.core.writing.sendtime import RecipientFacts, off_hours, suggest_send_time
from tradeinbox.web.domain_text import RULE_TITLES, STORED_ELSEWHERE, rule_title, translate_stored

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "tradeinbox" / "core"
LOCALE = REPO / "tradeinbox" / "locale"
PLACEHOLDER = re.compile(r"%(?:\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdrfg]|%)")
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- the hook ------------------------------------------------------------------------------


def test_tr_translates_with_the_installed_hook_then_fills_placeholders():
    catalog = {"%(count)d follow-ups": "%(count)d Nachfassmails", "Broken %(x)s": "Kaputt %(y)s"}
    previous = i18n.install_translator(lambda m: catalog.get(m, m))
    try:
        assert i18n.tr("%(count)d follow-ups", count=3) == "3 Nachfassmails"
        assert i18n.tr("not in the catalog: %(n)s", n="x") == "not in the catalog: x"
        assert i18n.tr("100% sure") == "100% sure"  # no parameters: no formatting
        # A translation with a wrong placeholder must not break the page: English instead.
        assert i18n.tr("Broken %(x)s", x="here") == "Broken here"
        with i18n.english():
            assert i18n.tr("%(count)d follow-ups", count=2) == "2 follow-ups"
        assert i18n.tr("%(count)d follow-ups", count=2) == "2 Nachfassmails"
        i18n.install_translator(None)
        assert i18n.tr("%(count)d follow-ups", count=1) == "1 follow-ups"
    finally:
        i18n.install_translator(previous)
    assert i18n.tr_noop("Sunday") == "Sunday"


def test_django_installs_gettext_and_english_without_an_active_language():
    with translation.override("zh-hans"):
        assert i18n.tr("Keep exactly one.") == "只保留一条。"
        with i18n.english():
            assert i18n.tr("Keep exactly one.") == "Keep exactly one."
    with translation.override("es"):
        assert i18n.tr("%(count)d MX record(s), all resolve.", count=2).startswith("2 registro")
    with translation.override(None):  # worker jobs and commands: LANGUAGE_CODE, English
        assert i18n.tr("Keep exactly one.") == "Keep exactly one."


# --- the catalogs ----------------------------------------------------------------------------


def core_literals() -> set[str]:
    found = set()
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("tr", "tr_noop")
            ):
                literal = bool(node.args) and isinstance(node.args[0], ast.Constant)
                # tr(variable) is fine when the ids it can hold are marked with tr_noop.
                assert literal or node.func.id == "tr", f"{path.name}:{node.lineno}"
                if not literal:
                    continue
                found.add(node.args[0].value)
    return found


def po_catalog(language: str) -> dict[str, str]:
    """msgid -> msgstr of the project's own .po file (multi-line strings joined)."""
    entries: dict[str, str] = {}
    field, parts, msgid = "", [], ""
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    for line in [*text.splitlines(), ""]:
        if line.startswith('"'):
            parts.append(ast.literal_eval(line))
            continue
        if field == "msgid":
            msgid = "".join(parts)
        elif field == "msgstr":
            assert msgid not in entries, f"duplicate msgid {msgid!r} in {language}"
            entries[msgid] = "".join(parts)
        field, parts = "", []
        for name in ("msgid", "msgstr"):
            if line.startswith(name + " "):
                field, parts = name, [ast.literal_eval(line[len(name) + 1 :])]
    entries.pop("", None)
    return entries


@pytest.mark.parametrize("language", ["zh_Hans", "es"])
def test_every_core_text_is_translated_in_both_po_files(language):
    wanted = core_literals() | set(STORED_ELSEWHERE)
    web_titles = ast.parse((REPO / "tradeinbox" / "web" / "domain_text.py").read_text())
    wanted |= {
        n.args[0].value
        for n in ast.walk(web_titles)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
    }
    assert len(wanted) > 250 and "Keep exactly one." in wanted and "Sunday" in wanted
    catalog = po_catalog(language)
    missing = sorted(m for m in wanted if not catalog.get(m))
    assert missing == []
    for message in wanted:
        if "%(" in message:  # the translation must use exactly the same placeholders
            assert sorted(PLACEHOLDER.findall(catalog[message])) == sorted(
                PLACEHOLDER.findall(message)
            ), message
    assert len(RULE_TITLES) > 40


# --- live texts in a request ------------------------------------------------------------------


@pytest.mark.django_db
def test_compose_check_gives_chinese_findings_to_a_zh_hans_user(world):  # noqa: F811
    from tradeinbox.users.models import Profile

    Profile.objects.update_or_create(user=world["user"], defaults={"language": "zh-hans"})
    body = "Dear Anna,\n\nPlease find attached our PRICE LIST.\n\nBest regards,\nLi Wei\n"
    response = world["client"].post("/writing/compose/check/", compose_data(world, body=body))
    html = response.content.decode()
    assert response.status_code == 200 and 'data-rule="attachment.missing"' in html
    assert "但没有添加附件。" in html and "请添加附件；如果本意是发链接，请改写这句话。" in html
    assert "but nothing is attached" not in html
    # The send-time reasons are Chinese too (+55 phone, .br domain).
    assert "根据电话号码" in html or "根据公司所在国家" in html or "的国家域名得出时区" in html


# --- stored English, shown translated -----------------------------------------------------------


def english_and_live(produce, language: str) -> tuple[list[str], list[str]]:
    """The texts ``produce`` makes, stored (English) and live in ``language``."""
    with i18n.english():
        stored = produce()
    with translation.override(language):
        live = produce()
    return stored, live


def lint_texts() -> list[str]:
    sao = RecipientFacts(email="anna@buyer.com.br", phone="+55 11 3456 7890")
    draft = Draft(
        subject="Re: Price",
        body_text="PLEASE CONFIRM TODAY. Please find attached the offer. We GUARANTEE delivery.\n"
        "IBAN DE89 3704 0044 0532 0130 00\n",
        to=[Address("Anna", "anna@buyer.com.br")],
        cc=[Address("", "x@a-corp.com"), Address("", "y@b-corp.com")],
        attachments=[DraftAttachment("docs.zip", 19 * 1024 * 1024)],
        in_reply_to="<m1@test>",
        send_at=datetime(2026, 3, 14, 2, 0, tzinfo=UTC),  # a Saturday night in Brazil
    )
    ctx = LintContext(
        recent_sends=[RecentSend("anna@buyer.com.br", datetime(2026, 3, 13, 23, 0, tzinfo=UTC))],
        address_kinds={"x@a-corp.com": "former"},
        recipient_facts={"anna@buyer.com.br": sao},
        unanswered_followups=3,
    )
    findings = lint(draft, ctx)
    assert {"attachment.archive", "attachment.size", "banking.details", "sendtime.off_hours"} <= {
        f.rule for f in findings
    }
    now = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
    return [
        *(t for f in findings for t in (f.message, f.fix)),
        *off_hours(now, sao),
        *suggest_send_time(sao, now).reasons,
        *suggest_send_time(RecipientFacts(email="a@b.com"), now).reasons,
    ]


def deal_texts() -> list[str]:
    sh = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    out: list[str] = []
    touches = [Touch(sh - timedelta(days=1), "in"), Touch(sh, "out")]
    for grade, stage, extra in (
        ("C", "quoted", []),
        ("A", "inquiry", []),
        ("C", "quoted", [Touch(sh + timedelta(days=4), "out", "email", True)] * 3),
    ):
        state = CadenceState("d1", "anna", grade, stage, touches + extra)
        out += [
            e.detail
            for e in next_action(state, sh + timedelta(days=30), CadenceSettings()).evidence
        ]
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    for current, texts in (
        (Stage.QUOTED, ["Please send your price list.", "We confirm the order, PO 4471 attached."]),
        (Stage.ORDER, ["We confirm the order.", "Please find attached our revised quotation."]),
        (Stage.CLOSED_WON, ["Please quote 500 pcs of the new model."]),
    ):
        history = [
            DealMessage(f"m{i}", "in" if i % 2 == 0 else "out", text, t0 + timedelta(days=i))
            for i, text in enumerate(texts)
        ]
        out += [e.detail for e in suggest_stage(history, current).evidence]
    return out


def dns_texts() -> list[str]:
    dns_ = Dns(make_resolver("127.0.0.1", 9, 0.2))  # nothing listens there: "could not check"
    checks = [
        check_ptr(dns_, None, "x.test", FORM_HINTS),
        check_dnsbl(dns_, None, ("bl.test",), FORM_HINTS),
        check_dnsbl(dns_, "300.1.1.1", ("bl.test",), FORM_HINTS),
        check_dnsbl(dns_, "192.0.2.1", ("bl.test",), FORM_HINTS),
    ]
    return [t for c in checks for t in (c.detail, c.fix) if t]


def recipient_texts() -> list[str]:
    rec = recommend(
        [
            RecipientAddress("anna@buyer.com", "anna", "official", is_formal=True),
            RecipientAddress("anna77@gmail.com", "anna", "freemail"),
            RecipientAddress("old@buyer.com", "anna", "former", former_detail=""),
        ],
        {"anna@buyer.com", "anna77@gmail.com", "old@buyer.com"},
    )
    return [e.detail for e in [*rec.evidence, *rec.warnings]]


PHISH = b"""Received: from mail.secure-paypal-login.example (mail.secure-paypal-login.example
 [45.33.32.156]) by mx.ourfactory.example (Postfix); Tue, 3 Mar 2026 02:00:05 +0000
From: "PayPal Service" <service@secure-paypal-login.example>
Reply-To: paypal.help.desk@gmail.com
To: sales@ourfactory.example
Subject: Your account will be limited
Date: Tue, 3 Mar 2026 02:00:00 +0000
Message-ID: <p-i18n@x>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/html; charset=utf-8

<p>Confirm your account or it will be limited.</p>
<a href="http://45.33.32.156/login">https://www.paypal.com/signin</a>
<form action="http://45.33.32.156/p"><input type="password" name="pw"></form>
--b
Content-Type: application/octet-stream; name="invoice.pdf.exe"
Content-Disposition: attachment; filename="invoice.pdf.exe"
Content-Transfer-Encoding: base64

TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=
--b--
"""


def threat_texts() -> list[str]:
    """The threat guard's and the origin's evidence details (the message page's table)."""
    from tradeinbox.core.parse import parse_message
    from tradeinbox.core.triage import triage_message

    result = triage_message(parse_message(PHISH), PHISH)
    # Quoted phrases of the message itself (threat.lang.*) are the sender's words.
    shown = ("threat.attach", "threat.link", "threat.form", "threat.display", "threat.reply")
    return [
        e.detail
        for e in result.evidence
        if e.rule.startswith((*shown, "model.", "origin.boundary", "origin.ip_country"))
        or e.rule == "origin.night_hour"
    ]


@pytest.mark.parametrize("language", ["zh-hans", "es"])
@pytest.mark.parametrize(
    "produce", [lint_texts, deal_texts, dns_texts, recipient_texts, threat_texts]
)
def test_stored_english_reads_back_as_the_live_translation(produce, language):
    stored, live = english_and_live(produce, language)
    assert len(stored) == len(live) >= 3
    with translation.override(language):
        shown = [translate_stored(text) for text in stored]
    assert shown == live
    assert stored != live  # the texts were translated at all
    if language == "zh-hans":
        assert sum(bool(CJK.search(t)) for t in shown) >= len(shown) // 2
    with translation.override("en"):
        assert [translate_stored(t) for t in stored] == stored


def test_unknown_text_is_shown_as_stored():
    with translation.override("zh-hans"):
        assert translate_stored("something a user wrote; really. (yes)") == (
            "something a user wrote; really. (yes)"
        )
        assert translate_stored("") == ""


def test_templates_translate_stored_evidence_and_rule_titles():
    items = [{"rule": "threat.attach.macro", "weight": 0.6, "detail": "'a.docm' has macros"}]
    evidence = [{"rule": "cadence.stop.nothing_sent", "detail": "nothing sent yet"}]
    with translation.override("zh-hans"):
        triage = render_to_string("triage/_evidence.html", {"items": items})
        deals = render_to_string("deals/_evidence.html", {"evidence": evidence})
        assert rule_title("threat.attach.double_extension") == "伪装的文件扩展名"
        assert rule_title("grade.A.scam") == "诈骗话术" and rule_title("nothing.known") == ""
    assert "带宏的 Office 文件" in triage and "threat.attach.macro" in triage
    assert "尚未发送任何邮件" in deals


# --- the DNS check page ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.servers
def test_domain_check_page_speaks_chinese_and_names_no_cli_options(client, monkeypatch, dns_server):  # noqa: F811
    from django.contrib.auth.models import User

    from tests.outbound_helpers import run_jobs
    from tradeinbox.outbound.models import DomainCheck
    from tradeinbox.users.models import Profile

    monkeypatch.setenv("TRADEINBOX_DNS_NAMESERVER", dns_server.nameserver)
    monkeypatch.setenv("TRADEINBOX_DNSBL_ZONES", "bl.test")
    user = User.objects.create_user("li", password="correct horse battery")
    client.force_login(user)
    client.post("/outbound/", {"domain": "spfplusall.test"})
    (job,) = run_jobs(("outbound.domain_check",))
    assert job.status == "done", job.error
    row = DomainCheck.objects.get()
    stored = " ".join(c["detail"] + c["fix"] for c in row.report["checks"])
    assert "'+all' authorises every server" in stored and "--ip" not in stored
    english = client.get(f"/outbound/health/{row.pk}/").content.decode()
    assert "enter the sending IP address" in english and "--" not in english.split("<main")[-1]
    Profile.objects.update_or_create(user=user, defaults={"language": "zh-hans"})
    page = client.get(f"/outbound/health/{row.pk}/").content.decode()
    assert "等于授权互联网上任何服务器以你们的名义发信" in page
    assert "未检查：请填写发信 IP 地址后再检查。" in page
    assert "authorises every server" not in page


# --- the command line -------------------------------------------------------------------------------


def test_cli_lint_output_stays_english(tmp_path):
    eml = tmp_path / "draft.eml"
    eml.write_bytes(
        b"From: Li Wei <li@seller.test>\r\nTo: Anna <anna@buyer.com.br>\r\n"
        b"Subject: Hello\r\nDate: Sat, 14 Mar 2026 02:00:00 +0000\r\n\r\n"
        b"Dear Anna,\r\n\r\nPlease find attached our price list.\r\n\r\nBest regards,\r\nLi\r\n"
    )
    env = {**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN", "LC_ALL": "zh_CN.UTF-8"}
    result = subprocess.run(
        [sys.executable, "-m", "tradeinbox", "lint", str(eml)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "but nothing is attached" in result.stdout and "Attach the file" in result.stdout
    assert not CJK.search(result.stdout)


def test_makemessages_extracts_tr_texts(tmp_path):
    import shutil

    from django.core.management import get_commands, load_command_class

    command = load_command_class(get_commands()["makemessages"], "makemessages")
    options = command.xgettext_options
    assert "--keyword=tr" in options and "--keyword=tr_noop" in options
    if shutil.which("xgettext") is None:
        pytest.skip("xgettext (gettext) is not installed")
    out = tmp_path / "core.pot"
    sources = [str(CORE / n) for n in ("dnscheck.py", "dnsquery.py", "writing/rules/caps.py")]
    subprocess.run(
        ["xgettext", "--language=Python", *options, "-o", str(out), *sources], check=True
    )
    pot = out.read_text(encoding="utf-8")
    assert 'msgid "Keep exactly one."' in pot  # tr(...)
    assert 'msgid "Pass a valid --ip."' in pot  # tr_noop(...)
    assert 'msgid "Write it in normal case."' in pot
