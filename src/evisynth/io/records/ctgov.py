"""ClinicalTrials.gov API v2 JSON: what ``evisynth search ctgov`` saves, or one API page.

Read: the ``studies`` list of ``{"studies": [...]}`` (a saved search or a ``/api/v2/studies``
page), or a bare list of studies. Clean: the official title (else the brief title), the
year first posted (else the start date), the brief summary as abstract, conditions and
keywords as keywords, the NCT number kept with the registry's name in ``journal``
("ClinicalTrials.gov NCT01234567") so that a registration stays recognisable. Each entry's
original text is the study's JSON.
"""

from __future__ import annotations

import json
from typing import Any

from evisynth.io.records._base import MAX_ENTRIES, RawEntry, fail
from evisynth.review.normalize import make_record
from evisynth.review.records import RawField, Record

FORMAT = "ctgov_json"
_FIX = "save the search again with evisynth search ctgov, or download JSON from the API v2"


def looks_like(text: str) -> bool:
    head = text.lstrip("\ufeff \r\n\t")[:20000]
    return head[:1] in "{[" and '"protocolSection"' in head


def _get(study: dict[str, Any], *path: str) -> Any:
    node: Any = study
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int | float) and str(v).strip()]
    return [str(value)] if isinstance(value, str | int | float) and str(value).strip() else []


def parse(text: str, *, path: str) -> list[RawEntry]:
    try:
        data = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise fail(path, exc.lineno, f"not valid JSON ({exc.msg})", _FIX) from exc
    studies = data.get("studies") if isinstance(data, dict) else data
    if not isinstance(studies, list) or not studies:
        raise fail(path, None, "no 'studies' list with studies in it", _FIX)
    if len(studies) > MAX_ENTRIES:
        raise fail(path, None, f"more than {MAX_ENTRIES} studies", "split the file")
    entries: list[RawEntry] = []
    for number, study in enumerate(studies, start=1):
        if not isinstance(study, dict) or _get(study, "protocolSection", "identificationModule") is None:
            raise fail(path, None, f"study {number} has no protocolSection.identificationModule", _FIX)
        ident = "protocolSection", "identificationModule"
        status = "protocolSection", "statusModule"
        fields = {
            "NCT": _strings(_get(study, *ident, "nctId")),
            "Title": _strings(_get(study, *ident, "officialTitle"))
            or _strings(_get(study, *ident, "briefTitle")),
            "Posted": _strings(_get(study, *status, "studyFirstPostDateStruct", "date"))
            or _strings(_get(study, *status, "startDateStruct", "date")),
            "Summary": _strings(_get(study, "protocolSection", "descriptionModule", "briefSummary")),
            "Conditions": _strings(_get(study, "protocolSection", "conditionsModule", "conditions")),
            "Keywords": _strings(_get(study, "protocolSection", "conditionsModule", "keywords")),
            "Sponsor": _strings(_get(study, "protocolSection", "sponsorCollaboratorsModule", "leadSponsor",
                                     "name")),
        }
        if not fields["NCT"] or not fields["Title"]:
            raise fail(path, None, f"study {number} has no NCT number or title", _FIX)
        entry = RawEntry(line=None, text=json.dumps(study, ensure_ascii=False))
        entry.fields.extend(RawField(tag, value) for tag, values in fields.items() for value in values)
        entries.append(entry)
    return entries


def clean(entry: RawEntry) -> dict[str, list[str]]:
    nct = entry.values("NCT")[0]
    out: dict[str, list[str]] = {
        "title": entry.values("Title"),
        "authors": entry.values("Sponsor"),
        "year": entry.values("Posted"),
        "journal": [f"ClinicalTrials.gov {nct}"],
        "abstract": entry.values("Summary"),
        "keywords": entry.values("Conditions", "Keywords"),
        "record_type": ["report"],
    }
    return {k: v for k, v in out.items() if v}


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database or "ClinicalTrials.gov", line=None)
        for i, e in enumerate(parse(text, path=path), start=1)
    )
