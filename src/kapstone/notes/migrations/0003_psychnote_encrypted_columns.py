"""Psychotherapy-note bodies encrypted at rest, step 1 of 3: the encrypted columns, empty."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_signed_note_triggers")]

    operations = [
        migrations.AddField(
            model_name="psychotherapynote",
            name="key_id",
            field=models.CharField(max_length=40, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="psychotherapynote", name="wrapped_key", field=models.BinaryField(null=True)
        ),
        migrations.AddField(
            model_name="psychotherapynote", name="ciphertext", field=models.BinaryField(null=True)
        ),
        migrations.AlterField(
            model_name="psychotherapynote", name="body", field=models.TextField(blank=True)
        ),
    ]
