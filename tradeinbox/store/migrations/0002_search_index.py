"""The full-text index: FTS5 on SQLite, a tsvector table with a GIN index on PostgreSQL."""

from django.db import migrations


def create_index(apps, schema_editor):
    from tradeinbox.store import search

    statements = search.PG_DDL if schema_editor.connection.vendor == "postgresql" else search.SQLITE_DDL
    for statement in statements:
        schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    from tradeinbox.store import search

    table = search.PG_TABLE if schema_editor.connection.vendor == "postgresql" else search.FTS_TABLE
    schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [("store", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
