"""On PostgreSQL, the database itself refuses two overlapping periods of terms for one aid.

An exclusion constraint (btree_gist) on (aid, daterange(valid_from, valid_until, '[]')), deferred to the end of
the transaction so that the admin and ``load_aids`` may end one period and start the next in any order. Other
databases (SQLite, the embedded default) rely on ``AidTerms.clean()`` and the services, which check the same rule.
"""

from django.db import migrations

CONSTRAINT = "aids_terms_no_overlap"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("aids", "AidTerms")._meta.db_table)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(aid_id WITH =, daterange(valid_from, valid_until, '[]') WITH &&) DEFERRABLE INITIALLY DEFERRED"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("aids", "AidTerms")._meta.db_table)
    schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("aids", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
