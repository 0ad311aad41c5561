"""Render a claim appraisal (a plain context built by ``evisynth.services.claims``) to HTML."""

from __future__ import annotations

from typing import Any

from evisynth.report.html import _ENV

CLAIM_LABELS = {
    "zh": {
        "claims": "条健康说法",
        "legend": "颜色说明",
        "omissions": "文章遗漏了什么",
        "terminology": "术语问题",
        "evidence": "证据",
        "certainty": "证据确定性",
        "decisive": "决定判定的证据",
        "related": "相关证据",
        "unverified": "未核实（不用于判定）",
        "source": "出处",
        "quote": "原文",
        "how": "怎么读这份报告",
        "how_text": "文中每一条健康说法都用颜色标出并写明判定；点击该句即可展开依据的证据。"
        "“证据确定性”是GRADE分级：高、中、低、极低，越低表示真实效果越可能与研究结果不同。",
        "integrity": "可信度问题",
    },
    "en": {
        "claims": "health claims",
        "legend": "What the colours mean",
        "omissions": "What the article leaves out",
        "terminology": "Terminology",
        "evidence": "Evidence",
        "certainty": "Certainty of evidence",
        "decisive": "Evidence behind the verdict",
        "related": "Related evidence",
        "unverified": "Not verified (not used for the verdict)",
        "source": "Source",
        "quote": "Quoted",
        "how": "How to read this report",
        "how_text": "Every health claim in the article is coloured and labelled with its verdict; click the "
        "sentence to open the evidence. 'Certainty of evidence' is the GRADE rating — high, "
        "moderate, low, very low: the lower it is, the more the true effect may differ.",
        "integrity": "Integrity concerns",
    },
}


def render_claims_html(context: dict[str, Any]) -> str:
    """One HTML page with inline CSS; every value from the article or the evidence is escaped."""
    labels = CLAIM_LABELS["zh" if context.get("language") == "zh" else "en"]
    return _ENV.get_template("claims.html.j2").render(**context, T=labels)
