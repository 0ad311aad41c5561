"""RoB 2 for individually randomised parallel-group trials, effect of assignment to intervention.

Sterne JAC, Savović J, Page MJ, et al. RoB 2: a revised tool for assessing risk of bias in
randomised trials. BMJ 2019;366:l4898; and Higgins JPT, Savović J, Page MJ, Sterne JAC (eds).
Revised Cochrane risk-of-bias tool for randomized trials (RoB 2), full guidance, 22 August 2019.

Each of the five domains has signalling questions answered Y (yes), PY (probably yes), PN
(probably no), N (no), NI (no information) or NA (not applicable: the question is not asked
on this path). Conditional questions are asked only after certain answers ("If Y/PY/NI to 2.1
or 2.2"); the guidance's algorithms (one figure per domain) then map the answers to a suggested
judgement: low risk, some concerns, or high risk. Here:

- the conditions say which questions must be answered and which must be NA (or left out);
- ``domain1`` ... ``domain5`` are the algorithms, each returning the judgement and the path that
  led to it, in words (the support for the suggested judgement);
- the reviewer may depart from a suggestion, with a reason (the guidance allows it);
- the overall judgement (guidance, table "Overall risk of bias") is low if every domain is low,
  high if any is high, and otherwise some concerns, "or high if some concerns for multiple
  domains substantially lower confidence in the result". That last clause is a judgement; here
  it is an explicit option, ``several_concerns_threshold``: the number of domains with some
  concerns from which the overall judgement is high (``None``, the default, never applies it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from evisynth.review.errors import DomainError
from evisynth.review.model import _Plain

Answer = Literal["Y", "PY", "PN", "N", "NI", "NA"]
Rob2Judgement = Literal["low", "some concerns", "high"]
ANSWERS: tuple[Answer, ...] = get_args(Answer)
JUDGEMENTS: tuple[Rob2Judgement, ...] = get_args(Rob2Judgement)
YES = ("Y", "PY")
NO = ("N", "PN")
YES_NI = ("Y", "PY", "NI")
NO_NI = ("N", "PN", "NI")
_ORDER: dict[Rob2Judgement, int] = {"low": 0, "some concerns": 1, "high": 2}


@dataclass(frozen=True)
class Question(_Plain):
    """A signalling question; ``asked_if`` is the guidance's condition ("" when always asked)."""

    id: str
    text: str
    asked_if: str = ""
    no_information: bool = True  # whether NI is a permitted answer (not for 3.2)


def _q(id: str, text: str, asked_if: str = "", *, no_information: bool = True) -> Question:
    return Question(id, text, asked_if, no_information)


