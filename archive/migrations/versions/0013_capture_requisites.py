"""capture requisites: the URLs each page's (or stylesheet's) capture loads, in its order

Revision ID: 0013_capture_requisites
Revises: 0012_extraction_memos

``capture_requisites`` (capture_id, position, url): what a page names for a replay to load, as the
crawl requested it (archive/requisites.py), and what a stylesheet loads. Empty after the upgrade:
``newsarchive reextract`` of the WARC files fills it for the captures stored before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_capture_requisites"
down_revision = "0012_extraction_memos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capture_requisites",
        sa.Column("capture_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"],
            ["captures.id"],
            name=op.f("fk_capture_requisites_capture_id_captures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("capture_id", "position", name=op.f("pk_capture_requisites")),
    )


def downgrade() -> None:
    op.drop_table("capture_requisites")
