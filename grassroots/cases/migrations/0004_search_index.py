"""Search index on ``Case.search_text`` behind the vendor seam of ``cases.search``:
a pg_trgm GIN index on PostgreSQL, an FTS5 trigram table kept by triggers on SQLite."""

import sqlite3

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS cases_case_fts USING fts5(search_text, content='', tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS cases_case_fts_vocab USING fts5vocab(cases_case_fts, 'row')",
    "CREATE TRIGGER IF NOT EXISTS cases_case_fts_ai AFTER INSERT ON cases_case BEGIN INSERT INTO cases_case_fts(rowid, search_text) VALUES (new.id, new.search_text || ' '); END",
    "CREATE TRIGGER IF NOT EXISTS cases_case_fts_ad AFTER DELETE ON cases_case BEGIN INSERT INTO cases_case_fts(cases_case_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text || ' '); END",
    "CREATE TRIGGER IF NOT EXISTS cases_case_fts_au AFTER UPDATE OF search_text ON cases_case BEGIN INSERT INTO cases_case_fts(cases_case_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text || ' '); INSERT INTO cases_case_fts(rowid, search_text) VALUES (new.id, new.search_text || ' '); END",
    "INSERT INTO cases_case_fts(rowid, search_text) SELECT id, search_text || ' ' FROM cases_case",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS cases_case_fts_au",
    "DROP TRIGGER IF EXISTS cases_case_fts_ad",
    "DROP TRIGGER IF EXISTS cases_case_fts_ai",
    "DROP TABLE IF EXISTS cases_case_fts_vocab",
    "DROP TABLE IF EXISTS cases_case_fts",
]
POSTGRES = [
    "CREATE INDEX IF NOT EXISTS cases_case_search_trgm ON cases_case USING gin (search_text gin_trgm_ops)"
]
POSTGRES_DROP = ["DROP INDEX IF EXISTS cases_case_search_trgm"]


def _statements(connection, forward):
    if connection.vendor == "postgresql":
        return POSTGRES if forward else POSTGRES_DROP
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 34, 0):
        return SQLITE if forward else SQLITE_DROP
    return []


def forwards(apps, schema_editor):
    for sql in _statements(schema_editor.connection, True):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in _statements(schema_editor.connection, False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_sensors_search")]
    operations = [
        TrigramExtension(),  # a no-op on anything but PostgreSQL
        migrations.RunPython(forwards, backwards),
    ]
