"""The Jadad scale (Oxford quality scoring system) from the answers to its items.

Jadad AR, Moore RA, Carroll D, Jenkinson C, Reynolds DJM, Gavaghan DJ, McQuay HJ. Assessing the
quality of reports of randomized clinical trials: is blinding necessary? Control Clin Trials
1996;17:1-12 (appendix: the scale and the instructions for giving and deducting points).

The three questions, one point for each "yes":

1. Was the study described as randomised (words such as randomly, random, randomisation)?
2. Was the study described as double blind?
3. Was there a description of withdrawals and dropouts?

Then one additional point when the method of generating the randomisation sequence was
described and appropriate (table of random numbers, computer generated, ...), one point
deducted when it was described and inappropriate (alternation, date of birth, hospital
number, ...); likewise one point added when the method of double blinding was described and
appropriate (identical placebo, active placebo, dummy, ...) and one deducted when the trial is
described as double blind but the method was inappropriate (e.g. tablet vs injection with no
double dummy). The score runs from 0 to 5.

A method answer belongs to its question: the method of randomisation is scored only for a
trial described as randomised, the method of blinding only for one described as double blind.
Answering a method for a trial that is not so described is refused rather than ignored, so a
score can always be read back to the answers that made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from evisynth.review.errors import DomainError
from evisynth.review.model import _Plain

Method = Literal["not_described", "appropriate", "inappropriate"]
METHODS: tuple[Method, ...] = get_args(Method)
_METHOD_POINTS: dict[Method, int] = {"not_described": 0, "appropriate": 1, "inappropriate": -1}

#: Moher D et al. Lancet 1998;352:609-13: trials scoring 0 to 2 ("low quality") gave larger
#: estimates of benefit than trials scoring 3 to 5; many reviews, seed 000 among them, report
#: the split. It is a convention, not part of the 1996 scale.
LOW_QUALITY_MAX = 2

_BOOL_ITEMS = ("randomised", "double_blind", "withdrawals_described")
_METHOD_ITEMS = ("randomisation_method", "blinding_method")


@dataclass(frozen=True, kw_only=True)
class JadadAnswers(_Plain):
    """The answers to the Jadad items for one trial report.

    ``randomisation_method`` and ``blinding_method`` are ``not_described`` (the default),
    ``appropriate`` or ``inappropriate``; they may differ from ``not_described`` only when the
    trial is described as randomised (double blind).
    """

    randomised: bool
    randomisation_method: Method = "not_described"
    double_blind: bool
    blinding_method: Method = "not_described"
    withdrawals_described: bool

    def __post_init__(self) -> None:
        for name in _BOOL_ITEMS:
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise DomainError(f"Jadad '{name}' must be true or false (got {value!r}); "
                                  "answer the item with a yes or a no")
        for name in _METHOD_ITEMS:
            value = getattr(self, name)
            if value not in METHODS:
                raise DomainError(f"Jadad '{name}' must be one of {', '.join(METHODS)} (got {value!r}); "
                                  "say whether the report describes the method and whether it is appropriate")
        if not self.randomised and self.randomisation_method != "not_described":
            raise DomainError(
                f"Jadad 'randomisation_method' is {self.randomisation_method!r} but 'randomised' is false; "
                "the method is scored only for a trial described as randomised: set 'randomised' to true "
                "or 'randomisation_method' to 'not_described'"
            )
        if not self.double_blind and self.blinding_method != "not_described":
            raise DomainError(
                f"Jadad 'blinding_method' is {self.blinding_method!r} but 'double_blind' is false; "
                "the method is scored only for a trial described as double blind: set 'double_blind' to "
                "true or 'blinding_method' to 'not_described'"
            )

    @classmethod
    def from_dict(cls, answers: Mapping[str, Any], *, study: str = "") -> JadadAnswers:
        """The answers from their stored form (``appraisal.yaml``, tool ``jadad``).

        The three yes/no items are required; the two methods default to ``not_described``.
        Unknown keys are refused.
        """
        where = f" for {study}" if study else ""
        unknown = sorted(set(answers) - set(_BOOL_ITEMS) - set(_METHOD_ITEMS))
        if unknown:
            raise DomainError(f"Jadad answers{where} have unknown item(s) {', '.join(map(repr, unknown))}; "
                              f"the items are {', '.join(_BOOL_ITEMS + _METHOD_ITEMS)}")
        missing = [name for name in _BOOL_ITEMS if name not in answers]
        if missing:
            raise DomainError(f"Jadad answers{where} lack {', '.join(missing)}; answer every yes/no item")
        try:
            return cls(**{str(k): v for k, v in answers.items()})
        except DomainError as error:
            if not study:
                raise
            raise DomainError(f"{study}: {error}") from None


@dataclass(frozen=True)
class JadadItem(_Plain):
    """The points one part of the scale gave, and why."""

    item: str
    points: int
    reason: str


@dataclass(frozen=True)
class JadadScore(_Plain):
    """A Jadad score (0 to 5) with the points of each part of the scale."""

    study: str
    answers: JadadAnswers
    items: tuple[JadadItem, ...]
    score: int = field(init=False)
    low_quality: bool = field(init=False)

    def __post_init__(self) -> None:
        score = sum(i.points for i in self.items)
        object.__setattr__(self, "score", score)
        object.__setattr__(self, "low_quality", score <= LOW_QUALITY_MAX)

    def __str__(self) -> str:
        head = f"Jadad score{f' ({self.study})' if self.study else ''}: {self.score}/5"
        quality = "low quality (0-2)" if self.low_quality else "high quality (3-5)"
        lines = [f"{head}, {quality}"]
        lines += [f"  {i.points:+d}  {i.item}: {i.reason}" for i in self.items]
        return "\n".join(lines)


def _method_item(item: str, method: Method, described_as: str, applies: bool) -> JadadItem:
    if not applies:
        return JadadItem(item, 0, f"not scored: the trial is not described as {described_as}")
    reason = {"not_described": "not described", "appropriate": "described and appropriate",
              "inappropriate": "described and inappropriate"}[method]
    return JadadItem(item, _METHOD_POINTS[method], reason)


def assess_jadad(answers: JadadAnswers, *, study: str = "") -> JadadScore:
    """Score a trial report on the Jadad scale (Jadad 1996, appendix).

    Returns the score with one item per part of the scale: described as randomised (+1),
    method of randomisation (+1 appropriate, -1 inappropriate), described as double blind (+1),
    method of blinding (+1 / -1), withdrawals and dropouts described (+1).
    """
    items = (
        JadadItem("randomised", int(answers.randomised),
                  "described as randomised" if answers.randomised else "not described as randomised"),
        _method_item("randomisation method", answers.randomisation_method, "randomised",
                     answers.randomised),
        JadadItem("double blind", int(answers.double_blind),
                  "described as double blind" if answers.double_blind else "not described as double blind"),
        _method_item("blinding method", answers.blinding_method, "double blind", answers.double_blind),
        JadadItem("withdrawals and dropouts", int(answers.withdrawals_described),
                  "described" if answers.withdrawals_described else "not described"),
    )
    return JadadScore(study, answers, items)
