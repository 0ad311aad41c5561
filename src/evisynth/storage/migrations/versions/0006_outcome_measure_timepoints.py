"""A planned outcome's effect measure and time points.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Outcomes planned before this revision plan no measure and no time points. (ADD COLUMN,
    # not a batch copy: SQLite cannot drop a table other tables' foreign keys point to.)
    op.add_column("outcomes", sa.Column("measure", sa.String(), nullable=False,
                                      server_default=sa.text("''")))
    # nullable: a JSON server default cannot be compared on PostgreSQL (json has no =)
    op.add_column("outcomes", sa.Column("timepoints", sa.JSON(), nullable=True))
    op.execute("UPDATE outcomes SET timepoints = '[]'")


def downgrade() -> None:
    op.drop_column("outcomes", "timepoints")
    op.drop_column("outcomes", "measure")
