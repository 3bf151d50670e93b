"""Psychotherapy-note bodies encrypted at rest, step 3 of 3: no plaintext column remains."""

from django.db import migrations, models


def _secure_delete(apps, schema_editor):
    # The table is rebuilt on SQLite; zero the pages the old one frees.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.connection.cursor().execute("PRAGMA secure_delete = ON")


class Migration(migrations.Migration):
    dependencies = [("notes", "0004_psychnote_encrypt_existing")]

    operations = [
        migrations.RunPython(_secure_delete, migrations.RunPython.noop),
        migrations.RemoveField(model_name="psychotherapynote", name="body"),
        migrations.AlterField(model_name="psychotherapynote", name="wrapped_key", field=models.BinaryField()),
        migrations.AlterField(model_name="psychotherapynote", name="ciphertext", field=models.BinaryField()),
        migrations.AlterField(
            model_name="psychotherapynote", name="key_id", field=models.CharField(max_length=40)
        ),
        migrations.AddIndex(
            model_name="psychotherapynote",
            index=models.Index(fields=["key_id"], name="psychnote_key_id"),
        ),
    ]
