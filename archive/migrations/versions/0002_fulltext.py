"""full-text search over each article's current version

Revision ID: 0002_fulltext
Revises: 0001

SQLite: ``article_search``, an FTS5 table with *external content* (``content='article_versions'``,
rowid = version id), so the text is not stored twice. It holds exactly one row per article: the
version ``articles.current_version_id`` points at. Triggers on ``articles`` keep it in sync for
every writer (store(), a re-extraction, a hand-written UPDATE), and triggers on
``article_versions`` follow an edit of a current version's title or text. The FTS5 'delete'
command needs the values that were indexed; versions are written once, and the triggers read them
back from the same row, so they always match.

PostgreSQL: ``article_versions.search_vector``, a STORED generated ``tsvector`` (title weight A,
text weight B, the 'simple' configuration, like FTS5's unicode61: no stemming, no stop words) with
a GIN index. Generated columns cover every writer and are filled for existing rows by the ALTER.
Every version gets a vector; queries join ``articles.current_version_id`` to search current ones.

Caveat for later SQLite migrations: a batch ("move and copy") migration that recreates
``articles`` or ``article_versions`` drops the triggers of the recreated table, and SQLite refuses
to rename the copy while triggers elsewhere name the dropped table. Such a migration must drop the
``article_search_*`` triggers first and recreate them afterwards (copy them from here), then run
``archive.search.reindex()``.
"""

from __future__ import annotations

from alembic import op

revision = "0002_fulltext"
down_revision = "0001"
branch_labels = None
depends_on = None

# Text beyond this many characters is not indexed on PostgreSQL: a tsvector is limited to 1 MB
# and one giant page must not make store() fail for its whole batch.
PG_MAX_INDEXED_CHARS = 500_000

_INDEX_CURRENT = (
    "INSERT INTO article_search(rowid, title, text) "
    "SELECT id, title, text FROM article_versions WHERE id = {ref}.current_version_id;"
)
_UNINDEX_CURRENT = (
    "INSERT INTO article_search(article_search, rowid, title, text) "
    "SELECT 'delete', id, title, text FROM article_versions WHERE id = {ref}.current_version_id;"
)

SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE article_search USING fts5("
    "title, text, content='article_versions', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER article_search_article_insert AFTER INSERT ON articles
    WHEN NEW.current_version_id IS NOT NULL BEGIN
        {_INDEX_CURRENT.format(ref="NEW")}
    END""",
    f"""CREATE TRIGGER article_search_article_update AFTER UPDATE OF current_version_id ON articles
    WHEN NEW.current_version_id IS NOT OLD.current_version_id BEGIN
        {_UNINDEX_CURRENT.format(ref="OLD")}
        {_INDEX_CURRENT.format(ref="NEW")}
    END""",
    f"""CREATE TRIGGER article_search_article_delete AFTER DELETE ON articles
    WHEN OLD.current_version_id IS NOT NULL BEGIN
        {_UNINDEX_CURRENT.format(ref="OLD")}
    END""",
    """CREATE TRIGGER article_search_version_before_update BEFORE UPDATE OF title, text ON article_versions
    WHEN EXISTS (SELECT 1 FROM articles WHERE current_version_id = OLD.id) BEGIN
        INSERT INTO article_search(article_search, rowid, title, text) VALUES ('delete', OLD.id, OLD.title, OLD.text);
    END""",
    """CREATE TRIGGER article_search_version_after_update AFTER UPDATE OF title, text ON article_versions
    WHEN EXISTS (SELECT 1 FROM articles WHERE current_version_id = NEW.id) BEGIN
        INSERT INTO article_search(rowid, title, text) VALUES (NEW.id, NEW.title, NEW.text);
    END""",
    # Backfill: the current version of every existing article.
    "INSERT INTO article_search(rowid, title, text) "
    "SELECT v.id, v.title, v.text FROM articles a JOIN article_versions v ON v.id = a.current_version_id",
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS article_search_version_after_update",
    "DROP TRIGGER IF EXISTS article_search_version_before_update",
    "DROP TRIGGER IF EXISTS article_search_article_delete",
    "DROP TRIGGER IF EXISTS article_search_article_update",
    "DROP TRIGGER IF EXISTS article_search_article_insert",
    "DROP TABLE IF EXISTS article_search",
]

POSTGRES_UPGRADE = [
    f"""ALTER TABLE article_versions ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple'::regconfig, left(coalesce(text, ''), {PG_MAX_INDEXED_CHARS})), 'B')
    ) STORED""",
    "CREATE INDEX ix_article_versions_search_vector ON article_versions USING gin (search_vector)",
]

POSTGRES_DOWNGRADE = [
    "DROP INDEX IF EXISTS ix_article_versions_search_vector",
    "ALTER TABLE article_versions DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UPGRADE)
    elif dialect == "postgresql":
        _run(POSTGRES_UPGRADE)
    else:
        raise NotImplementedError(f"full-text search is implemented for SQLite and PostgreSQL, not {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWNGRADE)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWNGRADE)
