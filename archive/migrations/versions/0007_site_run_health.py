"""site_run_health: what each crawl run's extraction made of each site's pages

Revision ID: 0007_site_run_health
Revises: 0006_unbounded_header_columns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_site_run_health"
down_revision = "0006_unbounded_header_columns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_run_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("site", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.Column("with_title", sa.Integer(), nullable=False),
        sa.Column("with_author", sa.Integer(), nullable=False),
        sa.Column("with_date", sa.Integer(), nullable=False),
        sa.Column("median_body_chars", sa.Integer(), nullable=True),
        sa.Column("revisited", sa.Integer(), nullable=False),
        sa.Column("silent_changes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"], name=op.f("fk_site_run_health_run_id_crawl_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_run_health")),
    )
    with op.batch_alter_table("site_run_health", schema=None) as batch_op:
        batch_op.create_index("ix_site_run_health_site_started_at", ["site", "started_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_site_run_health_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("site_run_health", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_run_health_run_id"))
        batch_op.drop_index("ix_site_run_health_site_started_at")
    op.drop_table("site_run_health")
