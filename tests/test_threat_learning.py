"""``tradeinbox learn``: teaching the threat model a lure it has never seen.

The lure here (a parking-fine payment scam written in a register the shipped model's
2002-2007 training mail does not have) is generated, as is the business ham taught
alongside it, so the test needs no corpus and every message is new to the model.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from pathlib import Path

import pytest

from tradeinbox.core.classifier import MODEL_PATH, load_model
from tradeinbox.core.parse import parse_message
from tradeinbox.core.threat_learning import (
    MIN_HAM,
    LearningError,
    example_of,
    learn,
)
from tradeinbox.core.threats import assess_threat

FIRST = ["Anna", "Li", "Carlos", "Maria", "Tom", "Priya", "Jonas", "Fatima", "Kenji", "Lucia"]
LAST = ["Schmidt", "Wang", "Garcia", "Rossi", "Brown", "Patel", "Berg", "Haddad", "Sato", "Silva"]
PRODUCTS = [
    "ball valves DN50", "gate valves PN16", "brass fittings", "PVC pipes 110 mm",
    "stainless flanges", "check valves", "pressure gauges", "butterfly valves",
]  # fmt: skip
HAM_SUBJECTS = [
    "Shipping schedule for order {n}", "Revised drawing for {p}", "Meeting notes {d}",
    "Packing list for PO {n}", "Re: sample test report", "Container booking {n}",
    "Invoice {n} received, thank you", "Question about the {p} coating",
]  # fmt: skip
HAM_LINES = [
    "The container leaves Ningbo on the {d}th and reaches Hamburg three weeks later.",
    "Please find the revised drawing for the {p}; the flange thickness is now 18 mm.",
    "Our QC team checked the {p} and the pressure test passed at 24 bar.",
    "Could you confirm the packing: 40 cartons per pallet, 12 pallets in total?",
    "Payment for invoice {n} was made yesterday as agreed in the contract.",
    "We would like to move our call to Thursday at 3 pm your time.",
    "The sample of the {p} arrived in good condition; our engineers like the finish.",
    "Attached are the minutes of our meeting with the new logistics partner.",
    "The customs broker needs the certificate of origin before Friday.",
    "Thanks for the quick answer about the lead time of the {p}.",
]  # fmt: skip
LURE_SUBJECTS = [
    "Penalty charge notice {n} - payment overdue", "Parking fine {n}: final reminder",
    "PCN {n} unpaid - enforcement pending", "Outstanding parking penalty {n}",
]  # fmt: skip
LURE_LINES = [
    "Our records show an unpaid parking penalty for vehicle {plate} on {d} March.",
    "The penalty of GBP {amount} must be settled to avoid enforcement agents.",
    "Pay the charge online today and the amount is reduced by half.",
    "If the penalty remains unpaid a bailiff visit will be arranged at your address.",
    "Settle your penalty charge notice at the payment portal below.",
    "Camera evidence of the contravention is available on the portal.",
]  # fmt: skip


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first} {last}", f"{first.lower()}.{last.lower()}"


def ham_message(rng: random.Random, number: int) -> bytes:
    name, local = _person(rng)
    values = {"n": rng.randint(1000, 99999), "p": rng.choice(PRODUCTS), "d": rng.randint(2, 28)}
    subject = rng.choice(HAM_SUBJECTS).format(**values)
    lines = [rng.choice(HAM_LINES).format(**values) for _ in range(rng.randint(2, 5))]
    body = "\n".join([f"Dear {rng.choice(FIRST)},", "", *lines, "", "Best regards", name])
    return (
        f"From: {name} <{local}@buyer{number % 17}.example>\n"
        f"To: sales@ourfactory.example\nSubject: {subject}\n"
        f"Date: Tue, 3 Mar 2026 10:{number % 60:02d}:00 +0100\n"
        f"Message-ID: <ham-{number}@buyer.example>\n\n{body}\n"
    ).encode()


def lure_message(rng: random.Random, number: int) -> bytes:
    values = {
        "n": f"PCN{rng.randint(100000, 999999)}",
        "plate": f"{rng.choice('ABKLMR')}{rng.choice('ABKLMR')}{rng.randint(10, 99)} "
        f"{rng.choice('XYZ')}{rng.choice('PQW')}{rng.choice('ST')}",
        "amount": rng.choice(["70.00", "100.00", "130.00", "65.00"]),
        "d": rng.randint(2, 28),
    }
    domain = f"pcn-{rng.choice(['pay', 'portal', 'settle', 'notice'])}{number}.example"
    subject = rng.choice(LURE_SUBJECTS).format(**values)
    lines = [rng.choice(LURE_LINES).format(**values) for _ in range(rng.randint(3, 5))]
    body = "\n".join(["Dear driver,", "", *lines, "", f"https://{domain}/pcn/{values['n']}"])
    return (
        f"From: Parking Services <notice@{domain}>\n"
        f"To: sales@ourfactory.example\nSubject: {subject}\n"
        f"Date: Tue, 3 Mar 2026 10:{number % 60:02d}:00 +0100\n"
        f"Message-ID: <pcn-{number}@{domain}>\n\n{body}\n"
    ).encode()


@pytest.fixture(scope="module")
def mail() -> dict[str, list[bytes]]:
    rng = random.Random(7)
    return {
        "ham": [ham_message(rng, n) for n in range(160)],
        "lure": [lure_message(rng, n) for n in range(50)],
    }


def flagged(model, raws: list[bytes]) -> int:
    return sum(assess_threat(parse_message(r), model=model).label != "ham" for r in raws)


def teach(mail: dict[str, list[bytes]]):
    model = load_model(MODEL_PATH)
    examples = [example_of(parse_message(r), "ham") for r in mail["ham"][:120]]
    examples += [example_of(parse_message(r), "phish") for r in mail["lure"][:30]]
    return model, learn(model, examples)


def test_a_taught_lure_is_recognised_in_mail_not_taught(mail):
    shipped = load_model(MODEL_PATH)
    unseen_lures, unseen_ham = mail["lure"][30:], mail["ham"][120:]
    before = flagged(shipped, unseen_lures)
    model, report = teach(mail)
    after = flagged(model, unseen_lures)
    assert before <= len(unseen_lures) // 2, "the lure should be new to the shipped model"
    assert after >= len(unseen_lures) - 2 and after > before
    # Learning did not buy that recall with false positives on good mail.
    assert report.ham_flagged_after <= report.ham_flagged_before
    assert flagged(model, unseen_ham) <= flagged(shipped, unseen_ham)
    assert report.taught == {"phish": 30, "spam": 0, "ham": 120}
    assert model.meta["taught"] == {"phish": 30, "spam": 0, "ham": 120}


def test_learning_is_deterministic_and_survives_a_save(mail, tmp_path):
    first, _ = teach(mail)
    second, _ = teach(mail)
    assert first.threat_w == second.threat_w and first.threat_shift == second.threat_shift
    first.save(tmp_path / "m.bin")
    again = load_model(tmp_path / "m.bin")
    assert again.threat_shift == pytest.approx(first.threat_shift)
    assert again.threat_b == pytest.approx(first.threat_b)
    lure = parse_message(mail["lure"][40])
    assert assess_threat(lure, model=again).score == pytest.approx(
        assess_threat(lure, model=first).score
    )


def test_too_little_ham_or_no_threat_is_refused(mail):
    model = load_model(MODEL_PATH)
    few_ham = [example_of(parse_message(r), "ham") for r in mail["ham"][: MIN_HAM - 1]]
    lures = [example_of(parse_message(r), "phish") for r in mail["lure"][:5]]
    with pytest.raises(LearningError, match=f"at least {MIN_HAM} ham"):
        learn(model, few_ham + lures)
    enough_ham = [example_of(parse_message(r), "ham") for r in mail["ham"][:MIN_HAM]]
    with pytest.raises(LearningError, match="no phishing or spam"):
        learn(model, enough_ham)
    with pytest.raises(LearningError, match="label must be"):
        example_of(parse_message(mail["ham"][0]), "scam")
    assert model.threat_w == load_model(MODEL_PATH).threat_w  # refused: nothing changed


def run_cli(*args: str) -> tuple[int, str, str]:
    from tradeinbox.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def _write(folder: Path, raws: list[bytes]) -> Path:
    folder.mkdir()
    for number, raw in enumerate(raws):
        (folder / f"{number:04d}.eml").write_bytes(raw)
    return folder


def analyze_labels(model: Path | None, folder: Path) -> list[str]:
    args = ["analyze", "--jobs", "1", str(folder)] + (["--model", str(model)] if model else [])
    code, out, _ = run_cli(*args)
    assert code == 0
    return [json.loads(line)["label"] for line in out.splitlines()]


def test_learn_command_then_analyze_with_the_taught_model(mail, tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEINBOX_DATA", str(tmp_path / "data"))
    ham = _write(tmp_path / "ham", mail["ham"][:120])
    lures = _write(tmp_path / "lures", mail["lure"][:30])
    unseen = _write(tmp_path / "unseen", mail["lure"][30:])
    (ham / "broken.eml").write_bytes(b"\x00\x01 not mail at all")
    model = tmp_path / "taught.bin"
    code, out, err = run_cli(
        "learn", "--phish", str(lures), "--ham", str(ham), "--model", str(model), "-j", "1"
    )
    assert code == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["taught"] == {"phish": 30, "spam": 0, "ham": 120}
    assert summary["started_from"] == "shipped" and summary["skipped"] == 1
    assert summary["skipped_examples"][0]["source"].endswith("broken.eml")
    after = analyze_labels(model, unseen)
    before = analyze_labels(None, unseen)
    assert after.count("phish") + after.count("spam") > before.count("phish") + before.count("spam")
    # A second lesson continues from the taught file and adds to its history.
    code, out, _ = run_cli("learn", "--phish", str(lures), "--ham", str(ham), "--model", str(model))
    assert code == 0
    assert json.loads(out.splitlines()[-1])["started_from"] == "installation"
    assert load_model(model).meta["taught"]["phish"] == 60


def test_learn_command_explains_a_refusal_and_writes_nothing(mail, tmp_path):
    ham = _write(tmp_path / "ham", mail["ham"][:10])
    lures = _write(tmp_path / "lures", mail["lure"][:5])
    model = tmp_path / "taught.bin"
    code, _, err = run_cli("learn", "--phish", str(lures), "--ham", str(ham), "--model", str(model))
    assert code == 2 and f"at least {MIN_HAM} ham" in err
    assert not model.exists()
    code, _, err = run_cli("learn", "--phish", str(tmp_path / "missing"), "--model", str(model))
    assert code == 2 and "does not exist" in err


def test_learn_command_defaults_to_the_installation_model(mail, tmp_path, monkeypatch):
    """The web app scores with the installation's model file: learn writes that one."""
    monkeypatch.setenv("TRADEINBOX_DATA", str(tmp_path / "data"))
    from tradeinbox.triage.services import local_model_path

    ham = _write(tmp_path / "ham", mail["ham"][:120])
    lures = _write(tmp_path / "lures", mail["lure"][:30])
    code, out, err = run_cli("learn", "--phish", str(lures), "--ham", str(ham), "-j", "1")
    assert code == 0, err
    assert Path(json.loads(out.splitlines()[-1])["model"]) == local_model_path()
    assert load_model(local_model_path()).meta["taught"]["phish"] == 30
