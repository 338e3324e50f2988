"""extraction memos: the latest extraction result of each URL, for its revisits to reuse

Revision ID: 0012_extraction_memos
Revises: 0011_sitemap_entries

``extraction_memos`` (url, input_digest, result, fetched_at), keyed by URL: a revisit whose
extraction input digests as the stored one is given the stored result (archive/extraction/reuse.py).
Empty after the upgrade: captures stored before it are extracted once more when revisited.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_extraction_memos"
down_revision = "0011_sitemap_entries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extraction_memos",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("input_digest", sa.String(length=64), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_extraction_memos")),
    )


def downgrade() -> None:
    op.drop_table("extraction_memos")
