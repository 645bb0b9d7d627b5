"""What kind of mailbox an email address is: official, role, free-mail, disposable, former.

A customer record in an export CRM collects many addresses. Which one to write to,
which one identifies the *company* (for merging contacts), and which one is dead all
depend on the address kind:

* ``official``   - at a company's own domain (``anna@buyer.com.br``);
* ``role``       - a department or shared mailbox (``purchase@``, ``caigou@``, ``ventas@``),
                   not one person; usually also official;
* ``freemail``   - a personal mailbox at a consumer provider (gmail, 163.com, mail.ru ...);
* ``disposable`` - a throw-away domain (the ``disposable-email-domains`` block list);
* ``former``     - evidence says the mailbox no longer reaches the person: a hard bounce,
                   or a "has left the company" auto-reply (see :mod:`tradeinbox.core.bounces`).

Several can hold at once; :class:`AddressKind` keeps one boolean per kind plus one primary
``kind`` chosen by the precedence former > disposable > role > freemail > official, i.e. the
fact that most changes what a sales person should do with the address comes first.

The registrable domain (``mail.buyer.co.uk`` -> ``buyer.co.uk``) comes from the Public
Suffix List bundled with ``tldextract``, used offline (no network fetch, no cache dir).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import tldextract
from disposable_email_domains import blocklist as _DISPOSABLE

from tradeinbox.core.evidence import Evidence

# Offline: the snapshot of the Public Suffix List shipped inside tldextract.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

#: Evidence weights at or above this (summed) make an address ``former``.
FORMER_THRESHOLD = 0.5

# Role mailboxes by department. The local part is split on . _ - + and digits; it is a role
# address when one piece is a role word and every other piece is a qualifier (below).
ROLE_WORDS: dict[str, frozenset[str]] = {
    "purchasing": frozenset(
        """purchase purchases purchasing purchaser procurement procure buying buyer buyers
        sourcing supply supplies supplychain
        caigou cgb gouwu
        compras compra adquisiciones abastecimiento suministros
        suprimentos aquisicoes
        einkauf beschaffung
        achat achats approvisionnement
        zakupki zakupka snab snabzhenie
        acquisti approvvigionamenti
        satinalma satinalma inkoop zakupy""".split()
    ),
    "sales": frozenset(
        """sales sale selling salesteam salesdept
        xiaoshou yewu waimao maoyi
        ventas venta comercial comerciales
        vendas venda
        verkauf vertrieb
        ventes vente commercial commerciale
        prodazhi prodazha sbyt otdelprodazh
        vendite commerciale
        satis verkoop sprzedaz handel
        eigyo""".split()
    ),
    "export_import": frozenset(
        """export exports exporting import imports importing trade trading foreigntrade intl
        international overseas
        chukou jinkou jinchukou
        exportacion exportaciones importacion importaciones
        exportacao importacao exportacoes
        ausfuhr einfuhr aussenhandel
        exportation importation
        eksport import
        ihracat ithalat dis ticaret""".split()
    ),
    "orders": frozenset(
        """order orders ordering pedidos pedido bestellung bestellungen auftrag auftraege
        commandes commande ordini zakaz zakazy siparis zamowienia bestellingen dingdan""".split()
    ),
    "accounts": frozenset(
        """accounts account accounting finance financial billing invoice invoices invoicing
        payments payment payable payables receivable receivables ar ap treasury
        caiwu kuaiji
        contabilidad facturacion finanzas cobranza cobros pagos tesoreria
        financeiro contabilidade faturamento cobranca
        buchhaltung rechnung rechnungen finanzen
        comptabilite compta facturation finances
        buh buhgalteria buhgalter
        contabilita amministrazione fatture
        muhasebe boekhouding ksiegowosc""".split()
    ),
    "general": frozenset(
        """info information informacion informacoes contact contacts contacto contato kontakt
        hello hi enquiry enquiries inquiry inquiries general mail email office
        admin administrator administration administracion
        reception front frontdesk zentrale empfang accueil secretariat secretaria
        bangong zonghe ufficio biuro ofis bilgi""".split()
    ),
    "service": frozenset(
        """service services support help helpdesk customerservice customercare care cs
        kefu fuwu shouhou
        soporte atencion atencionalcliente servicio
        suporte atendimento sac
        kundendienst kundenservice
        sav serviceclient
        podderzhka assistenza destek""".split()
    ),
    "logistics": frozenset(
        """logistics logistic shipping shipment shipments dispatch delivery freight warehouse
        wuliu fahuo
        logistica envios embarques despacho
        versand lager logistik
        expedition expeditions transport""".split()
    ),
    "marketing": frozenset(
        """marketing market marketingteam pr press media shichang publicidad mercadeo""".split()
    ),
    "hr": frozenset(
        """hr jobs job career careers recruitment recruiting talent renshi rh rrhh
        bewerbung empleo emploi""".split()
    ),
    "quality": frozenset("""quality qa qc zhiliang pinzhi calidad qualidade qualitaet""".split()),
    "technical": frozenset("""tech technical engineering rd jishu technik technique""".split()),
    "management": frozenset(
        """ceo director management manager gm boss owner president chairman
        direccion gerencia diretoria geschaeftsfuehrung direction""".split()
    ),
    "system": frozenset(
        """postmaster hostmaster webmaster abuse noreply donotreply mailerdaemon
        notification notifications alerts newsletter system robot bounce bounces""".split()
    ),
}
_ROLE_INDEX: dict[str, str] = {w: cat for cat, words in ROLE_WORDS.items() for w in words}

# Pieces that may stand beside a role word without making it personal: "sales.team",
# "export-dept", "info.cn", "purchase2".
_QUALIFIERS = frozenset(
    """team dept department dep div division group office center centre desk de du dpt
    global intl main head hq the our mail box mbox only all china asia europe eu us usa uk
    latam mena africa america""".split()
)
# Country/region tags also qualify: "sales.br", "info-cn". Not every two-letter piece:
# "sales.li" is more likely Ms Li in sales than a Liechtenstein desk.
_REGIONS = frozenset(
    """cn us uk gb de fr es it br mx ru jp kr in hk tw sg my th vn id ph au nz ca tr ae sa eg
    za ng ke ar cl co pe pl nl be ch at se dk fi pt gr ie il pk bd ua kz""".split()
)
_PIECE = re.compile(r"[a-z]+")
# Joined multi-word forms that the splitter cannot see ("customerservice" is in the lists).
_NOREPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|mailer-daemon)$")


@dataclass(slots=True)
class AddressKind:
    """The verdict for one address; ``kind`` is the primary kind, booleans say all that apply."""

    email: str
    domain: str
    registrable_domain: str
    kind: str  # "official" | "role" | "freemail" | "disposable" | "former"
    is_official: bool = False
    is_role: bool = False
    is_freemail: bool = False
    is_disposable: bool = False
    is_former: bool = False
    known_domain: bool = False  # the domain is one of ``own_domains``
    role: str | None = None  # department of a role address ("purchasing", "sales" ...)
    evidence: list[Evidence] = field(default_factory=list)


@lru_cache(maxsize=1)
def freemail_domains() -> frozenset[str]:
    """The shipped free-mail list (``data/freemail_domains.txt``), lower-case."""
    text = (
        resources.files("tradeinbox.core")
        .joinpath("data/freemail_domains.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def split_email(email: str) -> tuple[str, str]:
    """``(local_part, domain)`` of an address, lower-cased and stripped of ``<>`` and dots."""
    value = email.strip().strip("<>").strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not an email address: {email!r}")
    return local, domain.strip(".")


@lru_cache(maxsize=4096)
def registrable_domain(domain: str) -> str:
    """The domain a company registers: ``mail.buyer.co.uk`` -> ``buyer.co.uk``.

    Under a suffix the Public Suffix List does not list - the reserved names of RFC 2606
    and RFC 6761 (``.example``, ``.test``, ``.invalid``, ``.localhost``) and private TLDs
    (``.internal``, ``.lan``) - the last two labels: ``mx.acme.example`` -> ``acme.example``,
    one label under the TLD being the nearest thing to a registration there. IP literals
    and single labels (``localhost``) come back as they are.
    """
    domain = domain.lower().strip(".").strip("[]")
    parts = _EXTRACT(domain)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    labels = domain.split(".")
    if len(labels) > 2 and all(labels) and not _is_ip_literal(domain):
        return ".".join(labels[-2:])
    return domain


def _is_ip_literal(domain: str) -> bool:
    try:
        ipaddress.ip_address(domain.removeprefix("ipv6:"))
    except ValueError:
        return False
    return True


def _in_set(domain: str, registrable: str, values: Iterable[str] | frozenset[str]) -> str | None:
    """Which of the domain, its parents up to the registrable domain, is in ``values``."""
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        candidate = ".".join(labels[i:])
        if candidate in values:
            return candidate
        if candidate == registrable:
            break
    return registrable if registrable in values else None


def role_of(local_part: str) -> tuple[str, str] | None:
    """``(department, word)`` when the local part names a role mailbox, else None."""
    local = local_part.lower().split("+", 1)[0]  # RFC 5233 sub-addressing tag
    if _NOREPLY.match(local):
        return "system", local
    whole = re.sub(r"[^a-z]", "", local)
    if whole in _ROLE_INDEX and re.fullmatch(r"[a-z]+[0-9]{0,3}", local.replace(".", "")):
        return _ROLE_INDEX[whole], whole
    pieces = _PIECE.findall(local)
    if not pieces:
        return None
    found: tuple[str, str] | None = None
    for piece in pieces:
        if piece in _ROLE_INDEX and found is None:
            found = (_ROLE_INDEX[piece], piece)
        elif piece in _QUALIFIERS or piece in _REGIONS or piece in _ROLE_INDEX:
            continue
        else:
            return None  # a personal name piece: "john.sales" is John in sales, not a role box
    return found


def classify_address(
    email: str,
    *,
    own_domains: Iterable[str] = (),
    former_evidence: Sequence[Evidence] = (),
) -> AddressKind:
    """Classify ``email``. ``own_domains``: domains known to belong to the company.

    ``former_evidence`` is evidence produced elsewhere about this address (a hard bounce,
    a "left the company" auto-reply; see :func:`tradeinbox.core.bounces.former_evidence`).
    It makes the address ``former`` when the weights sum to :data:`FORMER_THRESHOLD`.
    """
    local, domain = split_email(email)
    registrable = registrable_domain(domain)
    result = AddressKind(
        email=f"{local}@{domain}", domain=domain, registrable_domain=registrable, kind="official"
    )
    ev = result.evidence

    disposable = _in_set(domain, registrable, _DISPOSABLE)
    if disposable:
        result.is_disposable = True
        ev.append(
            Evidence("address.disposable", 1.0, f"{disposable} is on the disposable-domain list")
        )
    free = _in_set(domain, registrable, freemail_domains())
    if free:
        result.is_freemail = True
        ev.append(Evidence("address.freemail", 1.0, f"{free} is a free-mail provider"))

    own = {d.lower().strip().lstrip("@").strip(".") for d in own_domains if d and d.strip()}
    own_registrable = {registrable_domain(d) for d in own}
    if domain in own or registrable in own_registrable:
        result.known_domain = True
        ev.append(Evidence("address.official.known", 1.0, f"{registrable} is the company's domain"))
    if not result.is_freemail and not result.is_disposable:
        result.is_official = True
        if not result.known_domain:
            weight = 0.6 if own else 0.8
            detail = f"{registrable} is a company domain (not free-mail, not disposable)"
            if own:
                detail += ", but not one of the company's known domains"
            ev.append(Evidence("address.official.corporate", weight, detail))

    role = role_of(local)
    if role:
        result.is_role = True
        result.role = role[0]
        ev.append(
            Evidence(
                "address.role", 0.9, f"local part {local!r} is a {role[0]} mailbox ({role[1]})"
            )
        )

    former_weight = sum(e.weight for e in former_evidence if e.weight > 0)
    if former_evidence:
        ev.extend(former_evidence)
    if former_weight >= FORMER_THRESHOLD:
        result.is_former = True
        ev.append(Evidence("address.former", former_weight, "evidence says this mailbox is gone"))

    if result.is_former:
        result.kind = "former"
    elif result.is_disposable:
        result.kind = "disposable"
    elif result.is_role:
        result.kind = "role"
    elif result.is_freemail:
        result.kind = "freemail"
    else:
        result.kind = "official"
    return result


def company_domain(email: str) -> str | None:
    """The registrable domain that identifies the sender's company, or None.

    None for free-mail and disposable addresses (they say nothing about the company) and
    for strings that are not addresses. Used to merge contacts into one customer.
    """
    try:
        local, domain = split_email(email)
    except ValueError:
        return None
    registrable = registrable_domain(domain)
    if _in_set(domain, registrable, freemail_domains()) or _in_set(
        domain, registrable, _DISPOSABLE
    ):
        return None
    if "." not in registrable:
        return None
    return registrable
