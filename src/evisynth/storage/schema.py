"""The project database: SQLAlchemy 2 declarative tables for one review project.

The domain model (``evisynth.review.model``) is not this schema: ``_rows`` maps one to the
other, and every change here ships an Alembic revision in ``migrations/versions`` (a test
compares these tables with the migrated database).

One database (one SQLite file, or one PostgreSQL database or schema) holds one project.
Natural ids are the keys (``studies.id``, ``(arms.study_id, arms.id)``, …) because the
bundle, the audit log and the user all speak them; ordered children carry a ``position``.
An extracted value's ``arm_id`` and ``report_id`` may be empty ("" = the whole study, or the
review itself), so they are checked by the repository rather than by foreign keys.

``audit_log`` is append-only: the migration installs triggers that refuse UPDATE and DELETE
(and TRUNCATE on PostgreSQL), and the repository has no code path that changes a row.

Imported bibliographic records (revision 0002) have integer ids, since exports carry no key
of their own: ``import_batches`` says what one import call read, ``records`` holds each entry
with its provenance, original text and normalized fields, and ``record_links`` the duplicate
links between records. Links are never deleted (triggers refuse DELETE); a decision on a
link updates its status, and the audit log keeps every earlier state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so that later revisions (and SQLite batch rebuilds) can name them;
# short enough for PostgreSQL's 63 characters.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

AUDIT_ACTIONS = ("create", "update", "delete")
LINK_STATUSES = ("auto", "needs_review", "accepted", "rejected")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProjectRow(Base):
    """The review this database holds (one row, id 1)."""

    __tablename__ = "project"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    review_id: Mapped[str] = mapped_column(String)
    source: Mapped[str] = mapped_column(Text)


class ProtocolRow(Base):
    """The protocol (one row, id 1); PICO outcomes as a JSON list of text."""

    __tablename__ = "protocol"

    id: Mapped[int] = mapped_column(ForeignKey("project.id"), primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(Text)
    question: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String)
    picos_population: Mapped[str] = mapped_column(Text)
    picos_intervention: Mapped[str] = mapped_column(Text)
    picos_comparator: Mapped[str] = mapped_column(Text)
    picos_outcomes: Mapped[list[Any]] = mapped_column(JSON)
    picos_study_design: Mapped[str] = mapped_column(Text)
    synthesis_plan: Mapped[str] = mapped_column(Text)


class CriterionRow(Base):
    """An inclusion or exclusion criterion; ids are unique across both lists (I1, E1, …)."""

    __tablename__ = "criteria"
    __table_args__ = (CheckConstraint("kind IN ('inclusion', 'exclusion')", name="kind"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)


class SearchRow(Base):
    """One database search of the protocol, keyed by its place in the list."""

    __tablename__ = "searches"

    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    database: Mapped[str] = mapped_column(String)
    query: Mapped[str] = mapped_column(Text)
    date_range: Mapped[str] = mapped_column(String)
    searched_on: Mapped[str] = mapped_column(String)
    records: Mapped[int | None] = mapped_column(Integer)


class PrismaCountsRow(Base):
    """PRISMA flow counts as the review reports them (one row, id 1)."""

    __tablename__ = "prisma_counts"

    id: Mapped[int] = mapped_column(ForeignKey("project.id"), primary_key=True, autoincrement=False)
    identified: Mapped[int | None] = mapped_column(Integer)
    identified_by_source: Mapped[dict[str, Any]] = mapped_column(JSON)
    duplicates_removed: Mapped[int | None] = mapped_column(Integer)
    screened: Mapped[int | None] = mapped_column(Integer)
    excluded_title_abstract: Mapped[int | None] = mapped_column(Integer)
    assessed_full_text: Mapped[int | None] = mapped_column(Integer)
    excluded_full_text: Mapped[int | None] = mapped_column(Integer)
    full_text_exclusion_reasons: Mapped[dict[str, Any]] = mapped_column(JSON)
    included: Mapped[int | None] = mapped_column(Integer)


class LocationRow(Base):
    """A short name for a place in the review's source (``T2`` → "Table 2, p. 655")."""

    __tablename__ = "locations"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class StudyRow(Base):
    __tablename__ = "studies"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String)
    year: Mapped[int | None] = mapped_column(Integer)
    design: Mapped[str] = mapped_column(String)
    country: Mapped[str] = mapped_column(String)
    centres: Mapped[str] = mapped_column(String)
    population: Mapped[str] = mapped_column(Text)
    characteristics: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReportRow(Base):
    __tablename__ = "reports"

    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    citation: Mapped[str] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    doi: Mapped[str] = mapped_column(String)
    pmid: Mapped[str] = mapped_column(String)
    language: Mapped[str] = mapped_column(String)


class ArmRow(Base):
    __tablename__ = "arms"

    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String)
    n: Mapped[int | None] = mapped_column(Integer)
    intervention: Mapped[str] = mapped_column(Text)
    dose: Mapped[float | None] = mapped_column(Double)
    dose_unit: Mapped[str] = mapped_column(String)
    frequency: Mapped[str] = mapped_column(String)
    duration: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)


