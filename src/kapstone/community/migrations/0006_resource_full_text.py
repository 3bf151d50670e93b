"""Full-text search over the library, native to each database.

SQLite: an external-content FTS5 table kept in step by triggers (porter stemming, Unicode folding).
PostgreSQL: a GIN index on the same ``to_tsvector('english', ...)`` expression the search query
uses, so the planner can use it.
"""

from django.db import migrations

SQLITE = [
    """CREATE VIRTUAL TABLE community_resource_fts USING fts5(
        title, description, tags, content='community_resource', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER community_resource_fts_ai AFTER INSERT ON community_resource BEGIN
        INSERT INTO community_resource_fts(rowid, title, description, tags)
        VALUES (new.id, new.title, new.description, replace(new.tags, '|', ' '));
    END""",
    """CREATE TRIGGER community_resource_fts_ad AFTER DELETE ON community_resource BEGIN
        INSERT INTO community_resource_fts(community_resource_fts, rowid, title, description, tags)
        VALUES ('delete', old.id, old.title, old.description, replace(old.tags, '|', ' '));
    END""",
    """CREATE TRIGGER community_resource_fts_au AFTER UPDATE ON community_resource BEGIN
        INSERT INTO community_resource_fts(community_resource_fts, rowid, title, description, tags)
        VALUES ('delete', old.id, old.title, old.description, replace(old.tags, '|', ' '));
        INSERT INTO community_resource_fts(rowid, title, description, tags)
        VALUES (new.id, new.title, new.description, replace(new.tags, '|', ' '));
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS community_resource_fts_au",
    "DROP TRIGGER IF EXISTS community_resource_fts_ad",
    "DROP TRIGGER IF EXISTS community_resource_fts_ai",
    "DROP TABLE IF EXISTS community_resource_fts",
]
# Keep in step with kapstone.community.library.PG_DOCUMENT.
POSTGRES = [
    """CREATE INDEX community_resource_fts ON community_resource USING GIN (
        to_tsvector('english', title || ' ' || description || ' ' || replace(tags, '|', ' ')))""",
]
POSTGRES_REVERSE = ["DROP INDEX IF EXISTS community_resource_fts"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, []):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("community", "0005_resource_resourcefile_resource_resource_org_created")]
    operations = [migrations.RunPython(forwards, backwards)]
