"""The search row gets the message's date, whether it has attachments and the sender's
words (see store.MessageSearch).

Existing rows are filled from store_message: date and attachments as they are, the
sender words from the stored name and address (SQL for plain ASCII, the same Python
function the importer uses for anything else). The document's GIN index is dropped
while the rows are rewritten and built again afterwards: updating 500,000 rows with it
in place takes five minutes, without it twenty seconds plus about a minute and a half
to rebuild it (3.5 minutes in all on the shared 2-core machine). The rewrite leaves
the table's old row versions for autovacuum to reclaim.
"""

from django.db import migrations, models

import tradeinbox.store.models

TABLE = "store_message_search"
_NON_ASCII = r"[^\x01-\x7f]"


def fill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite searches its FTS5 table; this one stays empty there
    from tradeinbox.store.search import PG_SENDER_GIN, sender_words

    execute = schema_editor.execute
    execute("SET LOCAL maintenance_work_mem = '256MB'")
    execute(f"DROP INDEX IF EXISTS {TABLE}_gin")
    execute(
        f"UPDATE {TABLE} s SET date = m.date, has_attachment = m.attachment_count > 0, "
        "sender_document = to_tsvector('simple', "
        "regexp_replace(lower(m.from_name || ' ' || m.from_email), '[^a-z0-9]+', ' ', 'g')) "
        "FROM store_message m WHERE m.id = s.message_id"
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, from_name, from_email FROM store_message "
            "WHERE from_name || from_email ~ %s",
            [_NON_ASCII],
        )
        rows = [(sender_words(f"{name} {email}"), pk) for pk, name, email in cursor.fetchall()]
        cursor.executemany(
            f"UPDATE {TABLE} SET sender_document = to_tsvector('simple', %s) WHERE message_id = %s",
            rows,
        )
    # The rewrite queued the deferred foreign-key checks; CREATE INDEX refuses to run
    # with checks pending, so they run now.
    execute("SET CONSTRAINTS ALL IMMEDIATE")
    execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_gin ON {TABLE} USING gin(document)")
    execute(f"CREATE INDEX IF NOT EXISTS {PG_SENDER_GIN} ON {TABLE} USING gin(sender_document)")
    execute("SET CONSTRAINTS ALL DEFERRED")


def drop_sender_gin(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from tradeinbox.store.search import PG_SENDER_GIN

        schema_editor.execute(f"DROP INDEX IF EXISTS {PG_SENDER_GIN}")


class Migration(migrations.Migration):
    dependencies = [("store", "0004_messageraw")]

    operations = [
        migrations.AddField(
            model_name="messagesearch",
            name="date",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="messagesearch",
            name="has_attachment",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="messagesearch",
            name="sender_document",
            field=tradeinbox.store.models.TextSearchVectorField(null=True),
        ),
        migrations.RunPython(fill, drop_sender_gin),
        migrations.AlterField(
            model_name="messagesearch",
            name="date",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="messagesearch",
            name="sender_document",
            field=tradeinbox.store.models.TextSearchVectorField(),
        ),
        migrations.AddIndex(
            model_name="messagesearch",
            index=models.Index(
                fields=["-date", "-message"],
                include=["sender_document"],
                name="search_newest_first",
            ),
        ),
        migrations.AddIndex(
            model_name="messagesearch",
            index=models.Index(
                condition=models.Q(("has_attachment", True)),
                fields=["-date", "-message"],
                name="search_with_attachment",
            ),
        ),
    ]
