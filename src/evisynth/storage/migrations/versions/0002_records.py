"""Imported bibliographic records, their import batches, and duplicate links between them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Duplicates are linked, never deleted: the database refuses DELETE on record_links.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER record_links_no_delete BEFORE DELETE ON record_links
       BEGIN SELECT RAISE(ABORT, 'record_links are never deleted: DELETE is refused'); END""",
)
POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION record_links_keep() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'record_links are never deleted: % is refused', TG_OP;
       END $$""",
    """CREATE TRIGGER record_links_no_delete BEFORE DELETE ON record_links
       FOR EACH ROW EXECUTE FUNCTION record_links_keep()""",
    """CREATE TRIGGER record_links_no_truncate BEFORE TRUNCATE ON record_links
       FOR EACH STATEMENT EXECUTE FUNCTION record_links_keep()""",
)


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("encoding", sa.String(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_batch", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("entry", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("database", sa.String(), nullable=False),
        sa.Column("original", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("journal", sa.Text(), nullable=False),
        sa.Column("volume", sa.String(), nullable=False),
        sa.Column("issue", sa.String(), nullable=False),
        sa.Column("pages", sa.String(), nullable=False),
        sa.Column("doi", sa.String(), nullable=False),
        sa.Column("pmid", sa.String(), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("record_type", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["import_batch"], ["import_batches.id"],
                                name=op.f("fk_records_import_batch_import_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.UniqueConstraint("import_batch", "source_file", "entry",
                            name=op.f("uq_records_import_batch")),
    )
    op.create_index("ix_records_doi", "records", ["doi"])
    op.create_index("ix_records_pmid", "records", ["pmid"])
    op.create_table(
        "record_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("duplicate_of", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('auto', 'needs_review', 'accepted', 'rejected')",
                           name=op.f("ck_record_links_status")),
        sa.CheckConstraint("score >= 0 AND score <= 1", name=op.f("ck_record_links_score")),
        sa.CheckConstraint("record_id <> duplicate_of", name=op.f("ck_record_links_distinct")),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"],
                                name=op.f("fk_record_links_record_id_records")),
        sa.ForeignKeyConstraint(["duplicate_of"], ["records.id"],
                                name=op.f("fk_record_links_duplicate_of_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_links")),
        sa.UniqueConstraint("record_id", "duplicate_of", name=op.f("uq_record_links_record_id")),
    )
    op.create_index("ix_record_links_duplicate_of", "record_links", ["duplicate_of"])
    op.create_index("ix_record_links_status", "record_links", ["status"])
    triggers = POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER record_links_no_truncate ON record_links")
        op.execute("DROP TRIGGER record_links_no_delete ON record_links")
        op.execute("DROP FUNCTION record_links_keep()")
    else:
        op.execute("DROP TRIGGER record_links_no_delete")
    op.drop_index("ix_record_links_status", table_name="record_links")
    op.drop_index("ix_record_links_duplicate_of", table_name="record_links")
    op.drop_table("record_links")
    op.drop_index("ix_records_pmid", table_name="records")
    op.drop_index("ix_records_doi", table_name="records")
    op.drop_table("records")
    op.drop_table("import_batches")
