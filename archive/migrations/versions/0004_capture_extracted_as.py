"""captures.extracted_as; merges the full-text and crawl-runs branches

Revision ID: 0004_capture_extracted_as
Revises: 0002_fulltext, 0003_crawl_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_capture_extracted_as"
down_revision = ("0002_fulltext", "0003_crawl_runs")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch_op:
        batch_op.add_column(sa.Column("extracted_as", sa.String(length=16), nullable=True))
    # Captures that already gave a version were extracted as articles.
    op.execute("UPDATE captures SET extracted_as = 'article' WHERE id IN (SELECT capture_id FROM article_versions)")


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch_op:
        batch_op.drop_column("extracted_as")
