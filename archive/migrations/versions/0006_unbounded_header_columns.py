"""captures.etag and captures.content_type as TEXT: header values have no length limit

An ETag is sent back verbatim in If-None-Match, so it is kept whole; a Content-Type's parameters
can be as long as a server likes. PostgreSQL refused a batch holding one over 255 characters.

Revision ID: 0006_unbounded_header_columns
Revises: 0005_capture_content_hash
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_unbounded_header_columns"
down_revision = "0005_capture_content_hash"
branch_labels = None
depends_on = None

COLUMNS = ("etag", "content_type")


def upgrade() -> None:
    # SQLite ignores a VARCHAR's length: rebuilding its captures table (batch mode) would copy every
    # row of a large archive for nothing.
    if op.get_bind().dialect.name == "sqlite":
        return
    for column in COLUMNS:
        op.alter_column("captures", column, type_=sa.Text(), existing_type=sa.String(length=255))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for column in COLUMNS:
        op.execute(f"UPDATE captures SET {column} = left({column}, 255) WHERE length({column}) > 255")
        op.alter_column("captures", column, type_=sa.String(length=255), existing_type=sa.Text())
