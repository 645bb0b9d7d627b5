"""Hundreds of XSS and remote-load vectors, delivered as HTML mail, opened in Chromium.

Every vector in tests/fixtures/xss/vectors.txt becomes one HTML email (the vector
also goes into the Subject, which the app page itself shows). Each message is
imported with the real importer and opened in the real message view (the page
plus its sandboxed body iframe). The test counts, per vector:

* script executions: ``top.__xss`` / the frame's ``__xss``, console lines
  ``XSS-<id>``, dialogs, and hits on the beacon's ``/js/`` path (every payload
  calls ``fetch`` and ``sendBeacon`` to it);
* network requests to any host other than the app (Playwright request events,
  which see every frame, plus the beacon server's own log).

Before "show images" both must be 0. After it (``?images=1``) scripts must still
be 0 and the only remote requests allowed are images.
"""

from __future__ import annotations

import base64
import codecs
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User

from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VECTORS_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "xss" / "vectors.txt"
PASSWORD = "xss test pass 42"
TABS = 4
BATCH = 10
LEFTOVER_LINKS = "a[href]:not([href^='http']):not([href^='mailto']), area[href]"
INSPECT = r"""(markers) => {
    const f = document.querySelector('iframe.message-frame');
    const w = f && f.contentWindow;
    const d = f && f.contentDocument;
    const text = d && d.body ? d.body.innerText : '';
    const links = d ? d.querySelectorAll(
        'a[href]:not([href^="http"]):not([href^="mailto"]), area[href]').length : 0;
    // Handlers that only fire on interaction (hover, click, focus ...) are checked
    // statically: no on* attribute and no script-capable URL may survive at all.
    let armed = 0;
    for (const el of d ? d.querySelectorAll('*') : []) {
        for (const a of el.attributes) {
            const v = a.value.replace(/[\s\x00-\x1f]/g, '').toLowerCase();
            if (a.name.startsWith('on') || /^(javascript|vbscript|data):/.test(v)) armed++;
        }
    }
    return {top: window.__xss, frame: w ? w.__xss : undefined,
            missing: markers.filter(m => !text.includes(m)), links: links, armed: armed};
}"""


def load_vectors() -> list[tuple[str, str]]:
    """``(category, vector)`` pairs, placeholders not yet filled."""
    category, vectors = "", []
    for line in VECTORS_FILE.read_text("utf-8").splitlines():
        if line.startswith("## "):
            category = line[3:].strip()
        elif line.strip() and not line.startswith("#"):
            vectors.append((category, codecs.decode(line, "unicode_escape")))
    return vectors


def expand(vector: str, case: int, beacon: str) -> str:
    js = (
        f"top.__xss={case};console.log(`XSS-{case}`);fetch(`{beacon}/js/{case}`);"
        f"navigator.sendBeacon(`{beacon}/js/{case}/b`)"
    )
    url = f"{beacon}/r/{case}"
    host_path = url.split("://", 1)[1]
    html_doc = f"<script>{js}</script><img src=x onerror={js}>"
    svg_doc = f'<svg xmlns="http://www.w3.org/2000/svg" onload="{js}"/>'
    values = {
        "{{JSB64}}": base64.b64encode(js.encode()).decode(),
        "{{JS}}": js,
        "{{URLUPPER}}": "HTTP://" + host_path,
        "{{SLASHLESS}}": host_path,
        "{{HOSTPATH}}": host_path,
        "{{URL}}": url,
        "{{HTMLB64}}": base64.b64encode(html_doc.encode()).decode(),
        "{{SVGB64}}": base64.b64encode(svg_doc.encode()).decode(),
    }
    for placeholder, value in values.items():
        vector = vector.replace(placeholder, value)
    return vector


