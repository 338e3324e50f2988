"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 03:31:45.281621
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Over 60 lines on purpose: one create_table per table of the first schema, a listing to read
    # top to bottom; split into helpers it would only be scattered.
    # articles.current_version_id and article_versions.article_id point at each other: SQLite
    # takes the forward reference inline (it checks foreign keys only on writes); other
    # databases get the constraint once both tables exist.
    sqlite = op.get_bind().dialect.name == "sqlite"
    current_version_fk = (
        [sa.ForeignKeyConstraint(["current_version_id"], ["article_versions.id"], name="fk_articles_current_version")]
        if sqlite
        else []
    )
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
        sa.UniqueConstraint("name", name=op.f("uq_authors_name")),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        sa.UniqueConstraint("host", name=op.f("uq_sites_host")),
        sa.UniqueConstraint("name", name=op.f("uq_sites_name")),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("first_captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        *current_version_fk,
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_articles_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("url", name=op.f("uq_articles_url")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_articles_current_version_id"), ["current_version_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_articles_site_id"), ["site_id"], unique=False)

    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("content_length", sa.BigInteger(), nullable=True),
        sa.Column("payload_digest", sa.String(length=128), nullable=True),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("warc_file", sa.String(length=255), nullable=False),
        sa.Column("warc_offset", sa.BigInteger(), nullable=False),
        sa.Column("warc_length", sa.BigInteger(), nullable=False),
        sa.Column("warc_record_id", sa.String(length=128), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=True),
        sa.Column("etag", sa.String(length=255), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_captures_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captures")),
        sa.UniqueConstraint("warc_file", "warc_offset", name="uq_captures_warc_location"),
    )
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_captures_payload_digest"), ["payload_digest"], unique=False)
        batch_op.create_index(batch_op.f("ix_captures_site_id"), ["site_id"], unique=False)
        batch_op.create_index("ix_captures_url_fetched_at", ["url", "fetched_at"], unique=False)

    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extractor", sa.String(length=64), nullable=False),
        sa.Column("extractor_version", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("published", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("modified", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("section", sa.String(length=255), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("canonical_url", sa.Text(), nullable=True),
        sa.Column("site_name", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], name=op.f("fk_article_versions_article_id_articles")),
        sa.ForeignKeyConstraint(["capture_id"], ["captures.id"], name=op.f("fk_article_versions_capture_id_captures")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "number", name="uq_article_versions_number"),
    )
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_versions_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_versions_capture_id"), ["capture_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_versions_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_versions_language"), ["language"], unique=False)
        batch_op.create_index("ix_article_versions_published_at", ["published_at"], unique=False)

    op.create_table(
        "article_version_authors",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name=op.f("fk_article_version_authors_author_id_authors")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_article_version_authors_version_id_article_versions"),
        ),
        sa.PrimaryKeyConstraint("version_id", "author_id", name=op.f("pk_article_version_authors")),
    )
    with op.batch_alter_table("article_version_authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_version_authors_author_id"), ["author_id"], unique=False)

    op.create_table(
        "article_version_tags",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_article_version_tags_tag_id_tags")),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["article_versions.id"],
            name=op.f("fk_article_version_tags_version_id_article_versions"),
        ),
        sa.PrimaryKeyConstraint("version_id", "tag_id", name=op.f("pk_article_version_tags")),
    )
    with op.batch_alter_table("article_version_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_version_tags_tag_id"), ["tag_id"], unique=False)

    if not sqlite:
        op.create_foreign_key(
            "fk_articles_current_version", "articles", "article_versions", ["current_version_id"], ["id"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_articles_current_version", "articles", type_="foreignkey")
    with op.batch_alter_table("article_version_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_version_tags_tag_id"))

    op.drop_table("article_version_tags")
    with op.batch_alter_table("article_version_authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_version_authors_author_id"))

    op.drop_table("article_version_authors")
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_article_versions_published_at")
        batch_op.drop_index(batch_op.f("ix_article_versions_language"))
        batch_op.drop_index(batch_op.f("ix_article_versions_content_hash"))
        batch_op.drop_index(batch_op.f("ix_article_versions_capture_id"))
        batch_op.drop_index(batch_op.f("ix_article_versions_article_id"))

    op.drop_table("article_versions")
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_index("ix_captures_url_fetched_at")
        batch_op.drop_index(batch_op.f("ix_captures_site_id"))
        batch_op.drop_index(batch_op.f("ix_captures_payload_digest"))

    op.drop_table("captures")
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_site_id"))
        batch_op.drop_index(batch_op.f("ix_articles_current_version_id"))

    op.drop_table("articles")
    op.drop_table("tags")
    op.drop_table("sites")
    op.drop_table("authors")
