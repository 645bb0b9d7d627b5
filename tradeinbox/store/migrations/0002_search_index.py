"""The SQLite full-text index: a contentless FTS5 table (PostgreSQL: see 0003)."""

from django.db import migrations


def create_index(apps, schema_editor):
    from tradeinbox.store import search

    if schema_editor.connection.vendor != "postgresql":
        for statement in search.SQLITE_DDL:
            schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    from tradeinbox.store import search

    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(f"DROP TABLE IF EXISTS {search.FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