QUESTIONS: dict[str, tuple[Question, ...]] = {
    "D1": (
        _q("1.1", "Was the allocation sequence random?"),
        _q("1.2", "Was the allocation sequence concealed until participants were enrolled and assigned "
                  "to interventions?"),
        _q("1.3", "Did baseline differences between intervention groups suggest a problem with the "
                  "randomization process?"),
    ),
    "D2": (
        _q("2.1", "Were participants aware of their assigned intervention during the trial?"),
        _q("2.2", "Were carers and people delivering the interventions aware of participants' assigned "
                  "intervention during the trial?"),
        _q("2.3", "Were there deviations from the intended intervention that arose because of the trial "
                  "context?", "Y/PY/NI to 2.1 or 2.2"),
        _q("2.4", "Were these deviations likely to have affected the outcome?", "Y/PY to 2.3"),
        _q("2.5", "Were these deviations from intended intervention balanced between groups?",
           "Y/PY/NI to 2.4"),
        _q("2.6", "Was an appropriate analysis used to estimate the effect of assignment to intervention?"),
        _q("2.7", "Was there potential for a substantial impact (on the result) of the failure to analyse "
                  "participants in the group to which they were randomized?", "N/PN/NI to 2.6"),
    ),
    "D3": (
        _q("3.1", "Were data for this outcome available for all, or nearly all, participants randomized?"),
        _q("3.2", "Is there evidence that the result was not biased by missing outcome data?",
           "N/PN/NI to 3.1", no_information=False),
        _q("3.3", "Could missingness in the outcome depend on its true value?", "N/PN to 3.2"),
        _q("3.4", "Is it likely that missingness in the outcome depended on its true value?",
           "Y/PY/NI to 3.3"),
    ),
    "D4": (
        _q("4.1", "Was the method of measuring the outcome inappropriate?"),
        _q("4.2", "Could measurement or ascertainment of the outcome have differed between intervention "
                  "groups?"),
        _q("4.3", "Were outcome assessors aware of the intervention received by study participants?",
           "N/PN/NI to 4.1 and 4.2"),
        _q("4.4", "Could assessment of the outcome have been influenced by knowledge of intervention "
                  "received?", "Y/PY/NI to 4.3"),
        _q("4.5", "Is it likely that assessment of the outcome was influenced by knowledge of intervention "
                  "received?", "Y/PY/NI to 4.4"),
    ),
    "D5": (
        _q("5.1", "Were the data that produced this result analysed in accordance with a pre-specified "
                  "analysis plan that was finalized before unblinded outcome data were available for "
                  "analysis?"),
        _q("5.2", "Is the numerical result being assessed likely to have been selected, on the basis of "
                  "the results, from multiple eligible outcome measurements (e.g. scales, definitions, "
                  "time points) within the outcome domain?"),
        _q("5.3", "Is the numerical result being assessed likely to have been selected, on the basis of "
                  "the results, from multiple eligible analyses of the data?"),
    ),
}
DOMAIN_NAMES: dict[str, str] = {
    "D1": "Bias arising from the randomization process",
    "D2": "Bias due to deviations from intended interventions",
    "D3": "Bias due to missing outcome data",
    "D4": "Bias in measurement of the outcome",
    "D5": "Bias in selection of the reported result",
}

#: When each conditional question is asked, as a test on the answers given so far (the
#: guidance's "If ... to ..." conditions; an unanswered earlier question reads as NA).
_ASKED: dict[str, Callable[[Mapping[str, str]], bool]] = {
    "2.3": lambda a: a["2.1"] in YES_NI or a["2.2"] in YES_NI,
    "2.4": lambda a: a["2.3"] in YES,
    "2.5": lambda a: a["2.4"] in YES_NI,
    "2.7": lambda a: a["2.6"] in NO_NI,
    "3.2": lambda a: a["3.1"] in NO_NI,
    "3.3": lambda a: a["3.2"] in NO,
    "3.4": lambda a: a["3.3"] in YES_NI,
    "4.3": lambda a: a["4.1"] in NO_NI and a["4.2"] in NO_NI,
    "4.4": lambda a: a["4.3"] in YES_NI,
    "4.5": lambda a: a["4.4"] in YES_NI,
}


def complete_answers(domain: str, answers: Mapping[str, str]) -> dict[str, Answer]:
    """Check a domain's answers against its questions and conditions; fill skipped ones with NA.

    Every question that is asked needs an answer other than NA (and other than NI for 3.2); a
    question that is not asked must be NA or left out.
    """
    if domain not in QUESTIONS:
        raise DomainError(f"RoB 2 domain {domain!r} is not one of {', '.join(QUESTIONS)}")
    ids = [q.id for q in QUESTIONS[domain]]
    for qid, answer in answers.items():
        if qid not in ids:
            raise DomainError(f"RoB 2 {domain} has no question {qid!r}; its questions are {', '.join(ids)}")
        if answer not in ANSWERS:
            raise DomainError(f"RoB 2 answer to {qid} must be one of {', '.join(ANSWERS)} (got {answer!r})")
    full: dict[str, Answer] = {}
    for q in QUESTIONS[domain]:
        given = answers.get(q.id)
        asked = _ASKED[q.id](full) if q.asked_if else True
        if not asked:
            if given not in (None, "NA"):
                raise DomainError(
                    f"RoB 2 question {q.id} is asked only if {q.asked_if} (here "
                    f"{_condition_answers(q.asked_if, full)}), so its answer must be NA (got {given!r}); "
                    "answer NA or leave it out"
                )
            full[q.id] = "NA"
            continue
        allowed = [a for a in ANSWERS if a != "NA" and (q.no_information or a != "NI")]
        if given not in allowed:
            got = "no answer" if given is None else f"{given!r}"
            why = f" (it is asked because of {q.asked_if})" if q.asked_if else ""
            raise DomainError(f"RoB 2 question {q.id}{why} needs one of {', '.join(allowed)} (got {got}): "
                              f"{q.text}")
        full[q.id] = given  # type: ignore[assignment]  # checked against ANSWERS above
    return full


