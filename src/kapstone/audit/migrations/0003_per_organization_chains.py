"""One hash chain per organization (issue #18).

Only a nullable column without a default and an index: SQLite adds it with ALTER TABLE ADD COLUMN
and keeps the table, so migration 0002's append-only triggers stay in place (a field with a default,
unique or NOT NULL would make Django rebuild the table and drop them). Existing rows keep chain NULL,
the legacy chain, and are never updated (the triggers would refuse it anyway).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "id"], name="audit_chain_id"),
        ),
    ]
