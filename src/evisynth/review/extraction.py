"""Dual independent extraction: compare two extractors, list discrepancies, apply resolutions.

Seed 000's method: two researchers extract independently; a third resolves disagreements.
Two values agree when they are equal after unit normalisation within ``relative_tolerance``
(default: exact to 1e-9, i.e. the same printed number).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from evisynth.review.errors import DomainError
from evisynth.review.model import ExtractedValue, Provenance, _Plain

Key = tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Resolution(_Plain):
    """The third person's decision on one key: the value that stands, who decided and why."""

    study: str
    arm: str
    outcome: str
    timepoint: str
    statistic: str
    value: float
    unit: str
    resolved_by: str
    resolved_at: str = ""
    note: str = ""

    @property
    def key(self) -> Key:
        return (self.study, self.arm, self.outcome, self.timepoint, self.statistic)


@dataclass(frozen=True)
class Discrepancy(_Plain):
    """A key on which the two extractors disagree (or which only one extracted)."""

    key: Key
    first: ExtractedValue | None
    second: ExtractedValue | None
    kind: str  # "different value", "different unit", "only first", "only second"


@dataclass(frozen=True)
class ExtractionComparison(_Plain):
    """Agreement between two extractors over the keys either of them extracted."""

    first: str
    second: str
    agreed: tuple[ExtractedValue, ...]  # the first extractor's copy of each agreed value
    discrepancies: tuple[Discrepancy, ...]

    @property
    def keys_compared(self) -> int:
        return len(self.agreed) + len(self.discrepancies)

    @property
    def agreement(self) -> float:
        """Proportion of compared keys on which both extracted the same value (0..1)."""
        n = self.keys_compared
        return len(self.agreed) / n if n else 1.0


def _by_key(values: Iterable[ExtractedValue], extractor: str) -> dict[Key, ExtractedValue]:
    out: dict[Key, ExtractedValue] = {}
    for v in values:
        if v.provenance.extractor != extractor:
            continue
        if v.key in out:
            raise DomainError(
                f"extractor {extractor!r} has two values for {'/'.join(v.key)}; keep one"
            )
        out[v.key] = v
    return out


def compare_extractions(
    values: Iterable[ExtractedValue],
    first: str,
    second: str,
    *,
    relative_tolerance: float = 1e-9,
) -> ExtractionComparison:
    """The discrepancy list between extractors ``first`` and ``second``."""
    values = tuple(values)
    a, b = _by_key(values, first), _by_key(values, second)
    if not a and not b:
        raise DomainError(f"no values from extractors {first!r} or {second!r}; check the names")
    agreed: list[ExtractedValue] = []
    found: list[Discrepancy] = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if va is None or vb is None:
            found.append(Discrepancy(key, va, vb, "only second" if va is None else "only first"))
        elif va.unit != vb.unit:
            found.append(Discrepancy(key, va, vb, "different unit"))
        elif abs(va.value - vb.value) > relative_tolerance * max(abs(va.value), abs(vb.value)):
            found.append(Discrepancy(key, va, vb, "different value"))
        else:
            agreed.append(va)
    return ExtractionComparison(first, second, tuple(agreed), tuple(found))


def consensus(
    comparison: ExtractionComparison, resolutions: Iterable[Resolution]
) -> tuple[tuple[ExtractedValue, ...], tuple[Discrepancy, ...]]:
    """Values that stand (agreed, or resolved by the arbiter) and discrepancies still open.

    A resolution for a key that has no discrepancy is refused: the arbiter resolves
    conflicts only.
    """
    by_key = {d.key: d for d in comparison.discrepancies}
    settled: dict[Key, ExtractedValue] = {}
    for r in resolutions:
        d = by_key.get(r.key)
        if d is None:
            raise DomainError(
                f"resolution for {'/'.join(r.key)} has no discrepancy to resolve; "
                "remove it or check the key"
            )
        source = d.first or d.second
        assert source is not None  # a discrepancy has at least one side
        settled[r.key] = replace(
            source,
            value=r.value,
            unit=r.unit,
            provenance=Provenance(
                report=source.provenance.report,
                location=source.provenance.location,
                quote=source.provenance.quote,
                extractor=f"resolved by {r.resolved_by}",
                extracted_at=r.resolved_at,
            ),
        )
    open_ = tuple(d for d in comparison.discrepancies if d.key not in settled)
    return (*comparison.agreed, *settled.values()), open_


def standing_values(
    values: Iterable[ExtractedValue],
    resolutions: Iterable[Resolution],
    *,
    relative_tolerance: float = 1e-9,
) -> tuple[tuple[ExtractedValue, ...], tuple[Key, ...]]:
    """The one value that stands for each key, whoever extracted it, and the keys still open.

    A key stands with the arbiter's resolution when there is one, else with its value when
    every extractor who extracted it gave the same number and unit (a key extracted once
    stands as it is). Keys on which extractors disagree and that nobody resolved are open:
    they are left out of the values, so that no analysis uses a number still in dispute.
    """
    by_key: dict[Key, list[ExtractedValue]] = {}
    for v in values:
        by_key.setdefault(v.key, []).append(v)
    resolved = {r.key: r for r in resolutions}
    standing: list[ExtractedValue] = []
    still_open: list[Key] = []
    for key in sorted(by_key):
        found = by_key[key]
        first = found[0]
        r = resolved.get(key)
        if r is not None:
            standing.append(replace(first, value=r.value, unit=r.unit, provenance=replace(
                first.provenance, extractor=f"resolved by {r.resolved_by}",
                extracted_at=r.resolved_at)))
        elif all(v.unit == first.unit and abs(v.value - first.value)
                 <= relative_tolerance * max(abs(v.value), abs(first.value)) for v in found):
            standing.append(first)
        else:
            still_open.append(key)
    return tuple(standing), tuple(still_open)
