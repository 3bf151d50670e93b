"""Psychotherapy-note bodies encrypted at rest, step 2 of 3: every existing plaintext body is sealed
(kapstone.notes.sealing) and blanked. The key file is created on first use if none is configured.

Reversible (for a downgrade): the bodies are decrypted back into the plaintext column.

On SQLite the connection's ``secure_delete`` is turned on first, so the overwritten plaintext is
zeroed rather than left in free pages; run ``kapstone psychnotes compact`` after upgrading to also
empty the write-ahead log (and, on PostgreSQL, ``VACUUM FULL`` the table).
"""

from django.db import migrations


def _secure_delete(schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.connection.cursor().execute("PRAGMA secure_delete = ON")


def encrypt_bodies(apps, schema_editor):
    from kapstone.notes.psychvault import load_ring, seal_into

    model = apps.get_model("notes", "PsychotherapyNote")
    rows = model.objects.filter(key_id="")
    if not rows.exists():
        return
    _secure_delete(schema_editor)
    ring = load_ring(create=True)
    for row in rows.iterator():
        seal_into(row, row.body, ring)
        row.body = ""
        row.save(update_fields=["key_id", "wrapped_key", "ciphertext", "body"])


def decrypt_bodies(apps, schema_editor):
    from kapstone.notes.psychvault import load_ring, read_body

    model = apps.get_model("notes", "PsychotherapyNote")
    rows = model.objects.exclude(key_id="")
    if not rows.exists():
        return
    ring = load_ring()
    for row in rows.iterator():
        row.body = read_body(row, ring)
        row.key_id, row.wrapped_key, row.ciphertext = "", None, None
        row.save(update_fields=["key_id", "wrapped_key", "ciphertext", "body"])


class Migration(migrations.Migration):
    dependencies = [("notes", "0003_psychnote_encrypted_columns")]

    operations = [migrations.RunPython(encrypt_bodies, decrypt_bodies)]
