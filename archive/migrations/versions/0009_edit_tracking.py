"""edit tracking: what each version changed, URL aliases learnt from redirects, re-check counts per run

Revision ID: 0009_edit_tracking
Revises: 0008_capture_bytes_received
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_edit_tracking"
down_revision = "0008_capture_bytes_received"
branch_labels = None
depends_on = None

_RUN_COLUMNS = ("rechecks_sent", "edits_found", "rechecks_deferred")


def upgrade() -> None:
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changes", sa.Text(), nullable=True))
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        for name in _RUN_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "url_aliases",
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alias", name=op.f("pk_url_aliases")),
    )
    with op.batch_alter_table("url_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_url_aliases_target"), ["target"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("url_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_url_aliases_target"))
    op.drop_table("url_aliases")
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        for name in reversed(_RUN_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("article_versions", schema=None) as batch_op:
        batch_op.drop_column("changes")
