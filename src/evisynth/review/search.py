"""Search strategies as the review writes them: concepts of subject headings plus free text.

Seed 000 (§2.3) searched "主题词 + 自由词" (subject headings + free text): each concept of the
question (vitamin K2; chronic kidney disease; vascular calcification) is its MeSH heading(s)
OR its free-text synonyms, and the concepts are combined with AND. This module turns one such
:class:`Strategy` into each database's syntax; it does no I/O (the clients are in
``evisynth.io.search``).

PubMed (:func:`pubmed_term`)::

    ("Vitamin K 2"[Mesh] OR menaquinone*[tiab] OR "vitamin K2"[tiab]) AND (…)

ClinicalTrials.gov API v2 (:func:`ctgov_params`): condition concepts go to ``query.cond``,
intervention concepts to ``query.intr``, the others to ``query.term``; headings and free
text are OR-ed as phrases (the registry's search expands synonyms itself, so a MeSH heading
is searched as its words). Truncation (``*``) is PubMed syntax and is dropped for the registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evisynth.review.errors import DomainError
from evisynth.review.model import _Plain

#: Where a concept goes in ClinicalTrials.gov's query parameters.
ROLES: tuple[str, ...] = ("condition", "intervention", "other")
#: PubMed field tags for free text: title/abstract by default.
FREE_TEXT_FIELDS: tuple[str, ...] = ("tiab", "ti", "tw", "all")
_DATE = re.compile(r"^\d{4}(?:/\d{2}(?:/\d{2})?)?$")


def _check_term(term: str, concept: str) -> str:
    cleaned = " ".join(term.split())
    if not cleaned:
        raise DomainError(f"concept {concept!r} has an empty term; remove it")
    if any(c in cleaned for c in '"[]()'):
        raise DomainError(f"concept {concept!r}: term {term!r} holds quotes, brackets or parentheses; "
                          "give the bare words (the builder quotes and tags them)")
    return cleaned


@dataclass(frozen=True)
class Concept(_Plain):
    """One concept: MeSH ``headings`` OR ``free_text`` synonyms (``*`` truncates in PubMed)."""

    name: str
    headings: tuple[str, ...] = ()
    free_text: tuple[str, ...] = ()
    role: str = "other"
    explode: bool = True

    def __post_init__(self) -> None:
        if not self.headings and not self.free_text:
            raise DomainError(f"concept {self.name!r} has no heading and no free text; give at least one")
        if self.role not in ROLES:
            raise DomainError(f"concept {self.name!r}: role must be one of {', '.join(ROLES)} "
                              f"(got {self.role!r})")
        object.__setattr__(self, "headings", tuple(_check_term(t, self.name) for t in self.headings))
        object.__setattr__(self, "free_text", tuple(_check_term(t, self.name) for t in self.free_text))


@dataclass(frozen=True)
class Strategy(_Plain):
    """Concepts AND-combined; optional publication-date limits as ``YYYY[/MM[/DD]]``."""

    concepts: tuple[Concept, ...]
    date_from: str = ""
    date_to: str = ""
    free_text_field: str = "tiab"

    def __post_init__(self) -> None:
        if not self.concepts:
            raise DomainError("a strategy needs at least one concept")
        for name, value in (("date_from", self.date_from), ("date_to", self.date_to)):
            if value and not _DATE.match(value):
                raise DomainError(f"{name} must be YYYY, YYYY/MM or YYYY/MM/DD (got {value!r})")
        if self.free_text_field not in FREE_TEXT_FIELDS:
            raise DomainError(f"free_text_field must be one of {', '.join(FREE_TEXT_FIELDS)} "
                              f"(got {self.free_text_field!r})")


def _phrase(term: str) -> str:
    return f'"{term}"' if " " in term or "-" in term else term


def pubmed_concept(concept: Concept, field: str = "tiab") -> str:
    """One concept in PubMed syntax: ``("Heading"[Mesh] OR term[tiab] OR …)``."""
    mesh = "Mesh" if concept.explode else "Mesh:NoExp"
    parts = [f'"{h}"[{mesh}]' for h in concept.headings]
    parts += [f"{_phrase(t)}[{field}]" for t in concept.free_text]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def pubmed_term(strategy: Strategy) -> str:
    """The whole strategy as one PubMed query (dates go to esearch's mindate/maxdate)."""
    return " AND ".join(pubmed_concept(c, strategy.free_text_field) for c in strategy.concepts)


def _ctgov_concept(concept: Concept) -> str:
    terms: list[str] = []
    for t in (*concept.headings, *concept.free_text):
        bare = t.replace("*", "").strip()
        if bare and bare.lower() not in (x.lower().strip('"') for x in terms):
            terms.append(f'"{bare}"' if " " in bare or "-" in bare else bare)
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def _iso(date: str, default: str) -> str:
    return date.replace("/", "-") if date else default


def ctgov_params(strategy: Strategy) -> dict[str, str]:
    """``query.cond`` / ``query.intr`` / ``query.term`` for ClinicalTrials.gov API v2, and the
    date limits as ``filter.advanced=AREA[StudyFirstPostDate]RANGE[from,to]``."""
    out: dict[str, str] = {}
    for role, param in (("condition", "query.cond"), ("intervention", "query.intr"),
                        ("other", "query.term")):
        concepts = [_ctgov_concept(c) for c in strategy.concepts if c.role == role]
        if concepts:
            out[param] = " AND ".join(concepts)
    if strategy.date_from or strategy.date_to:
        out["filter.advanced"] = (f"AREA[StudyFirstPostDate]RANGE[{_iso(strategy.date_from, 'MIN')},"
                                  f"{_iso(strategy.date_to, 'MAX')}]")
    return out
