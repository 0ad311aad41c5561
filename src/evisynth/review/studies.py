"""From included records to studies: make, join and split studies (pure functions).

A record included at full text becomes a report of a study; its report id is the record's
project id (as text), so that a study always says which records it rests on. A study is
labelled by its first author's family name and year ("Brink 1951"), as Cochrane reviews
label them; its id is that label in lower case without spaces ("brink1951"), with "b", "c",
… added when two studies would share it.

Joining moves the reports, arms and extracted values of several studies into the first
(a conference abstract and the full article are one study); splitting moves some reports
of a study into a new study. Both refuse what would lose or mix data: a join of studies
whose arms clash, a split that would leave a study without reports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from evisynth.review.errors import DomainError
from evisynth.review.extraction import Resolution
from evisynth.review.model import Report, Review, Study
from evisynth.review.records import Record


@dataclass(frozen=True)
class IncludedRecord:
    """A record included at full text, with its project id."""

    id: int
    record: Record


def first_author(authors: Sequence[str]) -> str:
    """The first author's family name: "Brink, W. R." and "Brink WRR" give "Brink";
    a name without spaces (张三) is kept whole."""
    if not authors:
        return ""
    name = authors[0].strip()
    if "," in name:
        return name.split(",", 1)[0].strip()
    return name.split()[0] if " " in name else name


def citation(record: Record) -> str:
    """A one-line citation: authors. Title. Journal Year;Volume(Issue):Pages."""
    authors = ", ".join(record.authors[:6]) + (", et al" if len(record.authors) > 6 else "")
    source = record.journal
    if record.year is not None:
        source += f" {record.year}"
    if record.volume:
        source += f";{record.volume}" + (f"({record.issue})" if record.issue else "")
    if record.pages:
        source += f":{record.pages}"
    parts = [p.strip().rstrip(".") for p in (authors, record.title, source) if p.strip()]
    return ". ".join(parts) + "." if parts else ""


def report_of(item: IncludedRecord) -> Report:
    r = item.record
    return Report(id=str(item.id), citation=citation(r), year=r.year, doi=r.doi, pmid=r.pmid,
                  language=r.language)


def _slug(label: str) -> str:
    text = unicodedata.normalize("NFKC", label).lower()
    return re.sub(r"[^\w]+", "", text) or "study"


def _free_id(label: str, taken: set[str]) -> str:
    base = _slug(label)
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = base + ("" if n == 1 else chr(ord("a") + n - 1))
    return candidate


def _free_label(label: str, taken: set[str]) -> str:
    if label not in taken:
        return label
    n = 2
    while f"{label}{chr(ord('a') + n - 1)}" in taken:
        n += 1
    return f"{label}{chr(ord('a') + n - 1)}"


def record_ids(review: Review) -> dict[int, str]:
    """Record id → the study whose report it is (reports made from records only)."""
    return {int(r.id): s.id for s in review.studies for r in s.reports if r.id.isdigit()}


def studies_from_records(review: Review,
                         included: Iterable[IncludedRecord]) -> tuple[Review, tuple[str, ...]]:
    """A new study for each included record that is not yet a report of a study.

    Returns the review with the new studies appended (in record order) and their ids.
    """
    known = record_ids(review)
    ids = {s.id for s in review.studies}
    labels = {s.label for s in review.studies}
    new: list[Study] = []
    for item in sorted(included, key=lambda i: i.id):
        if item.id in known:
            continue
        r = item.record
        author = first_author(r.authors) or (r.title.split()[0] if r.title.split() else "Record")
        label = _free_label(f"{author} {r.year}" if r.year is not None else author, labels)
        study_id = _free_id(label, ids)
        ids.add(study_id)
        labels.add(label)
        new.append(Study(id=study_id, label=label, year=r.year, reports=(report_of(item),)))
    return replace(review, studies=(*review.studies, *new)), tuple(s.id for s in new)


def _study(review: Review, study_id: str) -> Study:
    try:
        return review.study(study_id)
    except KeyError:
        raise DomainError(f"no study {study_id!r}; the studies are "
                          f"{', '.join(s.id for s in review.studies[:12]) or 'none yet'} "
                          "(evisynth study list)") from None


def join_studies(review: Review, resolutions: Sequence[Resolution], study_ids: Sequence[str], *,
                 label: str = "") -> tuple[Review, tuple[Resolution, ...]]:
    """Merge ``study_ids[1:]`` into ``study_ids[0]``: reports, arms (by id), characteristics
    and extracted values and resolutions (re-keyed to the kept study). ``label`` renames the
    kept study. Refused when an arm id is in two studies with different contents, or when
    two studies hold a value for the same key by the same extractor."""
    if len(study_ids) < 2 or len(set(study_ids)) != len(study_ids):
        raise DomainError("join needs two or more different studies (got "
                          f"{', '.join(study_ids) or 'none'}); name the kept study first")
    kept, *others = (_study(review, s) for s in study_ids)
    gone = {s.id for s in others}
    reports = list(kept.reports)
    arms = {a.id: a for a in kept.arms}
    characteristics = dict(kept.characteristics)
    for other in others:
        reports.extend(other.reports)
        for arm in other.arms:
            if arm.id in arms and arms[arm.id] != arm:
                raise DomainError(f"arm {arm.id!r} differs between studies {kept.id!r} and "
                                  f"{other.id!r}; make the arms the same, or remove one, before "
                                  "joining")
            arms.setdefault(arm.id, arm)
        for key, text in other.characteristics.items():
            characteristics.setdefault(key, text)
    merged = replace(kept, label=label or kept.label, reports=tuple(reports),
                     arms=tuple(arms.values()), characteristics=characteristics,
                     year=kept.year if kept.year is not None else next(
                         (o.year for o in others if o.year is not None), None))
    values = []
    seen: set[tuple[tuple[str, ...], str]] = set()
    for v in review.values:
        moved = replace(v, study=kept.id) if v.study in gone else v
        mark = (moved.key, moved.provenance.extractor)
        if mark in seen:
            raise DomainError(f"studies {', '.join(study_ids)} both hold {'/'.join(moved.key)} "
                              f"by {moved.provenance.extractor!r}; keep one value before joining")
        seen.add(mark)
        values.append(moved)
    moved_resolutions = [replace(r, study=kept.id) if r.study in gone else r for r in resolutions]
    if len({r.key for r in moved_resolutions}) != len(moved_resolutions):
        raise DomainError(f"studies {', '.join(study_ids)} both hold a resolution for the same "
                          "value; keep one before joining")
    studies = tuple(merged if s.id == kept.id else s for s in review.studies if s.id not in gone)
    return replace(review, studies=studies, values=tuple(values)), tuple(moved_resolutions)


def split_study(review: Review, study_id: str, report_ids: Sequence[str], *,
                label: str = "") -> tuple[Review, str]:
    """Move ``report_ids`` of a study into a new study (placed after it); returns the review
    and the new study's id. Arms, values and characteristics stay with the first study."""
    study = _study(review, study_id)
    have = [r.id for r in study.reports]
    missing = [r for r in report_ids if r not in have]
    if missing or not report_ids:
        raise DomainError(f"study {study_id!r} has reports {', '.join(have) or 'none'}; name one "
                          f"or more of them to split off (got {', '.join(report_ids) or 'none'})")
    if len(set(report_ids)) == len(have):
        raise DomainError(f"splitting off every report of {study_id!r} would leave it empty; "
                          "keep at least one report")
    moved = [r for r in study.reports if r.id in report_ids]
    year = next((r.year for r in moved if r.year is not None), None)
    taken_labels = {s.label for s in review.studies}
    base = label or next((s.label for s in review.studies if s.id == study_id), "")
    new_label = label or _free_label(base, taken_labels)
    new_id = _free_id(new_label, {s.id for s in review.studies})
    new = Study(id=new_id, label=new_label, year=year, design=study.design, reports=tuple(moved))
    kept = replace(study, reports=tuple(r for r in study.reports if r.id not in report_ids))
    studies: list[Study] = []
    for s in review.studies:
        studies.extend((kept, new) if s.id == study_id else (s,))
    return replace(review, studies=tuple(studies)), new_id
