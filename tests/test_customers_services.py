"""Customers from stored mail: addresses, companies, people, merges, bounces, pools."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from tests.customers_mail import OWN, WHATSAPP, write_mail
from tradeinbox.customers import services
from tradeinbox.customers.chats import import_chat
from tradeinbox.customers.models import (
    Channel,
    ChatMessage,
    Company,
    EmailAddress,
    MergeProposal,
    Person,
)
from tradeinbox.customers.queries import decision_ranking, recipients_for_thread, timeline
from tradeinbox.store.importer import Importer
from tradeinbox.store.models import Message
from tradeinbox.users.roles import assign_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(tmp_path):
    User.objects.create_user("li", email=OWN, password="x" * 12)
    summary = Importer().import_paths([write_mail(tmp_path / "mail")])
    stats = services.analyse_messages(summary.new_message_ids)
    return stats


def person_of(address: str) -> Person:
    return services._resolve(EmailAddress.objects.get(address=address).person)


def test_addresses_are_classified_and_companies_made_from_domains(deal):
    assert EmailAddress.objects.get(address="anna.silva@buyer.com.br").kind == "official"
    assert EmailAddress.objects.get(address="anna.silva77@gmail.com").kind == "freemail"
    own = EmailAddress.objects.get(address=OWN)
    assert own.is_own and own.person is None  # our own mailbox is not a customer
    company = Company.objects.get(domains__domain="buyer.com.br")
    assert company.country == "BR"
    assert not Company.objects.filter(domains__domain="gmail.com").exists()
    assert not Company.objects.filter(domains__domain="ourfactory.example").exists()
    assert company.last_outbound_at is not None  # we wrote to Anna


def test_strong_merge_applied_with_evidence(deal):
    work, gmail = person_of("anna.silva@buyer.com.br"), person_of("anna.silva77@gmail.com")
    assert work == gmail
    merge = MergeProposal.objects.get(status="confirmed", automatic=True)
    rules = {e["rule"] for e in merge.evidence}
    assert "identity.same_phone" in rules and "identity.same_name" in rules
    assert work.company.domains.filter(domain="buyer.com.br").exists()
    assert Channel.objects.filter(person=work, value="+5511987654321").exists()
    formal = EmailAddress.objects.get(address="anna.silva@buyer.com.br")
    assert formal.is_formal
    assert not EmailAddress.objects.get(address="anna.silva77@gmail.com").is_formal


def test_colleagues_sharing_a_surname_and_an_office_phone_stay_apart(deal):
    assert person_of("john.smith@buyer.com.br") != person_of("jane.smith@buyer.com.br")
    john, jane = person_of("john.smith@buyer.com.br"), person_of("jane.smith@buyer.com.br")
    assert not MergeProposal.objects.filter(target__in=[john, jane], source__in=[john, jane])


def test_weak_evidence_is_proposed_then_confirmed_and_split(deal):
    work, hotmail = person_of("pedro@buyer.com.br"), person_of("pgomes.br@hotmail.com")
    assert work != hotmail
    proposal = MergeProposal.objects.get(status="proposed")
    assert {proposal.address_a, proposal.address_b} == {
        "pedro@buyer.com.br",
        "pgomes.br@hotmail.com",
    }
    assert proposal.evidence and proposal.strength == "weak"
    Channel.objects.create(person=hotmail, kind="whatsapp", value="+5511912345678")
    services.confirm_merge(proposal, None)
    assert person_of("pedro@buyer.com.br") == person_of("pgomes.br@hotmail.com")
    services.split_merge(proposal, None)
    assert person_of("pedro@buyer.com.br") != person_of("pgomes.br@hotmail.com")
    assert Channel.objects.get(value="+5511912345678").person == person_of("pgomes.br@hotmail.com")
    # A split pair is not merged or proposed again by a later analysis.
    services.analyse_messages(Message.objects.values_list("pk", flat=True))
    assert person_of("pedro@buyer.com.br") != person_of("pgomes.br@hotmail.com")
    assert not MergeProposal.objects.filter(status="proposed").exists()


def test_left_company_autoreply_makes_the_address_former(deal):
    carlos = EmailAddress.objects.get(address="carlos.lima@buyer.com.br")
    assert carlos.kind == "former"
    assert any(e["rule"] == "former.left_company" for e in carlos.former_evidence)


def test_analysis_is_idempotent(deal):
    people = Person.objects.count()
    services.analyse_messages(Message.objects.values_list("pk", flat=True))
    assert Person.objects.count() == people
    assert Company.objects.count() == 1


def test_decision_ranking_puts_anna_first(deal):
    company = Company.objects.get()
    ranking = decision_ranking(company)
    assert ranking[0][0] == person_of("anna.silva@buyer.com.br")
    assert any(e.rule == "decision.depth" and "price" in e.detail for e in ranking[0][1].evidence)


def test_recipients_recommend_formal_to_and_personal_cc(deal):
    thread = Message.objects.get(message_id__startswith="m3").thread_id
    rec = recipients_for_thread(thread)
    assert rec.to == ["anna.silva@buyer.com.br"]
    assert rec.cc == ["anna.silva77@gmail.com"]
    carlos_thread = Message.objects.get(message_id__startswith="m8").thread_id
    warn = recipients_for_thread(carlos_thread, ["carlos.lima@buyer.com.br"])
    assert any(w.rule == "recipients.former" for w in warn.warnings)


def test_chat_import_joins_the_timeline(deal, tmp_path):
    anna = person_of("anna.silva@buyer.com.br")
    first = import_chat(anna, WHATSAPP.encode(), "WhatsApp Chat with Anna.txt")
    again = import_chat(anna, WHATSAPP.encode(), "WhatsApp Chat with Anna.txt")
    assert first.pk == again.pk and ChatMessage.objects.filter(person=anna).count() == 3
    assert ChatMessage.objects.filter(person=anna, from_customer=True).count() == 2
    kinds = [i.kind for i in timeline([anna])]
    assert "chat" in kinds and "email" in kinds


def test_pools_visibility_and_idle_return(deal):
    company = Company.objects.get()
    mine = User.objects.create_user("ana_sales")
    other = User.objects.create_user("bo_sales")
    boss = User.objects.create_user("boss")
    assign_role(boss, "manager")
    services.assign(company, mine)
    pool = Company.objects.create(name="Pool Co")
    assert set(Company.objects.visible_to(mine)) == {company, pool}
    assert set(Company.objects.visible_to(other)) == {pool}
    assert set(Company.objects.visible_to(boss)) == {company, pool}
    assert not Person.objects.visible_to(other).filter(company=company).exists()
    # No outbound mail for longer than the setting: back to the pool.
    company.last_outbound_at = datetime.now(UTC) - timedelta(days=40)
    company.owner_since = datetime.now(UTC) - timedelta(days=100)
    company.save()
    assert services.return_idle_to_pool(days=60) == 0
    assert services.return_idle_to_pool(days=30) == 1
    company.refresh_from_db()
    assert company.owner is None


def test_company_named_from_the_registrable_part_of_an_unlisted_suffix(tmp_path):
    """``.example`` is not in the Public Suffix List: the company is "Brightway Lighting"
    (from ``brightway-lighting.example``), not "Mx" (from the host ``mx.``)."""
    from tests.customers_mail import email

    User.objects.create_user("li", email=OWN, password="x" * 12)
    mails = {
        "01.eml": email(
            "Tom Reed <tom@mx.brightway-lighting.example>",
            f"Li Wei <{OWN}>",
            "Inquiry: LED panels",
            "Please quote 500 LED panels, CIF Hamburg.",
            msgid="bw-1",
        ),
        "02.eml": email(
            "Ann Reed <ann@brightway-lighting.example>",
            f"Li Wei <{OWN}>",
            "Re: Inquiry: LED panels",
            "Also 200 downlights.",
            hours=2,
            msgid="bw-2",
        ),
    }
    summary = Importer().import_paths([write_mail(tmp_path / "bw", mails)])
    services.analyse_messages(summary.new_message_ids)
    company = Company.objects.get(domains__domain="brightway-lighting.example")
    assert company.name == "Brightway Lighting"
    assert not Company.objects.filter(name="Mx").exists()
    assert {
        a.person.company_id
        for a in EmailAddress.objects.filter(
            address__in=["tom@mx.brightway-lighting.example", "ann@brightway-lighting.example"]
        )
    } == {company.pk}
