"""Two cheaper writes for every stored message.

* ``store_message.date`` loses its own index: ``message_newest_first`` (date, id)
  serves every filter and sort on the date, so the second index only cost inserts.
  Dropped by name rather than by AlterField, which on SQLite would copy the whole
  message table to remove one index.
* The SQLite FTS5 table merges its segments eight at a time (see
  ``search.FTS_AUTOMERGE``); new databases get this from 0002.
"""

from django.db import migrations, models

DATE_INDEX = "store_message_date_3ef9b6ae"  # Django's name for the db_index of 0001


def set_automerge(apps, schema_editor):
    from tradeinbox.store import search

    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(search.SQLITE_DDL[-1])


class Migration(migrations.Migration):
    dependencies = [("store", "0005_messagesearch_date_sender")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message", name="date", field=models.DateTimeField()
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {DATE_INDEX}",
                    f'CREATE INDEX {DATE_INDEX} ON store_message ("date")',
                ),
            ],
        ),
        migrations.RunPython(set_automerge, migrations.RunPython.noop),
    ]
