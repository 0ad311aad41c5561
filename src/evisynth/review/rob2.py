"""RoB 2 for individually randomised parallel-group trials (effect of assignment).

Sterne JAC et al. RoB 2: a revised tool for assessing risk of bias in randomised trials.
BMJ 2019;366:l4898, and the RoB 2 guidance (Higgins et al., 22 August 2019): the signalling
questions of the five domains and the algorithms that map their answers (Y, PY, PN, N, NI, NA)
to a suggested judgement (low, some concerns, high). The reviewer may override a suggestion,
with a reason; the overall judgement is the worst domain, and optionally "high" when several
domains have some concerns (an explicit option, as the guidance leaves it to judgement).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from evisynth.review.errors import DomainError
from evisynth.review.model import _Plain

Answer = Literal["Y", "PY", "PN", "N", "NI", "NA"]
Rob2Judgement = Literal["low", "some concerns", "high"]
ANSWERS = ("Y", "PY", "PN", "N", "NI", "NA")
YES = ("Y", "PY")
NO = ("N", "PN")

QUESTIONS: dict[str, dict[str, str]] = {
    "D1": {
        "1.1": "Was the allocation sequence random?",
        "1.2": "Was the allocation sequence concealed until participants were enrolled and assigned?",
        "1.3": "Did baseline differences between groups suggest a problem with randomization?",
    },
    "D2": {
        "2.1": "Were participants aware of their assigned intervention during the trial?",
        "2.2": "Were carers and people delivering the interventions aware of the assignment?",
        "2.3": "Were there deviations from the intended intervention that arose because of the "
               "trial context?",
        "2.4": "Were these deviations likely to have affected the outcome?",
        "2.5": "Were these deviations balanced between groups?",
        "2.6": "Was an appropriate analysis used to estimate the effect of assignment?",
        "2.7": "Was there potential for a substantial impact of the failure to analyse "
               "participants in the group to which they were randomized?",
    },
    "D3": {
        "3.1": "Were data for this outcome available for all, or nearly all, participants?",
        "3.2": "Is there evidence that the result was not biased by missing outcome data?",
        "3.3": "Could missingness in the outcome depend on its true value?",
        "3.4": "Is it likely that missingness in the outcome depended on its true value?",
    },
    "D4": {
        "4.1": "Was the method of measuring the outcome inappropriate?",
        "4.2": "Could measurement or ascertainment of the outcome have differed between groups?",
        "4.3": "Were outcome assessors aware of the intervention received?",
        "4.4": "Could assessment of the outcome have been influenced by knowledge of the "
               "intervention received?",
        "4.5": "Is it likely that assessment of the outcome was influenced by knowledge of the "
               "intervention received?",
    },
    "D5": {
        "5.1": "Were the data analysed in accordance with a pre-specified analysis plan finalized "
               "before unblinded outcome data were available?",
        "5.2": "Was the result likely selected from multiple eligible outcome measurements?",
        "5.3": "Was the result likely selected from multiple eligible analyses of the data?",
    },
}
DOMAIN_NAMES = {
    "D1": "Bias arising from the randomization process",
    "D2": "Bias due to deviations from intended interventions",
    "D3": "Bias due to missing outcome data",
    "D4": "Bias in measurement of the outcome",
    "D5": "Bias in selection of the reported result",
}
_ORDER: dict[Rob2Judgement, int] = {"low": 0, "some concerns": 1, "high": 2}
YES_NI = ("Y", "PY", "NI")
NO_NI = ("N", "PN", "NI")

#: The guidance's conditions on the conditional questions ("If Y/PY/NI to 2.1 or 2.2: ..."):
#: the condition in words, and the test on the answers to the earlier questions.
ASKED_IF: dict[str, tuple[str, Callable[[Mapping[str, str]], bool]]] = {
    "2.3": ("Y/PY/NI to 2.1 or 2.2", lambda a: a["2.1"] in YES_NI or a["2.2"] in YES_NI),
    "2.4": ("Y/PY to 2.3", lambda a: a["2.3"] in YES),
    "2.5": ("Y/PY/NI to 2.4", lambda a: a["2.4"] in YES_NI),
    "2.7": ("N/PN/NI to 2.6", lambda a: a["2.6"] in NO_NI),
    "3.2": ("N/PN/NI to 3.1", lambda a: a["3.1"] in NO_NI),
    "3.3": ("N/PN to 3.2", lambda a: a["3.2"] in NO),
    "3.4": ("Y/PY/NI to 3.3", lambda a: a["3.3"] in YES_NI),
    "4.3": ("N/PN/NI to 4.1 and 4.2", lambda a: a["4.1"] in NO_NI and a["4.2"] in NO_NI),
    "4.4": ("Y/PY/NI to 4.3", lambda a: a["4.3"] in YES_NI),
    "4.5": ("Y/PY/NI to 4.4", lambda a: a["4.4"] in YES_NI),
}
#: Questions whose response options leave out NI (the guidance offers NA/Y/PY/PN/N for 3.2).
WITHOUT_NI = ("3.2",)


def check_answers(domain: str, answers: Mapping[str, str]) -> None:
    """Every question the guidance asks on this path needs an answer other than NA; a
    conditional question that is not asked must be NA or left out.

    The algorithms read a missing answer as NA, so without this check an unanswered question
    would quietly steer the suggestion.
    """
    seen: dict[str, str] = {}
    for q in QUESTIONS[domain]:
        given = answers.get(q)
        condition = ASKED_IF.get(q)
        if condition is not None and not condition[1](seen):
            if given not in (None, "NA"):
                raise DomainError(f"RoB 2 question {q} is asked only if {condition[0]}, so its answer "
                                  f"must be NA (got {given!r}); answer NA or leave it out")
            seen[q] = "NA"
            continue
        allowed = [a for a in ANSWERS if a != "NA" and not (a == "NI" and q in WITHOUT_NI)]
        if given not in allowed:
            why = f" (asked because of {condition[0]})" if condition else ""
            got = "no answer" if given is None else repr(given)
            raise DomainError(f"RoB 2 question {q}{why} needs one of {', '.join(allowed)} (got {got}): "
                              f"{QUESTIONS[domain][q]}")
        seen[q] = given


def _get(answers: Mapping[str, str], q: str) -> str:
    """The answer to ``q``; a question the path skips may be absent (read as NA)."""
    return answers.get(q, "NA")


def domain1(a: Mapping[str, str]) -> Rob2Judgement:
    q11, q12, q13 = _get(a, "1.1"), _get(a, "1.2"), _get(a, "1.3")
    if q12 in NO:
        return "high"
    if q12 in YES:
        if q11 in NO or q13 in YES:
            return "some concerns"
        return "low"
    return "high" if q13 in YES else "some concerns"


def domain2(a: Mapping[str, str]) -> Rob2Judgement:
    """Part 1 (2.1–2.5, deviations) and part 2 (2.6–2.7, analysis); the worse of the two."""
    if _get(a, "2.1") in NO and _get(a, "2.2") in NO:
        part1: Rob2Judgement = "low"
    elif _get(a, "2.3") in NO:
        part1 = "low"
    elif _get(a, "2.3") not in YES or _get(a, "2.4") in NO:
        part1 = "some concerns"
    else:
        part1 = "some concerns" if _get(a, "2.5") in YES else "high"
    if _get(a, "2.6") in YES:
        part2: Rob2Judgement = "low"
    else:
        part2 = "some concerns" if _get(a, "2.7") in NO else "high"
    return max(part1, part2, key=_ORDER.__getitem__)


def domain3(a: Mapping[str, str]) -> Rob2Judgement:
    if _get(a, "3.1") in YES or _get(a, "3.2") in YES:
        return "low"
    if _get(a, "3.3") in NO:
        return "low"
    return "some concerns" if _get(a, "3.4") in NO else "high"


def domain4(a: Mapping[str, str]) -> Rob2Judgement:
    if _get(a, "4.1") in YES or _get(a, "4.2") in YES:
        return "high"
    best: Rob2Judgement = "low" if _get(a, "4.2") in NO else "some concerns"  # 4.2 NI: at best some
    if _get(a, "4.3") in NO or _get(a, "4.4") in NO:
        return best
    return "some concerns" if _get(a, "4.5") in NO else "high"


def domain5(a: Mapping[str, str]) -> Rob2Judgement:
    q52, q53 = _get(a, "5.2"), _get(a, "5.3")
    if q52 in YES or q53 in YES:
        return "high"
    if q52 in NO and q53 in NO and _get(a, "5.1") in YES:
        return "low"
    return "some concerns"


ALGORITHMS = {"D1": domain1, "D2": domain2, "D3": domain3, "D4": domain4, "D5": domain5}


@dataclass(frozen=True)
class Rob2Domain(_Plain):
    """Answers, the algorithm's suggestion, and the reviewer's judgement with support text."""

    domain: str
    answers: dict[str, str]
    suggested: Rob2Judgement
    judgement: Rob2Judgement
    support: str
    override_reason: str = ""


@dataclass(frozen=True)
class Rob2Assessment(_Plain):
    """RoB 2 for one result of one study."""

    study: str
    outcome: str
    domains: tuple[Rob2Domain, ...]
    several_concerns_mean_high: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def overall_reason(self) -> str:
        """The support for the overall judgement: which domains made it."""
        high = [d.domain for d in self.domains if d.judgement == "high"]
        concerns = [d.domain for d in self.domains if d.judgement == "some concerns"]
        if high:
            return f"high risk of bias in {', '.join(high)}"
        if concerns and self.overall == "high":
            return (f"some concerns in {len(concerns)} domains ({', '.join(concerns)}), taken to lower "
                    "confidence in the result substantially (several_concerns_mean_high)")
        if concerns:
            return f"some concerns in {', '.join(concerns)}; no domain at high risk"
        return "low risk of bias in every domain"

    @property
    def overall(self) -> Rob2Judgement:
        """Worst domain; optionally high when at least three domains have some concerns."""
        judged = [d.judgement for d in self.domains]
        worst = max(judged, key=_ORDER.__getitem__)
        concerns = sum(j == "some concerns" for j in judged)
        if worst == "some concerns" and self.several_concerns_mean_high and concerns >= 3:
            return "high"
        return worst


def assess_domain(
    domain: str,
    answers: Mapping[str, str],
    support: str,
    *,
    judgement: Rob2Judgement | None = None,
    override_reason: str = "",
) -> Rob2Domain:
    """Check the answers (``check_answers``), run the domain's algorithm, and record the
    reviewer's judgement.

    A judgement that differs from the algorithm's suggestion needs ``override_reason``.
    """
    if domain not in QUESTIONS:
        raise DomainError(f"RoB 2 domain {domain!r} is not one of {', '.join(QUESTIONS)}")
    for q, answer in answers.items():
        if q not in QUESTIONS[domain]:
            raise DomainError(
                f"RoB 2 {domain} has no question {q!r}; its questions are "
                f"{', '.join(QUESTIONS[domain])}"
            )
        if answer not in ANSWERS:
            raise DomainError(f"RoB 2 answer to {q} must be one of {', '.join(ANSWERS)} "
                              f"(got {answer!r})")
    if not support.strip():
        raise DomainError(f"RoB 2 {domain} needs support text; quote the report")
    check_answers(domain, answers)
    suggested = ALGORITHMS[domain](answers)
    final = judgement or suggested
    if final not in _ORDER:
        raise DomainError(f"RoB 2 judgement must be low, some concerns or high (got {final!r})")
    if final != suggested and not override_reason.strip():
        raise DomainError(
            f"RoB 2 {domain}: the judgement {final!r} differs from the algorithm's {suggested!r}; "
            "give override_reason"
        )
    return Rob2Domain(domain, dict(answers), suggested, final, support, override_reason)


def assessment_from_dict(study: str, data: Mapping[str, object]) -> Rob2Assessment:
    """A RoB 2 assessment from its stored form (``appraisal.yaml``, tool ``rob2``)::

        {outcome: ..., several_concerns_mean_high: false,
         domains: {D1: {answers: {"1.1": Y, ...}, support: ..., judgement: ..., override_reason: ...}}}
    """
    raw = data.get("domains")
    if not isinstance(raw, Mapping) or set(raw) != set(QUESTIONS):
        raise DomainError(f"RoB 2 for {study} needs the five domains {', '.join(QUESTIONS)}")
    domains = []
    for name in QUESTIONS:
        entry = raw[name]
        if not isinstance(entry, Mapping):
            raise DomainError(f"RoB 2 {name} for {study} must be a mapping of answers and support")
        answers = entry.get("answers", {})
        if not isinstance(answers, Mapping):
            raise DomainError(f"RoB 2 {name} answers for {study} must be a mapping")
        domains.append(assess_domain(
            name, {str(k): str(v) for k, v in answers.items()}, str(entry.get("support", "")),
            judgement=entry.get("judgement"),
            override_reason=str(entry.get("override_reason", "")),
        ))
    return Rob2Assessment(study, str(data.get("outcome", "")), tuple(domains),
                          bool(data.get("several_concerns_mean_high", False)))


@dataclass(frozen=True)
class Rob2Discrepancy(_Plain):
    """One item two assessors answered differently: the result judged, a signalling question
    (an unasked question reads NA), a domain's judgement, or the overall judgement."""

    item: str
    first: str
    second: str


def compare_assessments(first: Rob2Assessment, second: Rob2Assessment) -> tuple[Rob2Discrepancy, ...]:
    """Where two assessors' RoB 2 of the same study differ, in the form's order."""
    out = []
    if first.outcome != second.outcome:
        out.append(Rob2Discrepancy("outcome", first.outcome, second.outcome))
    for a, b in zip(first.domains, second.domains, strict=True):
        for q in QUESTIONS[a.domain]:
            if _get(a.answers, q) != _get(b.answers, q):
                out.append(Rob2Discrepancy(q, _get(a.answers, q), _get(b.answers, q)))
        if a.judgement != b.judgement:
            out.append(Rob2Discrepancy(f"{a.domain} judgement", a.judgement, b.judgement))
    if first.overall != second.overall:
        out.append(Rob2Discrepancy("overall", first.overall, second.overall))
    return tuple(out)
