"""The bilingual vitamin K lexicon: concept ids with their Chinese and English surface forms.

One table serves three purposes: segmentation (every surface form is a dictionary word for the
maximum-matching segmenter), cross-language retrieval (a term and its concept id are both
tokens, so 骨折 and "fracture" meet on ``§fracture``), and claim structure (which form, outcome
and population a sentence names). Surface forms are matched on NFKC-normalised lower-case text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evisynth.claims.text import normalize


@dataclass(frozen=True)
class Concept:
    id: str
    kind: str  # form | outcome | population | topic
    zh: tuple[str, ...]
    en: tuple[str, ...]
    label_zh: str
    label_en: str


def _c(id_: str, kind: str, zh: str, en: str, label_zh: str, label_en: str) -> Concept:
    return Concept(
        id_, kind, tuple(zh.split("|")) if zh else (), tuple(en.split("|")) if en else (), label_zh, label_en
    )


CONCEPTS: tuple[Concept, ...] = (
    # Forms of vitamin K (most specific first; `k` is vitamin K without a form).
    _c(
        "mk4",
        "form",
        "mk-4|mk4|甲萘醌-4|甲萘醌4|甲喹酮-4|四烯甲萘醌|四烯甲萘醌-4|维生素k2(mk-4)",
        "mk-4|mk4|menaquinone-4|menatetrenone",
        "MK-4（四烯甲萘醌）",
        "MK-4 (menatetrenone)",
    ),
    _c("mk7", "form", "mk-7|mk7|甲萘醌-7|甲萘醌7", "mk-7|mk7|menaquinone-7|menaq7", "MK-7", "MK-7"),
    _c(
        "k1",
        "form",
        "维生素k1|维生素k₁|叶绿醌|叶醌|植物甲萘醌|k1",
        "vitamin k1|phylloquinone|phytonadione|k1",
        "维生素K1",
        "vitamin K1",
    ),
    _c(
        "k2",
        "form",
        "维生素k2|维生素k:|维生素k：|甲萘醌|菜醌|k2",
        "vitamin k2|menaquinones|menaquinone|k2",
        "维生素K2",
        "vitamin K2",
    ),
    _c("k", "form", "维生素k|vk", "vitamin k", "维生素K", "vitamin K"),
    _c(
        "d3",
        "form",
        "维生素d3|维生素d|胆钙化醇",
        "vitamin d3|vitamin d|cholecalciferol",
        "维生素D",
        "vitamin D",
    ),
    # Outcomes, clinical first.
    _c(
        "fracture",
        "outcome",
        "骨折|脊椎骨折|椎体骨折|髋部骨折",
        "fracture|fractures|fractured",
        "骨折",
        "fractures",
    ),
    _c(
        "cvd_events",
        "outcome",
        "心血管病|心血管疾病|心血管结局|心血管事件|心血管预防|心血管风险|心血管|心脏健康|心梗|"
        "中风|心脏病|冠心病|心脏",
        "cardiovascular disease|cardiovascular events|cardiovascular|heart attack|stroke|heart disease|heart",
        "心血管事件",
        "cardiovascular events",
    ),
    _c("mortality", "outcome", "死亡率|死亡|全因死亡", "mortality|death|die", "死亡", "mortality"),
    _c(
        "bmd",
        "outcome",
        "骨密度|骨矿物质密度|骨质流失|骨丢失|骨量|骨强度|骨骼健康|骨指标|骨转换|骨质疏松症|骨质疏松|"
        "骨松症|骨骼|护骨|新的骨骼|骨头|骨分解|矿物质流失|矿物质密度",
        "bone mineral density|bmd|bone loss|bone density|bone health|bone mass|"
        "osteoporosis|bone strength|bone",
        "骨密度",
        "bone mineral density",
    ),
    _c(
        "vascular_calcification",
        "outcome",
        "血管钙化|动脉钙化|钙化|冠状动脉钙化|冠脉钙化|动脉斑块|斑块|堵血管|血管里|血管中",
        "vascular calcification|arterial calcification|calcification|coronary artery calcium|"
        "coronary calcification|plaque",
        "血管钙化",
        "vascular calcification",
    ),
    _c(
        "cimt",
        "outcome",
        "内膜中层厚度|内膜厚度|颈动脉内膜",
        "intima-media thickness|cimt|imt",
        "颈动脉内膜中层厚度",
        "carotid intima-media thickness",
    ),
    _c(
        "arterial_stiffness",
        "outcome",
        "动脉僵硬|动脉硬化|血管弹性|动脉更富弹性|脉搏波速度|cfpwv",
        "arterial stiffness|pulse wave velocity|pwv|cfpwv",
        "动脉僵硬度",
        "arterial stiffness",
    ),
    _c(
        "anticoagulant",
        "outcome",
        "华法林|抗凝药|抗凝剂|抗凝血药|抗凝|血液稀释剂|维生素 k 拮抗剂|维生素k拮抗剂",
        "warfarin|anticoagulant|anticoagulants|blood thinner|blood thinners|vitamin k antagonist|inr",
        "抗凝药相互作用",
        "anticoagulant interaction",
    ),
    _c(
        "half_life",
        "outcome",
        "半衰期|停留的时间|停留|蓄积",
        "half-life|half life|stays in the blood",
        "半衰期",
        "half-life",
    ),
    _c(
        "bioavailability",
        "outcome",
        "生物利用率|生物利用度|吸收",
        "bioavailability|absorption|absorbed",
        "生物利用度/吸收",
        "bioavailability / absorption",
    ),
    _c(
        "intake",
        "outcome",
        "推荐摄入量|摄入量|补充量|剂量|建议水平|每日|每天",
        "recommended intake|intake|dose|daily|a day|per day|adequate intake",
        "摄入量与剂量",
        "intake and dose",
    ),
    _c(
        "safety",
        "outcome",
        "副作用|毒性|中毒|安全|不良反应|无害|伤害",
        "side effect|side effects|toxic|toxicity|safe|safety|adverse",
        "安全性",
        "safety",
    ),
    _c(
        "osteocalcin",
        "outcome",
        "骨钙素|羧化骨钙素|未羧化骨钙素|羧化",
        "osteocalcin|carboxylation|carboxylated",
        "骨钙素羧化",
        "osteocalcin carboxylation",
    ),
    _c(
        "ucmgp",
        "outcome",
        "dp-ucmgp|未羧化的基质",
        "dp-ucmgp|ucmgp",
        "未活化基质Gla蛋白",
        "inactive matrix Gla protein",
    ),
    _c(
        "mechanism",
        "outcome",
        "基质gla蛋白|基质谷氨酸|mgp|激活|成骨细胞|破骨细胞|转化|机制|导航|管理者",
        "matrix gla protein|mgp|activates|osteoblast|osteoclast|converted|mechanism",
        "作用机制",
        "mechanism",
    ),
    _c("deficiency", "outcome", "缺乏症|缺乏", "deficiency|deficient", "维生素K缺乏", "vitamin K deficiency"),
    _c("storage", "outcome", "储存|贮存", "stored|storage", "体内储存", "storage in the body"),
    _c("testing", "outcome", "检测|测试|血液测试", "test|tests|testing|assay", "检测方法", "testing"),
    _c(
        "drug_interaction",
        "outcome",
        "双膦酸盐|质子泵抑制剂|皮质类固醇|依替膦酸盐|阿仑膦酸",
        "bisphosphonate|bisphosphonates|proton pump inhibitor|corticosteroid",
        "与其他药物的相互作用",
        "interaction with other drugs",
    ),
    _c("coagulation", "outcome", "凝血|血液凝结|血液凝固", "clotting|coagulation", "凝血", "blood clotting"),
    _c(
        "food_source",
        "outcome",
        "绿叶蔬菜|肠道菌群|肠道细菌|纳豆|奶酪|发酵食品|动物内脏|食物来源|食物中|饮食",
        "leafy green|gut bacteria|natto|cheese|fermented food|food sources|foods|diet",
        "食物来源",
        "food sources",
    ),
    # Populations.
    _c(
        "postmenopausal",
        "population",
        "绝经后|更年期|绝经",
        "postmenopausal|post-menopausal|menopause",
        "绝经后女性",
        "postmenopausal women",
    ),
    _c(
        "elderly",
        "population",
        "老年|老人|中老年|50岁以上|60 岁及以上",
        "elderly|older adults|older people",
        "老年人",
        "older people",
    ),
    _c(
        "osteoporosis",
        "population",
        "骨质疏松症患者|骨质疏松患者|骨松症|骨质疏松症妇女|骨质疏松症的老年患者|低骨量",
        "osteoporotic|with osteoporosis|low bone mass",
        "骨质疏松患者",
        "people with osteoporosis",
    ),
    _c(
        "ckd",
        "population",
        "慢性肾脏病|肾病|透析|肾移植",
        "chronic kidney disease|ckd|dialysis|kidney",
        "慢性肾病患者",
        "chronic kidney disease",
    ),
    _c(
        "general",
        "population",
        "普通人群|一般人群|健康的成人|成人|成年人|大多数人|所有人",
        "general population|healthy adults|adults|everyone",
        "普通人群",
        "general population",
    ),
    _c("japanese", "population", "日本", "japan|japanese", "日本人", "Japanese"),
)

BY_ID: dict[str, Concept] = {c.id: c for c in CONCEPTS}
OUTCOME_PRIORITY: tuple[str, ...] = tuple(c.id for c in CONCEPTS if c.kind == "outcome")

#: surface form (normalised, lower case) -> concept id; the segmentation dictionary.
TERMS: dict[str, str] = {}
for _concept in CONCEPTS:
    for _form in (*_concept.zh, *_concept.en):
        TERMS.setdefault(normalize(_form).lower(), _concept.id)

#: Extra dictionary words for segmentation only (domain terms that are not concepts of their own).
for _word in ("骨钙素", "羟基磷灰石", "维生素", "补充剂", "荟萃分析", "随机对照", "安慰剂", "纳豆", "奶酪"):
    TERMS.setdefault(_word, "w:" + _word)

_ASCII_TERM = re.compile(r"^[a-z0-9 .:\-()]+$")


def _pattern(forms: list[str]) -> re.Pattern[str]:
    parts = []
    for f in sorted(forms, key=len, reverse=True):
        e = re.escape(f)
        parts.append(rf"(?<![a-z0-9]){e}(?![a-z0-9])" if _ASCII_TERM.match(f) else e)
    return re.compile("|".join(parts))


_PATTERNS: dict[str, re.Pattern[str]] = {
    c.id: _pattern([normalize(f).lower() for f in (*c.zh, *c.en)]) for c in CONCEPTS
}


def find(text: str, kind: str) -> list[str]:
    """Concept ids of one kind named in ``text``: forms by first position, others in table order.

    A more specific form hides the general one it contains (MK-4 is also "K2"; "维生素K2" also
    contains "维生素K"), so ``k`` is reported only when no form is named.
    """
    t = normalize(text).lower()
    found: list[tuple[int, str]] = []
    masked = t
    for c in CONCEPTS:
        if c.kind != kind:
            continue
        if m := _PATTERNS[c.id].search(masked):
            found.append((m.start() if kind == "form" else len(found), c.id))
            if kind == "form":
                masked = _PATTERNS[c.id].sub(lambda x: " " * len(x.group()), masked)
    return [cid for _, cid in sorted(found)]


def label(concept_id: str, language: str) -> str:
    c = BY_ID.get(concept_id)
    if c is None:
        return concept_id
    return c.label_zh if language == "zh" else c.label_en


#: Wrong or misleading terms seen in Chinese and English writing on vitamin K, with the correct
#: term (zh, en). Matched on normalised lower-case text.
TERMINOLOGY: tuple[tuple[str, str, str], ...] = (
    (
        "甲喹酮",
        "“甲喹酮”应为“甲萘醌”（menaquinone）；MK-4即甲萘醌-4（四烯甲萘醌）。",
        "'甲喹酮' should read '甲萘醌' (menaquinone); MK-4 is menaquinone-4 (menatetrenone).",
    ),
    (
        "骨钙蛋白",
        "“骨钙蛋白”易与骨钙素混淆；OPG（osteoprotegerin）的规范译名是“骨保护素”。",
        "'骨钙蛋白' is easily confused with osteocalcin; OPG (osteoprotegerin) is 骨保护素.",
    ),
    (
        "matrix gal protein",
        "“Matrix Gal Protein”应为“Matrix Gla Protein”（基质Gla蛋白）。",
        "'Matrix Gal Protein' should read 'Matrix Gla Protein'.",
    ),
    (
        "基质谷氨酸",
        "MGP是“基质Gla蛋白”（含γ-羧基谷氨酸的蛋白），不是“基质谷氨酸”。",
        "MGP is matrix Gla protein (a γ-carboxyglutamate protein), not 'matrix glutamate'.",
    ),
    (
        "mki到mk14",
        "“MKI”应为“MK-1”（甲萘醌按侧链异戊二烯单位数记为MK-n）。",
        "'MKI' should read 'MK-1' (menaquinones are named MK-n by their isoprenoid units).",
    ),
)


def terminology(text: str) -> list[tuple[str, str, str]]:
    """The wrong terms of :data:`TERMINOLOGY` found in ``text``: (term, note_zh, note_en)."""
    t = normalize(text).lower()
    return [entry for entry in TERMINOLOGY if entry[0] in t]
