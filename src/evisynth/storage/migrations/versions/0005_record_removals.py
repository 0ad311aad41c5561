"""Records removed before screening (PRISMA 2020: by automation tools, for other reasons).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A removal is never changed or deleted.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER record_removals_no_update BEFORE UPDATE ON record_removals
       BEGIN SELECT RAISE(ABORT, 'record_removals is append-only: UPDATE is refused'); END""",
    """CREATE TRIGGER record_removals_no_delete BEFORE DELETE ON record_removals
       BEGIN SELECT RAISE(ABORT, 'record_removals is append-only: DELETE is refused'); END""",
)
POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION record_removals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'record_removals is append-only: % is refused', TG_OP;
       END $$""",
    """CREATE TRIGGER record_removals_no_update_delete BEFORE UPDATE OR DELETE
       ON record_removals FOR EACH ROW EXECUTE FUNCTION record_removals_append_only()""",
    """CREATE TRIGGER record_removals_no_truncate BEFORE TRUNCATE ON record_removals
       FOR EACH STATEMENT EXECUTE FUNCTION record_removals_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "record_removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("removed_by", sa.String(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reason IN ('automation', 'other')", name=op.f("ck_record_removals_reason")),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"],
                                name=op.f("fk_record_removals_record_id_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_removals")),
        sa.UniqueConstraint("record_id", name=op.f("uq_record_removals_record_id")),
    )
    triggers = POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER record_removals_no_truncate ON record_removals")
        op.execute("DROP TRIGGER record_removals_no_update_delete ON record_removals")
        op.execute("DROP FUNCTION record_removals_append_only()")
    else:
        op.execute("DROP TRIGGER record_removals_no_update")
        op.execute("DROP TRIGGER record_removals_no_delete")
    op.drop_table("record_removals")
