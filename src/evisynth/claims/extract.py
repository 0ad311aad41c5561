"""Find the health claims in an article and give each its structure.

A sentence (``text.sentence_spans``) is a claim when it names a health outcome from the lexicon
(or a vitamin K form with a dose), says something about it — an effect verb, a negation ("no
trial has shown"), a caution, a recommendation, a safety statement, a number with a unit, a
percentage or a fold change — and is not a question, a heading, or a reference-list line.

Its structure, by rules that work on the NFKC-normalised sentence in either language:

* ``outcome``: the first outcome in :data:`OUTCOME_ORDER` (clinical before surrogate); an
  intake/dose recommendation with a quantity is an ``intake`` claim; a sentence about
  anticoagulants is an ``anticoagulant`` claim.
* ``form``: the most specific vitamin K form named (MK-4 > MK-7 > K1 > K2 > vitamin K); when the
  sentence names none ("它也有助于预防骨折"), the last form named earlier in the article
  (``form_inferred``).
* ``direction``: ``no_effect`` for negations (尚无/不支持/did not/no evidence), ``caution`` for
  warnings (谨慎/咨询医生/interfere), ``harm`` for increased risk, else ``benefit``; a negated
  harm ("没有副作用", "not toxic") is a safety claim in the ``benefit`` direction.
* ``certainty``: ``strong`` (证实/显著/至关重要/proven/significantly/essential …), ``hedged``
  (可能/似乎/轻微/may/might/slight …) or ``neutral``.
* ``ratio``: 一半/halves = 0.5, "降低64%" = 0.36, "两倍"/"twice" = 2 (a lower bound with 或更多/at
  least); ``study_report`` when the sentence reports one named study rather than generalising;
  ``observational`` when it rests on people followed up or associations; ``exclusive`` for
  "only"/只有; ``recommendation`` for recommended intakes and doses.
"""

from __future__ import annotations

import re

from evisynth.claims import lexicon
from evisynth.claims.model import Claim
from evisynth.claims.text import detect_language, normalize, quantities, sentence_spans

#: Topics a sentence is mainly about come first; then clinical outcomes before surrogates; a dose
#: mentioned in passing ("intake") last.
HEAD: tuple[str, ...] = ("anticoagulant", "drug_interaction", "testing", "storage", "coagulation")
OUTCOME_ORDER: tuple[str, ...] = (
    *HEAD,
    "fracture",
    "cvd_events",
    "mortality",
    "vascular_calcification",
    "cimt",
    "arterial_stiffness",
    "bmd",
    "half_life",
    "bioavailability",
    "safety",
    "osteocalcin",
    "ucmgp",
    "deficiency",
    "food_source",
    "mechanism",
    "intake",
)


def _rx(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(words), re.IGNORECASE)


