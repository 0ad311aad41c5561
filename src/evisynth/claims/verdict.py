"""Verdict rules: one claim against the verified entries of the evidence base.

Which entries count. An entry decides a verdict only when it is ``verified`` (its quote was read
in its source), it covers the claim's outcome, and its vitamin K form is compatible with the
claim's (a K2 claim is answered by MK-4, MK-7 or K2 entries and by "vitamin K" entries; an MK-4
claim by MK-4, K2 and vitamin K entries; a claim about vitamin D alone by none). An expert
opinion quoted from the article itself is not independent evidence for it and is skipped; an
article's own reported *data* are kept — a conclusion must agree with its own results.

The verdicts, by the kind of claim (first rule that applies):

1. A claim that no benefit has been shown ("尚无高质量 RCT …", "no evidence that …"):
   *contradicted* when a randomised trial or meta-analysis of at least moderate GRADE certainty
   shows the benefit and no null trial is as certain; *supported* when the entries show no
   effect, only low-certainty benefit, or conflict. A background sentence (no vitamin K form
   named, no reference to taking it) is *not assessable*.
2. Anticoagulants: a caution is *supported* by entries that warn of the interaction; other
   statements about anticoagulants are *not assessable*.
3. Safety: "safe"/"no toxicity" is *supported*; said absolutely or emphatically ("没有副作用",
   "显著", "proven") it is *overstated*, because trials show adverse events like a comparator's
   and no upper limit exists only for want of data.
4. Intake: a recommended intake with a dose is compared with the official reference intakes; for
   a K2 form it is *overstated* (official values cover vitamin K as a whole, no K2 value exists);
   for vitamin K it is *supported* when the ranges overlap, *contradicted* when they do not. A
   dose advised without an official source is *not supported* unless a trial used a dose within
   a factor of three.
5. Pharmacokinetics (half-life, absorption): a comparison is checked outcome by outcome against
   the entries' comparison (``longer``/``similar``); all agree: *supported*, some: *overstated*,
   none: *contradicted*. A fold figure other than a lower bound needs a measured ratio, which the
   base lacks: *not assessable*. Non-comparative statements are *not assessable*.
6. Mechanism and biomarkers: *supported* by a mechanism or biomarker entry; *overstated* when
   the claim makes one form the only one ("只有 K2") and the entry says other forms act too; *not
   assessable* for comparisons between forms or dose-specific statements no entry addresses, and
   for a harm or no-effect mechanism claim that no entry of that direction addresses.
7. Effects on health outcomes (fractures, bone density, calcification, stiffness, cardiovascular
   events). Claims that rest on observational follow-up are *not supported* when trials found no
   benefit. A harm, an epidemiological statistic, or a background statement that names no form of
   vitamin K and does not refer to taking it ("骨质疏松症在男女中极为常见") is *not assessable*. For a
   clinical outcome (fractures, cardiovascular events, death) only trials of that outcome count:
   with none but surrogate evidence the claim is *not supported*. Otherwise: only null trials →
   *contradicted*; a report of one study that an entry matches → *supported* (unless its claimed
   size lies outside the entry's CI → *overstated*); a claim about the general population
   ("普通人群", "成人", "healthy adults") whose benefit trials are all in special populations
   (no entry tagged general) → *overstated*, with the indirectness note; said strongly, or when
   the best null evidence is more certain than the best evidence of benefit (and the claim is not hedged) →
   *overstated*; otherwise *supported*.

A claim that says it rests on preclinical (cell or animal) studies is *not assessable*: the base
holds human evidence only.

Before rules 2-7, three scope rules for benefit claims: one about bone cells (osteoblasts,
osteoclasts), or comparing vitamin K with other agents against vitamin K alone, is *not
assessable* (no entry measured that); one saying vitamin K sends calcium to bone rather than
vessels (vascular calcification named with bone density or a mechanism, or a mechanism claim
about calcium naming none of the markers the mechanism entries measured) is *not supported*
when the calcification trials are null. A no-effect claim that speaks of studies or evidence is
never a background statement (rule 1).

A claim naming several health outcomes is judged on each; the worst verdict wins (contradicted,
not supported, overstated, supported). The GRADE certainty reported is that of the decisive
entries (the highest among them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evisynth.claims import lexicon
from evisynth.claims.model import GRADE_LEVELS, GRADE_ZH, VERDICT_WORDS, Claim, EvidenceEntry

CLINICAL = ("fracture", "cvd_events", "mortality")
SURROGATE = ("bmd", "vascular_calcification", "cimt", "arterial_stiffness")
EFFECT_OUTCOMES = CLINICAL + SURROGATE
#: for a clinical outcome, the surrogates whose trials show what evidence exists short of it.
SURROGATES_OF = {
    "fracture": ("bmd",),
    "cvd_events": ("vascular_calcification", "arterial_stiffness", "cimt", "ucmgp"),
    "mortality": (),
}
MECHANISM_OUTCOMES = ("mechanism", "osteocalcin", "ucmgp")
#: words that say a claim rests on laboratory or animal work, which the evidence base does not hold.
PRECLINICAL = (
    "临床前",
    "动物实验",
    "动物研究",
    "细胞实验",
    "体外实验",
    "preclinical",
    "in vitro",
    "animal stud",
)
#: words that put a claim about bone cells, which no entry measured (the trials measured BMD and fractures).
BONE_CELLS = ("骨细胞", "osteoblast", "osteoclast", "bone cell")
#: words that compare vitamin K combined with other agents against vitamin K alone, which no trial did.
COMBINATION = ("单独", "支持下", "alone", "with the support of")
#: what the mechanism entries measured: carboxylation of osteocalcin and MGP.
MEASURED_MARKERS = ("骨钙素", "mgp", "gla", "羧化", "osteocalcin", "carboxyl")
#: words for calcium, the thing a "calcium routing" mechanism claim says vitamin K moves.
CALCIUM = ("钙", "calcium")
#: words by which a no-effect claim speaks of the evidence itself (so it is not a background remark).
EVIDENCE_WORDS = ("试验", "研究", "证据", "trial", "stud", "evidence")
_COMPATIBLE = {
    "k2": {"k2", "mk4", "mk7", "k"},
    "mk4": {"mk4", "k2", "k"},
    "mk7": {"mk7", "k2", "k"},
    "k1": {"k1", "k"},
    "k": {"k", "k1", "k2", "mk4", "mk7"},
    "": {"k", "k1", "k2", "mk4", "mk7"},
}
_SEVERITY = {"contradicted": 4, "not_supported": 3, "overstated": 2, "supported": 1, "not_assessable": 0}
TRIAL_ENDPOINTS = ("clinical", "surrogate", "biomarker")


@dataclass(frozen=True)
class Judgement:
    verdict: str
    rule: str
    decisive: tuple[EvidenceEntry, ...]
    reason_en: str
    reason_zh: str


def compatible(form: str, entry: EvidenceEntry) -> bool:
    if form == "d3":
        return False
    return bool(_COMPATIBLE.get(form, _COMPATIBLE[""]) & set(entry.forms))


def grade_of(entries: Sequence[EvidenceEntry]) -> str:
    if not entries:
        return ""
    return GRADE_LEVELS[max(e.grade_rank for e in entries)]


def _within(x: float, lower: float | None, upper: float | None) -> bool:
    return lower is not None and upper is not None and lower <= x <= upper


def _overlap(low: float, high: float, lower: float | None, upper: float | None) -> bool:
    return lower is not None and upper is not None and low <= upper and lower <= high


def _best(entries: Sequence[EvidenceEntry]) -> int:
    return max((e.grade_rank for e in entries), default=-1)


def _j(verdict: str, rule: str, decisive: Sequence[EvidenceEntry], en: str, zh: str) -> Judgement:
    return Judgement(verdict, rule, tuple(decisive), en, zh)


def _candidates(claim: Claim, outcome: str, entries: Sequence[EvidenceEntry]) -> list[EvidenceEntry]:
    return [e for e in entries if e.verified and e.covers(outcome) and compatible(claim.form, e)]


def _no_effect_claim(claim: Claim, outcome: str, entries: Sequence[EvidenceEntry]) -> Judgement:
    found = _candidates(claim, outcome, entries)
    for s in SURROGATES_OF.get(outcome, ()):
        found += [e for e in _candidates(claim, s, entries) if e not in found]
    speaks_of_evidence = any(w in claim.sentence.lower() for w in EVIDENCE_WORDS)
    if (claim.form_inferred or not claim.form) and not (
        claim.refers_to_intervention or claim.study_report or speaks_of_evidence
    ):
        return _background()
    null_rank = _best([e for e in found if e.direction in ("no_effect", "harm") and e.covers(outcome)])
    strong_benefit = [
        e
        for e in found
        if e.direction == "benefit"
        and e.endpoint in TRIAL_ENDPOINTS
        and e.covers(outcome)
        and e.grade_rank >= GRADE_LEVELS.index("moderate")
        and e.grade_rank > null_rank
    ]
    if strong_benefit:
        return _j(
            "contradicted",
            "no-effect claim vs moderate+ benefit",
            strong_benefit,
            "trials of at least moderate certainty do show a benefit",
            "已有中等以上确定性的试验显示有益",
        )
    if found:
        return _j(
            "supported",
            "no-effect claim, no convincing benefit",
            found,
            "the trials show no effect or only low-certainty benefit",
            "现有试验显示无效或仅有低确定性的获益",
        )
    return _j(
        "not_assessable",
        "no evidence",
        (),
        "nothing in the evidence base addresses it",
        "证据库中没有相关证据",
    )


def _background() -> Judgement:
    return _j(
        "not_assessable",
        "background statement",
        (),
        "a background statement that is not about vitamin K",
        "这是背景陈述，并非关于维生素K的说法",
    )


def _effect(claim: Claim, outcome: str, entries: Sequence[EvidenceEntry]) -> Judgement:
    found = _candidates(claim, outcome, entries)
    trials = [e for e in found if e.endpoint in TRIAL_ENDPOINTS]
    benefit = [e for e in trials if e.direction == "benefit"]
    null = [e for e in trials if e.direction in ("no_effect", "harm")]
    if claim.direction == "harm":
        harms = [e for e in trials if e.direction == "harm"]
        if harms:
            return _j("supported", "harm shown", harms, "trials show this harm", "试验显示了这一危害")
        return _j(
            "not_assessable",
            "harm/statistic not about supplementation",
            (),
            "an epidemiological statement the evidence base does not cover",
            "这是流行病学陈述，证据库未涵盖",
        )
    if (claim.form_inferred or not claim.form) and not (
        claim.refers_to_intervention or claim.study_report or claim.dose
    ):
        return _j(
            "not_assessable",
            "background statement",
            (),
            "a background statement that is not about vitamin K",
            "这是背景陈述，并非关于维生素K的说法",
        )
    if claim.kind == "statistic" and claim.form_inferred and not claim.study_report:
        return _j(
            "not_assessable",
            "statistic not about vitamin K",
            (),
            "a statistic the evidence base does not cover",
            "证据库未涵盖这一统计数字",
        )
    if claim.observational:
        if null and not benefit:
            return _j(
                "not_supported",
                "observational; trials null",
                null,
                "it rests on observational follow-up, and the trials found no difference",
                "依据的是人群随访（观察性）数据，而随机试验未发现差异",
            )
        if benefit:
            return _j(
                "supported",
                "observational; trials agree",
                benefit,
                "trials agree with the observational finding",
                "随机试验与观察性结果一致",
            )
        return _j(
            "not_assessable",
            "observational, nothing in base",
            (),
            "no verified observational or trial evidence in the base",
            "证据库中没有经核实的相关证据",
        )
    if outcome in CLINICAL and not trials:
        surrogate = [e for s in SURROGATES_OF[outcome] for e in _candidates(claim, s, entries)]
        expert = [e for e in found if e.endpoint == "expert"]
        if surrogate or expert:
            return _j(
                "not_supported",
                "clinical outcome without trials",
                surrogate + expert,
                "no trial has measured this outcome; only surrogate markers were studied",
                "没有试验测量过这一临床结局，只有替代指标的研究",
            )
        return _j(
            "not_assessable",
            "no evidence",
            (),
            "nothing in the evidence base addresses it",
            "证据库中没有相关证据",
        )
    if not trials:
        return _j(
            "not_assessable",
            "no evidence",
            (),
            "nothing in the evidence base addresses it",
            "证据库中没有相关证据",
        )
    if not benefit:
        return _j(
            "contradicted",
            "only null trials",
            null,
            "the trials that measured it found no benefit",
            "测量过这一结局的试验没有发现获益",
        )
    if claim.ratio is not None and claim.ratio < 1:
        with_ci = [e for e in benefit if e.effect.lower is not None and e.effect.upper is not None]
        if with_ci and not any(_within(claim.ratio, e.effect.lower, e.effect.upper) for e in with_ci):
            return _j(
                "overstated",
                "size outside CI",
                with_ci,
                "the claimed size lies outside the confidence interval",
                "所称的效应大小超出了置信区间",
            )
    if (
        "general" in claim.population
        and not claim.study_report
        and not any("general" in e.population_tags for e in benefit)
    ):
        return _j(
            "overstated",
            "general population, evidence from special populations",
            benefit,
            "it speaks of the general population, but the trials with a benefit were in special populations",
            "说法针对普通人群，但显示获益的试验只在特定人群中进行",
        )
    if claim.study_report:
        return _j(
            "supported",
            "study report matches",
            benefit,
            "it reports a study whose result the evidence confirms",
            "所述研究的结果与证据一致",
        )
    if claim.certainty == "strong" and _best(benefit) < GRADE_LEVELS.index("high"):
        return _j(
            "overstated",
            "strong wording, evidence not high",
            benefit + null,
            f"it is stated with certainty, but the evidence is {GRADE_LEVELS[_best(benefit)]} certainty"
            + (" and other trials found no effect" if null else ""),
            f"措辞过于肯定，但证据确定性为“{GRADE_ZH[GRADE_LEVELS[_best(benefit)]]}”"
            + ("，且另有试验未发现效果" if null else ""),
        )
    if null and _best(null) > _best(benefit) and claim.certainty != "hedged":
        return _j(
            "overstated",
            "better evidence null",
            benefit + null,
            "the most reliable trials found no effect; only weaker trials show a benefit",
            "最可靠的试验未发现效果，只有较弱的试验显示获益",
        )
    return _j("supported", "benefit shown", benefit, "trials show this benefit", "试验显示了这一获益")


def _pk(claim: Claim, entries: Sequence[EvidenceEntry]) -> Judgement:
    asked = [o for o in claim.outcomes if o in ("half_life", "bioavailability")]
    found = [e for o in asked for e in _candidates(claim, o, entries) if e.pk]
    if not found or not claim.comparative:
        return _j(
            "not_assessable",
            "pk not comparable",
            (),
            "no verified figure for this in the evidence base",
            "证据库中没有经核实的相关数据",
        )
    if claim.ratio is not None and not claim.ratio_is_lower_bound:
        return _j(
            "not_assessable",
            "pk ratio unmeasured",
            found,
            "no source in the base gives this ratio",
            "证据库中没有来源给出这一倍数",
        )
    agree = []
    for o in asked:
        said = [dict(e.pk).get(o) for e in found if o in dict(e.pk)]
        agree.append(bool(said) and all(s == "longer" for s in said))
    if all(agree):
        return _j(
            "supported", "pk agrees", found, "the pharmacokinetic study agrees", "药代动力学研究与此一致"
        )
    if any(agree):
        return _j(
            "overstated",
            "pk partly agrees",
            found,
            "only part of the comparison holds; absorption was similar",
            "比较中只有一部分成立：两者吸收相近",
        )
    return _j(
        "contradicted",
        "pk disagrees",
        found,
        "the pharmacokinetic study found otherwise",
        "药代动力学研究结果相反",
    )


def _intake(claim: Claim, entries: Sequence[EvidenceEntry]) -> Judgement:
    refs = [e for e in entries if e.verified and e.endpoint == "reference_intake"]
    if claim.official and claim.dose is not None:
        if claim.form in ("k2", "mk4", "mk7"):
            return _j(
                "overstated",
                "no K2 reference intake",
                refs,
                "official adequate intakes (90–120 µg a day) are for vitamin K as a whole; "
                "none exists for K2",
                "官方适宜摄入量（每天90–120 µg）针对的是维生素K总量，并没有K2的推荐量",
            )
        ranges = [e for e in refs if e.effect.lower is not None and e.effect.upper is not None]
        if any(
            _overlap(claim.dose.low_ug, claim.dose.high_ug, e.effect.lower, e.effect.upper) for e in ranges
        ):
            return _j(
                "supported",
                "within reference intake",
                refs,
                "it matches the official adequate intakes",
                "与官方适宜摄入量相符",
            )
        if ranges:
            return _j(
                "contradicted",
                "outside reference intake",
                refs,
                "it differs from the official adequate intakes",
                "与官方适宜摄入量不符",
            )
    if claim.official:
        return _j(
            "not_assessable",
            "intake statistic",
            (),
            "no verified intake survey in the evidence base",
            "证据库中没有经核实的摄入量调查",
        )
    if claim.dose is not None:
        near = [
            e
            for e in entries
            if e.verified
            and e.dose_ug
            and e.endpoint in TRIAL_ENDPOINTS
            and compatible(claim.form, e)
            and claim.dose.low_ug / 3 <= e.dose_ug <= claim.dose.high_ug * 3
        ]
        if near:
            return _j(
                "supported", "trial at this dose", near, "trials used a similar dose", "有试验使用了相近剂量"
            )
    return _j(
        "not_supported",
        "dose without trials",
        refs,
        "no trial supports this dose; official intakes cover vitamin K as a whole",
        "没有试验支持这一剂量；官方摄入量针对的是维生素K总量",
    )


def _mechanism(claim: Claim, outcome: str, entries: Sequence[EvidenceEntry]) -> Judgement:
    found = [
        e
        for o in MECHANISM_OUTCOMES
        if o == outcome or o == "mechanism"
        for e in _candidates(claim, o, entries)
    ]
    found = list(dict.fromkeys(found))
    named = [f for f in claim.forms if f != "d3"]
    # A comparison between forms needs an entry that compared forms, including this one.
    compared = any(claim.form in e.forms and len(set(e.forms) - {"d3"}) >= 2 for e in found)
    specific = claim.form in ("mk4", "mk7", "k1")
    if not found or (claim.comparative and (len(named) >= 2 or specific) and not compared):
        return _j(
            "not_assessable",
            "mechanism not covered",
            (),
            "no verified entry addresses this mechanism",
            "证据库中没有经核实的条目涉及这一机制",
        )
    if claim.direction in ("harm", "no_effect") and not any(e.direction == claim.direction for e in found):
        return _j(
            "not_assessable",
            "mechanism, other direction",
            (),
            "the entries describe what vitamin K does, not this harm or absence of effect",
            "证据库条目描述的是维生素K的作用机制，不涉及这一危害或无效的说法",
        )
    if claim.dose is not None and not any(
        e.dose_ug and claim.dose.low_ug / 3 <= e.dose_ug <= claim.dose.high_ug * 3 for e in found
    ):
        return _j(
            "not_assessable",
            "dose-specific mechanism",
            (),
            "no entry studied this dose",
            "没有条目研究过这一剂量",
        )
    if claim.exclusive and claim.form in ("k2", "mk4", "mk7") and any("k1" in e.forms for e in found):
        return _j(
            "overstated",
            "exclusive form",
            found,
            "vitamin K1 does this too, not only K2",
            "维生素K1同样具有这一作用，并非只有K2",
        )
    return _j(
        "supported",
        "mechanism established",
        found,
        "this is established biochemistry or a measured marker",
        "这是公认的生化机制或已测得的标志物变化",
    )


def _outside_scope(claim: Claim) -> Judgement | None:
    """A benefit claim about bone cells, or one comparing vitamin K combined with other agents with
    vitamin K alone: *not assessable*. The base's trials measured bone density and fractures with
    vitamin K alone; they neither observed bone cells nor compared a combination with it alone."""
    if claim.direction != "benefit" or claim.outcome not in (*EFFECT_OUTCOMES, *MECHANISM_OUTCOMES):
        return None
    text = claim.sentence.lower()
    if any(w in text for w in BONE_CELLS):
        return _j(
            "not_assessable",
            "bone cells not measured",
            (),
            "no entry measured effects on bone cells; the trials measured bone density and fractures",
            "证据库中没有测量骨细胞作用的条目，试验测量的是骨密度和骨折",
        )
    if any(w in text for w in COMBINATION):
        return _j(
            "not_assessable",
            "combination not tested",
            (),
            "no trial in the base compares vitamin K combined with other agents against vitamin K alone",
            "证据库中没有试验比较维生素K与其他物质联用和单用的差别",
        )
    return None


def _calcium_routing(claim: Claim, entries: Sequence[EvidenceEntry]) -> Judgement | None:
    """A benefit claim that vitamin K sends calcium to bone rather than to vessels.

    It is one when it names vascular calcification together with bone density or a mechanism, or
    when a mechanism claim speaks of calcium (the mechanism entries measured carboxylation of MGP
    and osteocalcin, not where calcium goes); a claim that names what they measured is left to
    the mechanism rule. Its test is the calcification trials: when some are
    null and none shows a benefit of higher certainty, it is *not supported*."""
    if claim.direction != "benefit":
        return None
    outcomes = set(claim.outcomes)
    mechanism = bool(outcomes & set(MECHANISM_OUTCOMES))
    text = claim.sentence.lower()
    if any(w in text for w in MEASURED_MARKERS) or outcomes & {"osteocalcin", "ucmgp"}:
        return None
    names_calcium = any(w in text for w in CALCIUM)
    if not (
        ("vascular_calcification" in outcomes and ("bmd" in outcomes or mechanism))
        or (claim.outcome in MECHANISM_OUTCOMES and names_calcium)
    ):
        return None
    trials = [
        e
        for e in _candidates(claim, "vascular_calcification", entries)
        if e.endpoint in TRIAL_ENDPOINTS
    ]
    null = [e for e in trials if e.direction in ("no_effect", "harm")]
    benefit = [e for e in trials if e.direction == "benefit"]
    if not null or _best(benefit) > _best(null):
        return None
    return _j(
        "not_supported",
        "calcium routing, calcification trials null",
        null,
        "that vitamin K sends calcium to bone rather than vessels is a mechanistic inference; "
        "the trials that measured vascular calcification found no difference",
        "“把钙送到骨骼而非血管”是机制推论，测量血管钙化的试验未发现差异",
    )


def judge(claim: Claim, entries: Sequence[EvidenceEntry]) -> Judgement:
    """The verdict for one claim (rules in the module docstring)."""
    outcome = claim.outcome
    if any(m in claim.sentence.lower() for m in PRECLINICAL):
        return _j(
            "not_assessable",
            "preclinical",
            (),
            "the evidence base holds human studies only, not laboratory or animal work",
            "证据库只收录人体研究，不包括临床前（细胞或动物）研究",
        )
    if claim.direction == "no_effect" and outcome in (*EFFECT_OUTCOMES, "safety"):
        return _no_effect_claim(claim, outcome, entries)
    scope = _outside_scope(claim)
    if scope is not None:
        return scope
    routing = _calcium_routing(claim, entries)
    if routing is not None:
        return routing
    if outcome == "anticoagulant":
        cautions = [e for e in _candidates(claim, outcome, entries) if e.direction == "caution"]
        if claim.direction == "caution" and cautions:
            return _j(
                "supported",
                "anticoagulant caution",
                cautions,
                "vitamin K supplements can interfere with warfarin-type anticoagulants",
                "维生素K补充剂可干扰华法林类抗凝药",
            )
        return _j(
            "not_assessable",
            "anticoagulant, not a caution",
            (),
            "nothing in the evidence base addresses it",
            "证据库中没有相关证据",
        )
    if outcome == "safety":
        found = _candidates(claim, outcome, entries)
        if not found:
            return _j(
                "not_assessable",
                "no evidence",
                (),
                "nothing in the evidence base addresses it",
                "证据库中没有相关证据",
            )
        if claim.certainty == "strong":
            return _j(
                "overstated",
                "absolute safety",
                found,
                "trials found adverse events like a comparator's; "
                "no upper limit exists only for want of data",
                "试验中的不良反应与对照药相似；未设上限只是因为数据不足，并非证明绝对安全",
            )
        return _j(
            "supported",
            "safety",
            found,
            "no upper limit is set and trials found comparable safety",
            "未设定可耐受最高摄入量，试验中安全性与对照相当",
        )
    if outcome == "intake":
        return _intake(claim, entries)
    if outcome in ("half_life", "bioavailability"):
        return _pk(claim, entries)
    if outcome in MECHANISM_OUTCOMES:
        return _mechanism(claim, outcome, entries)
    if outcome in EFFECT_OUTCOMES:
        verdicts = [_effect(claim, o, entries) for o in claim.outcomes if o in EFFECT_OUTCOMES]
        return max(verdicts, key=lambda j: _SEVERITY[j.verdict])
    return _j(
        "not_assessable",
        "outcome not covered",
        (),
        f"the evidence base does not cover {lexicon.label(outcome, 'en')}",
        f"证据库未涵盖“{lexicon.label(outcome, 'zh')}”",
    )


_SPECIAL = {
    "japanese": ("日本人", "Japanese people"),
    "ckd": ("慢性肾病患者", "people with kidney disease"),
    "osteoporosis": ("骨质疏松患者", "people with osteoporosis"),
}


def caveats(claim: Claim, decisive: Sequence[EvidenceEntry]) -> list[tuple[str, str]]:
    """Indirectness the reader should know about: (zh, en) notes.

    The evidence comes only from special populations while the claim names none; or the trials
    used a dose more than ten times away from the claimed one; or a different form.
    """
    trials = [e for e in decisive if e.endpoint in TRIAL_ENDPOINTS]
    notes: list[tuple[str, str]] = []
    if (
        trials
        and set(claim.population) <= {"general"}
        and not any("general" in e.population_tags for e in trials)
    ):
        special = set.intersection(*(set(e.population_tags) & set(_SPECIAL) for e in trials))
        for tag in sorted(special):
            zh, en = _SPECIAL[tag]
            notes.append((f"证据仅来自{zh}，不能直接推及普通人群", f"the evidence comes only from {en}"))
    if claim.dose is not None:
        doses = [e.dose_ug for e in trials if e.dose_ug]
        if doses and all(d > claim.dose.high_ug * 10 or d < claim.dose.low_ug / 10 for d in doses):
            notes.append(
                ("试验所用剂量与文中剂量相差十倍以上", "the trials used doses more than ten times different")
            )
    if claim.form in ("mk4", "mk7") and trials and all(claim.form not in e.forms for e in trials):
        other = "MK-7" if claim.form == "mk4" else "MK-4"
        notes.append(
            (f"试验用的是其他形式（如{other}），结论不能互换", f"the trials used another form (e.g. {other})")
        )
    return notes


def verdict_grade(claim: Claim, judgement: Judgement) -> str:
    """The GRADE certainty behind a verdict: of the entries that agree with the verdict's reading.

    Supported or overstated: the entries showing what the claim says (its direction); contradicted:
    those showing otherwise; other verdicts: all decisive entries. Empty when not assessable.
    """
    if judgement.verdict == "not_assessable":
        return ""
    entries = list(judgement.decisive)
    if judgement.verdict in ("supported", "overstated"):
        entries = [e for e in entries if e.direction == claim.direction] or entries
    elif judgement.verdict == "contradicted":
        entries = [e for e in entries if e.direction != claim.direction] or entries
    return grade_of(entries)


def explain(claim: Claim, judgement: Judgement, language: str) -> str:
    """A short explanation in the article's language citing the decisive entries."""
    word = VERDICT_WORDS[judgement.verdict]["zh" if language == "zh" else "en"]
    cites = "; ".join(f"{e.summary(language)} [{e.id}]" for e in judgement.decisive[:3])
    grade = verdict_grade(claim, judgement)
    notes = caveats(claim, judgement.decisive) if judgement.verdict != "not_assessable" else []
    if language == "zh":
        g = f"（证据确定性：{GRADE_ZH[grade]}）" if grade else ""
        extra = "".join(f"注意：{zh}。" for zh, _ in notes)
        return f"{word}：{judgement.reason_zh}{g}。{extra}" + (f"依据：{cites}" if cites else "")
    g = f" (certainty of evidence: {grade})" if grade else ""
    extra = "".join(f" Note: {en}." for _, en in notes)
    return f"{word}: {judgement.reason_en}{g}.{extra}" + (f" Evidence: {cites}" if cites else "")
