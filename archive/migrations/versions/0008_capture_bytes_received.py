"""captures.bytes_received: the bytes of each response as received, the one byte total of a crawl

Revision ID: 0008_capture_bytes_received
Revises: 0007_site_run_health
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_capture_bytes_received"
down_revision = "0007_site_run_health"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Earlier captures stay NULL: what crossed the wire is in their WARC records, not the database
    # (`newsarchive reextract` fills it in from them).
    with op.batch_alter_table("captures") as batch_op:
        batch_op.add_column(sa.Column("bytes_received", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captures") as batch_op:
        batch_op.drop_column("bytes_received")