_EFFECT = _rx(
    "增加",
    "提高",
    "改善",
    "降低",
    "减少",
    "预防",
    "防止",
    "促进",
    "抑制",
    "延缓",
    "维持",
    "保持",
    "激活",
    "有助于",
    "帮助",
    "保护",
    "阻止",
    "减缓",
    "保障",
    "善待",
    "干扰",
    "导致",
    "影响",
    "发挥",
    "清除",
    "构建",
    "减半",
    "升高",
    "下降",
    "吸收",
    "转化",
    "停留",
    "产生",
    "安全",
    "毒性",
    "副作用",
    "推荐",
    "建议",
    "补充量",
    "摄入量",
    "风险",
    "有效",
    "不被储存",
    "测试",
    "检测",
    "剂量",
    "可以",
    "能够",
    "会",
    "是",
    "作用",
    "参与",
    "起着",
    "承担",
    "含有",
    r"\bincreas",
    r"\bimprov",
    r"\breduc",
    r"\blower",
    r"\bprevent",
    r"\bprotect",
    r"\bhelps?\b",
    r"\bslow",
    r"\bmaintain",
    r"\bactivat",
    r"\bhalve",
    r"\binterfer",
    r"\bcaus",
    r"\brecommend",
    r"\bsafe",
    r"\btoxic",
    r"\bis\b",
    r"\bare\b",
    r"\bcan\b",
    r"\bwill\b",
)
_NO_EFFECT = _rx(
    "尚无",
    "没有证据",
    "无证据",
    "不支持",
    "尚不明确",
    "不明确",
    "不能",
    "未能",
    "未显示",
    "没有显示",
    "无差异",
    "没有差异",
    "不推荐",
    "不建议",
    "并不会",
    "不会真正",
    "没有得到",
    "尚未",
    "均不",
    "并不",
    r"\bno evidence\b",
    r"\bnot supported\b",
    r"\bdid not\b",
    r"\bdoes not\b",
    r"\bno effect\b",
    r"\bunclear\b",
    r"\bno difference\b",
    r"\bnot recommend",
    r"\bno (?:large|high-quality|good) ",
)
_SAFE = re.compile(
    r"(?:没有|无|不会|未见|未发现|不)[^，,。;；]{0,10}(?:副作用|毒性|伤害|不良反应|中毒)|(?:副作用|毒性)[^，,。]{0,4}(?:很少|罕见)"
    r"|通常是安全的|安全地|是安全的|(?:no|not|without)\b[^,.;]{0,20}(?:side effects?|toxic|harm)|\bsafe\b",
    re.IGNORECASE,
)
_CAUTION = _rx("谨慎", "咨询医生", "应咨询", "干扰", "慎用", r"\bcaution", r"\bconsult", r"\binterfer")
_HARM = re.compile(
    r"(?:增加|升高|提高|加大)[^，,。]{0,12}风险|风险[^，,。]{0,6}(?:增加|升高)|死亡率增加|导致|会死亡"
    r"|\bincreas\w*[^,.]{0,20}risk|\brisk[^,.]{0,12}increas|\bcaus",
    re.IGNORECASE,
)
_STRONG = _rx(
    "证实",
    "证明",
    "显著",
    "显着",
    "明显",
    "至关重要",
    "一定",
    "必须",
    "肯定",
    "极大",
    "最大程度",
    "确实",
    "双重",
    "才是",
    "只有",
    "精准",
    "保障",
    r"\bproven\b",
    r"\bproves?\b",
    r"\bdefinitely\b",
    r"\bclearly\b",
    r"\bsignificantly\b",
    r"\bessential\b",
    r"\bgreatly\b",
    r"\bdramatically\b",
    r"\balways\b",
    r"\bguarantee",
)
_HEDGED = _rx(
    "可能",
    "或许",
    "似乎",
    "也许",
    "轻微",
    "略有",
    "略微",
    "据称",
    "大约",
    "通常",
    r"\bmay\b",
    r"\bmight\b",
    r"\bcould\b",
    r"\bpossibly\b",
    r"\bappears?\b",
    r"\bseems?\b",
    r"\bslight",
    r"\bmodest",
    r"\bsuggests?\b",
    r"\bgenerally\b",
)
_STUDY = _rx(
    "一项",
    "该研究",
    r"研究(?:发现|中)",
    "同一项研究",
    "其中一项",
    "这些试验",
    "多项临床试验",
    "为期两年的研究",
    r"\ba study\b",
    r"\bone study\b",
    r"\bthe trial\b",
    r"\bin one\b",
    r"\bthe study\b",
)
_OBSERVATIONAL = _rx(
    "随访",
    "队列",
    "观察性",
    "人群中",
    "摄入量高的人群",
    "水平较低",
    r"\bobservational\b",
    r"\bcohort\b",
    r"\bassociat",
    r"\bfollowed up\b",
)
_RECOMMEND = _rx(
    "推荐",
    "建议",
    "补充量",
    "好的剂量",
    "剂量是",
    "提高剂量",
    "摄入量",
    r"\brecommend",
    r"\badequate intake\b",
    r"\bgood dose\b",
)
_EXCLUSIVE = _rx("只有", "唯一", "仅有", "仅限", r"\bonly\b", r"\bsolely\b")
_COMPARATIVE = _rx("比", "更", "倍", r"\bthan\b", r"\btwice\b", r"\bmore\b", r"\blonger\b")
_NOT_CLAIM = re.compile(
    r"(?:\?|？|吗)\s*$|doi:|\[J\]|https?://|^\s*\*\*[^*]+\*\*\s*$|^参考|^资料来源|^\s*(?:目的|方法|objectives?|methods?|aims?)\s*[:：]"
    # a pointer to further reading; a critique's bullet point opening with its own short label
    r"|可参阅|了解更多|\bsee also\b|\bread more\b|^\s*[•·▪]\s*[^:：。，,]{2,24}[:：]",
    re.IGNORECASE,
)
# The critique's own voice: remarks about what a speaker said or how he put it, not claims of its own.
_META = _rx(
    "表述",
    "论点",
    "论据",
    "听众",
    "对话",
    "他提到",
    "他的",
    "解读",
    "讨论",
    "听起来",
    "评判",
    r"\bthe speaker\b",
    r"\bhe said\b",
)
# What makes a sentence about an intervention or its evidence even when no vitamin K form is named.
_AGENT = _rx(
    "这种组合",
    "该组合",
    "联合",
    "研究",
    "试验",
    "证据",
    r"维生素\s*d\s*和\s*k",
    r"\bstud(?:y|ies)\b",
    r"\btrials?\b",
    r"\bevidence\b",
    r"\bcombination\b",
)
# A study described by what it looked at, not by what it found.
_EVALUATED = _rx("评估了", "评价了", "考察了", r"\bevaluated\b", r"\bassessed\b", r"\binvestigated\b")
_FOUND = _rx(
    "发现", "显示", "表明", "证实", "降低", "减少", "增加", r"\bfound\b", r"\bshow", r"\breduc", r"\bincreas"
)
_BECAUSE = _rx("因为", "由于", "通过", "机制", r"\bbecause\b", r"\bby activating\b", r"\bthrough\b")
_OFFICIAL = _rx(
    "推荐摄入量",
    "补充量",
    "摄入量",
    "建议水平",
    "推荐量",
    r"\brecommended (?:daily )?intake\b",
    r"\badequate intake\b",
    r"\brda\b",
    r"\brecommended\b",
)
_INTERVENTION = _rx(
    "它",
    "补充",
    "剂量",
    "服用",
    "摄入",
    "治疗",
    r"\bit\b",
    r"\bsupplement",
    r"\bdose",
    r"\btaking\b",
    r"\bintake\b",
)
_HALF = _rx("一半", "减半", r"\bhalve", r"\bby half\b")
_PERCENT_DOWN = re.compile(
    r"(?:降低|减少|下降)[^，,。\d]{0,6}(\d+(?:\.\d+)?)\s*%|(\d+(?:\.\d+)?)\s*%[^，,。]{0,4}(?:lower|fewer|less)"
)
_FOLD = re.compile(
    r"(\d+(?:\.\d+)?|两|二|三|四|五|八|十)\s*倍|\b(twice|two-fold|2-fold|three times|3-fold)\b", re.IGNORECASE
)
_AT_LEAST = _rx("或更多", "以上", "至少", r"\bat least\b", r"\bor more\b")
_ZH_FOLD = {
    "两": 2.0,
    "二": 2.0,
    "三": 3.0,
    "四": 4.0,
    "五": 5.0,
    "八": 8.0,
    "十": 10.0,
    "twice": 2.0,
    "two-fold": 2.0,
    "2-fold": 2.0,
    "three times": 3.0,
    "3-fold": 3.0,
}
_STAT = re.compile(r"\d+(?:\.\d+)?\s*%|\d+\s*倍|[一二两三四五六七八九十]+倍|\d+\s*(?:处|例|人)")


