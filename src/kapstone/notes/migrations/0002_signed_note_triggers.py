"""Signed notes cannot change in the database itself, below the ORM (security.md 4.4).

The service refuses to touch a signed note; these triggers refuse it too, for every other road
(``QuerySet.update()``, ``Model.save()``, raw SQL, a shell):

- ``notes_progressnote``: once ``signed_at`` is set, any UPDATE is refused except the co-sign
  stamp, set exactly once: status pending_cosign -> signed with ``cosigned_by_id`` and
  ``cosigned_at`` going from NULL to a value, and every other column unchanged. A signed note
  cannot be deleted (a draft can: it was never part of the record).
- ``notes_addendum``: append-only (no UPDATE, no DELETE).
- PostgreSQL also refuses TRUNCATE of both tables.

The test suite's flush lifts these triggers for the flush only (tests/conftest.py), as for the
audit log's.
"""

from django.db import migrations

# Every column of notes_progressnote except the co-sign stamp. A new column must be added here (a
# new migration re-creating the SQLite trigger); tests/notes/test_immutability.py checks the list
# against the model. PostgreSQL compares whole rows, so it needs no list.
UNCHANGED_ON_COSIGN = (
    "id",
    "organization_id",
    "client_id",
    "session_id",
    "template_id",
    "template_version",
    "author_id",
    "sections",
    "version",
    "created_at",
    "updated_at",
    "signed_at",
    "signed_by_id",
    "content_hash",
    "cosign_required",
)
COSIGN_STAMP = ("status", "cosigned_by_id", "cosigned_at")
TABLES = ("notes_progressnote", "notes_addendum")

SIGNED_MESSAGE = "signed notes are immutable: add an addendum"
ADDENDUM_MESSAGE = "addenda are append-only"

_unchanged = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in UNCHANGED_ON_COSIGN)
_cosign_once = (
    "OLD.status = 'pending_cosign' AND NEW.status = 'signed'"
    " AND OLD.cosigned_by_id IS NULL AND OLD.cosigned_at IS NULL"
    " AND NEW.cosigned_by_id IS NOT NULL AND NEW.cosigned_at IS NOT NULL"
)

SQLITE = [
    f"""CREATE TRIGGER notes_signed_no_update BEFORE UPDATE ON notes_progressnote
       WHEN OLD.signed_at IS NOT NULL AND NOT ({_cosign_once} AND {_unchanged})
       BEGIN SELECT RAISE(ABORT, '{SIGNED_MESSAGE}'); END""",
    f"""CREATE TRIGGER notes_signed_no_delete BEFORE DELETE ON notes_progressnote
       WHEN OLD.signed_at IS NOT NULL
       BEGIN SELECT RAISE(ABORT, '{SIGNED_MESSAGE}'); END""",
    f"""CREATE TRIGGER notes_addendum_no_update BEFORE UPDATE ON notes_addendum
       BEGIN SELECT RAISE(ABORT, '{ADDENDUM_MESSAGE}'); END""",
    f"""CREATE TRIGGER notes_addendum_no_delete BEFORE DELETE ON notes_addendum
       BEGIN SELECT RAISE(ABORT, '{ADDENDUM_MESSAGE}'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS notes_signed_no_update",
    "DROP TRIGGER IF EXISTS notes_signed_no_delete",
    "DROP TRIGGER IF EXISTS notes_addendum_no_update",
    "DROP TRIGGER IF EXISTS notes_addendum_no_delete",
]

_stamp = "ARRAY[" + ", ".join(f"'{c}'" for c in COSIGN_STAMP) + "]"
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION notes_progressnote_guard() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'TRUNCATE' THEN
           RAISE EXCEPTION '{SIGNED_MESSAGE}' USING ERRCODE = 'restrict_violation';
         END IF;
         IF OLD.signed_at IS NULL THEN
           RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
         END IF;
         IF TG_OP = 'UPDATE' AND {_cosign_once}
            AND (to_jsonb(NEW) - {_stamp}::text[]) = (to_jsonb(OLD) - {_stamp}::text[]) THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION '{SIGNED_MESSAGE}' USING ERRCODE = 'restrict_violation';
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER notes_signed_guard BEFORE UPDATE OR DELETE ON notes_progressnote
       FOR EACH ROW EXECUTE FUNCTION notes_progressnote_guard()""",
    """CREATE TRIGGER notes_signed_no_truncate BEFORE TRUNCATE ON notes_progressnote
       FOR EACH STATEMENT EXECUTE FUNCTION notes_progressnote_guard()""",
    f"""CREATE OR REPLACE FUNCTION notes_addendum_append_only() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION '{ADDENDUM_MESSAGE}' USING ERRCODE = 'restrict_violation';
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER notes_addendum_no_change BEFORE UPDATE OR DELETE ON notes_addendum
       FOR EACH ROW EXECUTE FUNCTION notes_addendum_append_only()""",
    """CREATE TRIGGER notes_addendum_no_truncate BEFORE TRUNCATE ON notes_addendum
       FOR EACH STATEMENT EXECUTE FUNCTION notes_addendum_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS notes_signed_guard ON notes_progressnote",
    "DROP TRIGGER IF EXISTS notes_signed_no_truncate ON notes_progressnote",
    "DROP FUNCTION IF EXISTS notes_progressnote_guard()",
    "DROP TRIGGER IF EXISTS notes_addendum_no_change ON notes_addendum",
    "DROP TRIGGER IF EXISTS notes_addendum_no_truncate ON notes_addendum",
    "DROP FUNCTION IF EXISTS notes_addendum_append_only()",
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
    dependencies = [("notes", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