class OutcomeRow(Base):
    __tablename__ = "outcomes"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String)
    unit: Mapped[str] = mapped_column(String)
    lower_is_better: Mapped[bool | None] = mapped_column(Boolean)
    measure: Mapped[str] = mapped_column(String, server_default=sql_text("''"))
    # NULL never written (revision 0006 filled the rows before it with []); nullable because a
    # JSON column has no server default PostgreSQL can compare
    timepoints: Mapped[list[Any] | None] = mapped_column(JSON)


class ReportedTotalRow(Base):
    __tablename__ = "reported_totals"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String)
    population: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)


class AnalysisRow(Base):
    """A planned synthesis; ``settings`` holds measure, model, method, tau2 and studies."""

    __tablename__ = "analyses"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id"))
    timepoint: Mapped[str] = mapped_column(String)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    rationale: Mapped[str] = mapped_column(Text)


class ExtractedValueRow(Base):
    """One extracted number with its provenance; one row per key per extractor."""

    __tablename__ = "extracted_values"
    __table_args__ = (
        UniqueConstraint("study_id", "arm_id", "outcome_id", "timepoint", "statistic", "extractor"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"))
    arm_id: Mapped[str] = mapped_column(String)
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id"))
    timepoint: Mapped[str] = mapped_column(String)
    statistic: Mapped[str] = mapped_column(String)
    value: Mapped[float] = mapped_column(Double)
    unit: Mapped[str] = mapped_column(String)
    report_id: Mapped[str] = mapped_column(String)
    location: Mapped[str] = mapped_column(Text)
    quote: Mapped[str] = mapped_column(Text)
    extractor: Mapped[str] = mapped_column(String)
    extracted_at: Mapped[str] = mapped_column(String)


class ResolutionRow(Base):
    """The arbiter's decision on a key where the extractors disagreed (one per key)."""

    __tablename__ = "resolutions"
    __table_args__ = (UniqueConstraint("study_id", "arm_id", "outcome_id", "timepoint", "statistic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"))
    arm_id: Mapped[str] = mapped_column(String)
    outcome_id: Mapped[str] = mapped_column(ForeignKey("outcomes.id"))
    timepoint: Mapped[str] = mapped_column(String)
    statistic: Mapped[str] = mapped_column(String)
    value: Mapped[float] = mapped_column(Double)
    unit: Mapped[str] = mapped_column(String)
    resolved_by: Mapped[str] = mapped_column(String)
    resolved_at: Mapped[str] = mapped_column(String)
    note: Mapped[str] = mapped_column(Text)


class AppraisalRow(Base):
    """A study's answers to one appraisal tool (jadad, rob1, rob2, …) as the tool's JSON."""

    __tablename__ = "appraisals"

    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), primary_key=True)
    tool: Mapped[str] = mapped_column(String, primary_key=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditLogRow(Base):
    """One change: who, when, what (entity, id, field) and the value before and after.

    ``old_value`` and ``new_value`` are JSON text (NULL when there was no value: a create has
    no old value, a delete no new one). Append-only, enforced by database triggers.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("action IN ('create', 'update', 'delete')", name="action"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    entity: Mapped[str] = mapped_column(String)
    entity_id: Mapped[str] = mapped_column(String)
    field: Mapped[str | None] = mapped_column(String)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class ImportBatchRow(Base):
    """One import call: its files (a JSON list of per-file summaries), who, when, how many."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[str] = mapped_column(String)
    source: Mapped[str] = mapped_column(String)
    encoding: Mapped[str] = mapped_column(String)
    files: Mapped[list[Any]] = mapped_column(JSON)
    record_count: Mapped[int] = mapped_column(Integer)
    warning_count: Mapped[int] = mapped_column(Integer)


class RecordRow(Base):
    """One imported entry: provenance, the original text, and ``Record``'s normalized fields.

    ``authors`` and ``keywords`` are JSON lists; ``line`` is NULL for formats without lines.
    """

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("import_batch", "source_file", "entry"),
        Index("ix_records_doi", "doi"),
        Index("ix_records_pmid", "pmid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_batch: Mapped[int] = mapped_column(ForeignKey("import_batches.id"))
    source_file: Mapped[str] = mapped_column(Text)
    entry: Mapped[int] = mapped_column(Integer)
    line: Mapped[int | None] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String)
    database: Mapped[str] = mapped_column(String)
    original: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(JSON)
    year: Mapped[int | None] = mapped_column(Integer)
    journal: Mapped[str] = mapped_column(Text)
    volume: Mapped[str] = mapped_column(String)
    issue: Mapped[str] = mapped_column(String)
    pages: Mapped[str] = mapped_column(String)
    doi: Mapped[str] = mapped_column(String)
    pmid: Mapped[str] = mapped_column(String)
    abstract: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[Any]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String)
    record_type: Mapped[str] = mapped_column(String)