def _condition_answers(asked_if: str, answers: Mapping[str, str]) -> str:
    qids = [w for w in asked_if.replace(",", " ").split() if w[0].isdigit()]
    return ", ".join(f"{q} {answers.get(q, 'NA')}" for q in qids)


# The five algorithms. Each takes complete answers (``complete_answers``) and returns the
# suggested judgement with the path through the guidance's figure, in words.

Suggestion = tuple[Rob2Judgement, str]


def domain1(a: Mapping[str, str]) -> Suggestion:
    """Randomization process: 1.2 first (concealment), then 1.1 (random sequence), then 1.3."""
    q11, q12, q13 = a["1.1"], a["1.2"], a["1.3"]
    if q12 in NO:
        return "high", f"1.2 {q12}: the allocation sequence was not concealed"
    if q12 == "NI":
        if q13 in YES:
            return "high", (f"1.2 NI: no information on concealment, and 1.3 {q13}: baseline "
                            "differences suggest a problem with randomization")
        return "some concerns", (f"1.2 NI: no information on concealment; 1.3 {q13}: no baseline "
                                 "differences suggesting a problem")
    if q11 in NO:
        return "some concerns", f"1.2 {q12}: concealed, but 1.1 {q11}: the sequence was not random"
    if q13 in YES:
        return "some concerns", (f"1.2 {q12}: concealed, 1.1 {q11}, but 1.3 {q13}: baseline differences "
                                 "suggest a problem with randomization")
    return "low", (f"1.2 {q12}: concealed; 1.1 {q11}: random (or no information); 1.3 {q13}: no baseline "
                   "differences suggesting a problem")


def _domain2_part1(a: Mapping[str, str]) -> Suggestion:
    q21, q22, q23, q24, q25 = a["2.1"], a["2.2"], a["2.3"], a["2.4"], a["2.5"]
    if q21 in NO and q22 in NO:
        return "low", f"2.1 {q21}, 2.2 {q22}: participants and personnel unaware of the assignment"
    aware = f"2.1 {q21}, 2.2 {q22}"
    if q23 in NO:
        return "low", f"{aware}; 2.3 {q23}: no deviations arising from the trial context"
    if q23 == "NI":
        return "some concerns", f"{aware}; 2.3 NI: no information on deviations from the trial context"
    if q24 in NO:
        return "some concerns", (f"{aware}; 2.3 {q23}: deviations from the trial context, 2.4 {q24}: "
                                 "unlikely to have affected the outcome")
    if q25 in YES:
        return "some concerns", (f"{aware}; 2.3 {q23}: deviations from the trial context, 2.4 {q24}, "
                                 f"2.5 {q25}: balanced between groups")
    return "high", (f"{aware}; 2.3 {q23}: deviations from the trial context, 2.4 {q24}: may have affected "
                    f"the outcome, 2.5 {q25}: not balanced (or no information)")