HEADING_MAX = 30


def _is_heading(text: str, start: int, end: int) -> bool:
    """A short line of its own without sentence-ending punctuation ("剂量建议与研究依据")."""
    whole_line = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
    raw = text[start:end].strip()
    return (
        whole_line
        and len(raw) < HEADING_MAX
        and not raw.endswith(("。", "！", "!", ".", "；", ";", ")", "）"))
    )


def _primary_form(t: str, forms: list[str]) -> str:
    """The first form named, except that "K2 MK-4" / "维生素K2(MK-7)" means the specific menaquinone."""
    if forms[0] == "k2" and len(forms) > 1 and forms[1] in ("mk4", "mk7"):
        k2 = re.search(r"k2", t)
        mk = re.search(r"mk-?[47]", t)
        if k2 and mk and 0 <= mk.start() - k2.end() <= 4:
            return forms[1]
    return forms[0]


def _ratio(t: str) -> tuple[float | None, bool, str]:
    if m := _HALF.search(t):
        return 0.5, False, m.group()
    if m := _PERCENT_DOWN.search(t):
        pct = float(m.group(1) or m.group(2))
        if pct < 100:
            return round(1 - pct / 100, 4), False, m.group()
    if m := _FOLD.search(t):
        raw = (m.group(1) or m.group(2)).lower()
        value = _ZH_FOLD.get(raw) or float(raw)
        return value, bool(_AT_LEAST.search(t[m.start() : m.end() + 8])), m.group()
    return None, False, ""


