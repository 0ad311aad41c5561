"""Screening: append-only decisions, full-text links, screening settings.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Decisions are never changed: an undo or a resolution is a new row.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER screening_decisions_no_update BEFORE UPDATE ON screening_decisions
       BEGIN SELECT RAISE(ABORT, 'screening_decisions is append-only: UPDATE is refused'); END""",
    """CREATE TRIGGER screening_decisions_no_delete BEFORE DELETE ON screening_decisions
       BEGIN SELECT RAISE(ABORT, 'screening_decisions is append-only: DELETE is refused'); END""",
)
POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION screening_decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'screening_decisions is append-only: % is refused', TG_OP;
       END $$""",
    """CREATE TRIGGER screening_decisions_no_update_delete BEFORE UPDATE OR DELETE
       ON screening_decisions FOR EACH ROW EXECUTE FUNCTION screening_decisions_append_only()""",
    """CREATE TRIGGER screening_decisions_no_truncate BEFORE TRUNCATE ON screening_decisions
       FOR EACH STATEMENT EXECUTE FUNCTION screening_decisions_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "screening_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("reviewer", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("undo", sa.Boolean(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stage IN ('ta', 'ft')", name=op.f("ck_screening_decisions_stage")),
        sa.CheckConstraint("role IN ('reviewer', 'arbiter')", name=op.f("ck_screening_decisions_role")),
        sa.CheckConstraint("decision IN ('include', 'exclude', 'maybe', 'retract')",
                           name=op.f("ck_screening_decisions_decision")),
        sa.CheckConstraint("(decision = 'retract') = undo", name=op.f("ck_screening_decisions_undo")),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"],
                                name=op.f("fk_screening_decisions_record_id_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_decisions")),
        sa.UniqueConstraint("record_id", "stage", "reviewer", "role", "round", "undo",
                            name=op.f("uq_screening_decisions_record_id")),
    )
    op.create_index("ix_screening_decisions_record_id", "screening_decisions", ["record_id"])
    op.create_table(
        "full_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('file', 'url', 'not_retrieved')", name=op.f("ck_full_texts_kind")),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], name=op.f("fk_full_texts_record_id_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_full_texts")),
    )
    op.create_index("ix_full_texts_record_id", "full_texts", ["record_id"])
    op.create_table(
        "screening_settings",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_screening_settings")),
    )
    triggers = POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER screening_decisions_no_truncate ON screening_decisions")
        op.execute("DROP TRIGGER screening_decisions_no_update_delete ON screening_decisions")
        op.execute("DROP FUNCTION screening_decisions_append_only()")
    else:
        op.execute("DROP TRIGGER screening_decisions_no_update")
        op.execute("DROP TRIGGER screening_decisions_no_delete")
    op.drop_table("screening_settings")
    op.drop_index("ix_full_texts_record_id", table_name="full_texts")
    op.drop_table("full_texts")
    op.drop_index("ix_screening_decisions_record_id", table_name="screening_decisions")
    op.drop_table("screening_decisions")