def _domain2_part2(a: Mapping[str, str]) -> Suggestion:
    q26, q27 = a["2.6"], a["2.7"]
    if q26 in YES:
        return "low", f"2.6 {q26}: appropriate analysis of the effect of assignment"
    if q27 in NO:
        return "some concerns", (f"2.6 {q26}: analysis not appropriate (or no information), 2.7 {q27}: "
                                 "no potential for a substantial impact")
    return "high", (f"2.6 {q26}: analysis not appropriate (or no information), 2.7 {q27}: potential for a "
                    "substantial impact on the result")


def domain2(a: Mapping[str, str]) -> Suggestion:
    """Deviations from intended interventions (assignment): the worse of part 1 (2.1-2.5,
    deviations) and part 2 (2.6-2.7, analysis); low only when both parts are low."""
    (j1, why1), (j2, why2) = _domain2_part1(a), _domain2_part2(a)
    worst = max(j1, j2, key=_ORDER.__getitem__)
    return worst, f"part 1 {j1} ({why1}); part 2 {j2} ({why2})"


def domain3(a: Mapping[str, str]) -> Suggestion:
    """Missing outcome data: 3.1, then 3.2, 3.3 and 3.4 as far as they are asked."""
    q31, q32, q33, q34 = a["3.1"], a["3.2"], a["3.3"], a["3.4"]
    if q31 in YES:
        return "low", f"3.1 {q31}: data available for all or nearly all participants"
    if q32 in YES:
        return "low", f"3.1 {q31}; 3.2 {q32}: evidence that the result was not biased by missing data"
    if q33 in NO:
        return "low", f"3.1 {q31}; 3.2 {q32}; 3.3 {q33}: missingness could not depend on the true value"
    if q34 in NO:
        return "some concerns", (f"3.1 {q31}; 3.2 {q32}; 3.3 {q33}: missingness could depend on the true "
                                 f"value, 3.4 {q34}: but it is unlikely that it did")
    return "high", (f"3.1 {q31}; 3.2 {q32}; 3.3 {q33}; 3.4 {q34}: missingness likely depended on the true "
                    "value (or no information)")


def domain4(a: Mapping[str, str]) -> Suggestion:
    """Measurement of the outcome: 4.1 and 4.2, then 4.3-4.5; an NI to 4.2 caps the domain at
    some concerns (the guidance's figure has a separate branch for it)."""
    q41, q42, q43, q44, q45 = a["4.1"], a["4.2"], a["4.3"], a["4.4"], a["4.5"]
    if q41 in YES:
        return "high", f"4.1 {q41}: the method of measuring the outcome was inappropriate"
    if q42 in YES:
        return "high", f"4.1 {q41}; 4.2 {q42}: measurement could have differed between groups"
    start = f"4.1 {q41}; 4.2 {q42}"
    best: Rob2Judgement = "low" if q42 in NO else "some concerns"
    if q42 == "NI":
        start += " (no information on whether measurement differed between groups)"
    if q43 in NO:
        return best, f"{start}; 4.3 {q43}: outcome assessors unaware of the intervention received"
    if q44 in NO:
        return best, (f"{start}; 4.3 {q43}: assessors aware (or no information), 4.4 {q44}: assessment "
                      "could not have been influenced")
    if q45 in NO:
        return "some concerns", (f"{start}; 4.3 {q43}, 4.4 {q44}: assessment could have been influenced, "
                                 f"4.5 {q45}: but it is unlikely that it was")
    return "high", (f"{start}; 4.3 {q43}, 4.4 {q44}, 4.5 {q45}: assessment likely influenced by knowledge "
                    "of the intervention (or no information)")


def domain5(a: Mapping[str, str]) -> Suggestion:
    """Selection of the reported result: 5.2 and 5.3 first, then 5.1."""
    q51, q52, q53 = a["5.1"], a["5.2"], a["5.3"]
    if q52 in YES or q53 in YES:
        return "high", (f"5.2 {q52}, 5.3 {q53}: the result was likely selected from multiple outcome "
                        "measurements or analyses")
    if q52 == "NI" or q53 == "NI":
        return "some concerns", (f"5.2 {q52}, 5.3 {q53}: no information on selection from multiple "
                                 "measurements or analyses (neither Y/PY)")
    if q51 in YES:
        return "low", f"5.2 {q52}, 5.3 {q53}: no selection; 5.1 {q51}: analysed to a pre-specified plan"
    return "some concerns", (f"5.2 {q52}, 5.3 {q53}: no selection, but 5.1 {q51}: not analysed to a "
                             "pre-specified plan (or no information)")