def _kind(outcome: str, direction: str, t: str, recommendation: bool, has_dose: bool) -> str:
    if outcome == "intake":
        return "intake" if recommendation else "dose"
    if outcome in ("safety", "anticoagulant"):
        return "safety"
    if outcome in ("half_life", "bioavailability"):
        return "pk"
    if outcome in ("mechanism", "osteocalcin", "ucmgp"):
        return "mechanism"
    if _STAT.search(t) and not has_dose:
        return "statistic"
    return "effect"


def extract_claims(text: str, language: str = "auto") -> list[Claim]:
    """The claims of ``text`` in reading order (ids ``c1``, ``c2`` …)."""
    lang = detect_language(text) if language == "auto" else language
    claims: list[Claim] = []
    last_form = ""
    for start, end in sentence_spans(text):
        raw = text[start:end]
        t = normalize(raw).lower()
        forms = lexicon.find(t, "form")
        k_forms = [f for f in forms if f != "d3"]
        if k_forms:
            named_form = _primary_form(t, k_forms)
        outcomes = lexicon.find(t, "outcome")
        doses = quantities(t)
        if len(t) < 8 or _NOT_CLAIM.search(raw.strip()) or _is_heading(text, start, end):
            if k_forms:
                last_form = named_form
            continue
        safe = bool(_SAFE.search(t))
        if (
            _META.search(t)
            or (_EVALUATED.search(t) and not _FOUND.search(t))
            or not (
                k_forms or doses or safe or _STAT.search(t) or _INTERVENTION.search(t) or _AGENT.search(t)
            )
        ):
            # the critique's remarks; general physiology with no vitamin K, dose or intervention in it
            if k_forms:
                last_form = named_form
            continue
        if not outcomes and not (k_forms and doses):
            if k_forms:
                last_form = named_form
            continue
        if not (
            _EFFECT.search(t)
            or doses
            or _STAT.search(t)
            or _NO_EFFECT.search(t)
            or safe
            or _CAUTION.search(t)
        ):
            if k_forms:
                last_form = named_form
            continue
        recommendation = bool(_RECOMMEND.search(t))
        order = list(OUTCOME_ORDER)
        if safe and "safety" not in outcomes:
            outcomes.append("safety")
        if recommendation and doses and "intake" in outcomes:
            order.remove("intake")
            order.insert(0, "intake")
        if safe:
            order.remove("safety")
            order.insert(len(HEAD), "safety")
        if "mechanism" in outcomes and _BECAUSE.search(t):
            order.remove("mechanism")
            order.insert(0, "mechanism")
        ranked = sorted(set(outcomes) or {"intake"}, key=order.index)
        outcome = ranked[0]
        if safe:
            direction = "benefit"
        elif _CAUTION.search(t):
            direction = "caution"
        elif _NO_EFFECT.search(t):
            direction = "no_effect"
        elif _HARM.search(t) and not re.search(
            r"(?:降低|减少)[^，,。]{0,8}风险|\breduc\w*[^,.]{0,12}risk", t
        ):
            direction = "harm"
        else:
            direction = "benefit"
        strong = _STRONG.findall(re.sub(r"明显的?(?:副作用|不良反应)", "", t))
        hedged = _HEDGED.findall(t)
        certainty = "strong" if strong and not hedged else "hedged" if hedged and not strong else "neutral"
        ratio, lower_bound, magnitude = _ratio(t)
        if forms == ["d3"]:
            form, inferred = "d3", False
        elif k_forms:
            form, inferred = named_form, False
            last_form = named_form
        else:
            form, inferred = last_form, bool(last_form)
        claims.append(
            Claim(
                id=f"c{len(claims) + 1}",
                sentence=raw,
                start=start,
                end=end,
                language=lang,
                kind=_kind(outcome, direction, t, recommendation, bool(doses)),
                outcome=outcome,
                outcomes=tuple(ranked),
                direction=direction,
                certainty=certainty,
                form=form,
                form_inferred=inferred,
                forms=tuple(forms),
                dose=doses[0] if doses else None,
                population=tuple(lexicon.find(t, "population")),
                magnitude=magnitude,
                ratio=ratio,
                ratio_is_lower_bound=lower_bound,
                certainty_words=tuple(dict.fromkeys(w.strip() for w in (*strong, *hedged))),
                study_report=bool(_STUDY.search(t)),
                observational=bool(_OBSERVATIONAL.search(t)),
                recommendation=recommendation,
                official=bool(_OFFICIAL.search(t)),
                refers_to_intervention=bool(_INTERVENTION.search(t)),
                exclusive=bool(_EXCLUSIVE.search(t)),
                comparative=bool(_COMPARATIVE.search(t)),
            )
        )
    return claims
