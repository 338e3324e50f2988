"""sitemap entries: what a Google News sitemap said of each article it listed

Revision ID: 0011_sitemap_entries
Revises: 0010_archive_performance

``sitemap_entries`` (url, title, publication_date, keywords, lastmod, seen_at), keyed by the
article URL: ``store()`` fills a title, published date or tags the page lacks from it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_sitemap_entries"
down_revision = "0010_archive_performance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sitemap_entries",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("publication_date", sa.Text(), nullable=True),
        sa.Column("keywords", sa.Text(), nullable=True),
        sa.Column("lastmod", sa.Text(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_sitemap_entries")),
    )


def downgrade() -> None:
    op.drop_table("sitemap_entries")