ALGORITHMS: dict[str, Callable[[Mapping[str, str]], Suggestion]] = {
    "D1": domain1, "D2": domain2, "D3": domain3, "D4": domain4, "D5": domain5,
}


def suggest(domain: str, answers: Mapping[str, str]) -> Suggestion:
    """The algorithm's judgement for a domain, with its path, after checking the answers."""
    return ALGORITHMS[domain](complete_answers(domain, answers))


@dataclass(frozen=True)
class Rob2Domain(_Plain):
    """One domain: answers, the algorithm's suggestion and its path, the reviewer's judgement
    with their support text, and the reason for any departure from the suggestion."""

    domain: str
    answers: dict[str, Answer]
    suggested: Rob2Judgement
    rationale: str
    judgement: Rob2Judgement
    support: str
    override_reason: str = ""


def assess_domain(
    domain: str,
    answers: Mapping[str, str],
    support: str,
    *,
    judgement: Rob2Judgement | None = None,
    override_reason: str = "",
) -> Rob2Domain:
    """Check the answers, run the domain's algorithm, and record the reviewer's judgement.

    ``support`` is the reviewer's text (quotes from the report) and is required. Without
    ``judgement`` the suggestion stands; a judgement that differs from it needs
    ``override_reason``, and a reason without a departure is refused.
    """
    suggested, rationale = suggest(domain, answers)
    if not support.strip():
        raise DomainError(f"RoB 2 {domain} needs support text; quote the report for the answers")
    final = suggested if judgement is None else judgement
    if final not in JUDGEMENTS:
        raise DomainError(f"RoB 2 {domain} judgement must be one of {', '.join(JUDGEMENTS)} (got {final!r})")
    if final != suggested and not override_reason.strip():
        raise DomainError(f"RoB 2 {domain}: the judgement {final!r} differs from the algorithm's "
                          f"{suggested!r} ({rationale}); give override_reason")
    if final == suggested and override_reason.strip():
        raise DomainError(f"RoB 2 {domain}: override_reason given but the judgement {final!r} is the "
                          "algorithm's; drop the reason or state the judgement you mean")
    return Rob2Domain(domain, complete_answers(domain, answers), suggested, rationale, final, support,
                      override_reason)


def overall_judgement(
    judgements: Mapping[str, Rob2Judgement], *, several_concerns_threshold: int | None = None
) -> Suggestion:
    """The overall judgement from the five domain judgements, with the reason.

    Low if all domains are low; high if any is high; otherwise some concerns, or high when
    ``several_concerns_threshold`` is set and at least that many domains have some concerns.
    """
    if several_concerns_threshold is not None and not 2 <= several_concerns_threshold <= 5:
        raise DomainError(f"several_concerns_threshold must be 2 to 5 domains, or None to leave the rule out "
                          f"(got {several_concerns_threshold!r})")
    high = [d for d, j in judgements.items() if j == "high"]
    concerns = [d for d, j in judgements.items() if j == "some concerns"]
    if high:
        return "high", f"high risk of bias in {', '.join(high)}"
    if several_concerns_threshold is not None and len(concerns) >= several_concerns_threshold:
        return "high", (f"some concerns in {len(concerns)} domains ({', '.join(concerns)}), at least "
                        f"{several_concerns_threshold}, judged to lower confidence in the result substantially")
    if concerns:
        return "some concerns", f"some concerns in {', '.join(concerns)}; no domain at high risk"
    return "low", "low risk of bias in all five domains"