class RecordLinkRow(Base):
    """``record_id`` duplicates ``duplicate_of``: score, rule, status and the latest decision.

    One link per ordered pair; never deleted (a trigger refuses it). Earlier statuses are in
    the audit log (entity ``record_link``).
    """

    __tablename__ = "record_links"
    __table_args__ = (
        UniqueConstraint("record_id", "duplicate_of"),
        CheckConstraint("status IN ('auto', 'needs_review', 'accepted', 'rejected')", name="status"),
        CheckConstraint("score >= 0 AND score <= 1", name="score"),
        CheckConstraint("record_id <> duplicate_of", name="distinct"),
        Index("ix_record_links_duplicate_of", "duplicate_of"),
        Index("ix_record_links_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    duplicate_of: Mapped[int] = mapped_column(ForeignKey("records.id"))
    score: Mapped[float] = mapped_column(Double)
    rule: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    decided_by: Mapped[str] = mapped_column(String)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


SCREENING_STAGES = ("ta", "ft")
SCREENING_ACTIONS = ("include", "exclude", "maybe", "retract")
FULL_TEXT_KINDS = ("file", "url", "not_retrieved")


class ScreeningDecisionRow(Base):
    """One screening event (``evisynth.review.screening.ScreeningEvent``); append-only.

    A decision, an undo (``decision = 'retract'``, ``undo`` true) or an arbiter's resolution.
    ``round`` counts the reviewer's earlier undos at this record and stage, so the unique key
    refuses a double submit in the database itself (two writers at the same moment: one wins,
    the other is refused and nothing is lost). Triggers refuse UPDATE and DELETE.
    """

    __tablename__ = "screening_decisions"
    __table_args__ = (
        UniqueConstraint("record_id", "stage", "reviewer", "role", "round", "undo"),
        CheckConstraint("stage IN ('ta', 'ft')", name="stage"),
        CheckConstraint("role IN ('reviewer', 'arbiter')", name="role"),
        CheckConstraint("decision IN ('include', 'exclude', 'maybe', 'retract')", name="decision"),
        CheckConstraint("(decision = 'retract') = undo", name="undo"),
        Index("ix_screening_decisions_record_id", "record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    stage: Mapped[str] = mapped_column(String)
    reviewer: Mapped[str] = mapped_column(String)
    role: Mapped[str] = mapped_column(String)
    decision: Mapped[str] = mapped_column(String)
    undo: Mapped[bool] = mapped_column(Boolean)
    round: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class FullTextRow(Base):
    """A record's full text: a file path or URL, or "not retrieved"; the newest row counts."""

    __tablename__ = "full_texts"
    __table_args__ = (
        CheckConstraint("kind IN ('file', 'url', 'not_retrieved')", name="kind"),
        Index("ix_full_texts_record_id", "record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    kind: Mapped[str] = mapped_column(String)
    location: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ScreeningSettingRow(Base):
    """Screening settings by name: ``reviewers`` (1 or 2), ``keywords`` ({include, exclude})."""

    __tablename__ = "screening_settings"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


REMOVAL_REASONS = ("automation", "other")


class RecordRemovalRow(Base):
    """A record removed before screening (revision 0005): PRISMA 2020's "marked as ineligible
    by automation tools" (``automation``) or "removed for other reasons" (``other``), with a
    note, who and when. Append-only (triggers refuse UPDATE and DELETE); one row per record.
    """

    __tablename__ = "record_removals"
    __table_args__ = (
        UniqueConstraint("record_id"),
        CheckConstraint("reason IN ('automation', 'other')", name="reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    reason: Mapped[str] = mapped_column(String)
    note: Mapped[str] = mapped_column(Text)
    removed_by: Mapped[str] = mapped_column(String)
    removed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# Web accounts (revision 0004). They live in the server's own database (``evisynth serve
# --data-dir``); a project database carries the same tables, empty.
WEB_ROLES = ("owner", "reviewer", "arbiter")


class UserRow(Base):
    """A web account; ``password_hash`` is an Argon2id hash (never the password)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    password_hash: Mapped[str] = mapped_column(String)
    is_admin: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class WebProjectRow(Base):
    """A project the server serves: its slug (URL part), title and database location."""

    __tablename__ = "web_projects"

    slug: Mapped[str] = mapped_column(String, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class MembershipRow(Base):
    """A user's role in one served project: owner, reviewer or arbiter."""

    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint("role IN ('owner', 'reviewer', 'arbiter')", name="role"),)

    project: Mapped[str] = mapped_column(ForeignKey("web_projects.slug"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String)


class WebSessionRow(Base):
    """A server-side login session; the cookie holds the token, the table its SHA-256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf: Mapped[str] = mapped_column(String)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class InvitationRow(Base):
    """An invitation to join a project with a role; the link holds the token, the table its hash."""

    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("role IN ('owner', 'reviewer', 'arbiter')", name="role"),)

    token_hash: Mapped[str] = mapped_column(String, primary_key=True)
    project: Mapped[str] = mapped_column(ForeignKey("web_projects.slug"))
    role: Mapped[str] = mapped_column(String)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LoginAttemptRow(Base):
    """One login attempt (account name as typed, client address), for throttling."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_name_ip_at", "name", "ip", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    ip: Mapped[str] = mapped_column(String)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
