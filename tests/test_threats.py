"""Threat guard rules, each with crafted messages that must and must not fire."""

from __future__ import annotations

import io
import os
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from tradeinbox.core.authres import AuthVerdict
from tradeinbox.core.classifier import default_model
from tradeinbox.core.linkscan import scan_links
from tradeinbox.core.parse import parse_message
from tradeinbox.core.threats import (
    ThreatContext,
    _required_literals,
    assess_threat,
    check_attachments,
    check_display_name,
    check_language,
    check_links,
    check_lookalikes,
    check_reply_path,
    decode_idn,
    lookalike,
    skeleton,
)

CORPORA = Path(
    os.environ.get("TRADEINBOX_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)


def make(
    body: str = "Hello",
    *,
    sender: str = "Anna Li <anna@supplier.example>",
    subject: str = "Order 1234",
    html: str | None = None,
    reply_to: str | None = None,
    return_path: str | None = None,
    attachments: list[tuple[str, bytes]] = (),
    extra: dict[str, str] | None = None,
):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "sales@ourfactory.example"
    message["Subject"] = subject
    message["Date"] = "Tue, 3 Mar 2026 10:00:00 +0800"
    if reply_to:
        message["Reply-To"] = reply_to
    if return_path:
        message["Return-Path"] = return_path
    for key, value in (extra or {}).items():
        message[key] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return parse_message(message.as_bytes())


def rules(evidence) -> set[str]:
    return {e.rule for e in evidence}


# ------------------------------------------------------------------ lookalikes


def test_skeleton_and_idn() -> None:
    assert skeleton("paypa1") == skeleton("paypal")
    assert skeleton("pаypal") == skeleton("paypal")  # Cyrillic a
    assert skeleton("rnicrosoft") == skeleton("microsoft")
    assert decode_idn("xn--pypal-4ve.com") == "pаypal.com"
    assert skeleton("supplier") != skeleton("supplies")


def test_lookalike_pairs() -> None:
    assert lookalike("ourfactory-sales.example", "ourfactory.example")[0] >= 0.45
    assert lookalike("0urfactory.example", "ourfactory.example")[0] >= 0.6
    assert lookalike("ourfactorv.example", "ourfactory.example")[0] >= 0.5
    assert lookalike("ourfactory.co", "ourfactory.com") is not None
    assert lookalike("mail.ourfactory.example", "ourfactory.example") is None  # same domain
    assert lookalike("totallydifferent.example", "ourfactory.example") is None


def test_lookalike_of_known_customer_in_from() -> None:
    ctx = ThreatContext(known_domains=frozenset({"acme-trading.com"}))
    msg = make(sender="Tom <tom@acme-tradlng.com>")
    evidence = check_lookalikes(msg, ctx, [])
    assert "threat.lookalike.known" in rules(evidence)
    genuine = make(sender="Tom <tom@acme-trading.com>")
    assert check_lookalikes(genuine, ctx, []) == []


def test_lookalike_brand_link_and_punycode() -> None:
    msg = make(sender="x@shop.example")
    evidence = check_lookalikes(msg, ThreatContext(), ["secure.paypa1.com", "xn--pypal-4ve.com"])
    assert "threat.lookalike.brand" in rules(evidence)
    assert "threat.lookalike.idn" in rules(evidence)


# ------------------------------------------------------------------ identity


def test_display_name_known_contact_impersonation() -> None:
    ctx = ThreatContext(known_contacts={"anna li": frozenset({"anna@supplier.example"})})
    fake = make(sender="Anna Li <anna.li.supplier@gmail.com>")
    evidence = check_display_name(fake, ctx)
    assert "threat.display.known_contact" in rules(evidence)
    assert max(e.weight for e in evidence) >= 0.5
    assert check_display_name(make(), ctx) == []


def test_display_name_brand_and_embedded_address() -> None:
    brand = make(sender="PayPal Service <service@pp-alerts.example>")
    assert "threat.display.brand" in rules(check_display_name(brand, ThreatContext()))
    genuine = make(sender="PayPal <service@paypal.com>")
    assert check_display_name(genuine, ThreatContext()) == []
    embedded = make(sender='"ceo@ourfactory.example" <boss@random.example>')
    assert "threat.display.other_address" in rules(check_display_name(embedded, ThreatContext()))


def test_reply_to_diversion() -> None:
    diverted = make(sender="Tom <tom@acme-trading.com>", reply_to="tom.acme@gmail.com")
    assert "threat.reply.freemail" in rules(check_reply_path(diverted))
    same = make(sender="Tom <tom@acme-trading.com>", reply_to="sales@acme-trading.com")
    assert check_reply_path(same) == []
    listed = make(
        sender="Tom <tom@acme-trading.com>",
        reply_to="list@lists.example.org",
        extra={"List-Post": "<mailto:list@lists.example.org>"},
    )
    assert check_reply_path(listed) == []


# ------------------------------------------------------------------ language


@pytest.mark.parametrize(
    "text",
    [
        "Please note our bank account has changed, kindly pay the invoice to the new account.",
        "Kindly update your records with our new bank details attached.",
        "请注意，我司银行账户变更，请付款到新账户。",
        "Le informamos de nuestra nueva cuenta bancaria para el pago.",
        "Informamos a nova conta bancária para pagamento.",
        "Bitte beachten Sie unsere neue Bankverbindung.",
        "Veuillez noter nos nouvelles coordonnées bancaires.",
    ],
)
def test_payment_diversion_languages(text: str) -> None:
    evidence = check_language("Invoice", text)
    assert "threat.lang.payment_diversion" in rules(evidence)


def test_credential_language_and_clean_text() -> None:
    assert "threat.lang.credential" in rules(
        check_language("Alert", "Your account has been suspended. Verify your account now.")
    )
    assert "threat.lang.credential" in rules(check_language("Aviso", "Confirme seus dados agora"))
    clean = check_language("RFQ", "Please quote 500 pcs of model X-200, CIF Hamburg, by Friday.")
    assert clean == []


def test_required_literals_prefilter() -> None:
    assert _required_literals("(new|updated) bank account") == (
        " bank account",
    ) or _required_literals("(new|updated) bank account") == ("bank account",)
    assert _required_literals("(a|bc)") == ()


# ------------------------------------------------------------------ attachments


def test_dangerous_attachments() -> None:
    msg = make(
        attachments=[
            ("invoice.pdf.exe", b"MZ\x90\x00"),
            ("quotation.html", b"<html><form></form></html>"),
            ("order.iso", b"\x00" * 10),
            ("specs.xlsm", b"PK"),
            ("photo.jpg", b"\xff\xd8\xff"),
        ]
    )
    found = rules(check_attachments(msg))
    assert {
        "threat.attach.double_extension",
        "threat.attach.html",
        "threat.attach.disk_image",
        "threat.attach.macro",
    } <= found
    assert len(check_attachments(make(attachments=[("catalogue.pdf", b"%PDF-1.4")]))) == 0


def test_archive_with_program_and_encrypted_archive() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("PO_4411.scr", b"MZ")
    msg = make(attachments=[("PO_4411.zip", buffer.getvalue())])
    assert "threat.attach.archive_program" in rules(check_attachments(msg))
    locked = make("The password is: 7788", attachments=[("docs.zip", b"PK\x03\x04")])
    assert "threat.attach.encrypted_archive" in rules(check_attachments(locked))


# ------------------------------------------------------------------ links


def test_link_text_mismatch_ip_and_forms() -> None:
    html = (
        '<p><a href="http://login.evil-host.example/x">https://www.paypal.com/signin</a></p>'
        '<a href="http://45.33.32.156/login">Click here</a>'
        '<a href="http://www.paypal.com@evil.example/">account</a>'
        '<form action="http://evil.example/post"><input type="password" name="p"></form>'
    )
    report = scan_links(html)
    found = rules(check_links(report))
    assert {
        "threat.link.mismatch",
        "threat.link.ip",
        "threat.link.userinfo",
        "threat.form.password",
    } <= found
    honest = scan_links(
        '<a href="https://www.acme.example/p">www.acme.example/p</a> <a href="x.pdf">x.pdf</a>'
    )
    assert check_links(honest) == []


def test_image_map_and_form_action_targets_are_links() -> None:
    # A picture of a login page whose map area and form post go to a bare IP address.
    html = (
        '<img src="cid:login" usemap="#m"><map name="m">'
        '<area shape="rect" coords="0,0,600,400" href="http://203.0.113.9/verify/"></map>'
        "<form method=post action='https://collect.example.net/p.php'><input name=u></form>"
    )
    report = scan_links(html)
    assert report.ip_links and report.ip_links[0].startswith("http://203.0.113.9")
    assert "collect.example.net" in report.hosts and report.n_links == 2
    assert "threat.link.ip" in rules(check_links(report))
    # A relative form action and an area without href add nothing.
    plain = scan_links('<form action="/search"><input name=q></form><area shape="rect">')
    assert plain.n_links == 0 and not plain.ip_links


def test_html_without_text_is_a_structure_token() -> None:
    from tradeinbox.core.classifier import tokens

    blank = make("", html='<a href="http://x.example/"><img src="cid:a"></a>')
    _, structure = tokens(blank, scan_links(blank.html, blank.text))
    assert "html_no_text" in structure
    worded = make("Hello, the quotation for 200 valves is attached.", html="<p>Hello</p>")
    _, structure = tokens(worded, scan_links(worded.html, worded.text))
    assert "html_no_text" not in structure


# ------------------------------------------------------------------ combination


def test_assess_threat_bec_message_is_phish() -> None:
    ctx = ThreatContext(known_domains=frozenset({"acme-trading.com"}))
    msg = make(
        "Dear partner, our bank account has changed. Please remit the outstanding payment "
        "to our new account below before Friday.",
        sender="Tom Baker <tom@acme-tradlng.com>",
        reply_to="tom.baker.acme@gmail.com",
        subject="Updated banking details",
    )
    result = assess_threat(msg, ctx, AuthVerdict(dmarc="fail"))
    assert result.label == "phish" and result.score >= 0.5
    assert "threat.lang.payment_diversion" in rules(result.evidence)


def test_assess_threat_plain_inquiry_is_ham() -> None:
    msg = make(
        "Hello, we are a distributor in Chile. Please send your price list and MOQ for "
        "stainless steel valves DN50, and the lead time to Valparaiso.\n\nBest regards\nJuan",
        sender="Juan Perez <juan@valvulas-sur.cl>",
        subject="Inquiry for stainless steel valves",
    )
    result = assess_threat(msg, ThreatContext())
    assert result.label == "ham", result.evidence


def test_model_file_is_small_and_loads() -> None:
    model = default_model()
    assert model is not None
    path = Path(__file__).resolve().parents[1] / "tradeinbox" / "core" / "data" / "triage_model.bin"
    assert path.stat().st_size < 20 * 1024 * 1024


@pytest.mark.corpora
def test_nazario_sample_mostly_flagged() -> None:
    mbox = CORPORA / "nazario_phishing" / "phishing0.mbox"
    if not mbox.is_file():
        pytest.skip("corpora absent")
    from tradeinbox.core.sources import iter_mbox

    messages = [m.data for m in iter_mbox(mbox)][1:61]
    flagged = sum(assess_threat(parse_message(raw)).label != "ham" for raw in messages)
    assert flagged >= 0.8 * len(messages)


def test_disguise_rules() -> None:
    from tradeinbox.core.lookalike import check_disguise

    msg = make(
        sender="Support <x@8m6bxmwmyxm5m36x1j9l.com>",
        subject="sales@ourfactory.example, Actiоn Requiгed Cod.kn75GA7UomX0oPD",
    )
    found = rules(check_disguise(msg))
    assert {
        "threat.disguise.mixed_script",
        "threat.disguise.random_token",
        "threat.disguise.recipient_in_subject",
        "threat.disguise.random_sender",
    } <= found
    # Ordinary multilingual and order-number subjects stay clean.
    clean = make(sender="Иван <ivan@zavod.ru>", subject="Заказ PO-2026-0117 / Order PO-2026-0117")
    assert check_disguise(clean) == []


def test_brand_with_lookalike_letters_in_display_name() -> None:
    msg = make(sender='"Banco do BrasiI" <hguj20286@gmail.com>')
    assert "threat.display.brand" in rules(check_display_name(msg, ThreatContext()))


def test_update_local_model_moves_towards_user_label(tmp_path: Path) -> None:
    from tradeinbox.core.classifier import load_model, update_local_model
    from tradeinbox.core.linkscan import scan_links

    msg = make(
        "Dear partner, kindly find the new price list for widgets attached. Regards, Li",
        subject="New price list",
    )
    shipped = default_model()
    before, _, _ = shipped.score(msg, scan_links(msg.html, msg.text), 0.0)
    path = tmp_path / "local_model.bin"
    for _ in range(5):
        update_local_model(path, msg, "spam")
    local = load_model(path)
    after, _, _ = local.score(msg, scan_links(msg.html, msg.text), 0.0)
    assert after > before
    assert local.meta["local_updates"] == 5
    assert default_model().score(msg, scan_links(msg.html, msg.text), 0.0)[0] == before
    with pytest.raises(ValueError):
        update_local_model(path, msg, "maybe")
