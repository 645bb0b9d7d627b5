"""Whose mail a user's lists show (inbox, search), as filters the database runs fast.

A list shows the user's own mail: messages in the mailboxes owned within their scope
(their own; a team manager's team's) and messages with customers owned within it.
Public-pool customers' mail is not listed (it would bury everyone's inbox under the
whole pool's correspondence); it stays reachable from the customer's page, and a
customer claimed from the pool brings its mail into the claimer's lists. Admins and
managers of no team list everything (no filter at all).

The same rule comes in two forms, because PostgreSQL needs to be told which plan to
use with ``ORDER BY date LIMIT n``:

* :meth:`MailScope.per_row` - checked row by row while walking the newest-first
  index: cheap when the user's mail is a sizeable share of the store (a few rows are
  skipped per row shown). ``OFFSET 0`` keeps PostgreSQL from turning the check into a
  hash of every matching id, built before the first row (half a second at 500,000
  messages).
* :meth:`MailScope.as_set` - the ids of the user's mail hashed first, then the
  newest-first index walked against the hash (index only, no table rows): cheap when
  the share is small (a salesperson among many), where a check per row would cost
  thousands of lookups per page; too slow to build for a large share.

:attr:`MailScope.share` (a bounded count, a few milliseconds) tells them apart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

#: From this share of the store on, walking the date index beats building the set.
DENSE_SHARE = 0.05

_CUSTOMER_ADDRESSES = (
    "SELECT e.address FROM customers_emailaddress e "
    "JOIN customers_person p ON p.id = e.person_id "
    "JOIN customers_company c ON c.id = p.company_id "
    "WHERE NOT e.is_own AND c.owner_id = ANY(%s)"
)


@dataclass(frozen=True)
class MailScope:
    owners: tuple[int, ...]
    folders: tuple[int, ...]
    share: float  # estimated share of all messages that are this user's mail

    @property
    def dense(self) -> bool:
        return self.share >= DENSE_SHARE

    def per_row(self, qs: QuerySet) -> QuerySet:
        if connection.vendor != "postgresql":
            return self._orm(qs)
        sql, params = self.row_sql(f'"{qs.model._meta.db_table}".id')
        return qs.filter(RawSQL(sql, params, output_field=BooleanField()))

    def row_sql(self, id_expression: str) -> tuple[str, list]:
        """PostgreSQL: "message ``id_expression`` is this user's mail", checked per row
        (the search plans of ``store.pgsearch`` put it on search-table rows)."""
        sql = (
            "(EXISTS (SELECT 1 FROM mailbox_messagelocation l WHERE l.message_id = "
            f"{id_expression} AND l.folder_id = ANY(%s) OFFSET 0) "
            f"OR EXISTS (SELECT 1 FROM users_messageaddress a WHERE a.message_id = "
            f"{id_expression} AND a.address IN ({_CUSTOMER_ADDRESSES}) OFFSET 0))"
        )
        return sql, [list(self.folders), list(self.owners)]

    def as_set(self, qs: QuerySet) -> QuerySet:
        # PostgreSQL hashes both sets once (they are small for a small share), then
        # checks each index entry against the hashes: with only ids selected the walk
        # reads the newest-first index alone, never the table.
        return self._orm(qs)

    def ids(self) -> list[int]:
        """Every id of this user's mail, some perhaps twice (use for a small share only)."""
        if connection.vendor != "postgresql":
            from tradeinbox.store.models import Message

            return list(self._orm(Message.objects.all()).values_list("id", flat=True))
        with connection.cursor() as cur:
            cur.execute(
                # UNION ALL: a message both in a mailbox and with a customer may come
                # twice, which costs less than removing the duplicates.
                "SELECT l.message_id FROM mailbox_messagelocation l WHERE l.folder_id = ANY(%s) "
                "UNION ALL SELECT a.message_id FROM users_messageaddress a "
                f"WHERE a.address IN ({_CUSTOMER_ADDRESSES})",
                [list(self.folders), list(self.owners)],
            )
            return [row[0] for row in cur.fetchall()]

    def best(self, qs: QuerySet) -> QuerySet:
        """The form that suits this user's share for a newest-first page."""
        return self.per_row(qs) if self.dense else self.as_set(qs)

    def _orm(self, qs: QuerySet) -> QuerySet:
        from tradeinbox.customers.models import EmailAddress
        from tradeinbox.mailbox.models import MessageLocation
        from tradeinbox.users.models import MessageAddress

        owned = EmailAddress.objects.filter(
            is_own=False, person__company__owner__in=self.owners
        ).values("address")
        with_customer = MessageAddress.objects.filter(message_id=OuterRef("pk"), address__in=owned)
        located = MessageLocation.objects.filter(
            message_id=OuterRef("pk"), folder_id__in=self.folders
        )
        return qs.filter(Q(Exists(with_customer)) | Q(Exists(located)))


def message_total() -> int:
    """About how many messages are stored (PostgreSQL's statistics; exact elsewhere)."""
    from tradeinbox.store.models import Message
    from tradeinbox.store.search import pg_message_total

    return pg_message_total() if connection.vendor == "postgresql" else Message.objects.count()


# The share moves slowly (mail arrives, customers change hands): a web process reuses
# its estimate for a minute instead of counting on every page.
SHARE_TTL = 60.0
_shares: dict[tuple, tuple[float, float]] = {}


def build(owners: tuple[int, ...]) -> MailScope:
    from tradeinbox.mailbox.models import Folder

    folders = tuple(Folder.objects.filter(account__owner__in=owners).values_list("id", flat=True))
    key = (connection.settings_dict.get("NAME"), owners, folders)
    cached = _shares.get(key)
    if cached is not None and time.monotonic() - cached[1] < SHARE_TTL:
        return MailScope(owners=owners, folders=folders, share=cached[0])
    share = _estimate_share(owners, folders)
    if len(_shares) > 10_000:
        _shares.clear()
    _shares[key] = (share, time.monotonic())
    return MailScope(owners=owners, folders=folders, share=share)


def _estimate_share(owners: tuple[int, ...], folders: tuple[int, ...]) -> float:
    total = max(1, message_total())
    cap = max(1000, int(total * DENSE_SHARE))
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM mailbox_messagelocation "
                "WHERE folder_id = ANY(%s) LIMIT %s) f) + (SELECT count(*) FROM (SELECT 1 "
                f"FROM users_messageaddress a WHERE a.address IN ({_CUSTOMER_ADDRESSES}) "
                "LIMIT %s) c)",
                [list(folders), cap, list(owners), cap],
            )
            found = cur.fetchone()[0]
    else:
        found = 0  # SQLite takes the ORM form whatever the share
    return min(1.0, found / total)