@dataclass(frozen=True)
class Rob2Assessment(_Plain):
    """RoB 2 for one result of one study: the five domains and the overall judgement."""

    study: str
    outcome: str
    domains: tuple[Rob2Domain, ...]
    several_concerns_threshold: int | None = None
    overall: Rob2Judgement = field(init=False)
    overall_support: str = field(init=False)

    def __post_init__(self) -> None:
        names = [d.domain for d in self.domains]
        if sorted(names) != sorted(QUESTIONS):
            raise DomainError(f"RoB 2 for {self.study} needs each of the five domains {', '.join(QUESTIONS)} "
                              f"once (got {', '.join(names) or 'none'})")
        object.__setattr__(self, "domains", tuple(sorted(self.domains, key=lambda d: d.domain)))
        overall, support = overall_judgement(
            {d.domain: d.judgement for d in self.domains},
            several_concerns_threshold=self.several_concerns_threshold,
        )
        object.__setattr__(self, "overall", overall)
        object.__setattr__(self, "overall_support", support)

    def __str__(self) -> str:
        lines = [f"RoB 2 (effect of assignment): {self.study}" + (f", {self.outcome}" if self.outcome else "")]
        for d in self.domains:
            note = f" (algorithm: {d.suggested}; {d.override_reason})" if d.override_reason else ""
            lines.append(f"  {d.domain} {DOMAIN_NAMES[d.domain]}: {d.judgement}{note}")
        lines.append(f"  Overall: {self.overall} ({self.overall_support})")
        return "\n".join(lines)


_STORED_KEYS = ("outcome", "domains", "several_concerns_threshold")
_STORED_DOMAIN_KEYS = ("answers", "support", "judgement", "override_reason")


def assessment_from_dict(study: str, data: Mapping[str, Any]) -> Rob2Assessment:
    """A RoB 2 assessment from its stored form (``appraisal.yaml``, tool ``rob2``)::

        {outcome: ..., several_concerns_threshold: null,
         domains: {D1: {answers: {"1.1": Y, ...}, support: ..., judgement: ..., override_reason: ...}}}
    """
    unknown = sorted(set(data) - set(_STORED_KEYS))
    if unknown:
        raise DomainError(f"RoB 2 for {study} has unknown field(s) {', '.join(map(repr, unknown))}; "
                          f"use {', '.join(_STORED_KEYS)}")
    raw = data.get("domains")
    if not isinstance(raw, Mapping) or set(raw) != set(QUESTIONS):
        got = ", ".join(map(str, raw)) if isinstance(raw, Mapping) else repr(raw)
        raise DomainError(f"RoB 2 for {study} needs the five domains {', '.join(QUESTIONS)} (got {got})")
    threshold = data.get("several_concerns_threshold")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int)):
        raise DomainError(f"RoB 2 for {study}: several_concerns_threshold must be a whole number of domains "
                          f"or null (got {threshold!r})")
    domains = []
    for name in QUESTIONS:
        entry = raw[name]
        if not isinstance(entry, Mapping):
            raise DomainError(f"RoB 2 {name} for {study} must be a mapping of answers and support")
        extra = sorted(set(entry) - set(_STORED_DOMAIN_KEYS))
        if extra:
            raise DomainError(f"RoB 2 {name} for {study} has unknown field(s) {', '.join(map(repr, extra))}; "
                              f"use {', '.join(_STORED_DOMAIN_KEYS)}")
        answers = entry.get("answers") or {}
        if not isinstance(answers, Mapping):
            raise DomainError(f"RoB 2 {name} answers for {study} must be a mapping of question to answer")
        try:
            domains.append(assess_domain(
                name, {str(k): str(v) for k, v in answers.items()}, str(entry.get("support") or ""),
                judgement=entry.get("judgement"),
                override_reason=str(entry.get("override_reason") or ""),
            ))
        except DomainError as error:
            raise DomainError(f"{study}: {error}") from None
    return Rob2Assessment(study, str(data.get("outcome") or ""), tuple(domains), threshold)