def build_mail(key: str, subject: str, body_html: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Sales <sales@factory.example>"
    msg["To"] = "Ana Buyer <ana@buyer.example>"
    msg["Subject"] = "".join(c if c.isprintable() else " " for c in subject)[:200]
    msg["Message-ID"] = f"<{key}@browser.test>"
    msg.set_content(f"<html><body>{body_html}</body></html>", subtype="html", cte="base64")
    return bytes(msg)


def case_html(case: int, category: str, vector: str) -> str:
    return f'<p class="case">case-{case} ({category})</p>\n{vector}\n<p>end of case-{case}</p>\n'


def _visit(tabs, base: str, jobs, suffix: str, on_loaded) -> None:
    """Open ``/messages/<pk>/<suffix>`` for every ``(label, pk)`` job, ``len(tabs)`` at a time."""
    for start in range(0, len(jobs), len(tabs)):
        chunk = list(zip(tabs, jobs[start : start + len(tabs)], strict=False))
        for tab, (_label, pk) in chunk:
            tab.evaluate("u => location.assign(u)", f"{base}/messages/{pk}/{suffix}")
        for tab, (label, pk) in chunk:
            tab.wait_for_url(f"**/messages/{pk}/{suffix}", wait_until="load")
            on_loaded(tab, label)


def test_xss_vectors_in_the_message_view(live_server, chromium, tracker, tmp_path):
    vectors = load_vectors()
    assert len(vectors) >= 300, len(vectors)
    assert len({v for _c, v in vectors}) == len(vectors), "duplicate vectors"
    folder = tmp_path / "mail"
    folder.mkdir()
    expanded = [expand(v, case, tracker.base_url) for case, (_c, v) in enumerate(vectors)]
    assert not [v for v in expanded if "{{" in v]
    # One message per vector (the vector also in its Subject) ...
    for case, ((category, _v), vector) in enumerate(zip(vectors, expanded, strict=True)):
        mail = build_mail(f"xss-{case}", f"xss-{case} {vector}", case_html(case, category, vector))
        (folder / f"xss-{case:04d}.eml").write_bytes(mail)
    summary = Importer().import_paths([folder])
    assert summary.as_dict().get("quarantined", 0) == 0, summary.as_dict()
    by_key = {m.message_id.split("@")[0]: m.pk for m in Message.objects.all()}
    assert len(by_key) == len(vectors)
    singles = [(case, by_key[f"xss-{case}"]) for case in range(len(vectors))]
    User.objects.create_user("sales", password=PASSWORD)

    app = urlsplit(live_server.url).netloc
    context = chromium.new_context(
        viewport={"width": 1000, "height": 700}, locale="en-US", base_url=live_server.url
    )
    external: list[tuple[str, str, str]] = []  # (phase, resource type, url)
    dialogs: list[str] = []
    console: list[str] = []
    phase = {"name": "login"}

    def on_request(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != app:
            external.append((phase["name"], request.resource_type, request.url))

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    # Context-wide, so popups and every frame are seen too.
    context.on("request", on_request)
    context.on("dialog", on_dialog)
    context.on("console", lambda m: console.append(m.text) if "XSS-" in m.text else None)

    executed: dict[str, object] = {}
    armed: list[str] = []
    unrendered: list[str] = []

    swallowing: set[int] = set()  # vectors that hide what follows them (<plaintext> ...)

    def inspect(tab, markers: list[str], label: str) -> dict:
        state = tab.evaluate(INSPECT, markers)
        if state["top"] is not None or state["frame"] is not None:
            executed[label] = state
        if state["armed"]:
            armed.append(label)
        return state

    def single_loaded(tab, case: int) -> None:
        state = inspect(tab, [f"case-{case}", f"end of case-{case}"], f"blocked/{case}")
        if f"case-{case}" in state["missing"]:
            unrendered.append(f"blocked/{case}")
        elif state["missing"]:
            swallowing.add(case)
        if state["links"]:
            # A link that survived sanitising with a scheme other than http(s) or
            # mailto (javascript:, data:, vbscript: ...) gets clicked.
            links = tab.frame_locator("iframe.message-frame").locator(LEFTOVER_LINKS)
            for index in range(min(2, state["links"])):
                try:
                    links.nth(index).click(timeout=300, no_wait_after=True)
                except Exception:  # noqa: BLE001 - an unclickable link is fine
                    pass

    batches: list[list[int]] = []

    def batch_loaded(tab, number: int) -> None:
        state = inspect(tab, [f"case-{c}" for c in batches[number]], f"images/batch-{number}")
        if state["missing"]:
            unrendered.append(f"images/batch-{number}: {state['missing'][:3]}")

    try:
        login = context.new_page()
        login.goto("/login/")
        login.fill("#id_username", "sales")
        login.fill("#id_password", PASSWORD)
        login.click(".login-card button[type=submit]")
        login.wait_for_url(live_server.url + "/")
        tabs = [login] + [context.new_page() for _ in range(TABS - 1)]
        for tab in tabs:
            tab.on("popup", lambda popup: popup.close())

        phase["name"] = "blocked"
        _visit(tabs, live_server.url, singles, "", single_loaded)
        tabs[0].wait_for_timeout(1000)  # late timers, refreshes, lazy loads
        blocked_external = [e for e in external if e[0] == "blocked"]
        assert blocked_external == [], blocked_external[:10]
        assert dict(tracker.hits) == {}, dict(tracker.hits)

        # "Show images" pass: BATCH vectors per message, except a vector that hides
        # what follows it, which gets a message of its own.
        plain = [c for c in range(len(vectors)) if c not in swallowing]
        batches.extend(plain[i : i + BATCH] for i in range(0, len(plain), BATCH))
        batches.extend([c] for c in sorted(swallowing))
        second = tmp_path / "batches"
        second.mkdir()
        for number, cases in enumerate(batches):
            html = "".join(case_html(c, vectors[c][0], expanded[c]) for c in cases)
            mail = build_mail(f"batch-{number}", f"batch {number}", html)
            (second / f"batch-{number:03d}.eml").write_bytes(mail)
        Importer().import_paths([second])
        batched = [
            (number, Message.objects.get(message_id=f"batch-{number}@browser.test").pk)
            for number in range(len(batches))
        ]
        phase["name"] = "images"
        _visit(tabs, live_server.url, batched, "?images=1", batch_loaded)
        tabs[0].wait_for_timeout(1000)
    finally:
        context.close()

    script_hits = {path: n for path, n in tracker.hits.items() if path.startswith("/js/")}
    assert executed == {}, executed
    assert armed == [], armed[:10]
    assert dialogs == [] and console == [], (dialogs[:5], console[:5])
    assert script_hits == {}, script_hits
    # After "show images" only images may come from elsewhere (and some must).
    non_images = [e for e in external if e[0] == "images" and e[1] != "image"]
    assert non_images == [], non_images[:10]
    assert any(e[0] == "images" for e in external)
    # Every vector really was shown in the message view.
    assert unrendered == [], unrendered[:10]
    print(
        f"\nxss: {len(vectors)} vectors opened one per message with images blocked, and in "
        f"{len(batches)} messages with images shown ({len(swallowing)} alone); script "
        f"executions 0; remote requests "
        f"before show-images 0; image requests after {len(external)}"
    )
