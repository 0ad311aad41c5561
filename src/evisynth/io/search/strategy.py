"""A search strategy written as YAML: concepts of subject headings and free text.

::

    date_to: 2023/01/31
    concepts:
      - name: vitamin K2
        role: intervention          # condition | intervention | other (for ClinicalTrials.gov)
        headings: [Vitamin K 2]     # MeSH
        free_text: [vitamin K2, menaquinone*, MK-4]
      - name: chronic kidney disease
        role: condition
        headings: ["Renal Insufficiency, Chronic"]
        free_text: [chronic kidney disease, CKD]

Read into :class:`evisynth.review.search.Strategy`; every problem is reported with the file
and the concept it is in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evisynth.io.search._http import SearchError
from evisynth.review.errors import DomainError
from evisynth.review.search import Concept, Strategy

_CONCEPT_KEYS = {"name", "role", "headings", "free_text", "explode"}
_TOP_KEYS = {"concepts", "date_from", "date_to", "free_text_field"}


def _terms(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return tuple(str(v) for v in value)
    raise SearchError(f"{where}: must be a list of terms")


def read_strategy(path: str | Path) -> Strategy:
    """The strategy in the YAML file at ``path``."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SearchError(f"{file}: no such file; check the path") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SearchError(f"{file}: not a readable YAML strategy ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("concepts"), list):
        raise SearchError(f"{file}: a strategy needs a 'concepts:' list (see evisynth.io.search.strategy)")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise SearchError(f"{file}: unknown key {unknown[0]!r}; use {', '.join(sorted(_TOP_KEYS))}")
    concepts: list[Concept] = []
    for number, item in enumerate(data["concepts"], start=1):
        where = f"{file}, concept {number}"
        if not isinstance(item, dict):
            raise SearchError(f"{where}: must be a mapping with name, headings and free_text")
        bad = sorted(set(item) - _CONCEPT_KEYS)
        if bad:
            raise SearchError(f"{where}: unknown key {bad[0]!r}; use {', '.join(sorted(_CONCEPT_KEYS))}")
        try:
            concepts.append(Concept(
                name=str(item.get("name", f"concept {number}")),
                headings=_terms(item.get("headings"), f"{where} headings"),
                free_text=_terms(item.get("free_text"), f"{where} free_text"),
                role=str(item.get("role", "other")), explode=bool(item.get("explode", True))))
        except DomainError as exc:
            raise SearchError(f"{where}: {exc}") from exc
    try:
        return Strategy(tuple(concepts), date_from=str(data.get("date_from") or ""),
                        date_to=str(data.get("date_to") or ""),
                        free_text_field=str(data.get("free_text_field", "tiab")))
    except DomainError as exc:
        raise SearchError(f"{file}: {exc}") from exc
