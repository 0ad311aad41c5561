"""Initial schema: the review project and its append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The audit log refuses UPDATE and DELETE (and TRUNCATE) in the database itself, so no
# code path, old or new, can rewrite history.
SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is refused'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is refused'); END""",
)
POSTGRESQL_TRIGGERS = (
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'audit_log is append-only: % is refused', TG_OP;
       END $$""",
    """CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("review_id", sa.String(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_project_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
    )
    op.create_table(
        "protocol",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("picos_population", sa.Text(), nullable=False),
        sa.Column("picos_intervention", sa.Text(), nullable=False),
        sa.Column("picos_comparator", sa.Text(), nullable=False),
        sa.Column("picos_outcomes", sa.JSON(), nullable=False),
        sa.Column("picos_study_design", sa.Text(), nullable=False),
        sa.Column("synthesis_plan", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["id"], ["project.id"], name=op.f("fk_protocol_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol")),
    )
    op.create_table(
        "criteria",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('inclusion', 'exclusion')", name=op.f("ck_criteria_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criteria")),
    )
    op.create_table(
        "searches",
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("database", sa.String(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("date_range", sa.String(), nullable=False),
        sa.Column("searched_on", sa.String(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_searches")),
    )
    op.create_table(
        "prisma_counts",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("identified", sa.Integer(), nullable=True),
        sa.Column("identified_by_source", sa.JSON(), nullable=False),
        sa.Column("duplicates_removed", sa.Integer(), nullable=True),
        sa.Column("screened", sa.Integer(), nullable=True),
        sa.Column("excluded_title_abstract", sa.Integer(), nullable=True),
        sa.Column("assessed_full_text", sa.Integer(), nullable=True),
        sa.Column("excluded_full_text", sa.Integer(), nullable=True),
        sa.Column("full_text_exclusion_reasons", sa.JSON(), nullable=False),
        sa.Column("included", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["id"], ["project.id"], name=op.f("fk_prisma_counts_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prisma_counts")),
    )
    op.create_table(
        "locations",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_locations")),
    )
    op.create_table(
        "studies",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("design", sa.String(), nullable=False),
        sa.Column("country", sa.String(), nullable=False),
        sa.Column("centres", sa.String(), nullable=False),
        sa.Column("population", sa.Text(), nullable=False),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studies")),
    )
    op.create_table(
        "reports",
        sa.Column("study_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("doi", sa.String(), nullable=False),
        sa.Column("pmid", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], name=op.f("fk_reports_study_id_studies")),
        sa.PrimaryKeyConstraint("study_id", "id", name=op.f("pk_reports")),
    )
    op.create_table(
        "arms",
        sa.Column("study_id", sa.String(), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("intervention", sa.Text(), nullable=False),
        sa.Column("dose", sa.Double(), nullable=True),
        sa.Column("dose_unit", sa.String(), nullable=False),
        sa.Column("frequency", sa.String(), nullable=False),
        sa.Column("duration", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], name=op.f("fk_arms_study_id_studies")),
        sa.PrimaryKeyConstraint("study_id", "id", name=op.f("pk_arms")),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("lower_is_better", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_table(
        "reported_totals",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("population", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reported_totals")),
    )
    op.create_table(
        "analyses",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("outcome_id", sa.String(), nullable=False),
        sa.Column("timepoint", sa.String(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["outcome_id"], ["outcomes.id"],
                                name=op.f("fk_analyses_outcome_id_outcomes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyses")),
    )
    op.create_table(
        "extracted_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(), nullable=False),
        sa.Column("arm_id", sa.String(), nullable=False),
        sa.Column("outcome_id", sa.String(), nullable=False),
        sa.Column("timepoint", sa.String(), nullable=False),
        sa.Column("statistic", sa.String(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("report_id", sa.String(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("extractor", sa.String(), nullable=False),
        sa.Column("extracted_at", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["outcome_id"], ["outcomes.id"],
                                name=op.f("fk_extracted_values_outcome_id_outcomes")),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"],
                                name=op.f("fk_extracted_values_study_id_studies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extracted_values")),
        sa.UniqueConstraint("study_id", "arm_id", "outcome_id", "timepoint", "statistic", "extractor",
                            name=op.f("uq_extracted_values_study_id")),
    )
    op.create_table(
        "resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.String(), nullable=False),
        sa.Column("arm_id", sa.String(), nullable=False),
        sa.Column("outcome_id", sa.String(), nullable=False),
        sa.Column("timepoint", sa.String(), nullable=False),
        sa.Column("statistic", sa.String(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("resolved_by", sa.String(), nullable=False),
        sa.Column("resolved_at", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["outcome_id"], ["outcomes.id"],
                                name=op.f("fk_resolutions_outcome_id_outcomes")),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"],
                                name=op.f("fk_resolutions_study_id_studies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolutions")),
        sa.UniqueConstraint("study_id", "arm_id", "outcome_id", "timepoint", "statistic",
                            name=op.f("uq_resolutions_study_id")),
    )
    op.create_table(
        "appraisals",
        sa.Column("study_id", sa.String(), nullable=False),
        sa.Column("tool", sa.String(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"],
                                name=op.f("fk_appraisals_study_id_studies")),
        sa.PrimaryKeyConstraint("study_id", "tool", name=op.f("pk_appraisals")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=True),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.CheckConstraint("action IN ('create', 'update', 'delete')", name=op.f("ck_audit_log_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}[dialect]:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    for table in ("audit_log", "appraisals", "resolutions", "extracted_values", "analyses",
                  "reported_totals", "outcomes", "arms", "reports", "studies", "locations",
                  "prisma_counts", "searches", "criteria", "protocol", "project"):
        op.drop_table(table)
