"""An issued credential's signed document cannot change in the database itself: an UPDATE that
changes ``document`` is refused (status changes, which reach verifiers through the status list, are
allowed). UPDATE only, so the test suite's flush needs no exception."""

from django.db import migrations

MESSAGE = "the signed document of an issued credential never changes"

SQLITE = [
    f"""CREATE TRIGGER credentials_document_no_update BEFORE UPDATE OF document ON credentials_credential
       WHEN NEW.document IS NOT OLD.document
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS credentials_document_no_update"]
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION credentials_document_guard() RETURNS trigger AS $$
       BEGIN
         IF NEW.document IS DISTINCT FROM OLD.document THEN
           RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER credentials_document_no_update BEFORE UPDATE ON credentials_credential
       FOR EACH ROW EXECUTE FUNCTION credentials_document_guard()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS credentials_document_no_update ON credentials_credential",
    "DROP FUNCTION IF EXISTS credentials_document_guard()",
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
    dependencies = [("credentials", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
