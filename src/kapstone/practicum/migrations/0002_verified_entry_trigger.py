"""A verified ledger entry cannot change in the database itself, below the ORM: any UPDATE of a row
whose status is ``verified`` is refused (``QuerySet.update()``, raw SQL, a shell). A correction is a
new entry that reverses it. Deleting is refused by the model and by the reversal's PROTECT key; the
trigger guards UPDATE only, so the test suite's flush needs no exception."""

from django.db import migrations

MESSAGE = "a verified ledger entry cannot change: correct it with a reversing entry"

SQLITE = [
    f"""CREATE TRIGGER practicum_verified_no_update BEFORE UPDATE ON practicum_ledgerentry
       WHEN OLD.status = 'verified'
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS practicum_verified_no_update"]
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION practicum_verified_guard() RETURNS trigger AS $$
       BEGIN
         IF OLD.status = 'verified' THEN
           RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER practicum_verified_no_update BEFORE UPDATE ON practicum_ledgerentry
       FOR EACH ROW EXECUTE FUNCTION practicum_verified_guard()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS practicum_verified_no_update ON practicum_ledgerentry",
    "DROP FUNCTION IF EXISTS practicum_verified_guard()",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("practicum", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
