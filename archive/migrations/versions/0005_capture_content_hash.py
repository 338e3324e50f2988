"""captures.content_hash: what each capture last extracted to, for idempotent re-extraction

Revision ID: 0005_capture_content_hash
Revises: 0004_capture_extracted_as
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_capture_content_hash"
down_revision = "0004_capture_extracted_as"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
    # A capture that made versions last extracted to the latest of them. Captures that matched the
    # current version without making one stay NULL: store() then falls back to the version check.
    op.execute(
        "UPDATE captures SET content_hash = (SELECT v.content_hash FROM article_versions v "
        "WHERE v.capture_id = captures.id ORDER BY v.number DESC LIMIT 1) "
        "WHERE id IN (SELECT capture_id FROM article_versions)"
    )


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch_op:
        batch_op.drop_column("content_hash")
