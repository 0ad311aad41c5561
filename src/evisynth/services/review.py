"""Review-project operations the CLI calls: new, import/export, check, report, demo."""

from __future__ import annotations

import base64
import json
import math
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from evisynth import __version__
from evisynth.analysis.pooling import pool
from evisynth.analysis.review import SynthesisResult, synthesise
from evisynth.core.meta import AUTO_I2_THRESHOLD, AUTO_Q_P_THRESHOLD
from evisynth.core.results import PoolResult, StudyRow, format_p
from evisynth.plotting import (
    RobData,
    bubble_plot,
    effect_direction_plot,
    figure_to_bytes,
    forest_plot,
    funnel_plot,
    judgements_from_mapping,
    prisma2020_flow,
    prisma_flow,
    rob1_judgements,
    rob1_summary,
    rob1_traffic_light,
    sensitivity_plot,
    traffic_light_plot,
)
from evisynth.plotting.forest import format_p_revman
from evisynth.report.document import Block, ReportDocument, Table
from evisynth.report.docx import render_docx
from evisynth.report.html import render_review_html
from evisynth.report.labels import labels
from evisynth.review import checks
from evisynth.review.appraisal import RobAssessment
from evisynth.review.extraction import compare_extractions, consensus, standing_values
from evisynth.review.model import Protocol, Review
from evisynth.review.narrative import EffectDirection, effect_direction, effect_direction_table
from evisynth.review.screening import PrismaFlow
from evisynth.services import appraisal_tables
from evisynth.services import screening as screening_services
from evisynth.storage import records as record_store
from evisynth.storage.errors import StorageError
from evisynth.storage.project import Project, open_project

#: The seed-000 review shipped with the package (docs/review-bundle.md).
EXAMPLE_BUNDLE = Path(__file__).resolve().parents[1] / "examples" / "vitk2"
PROJECT_FILE = "project.sqlite"


@dataclass(frozen=True)
class ReportOutput:
    """Where a report was written and the numbers it holds."""

    html: Path | None
    results: Path | None
    content: dict[str, Any]
    docx: Path | None = None
    tables: tuple[Path, ...] = ()

    def paths(self) -> list[Path]:
        return [p for p in (self.html, self.results, self.docx, *self.tables) if p is not None]


def new_project(path: Path, *, title: str, language: str, actor: str) -> Project:
    """Create an empty review project (SQLite file, or a database URL)."""
    if Path(path).exists():
        raise StorageError(f"{path} already exists; choose a new file name")
    project = open_project(path, create=True)
    project.save_review(Review(id=Path(path).stem, protocol=Protocol(title=title,
                                                                      language=language)),  # type: ignore[arg-type]
                        actor)
    return project


def import_bundle(project_path: Path, folder: Path, *, actor: str, create: bool) -> int:
    """Import a bundle into a project in one transaction; returns the changes written."""
    project = open_project(project_path, create=create)
    try:
        return project.import_bundle(folder, actor)
    finally:
        project.close()


def export_bundle(project_path: Path, folder: Path) -> None:
    project = open_project(project_path)
    try:
        project.export_bundle(folder)
    finally:
        project.close()


def check_project(project_path: Path) -> tuple[checks.Finding, ...]:
    project = open_project(project_path)
    try:
        return checks.run_checks(project.load_review())
    finally:
        project.close()


def finding_locations(finding: checks.Finding) -> str:
    """The distinct places in the source that a finding rests on."""
    return "; ".join(dict.fromkeys(e.location for e in finding.evidence if e.location))


def compare_extractors(project_path: Path, first: str, second: str) -> dict[str, Any]:
    """Dual extraction: the discrepancy list between two extractors, what the arbiter
    resolved, what is still open, and the agreement between them."""
    project = open_project(project_path)
    try:
        review = project.load_review()
        comparison = compare_extractions(review.values, first, second)
        final, still_open = consensus(comparison, project.load_resolutions())
    finally:
        project.close()
    return {
        "first": first,
        "second": second,
        "keys_compared": comparison.keys_compared,
        "agreed": len(comparison.agreed),
        "agreement": comparison.agreement,
        "discrepancies": [
            {"key": "/".join(d.key), "kind": d.kind,
             "first": None if d.first is None else d.first.value,
             "second": None if d.second is None else d.second.value,
             "resolved": d.key not in {o.key for o in still_open}}
            for d in comparison.discrepancies
        ],
        "open": len(still_open),
        "values_standing": len(final),
    }


def _num(x: float | None, digits: int = 2) -> str:
    return "NA" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def _result_context(result: PoolResult) -> dict[str, Any]:
    e = result.overall
    assert e is not None

    def show(x: float) -> str:  # ratios are pooled as logs and shown as ratios
        return _num(result.display_scale.transform(x))

    return {
        "measure": result.measure,
        "model": result.model,
        "k": e.k,
        "estimate_text": show(e.estimate),
        "ci_text": f"{show(e.ci_low)} to {show(e.ci_high)}",
        "p_text": format_p(e.p),
        "tau2_text": _num(e.tau2, 4),
        "q_text": _num(e.q),
        "q_df": e.q_df,
        "q_p_text": format_p(e.q_p),
        "i2_text": _num(e.i2, 0),
        "auto_reason": result.auto_rule.reason if result.auto_rule else "",
        "printout": str(result),
    }


def _data_uri(fig: Figure) -> str:
    """An SVG figure as a data URI: embedded in the report, never parsed as its markup."""
    svg = figure_to_bytes(fig, format="svg")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


#: Figures of the report, in order: key → (Figure, caption). Built once, drawn as SVG for the
#: HTML page and as PNG for the DOCX export.
Figures = dict[str, tuple[Figure, str]]


ANALYSIS_FIGURES = ("forest", "funnel", "loo", "cumulative", "bubble")


def analysis_figures(s: SynthesisResult, language: str, index: int, *, rob: RobData | None = None,
                     years: Mapping[str, int] | None = None,
                     doses: Mapping[str, float] | None = None,
                     arm_labels: tuple[str, str] | None = None) -> Figures:
    """One analysis's figures: the forest plot (with RoB columns when ``rob`` is given); with
    three or more studies also the funnel plot, the leave-one-out plot, the cumulative plot by
    year (``years``: study label → year) and the bubble plot against the experimental arm's
    daily dose (``doses``: study label → dose; when at least two doses differ).
    ``arm_labels`` names the experimental and control groups [the forest plot's defaults]."""
    figures: Figures = {}
    r = s.result
    if r is None or r.k < 2:
        return figures
    zh = language == "zh"
    arm_data = pd.DataFrame(list(s.table)).drop(columns=["study_id", "note"], errors="ignore")
    named: dict[str, Any] = {} if arm_labels is None else {"labels": arm_labels}
    groups = {str(row["study"]): str(row["subgroup"]) for row in s.table} if s.spec.subgroup else None
    figures[f"forest_{index}"] = (
        # Generic inverse-variance rows have no arm columns to show.
        forest_plot(r, arm_data=None if s.spec.measure == "GEN" else arm_data, language=language,
                    rob=rob, groups=groups, **named),
        f"{s.spec.title}：森林图" if zh else f"Forest plot: {s.spec.title}")
    if r.k >= 3:
        figures[f"funnel_{index}"] = (funnel_plot(r, contours=True, language=language),
                                      f"{s.spec.title}：漏斗图" if zh else f"Funnel plot: {s.spec.title}")
        options: dict[str, Any] = {"measure": s.spec.measure, "model": s.spec.model,
                                   "method": s.spec.method, "tau2": s.spec.tau2,
                                   "preset": s.spec.preset or None}
        refit = pool(arm_data, leave_one_out=True, **options)
        figures[f"loo_{index}"] = (sensitivity_plot(refit, "leave_one_out", language=language),
                                   f"{s.spec.title}：逐一剔除分析" if zh
                                   else f"Leave-one-out analysis: {s.spec.title}")
        studies = [str(x) for x in arm_data["study"]]
        if years and all(x in years for x in studies):
            ordered = pool(arm_data.assign(year=[years[x] for x in studies]), cumulative="year", **options)
            figures[f"cumulative_{index}"] = (
                sensitivity_plot(ordered, "cumulative", language=language),
                f"{s.spec.title}：累积 Meta 分析（按年份）" if zh
                else f"Cumulative meta-analysis by year: {s.spec.title}")
        if doses and all(x in doses for x in studies) and len({doses[x] for x in studies}) > 1:
            fit = pool(arm_data.assign(dose=[doses[x] for x in studies]), moderator="dose", **options)
            label = "每日剂量" if zh else "Daily dose"
            figures[f"bubble_{index}"] = (
                bubble_plot(fit, {x: doses[x] for x in studies}, moderator="dose", xlabel=label,
                            language=language),
                f"{s.spec.title}：剂量的 Meta 回归" if zh
                else f"Meta-regression on daily dose: {s.spec.title}")
    return figures


def _analysis_context(s: SynthesisResult, language: str, index: int,
                      uris: Mapping[str, str]) -> dict[str, Any]:
    return {
        "figures": [uris[f"{k}_{index}"] for k in ANALYSIS_FIGURES if f"{k}_{index}" in uris],
        "title": s.spec.title,
        "inclusion": [i.to_dict() for i in s.inclusion],
        "result": _result_context(s.result) if s.result is not None else None,
        "not_pooled_because": s.not_pooled_because,
        "results_text": results_paragraph(s, language),
    }


_MEASURES = {
    "MD": ("mean difference (MD)", "均数差（MD）"),
    "SMD": ("standardised mean difference (SMD, Hedges' g)", "标准化均数差（SMD，Hedges' g）"),
    "RR": ("risk ratio (RR)", "风险比（RR）"), "OR": ("odds ratio (OR)", "比值比（OR）"),
    "RD": ("risk difference (RD)", "风险差（RD）"), "MC": ("mean change (MC)", "均数变化（MC）"),
    "GEN": ("effect estimate (generic inverse variance)", "效应量（通用倒方差法）"),
}
_TAU2 = {
    "DL": ("DerSimonian–Laird", "DerSimonian–Laird 法"),
    "REML": ("restricted maximum likelihood", "限制性最大似然法"),
    "ML": ("maximum likelihood", "最大似然法"), "PM": ("Paule–Mandel", "Paule–Mandel 法"),
    "HE": ("Hedges", "Hedges 法"), "SJ": ("Sidik–Jonkman", "Sidik–Jonkman 法"),
}
_METHODS = {"IV": ("inverse-variance", "倒方差法"), "MH": ("Mantel–Haenszel", "Mantel–Haenszel 法"),
            "Peto": ("Peto", "Peto 法")}


def methods_paragraph(review: Review, syntheses: list[SynthesisResult]) -> str:
    """The statistical methods as run: measures, model rule, pooling method and τ² estimator
    taken from each planned analysis's settings, the CI level and evisynth's version."""
    zh = review.protocol.language == "zh"
    i = 1 if zh else 0
    specs = [s.spec for s in syntheses]
    measures = "、".join if zh else ", ".join
    measure_text = measures(dict.fromkeys(_MEASURES.get(m, (m, m))[i] for m in (sp.measure for sp in specs)))
    level = next((s.result.level for s in syntheses if s.result is not None), 95.0)
    settings = dict.fromkeys((sp.model, sp.method, sp.tau2) for sp in specs)
    parts = []
    for model, method, tau2 in settings:
        m_name = _METHODS.get(method, (method, method))[i]
        t_name = _TAU2.get(tau2, (tau2, tau2))[i]
        if model == "auto":
            parts.append(
                f"按本评价预设的规则选择模型：异质性检验 P ≥ {AUTO_Q_P_THRESHOLD:.2f} 且 I² ≤ "
                f"{AUTO_I2_THRESHOLD:.0f}% 时用固定效应模型（{m_name}），否则用随机效应模型"
                f"（τ² 以 {t_name}估计）" if zh else
                f"the model followed the review's rule: a fixed-effect ({m_name}) model when the "
                f"heterogeneity test gave P >= {AUTO_Q_P_THRESHOLD:.2f} and I² <= "
                f"{AUTO_I2_THRESHOLD:.0f}%, otherwise a random-effects model with τ² estimated by "
                f"the {t_name} method")
        elif model == "random":
            parts.append(f"采用随机效应模型（{m_name}，τ² 以 {t_name}估计）" if zh else
                         f"a random-effects model ({m_name}; τ² by the {t_name} method)")
        else:
            parts.append(f"采用固定效应模型（{m_name}）" if zh else f"a fixed-effect ({m_name}) model")
    pooled = sum(1 for s in syntheses if s.result is not None and s.result.k >= 2)
    # Sentences say only what this review did: no measures without analyses, no narrative
    # synthesis without a study that needs it, presets and subgroups when they were used.
    narrative = any(st.design == "single_arm" or any(a.role == "single" for a in st.arms)
                    for st in review.studies)
    presets = sorted({sp.preset for sp in specs if sp.preset})
    subgroups = list(dict.fromkeys(sp.subgroup for sp in specs if sp.subgroup))
    if zh:
        text = f"统计分析使用 evisynth {__version__}。"
        if specs:
            text += f"效应量为{measure_text}，报告 {level:g}% 可信区间；" + "；".join(parts) + \
                "。异质性以 Cochran Q 检验（χ²）和 I² 描述。"
        if presets:
            text += (f"计算遵循 {'、'.join(_PRESET_NAMES.get(x, x) for x in presets)} 的约定"
                     f"（预设 {'、'.join(presets)}）。")
        if subgroups:
            text += f"按{'、'.join(subgroups)}进行亚组分析，并检验亚组间差异。"
        if narrative:
            text += "无对照组的研究（单臂前后对照）或各组数据不完整的研究仅作描述性分析（SWiM，效应方向）。"
        if specs:
            text += f"{len(syntheses)} 项计划分析中，{pooled} 项有两项及以上研究可合并。"
        return text
    text = f"Analyses were run with evisynth {__version__}."
    if specs:
        text += (f" Effects were expressed as {measure_text} with {level:g}% confidence intervals; "
                 + "; ".join(parts) + ". Heterogeneity was described with Cochran's Q (Chi²) test "
                 "and I².")
    if presets:
        text += (f" Computations followed the {', '.join(presets)} preset (the conventions of "
                 f"{' and '.join(_PRESET_NAMES.get(x, x) for x in presets)}).")
    if subgroups:
        text += (f" Subgroup analyses by {', '.join(subgroups)} were run, with a test for "
                 "subgroup differences.")
    if narrative:
        text += (" Studies without a control arm (single-arm before/after studies) or without "
                 "complete arm data were synthesised narratively (SWiM, effect direction).")
    if specs:
        text += f" {pooled} of {len(syntheses)} planned analyses had two or more studies to pool."
    return text


_PRESET_NAMES = {"revman5": "RevMan 5", "metafor": "R metafor"}


def results_paragraph(s: SynthesisResult, language: str) -> str:
    """One outcome's result in words: studies, participants, the estimate with its CI and P,
    the model (and why, under the auto rule) and the heterogeneity."""
    zh = language == "zh"
    r = s.result
    if r is None or r.overall is None:
        reason = s.not_pooled_because or ("无可合并数据" if zh else "no data to pool")
        return f"{s.spec.title}：未合并（{reason}）。" if zh else f"{s.spec.title}: not pooled ({reason})."
    e = r.overall

    def show(v: float) -> str:
        return _num(r.display_scale.transform(v))

    n = int(sum(float(row.get("n1", 0)) + float(row.get("n2", 0)) for row in s.table))
    # Generic inverse-variance data carry no arm sizes: say nothing rather than "0 participants".
    counted = any("n1" in row for row in s.table)
    n_zh, n_en = (f"，{n} 例", f", {n} participants") if counted else ("", "")
    pooled_zh, pooled_en = (f"（{n} 例）", f" with {n} participants") if counted else ("", "")
    measure = _MEASURES.get(r.measure, (r.measure, r.measure))[1 if zh else 0]
    p_text = format_p_revman(e.p)
    if e.k == 1:
        study = s.table[0].get("study", "") if s.table else ""
        return (f"{s.spec.title}：仅 1 项研究（{study}{n_zh}）有可比数据，{measure}为 {show(e.estimate)}"
                f"（{r.level:g}% CI {show(e.ci_low)} 至 {show(e.ci_high)}；{p_text}），未作合并。" if zh else
                f"{s.spec.title}: only one study ({study}{n_en}) had comparable data; its "
                f"{measure} was {show(e.estimate)} ({r.level:g}% CI {show(e.ci_low)} to {show(e.ci_high)}; "
                f"{p_text}), not a pooled estimate.")
    model_zh = "随机效应" if r.model == "random" else "固定效应"
    reason = r.auto_rule.reason if r.auto_rule is not None else ""
    het = (f"I² = {e.i2:.0f}%，Chi² = {e.q:.2f}，df = {e.q_df}（{format_p_revman(e.q_p)}）" if zh else
           f"I² = {e.i2:.0f}%, Chi² = {e.q:.2f}, df = {e.q_df} ({format_p_revman(e.q_p)})")
    if r.model == "random":
        het += f"，Tau² = {e.tau2:.4f}" if zh else f", Tau² = {e.tau2:.4f}"
    groups = ""
    if r.subgroups:
        parts = [f"{name} {show(g.estimate)} ({show(g.ci_low)} {'至' if zh else 'to'} {show(g.ci_high)}; "
                 f"k = {g.k})" for name, g in r.subgroups.items()]
        t = r.subgroup_test
        test = "" if t is None else (
            f"；亚组间差异检验：Chi² = {t.q:.2f}，df = {t.df}（{format_p_revman(t.p)}），I² = {t.i2:.0f}%"
            if zh else f"; test for subgroup differences: Chi² = {t.q:.2f}, df = {t.df} "
            f"({format_p_revman(t.p)}), I² = {t.i2:.0f}%")
        groups = (f"按 {s.spec.subgroup} 分亚组：" + "；".join(parts) + test + "。" if zh else
                  f" By {s.spec.subgroup}: " + "; ".join(parts) + test + ".")
    if zh:
        return (f"{s.spec.title}：合并 {e.k} 项研究{pooled_zh}，{measure}为 {show(e.estimate)}"
                f"（{r.level:g}% CI {show(e.ci_low)} 至 {show(e.ci_high)}；{p_text}），采用{model_zh}模型"
                + (f"（{reason}）" if reason else "") + f"；异质性：{het}。" + groups)
    model = "random-effects" if r.model == "random" else "fixed-effect"
    return (f"{s.spec.title}: {e.k} studies{pooled_en} were pooled; the {measure} was "
            f"{show(e.estimate)} ({r.level:g}% CI {show(e.ci_low)} to {show(e.ci_high)}; {p_text}) "
            f"under a {model} model" + (f" ({reason})" if reason else "") + f". Heterogeneity: {het}."
            + groups)


def _arm_labels(review: Review) -> tuple[str, str] | None:
    """The experimental and control groups' names for the forest plot when every study names
    them alike (``evisynth study arm add``); None (the plot's "Experimental"/"Control") when
    the studies' arms differ."""
    found = []
    for role in ("experimental", "control"):
        labels = {a.label for st in review.studies for a in st.arms if a.role == role}
        if len(labels) != 1:
            return None
        found.append(labels.pop())
    return found[0], found[1]


def _prisma_rows(review: Review) -> list[tuple[str, Any]]:
    """The PRISMA counts the review reports; none when it reports none (then the report
    leaves the section out rather than show a column of "not reported")."""
    p = review.prisma
    if p == type(p)():
        return []
    rows: list[tuple[str, Any]] = [("Records identified", p.identified)]
    rows += [(f"  {source}", n) for source, n in p.identified_by_source.items()]
    rows += [
        ("Duplicates removed", p.duplicates_removed),
        ("Records screened", p.screened),
        ("Excluded on title and abstract", p.excluded_title_abstract),
        ("Full texts assessed", p.assessed_full_text),
        ("Excluded at full text", p.excluded_full_text),
    ]
    rows += [(f"  {reason}", n) for reason, n in p.full_text_exclusion_reasons.items()]
    rows.append(("Studies included", p.included))
    return rows


def _computed_prisma(project: Project) -> PrismaFlow | None:
    """The PRISMA 2020 flow computed from the project's records, duplicate links, removals and
    screening decisions; None when the project has no imported records."""
    if not record_store.count_records(project):
        return None
    return screening_services.prisma(project)


def _flow_rows(flow: PrismaFlow) -> list[tuple[str, int]]:
    """The computed flow's boxes as (label, count) rows, in the order of the PRISMA 2020 template."""
    rows: list[tuple[str, int]] = [("Records identified from databases", flow.database_results)]
    rows += [(f"  {source}", n) for source, n in flow.database_specific.items()]
    rows.append(("Records identified from registers", flow.register_results))
    rows += [(f"  {source}", n) for source, n in flow.register_specific.items()]
    rows += [
        ("Duplicate records removed", flow.duplicates),
        ("Records marked as ineligible by automation tools", flow.excluded_automatic),
        ("Records removed for other reasons", flow.excluded_other),
        ("Records screened", flow.records_screened),
        ("Records excluded", flow.records_excluded),
        ("Reports sought for retrieval", flow.sought_reports),
        ("Reports not retrieved", flow.notretrieved_reports),
        ("Reports assessed for eligibility", flow.assessed),
        ("Reports excluded", flow.excluded_reports),
    ]
    rows += [(f"  {reason}", n) for reason, n in flow.exclusion_reasons.items()]
    rows += [("Studies included in review", flow.new_studies),
             ("Reports of included studies", flow.new_reports)]
    return rows


def _studies_context(review: Review) -> list[dict[str, Any]]:
    out = []
    for s in review.studies:
        arms = []
        for a in s.arms:
            dose = "" if a.dose is None else f"{a.dose:g} {a.dose_unit}".strip()
            arms.append({**a.to_dict(), "dose_text": dose})
        out.append({"label": s.label, "year": s.year or "", "design": s.design,
                    "centres": s.centres, "population": s.population, "arms": arms})
    return out


def _figures(review: Review, appraisals: Mapping[str, Mapping[str, Any]]) -> Figures:
    language = review.protocol.language
    zh = language == "zh"
    figures: Figures = {}
    if _prisma_rows(review):
        figures["prisma"] = (prisma_flow(review.prisma, language=language),
                             "PRISMA 2020 流程图" if zh else "PRISMA 2020 flow diagram")
    assessed = [RobAssessment.from_dict(s.label, appraisals[s.id]["rob1"])
                for s in review.studies if "rob1" in appraisals.get(s.id, {})]
    if assessed:
        figures["rob"] = (rob1_traffic_light(assessed, language=language),
                          "偏倚风险汇总（交通灯图）" if zh else "Risk of bias summary (traffic light plot)")
        figures["rob_summary"] = (rob1_summary(assessed, language=language),
                                  "偏倚风险条形图" if zh else "Risk of bias graph")
    outcomes = [o for o in review.outcomes if o.kind == "continuous" and o.id != "dose"]
    directions = [d for d in (effect_direction(review, s, o) for s in review.studies for o in outcomes)]
    assessed_outcomes = {d.outcome for d in directions if d.direction != "not_assessable"}
    directions = [d for d in directions if d.outcome in assessed_outcomes]
    if directions:
        labels = {o.id: o.name if zh else (o.name_en or o.name) for o in outcomes}
        sizes = {s.label: float(sum(a.n or 0 for a in s.arms)) for s in review.studies}
        table = effect_direction_table([_relabel(review, d) for d in directions])
        figures["direction"] = (effect_direction_plot(table, outcome_labels=labels, sample_sizes=sizes,
                                                      language=language),
                                "效应方向图（SWiM）" if zh else "Effect direction plot (SWiM)")
    return figures


def _rob1_data(review: Review, appraisals: Mapping[str, Mapping[str, Any]]) -> RobData | None:
    """RoB 1 judgements by study label, for the forest plots' risk-of-bias columns."""
    assessed = [RobAssessment.from_dict(s.label, appraisals[s.id]["rob1"])
                for s in review.studies if "rob1" in appraisals.get(s.id, {})]
    return rob1_judgements(assessed, language=review.protocol.language) if assessed else None


def rob2_plot_data(table: Mapping[str, Any]) -> RobData:
    """The RoB 2 report table (``appraisal_tables.rob2_table``) as traffic-light data: the five
    domains D1–D5 and the overall judgement; 'some concerns' drawn as some_concerns."""
    columns = list(table["columns"])
    domains = [f"d{j + 1}" for j in range(len(columns) - 1)] + ["overall"]
    judgements = {row["study"]: {d: cell["text"].replace(" ", "_")
                                 for d, cell in zip(domains, row["cells"], strict=True)}
                  for row in table["rows"]}
    return judgements_from_mapping(judgements, domains, columns)


def _relabel(review: Review, d: EffectDirection) -> EffectDirection:
    """Directions carry study ids or labels; the plot shows labels."""
    label = next((s.label for s in review.studies if d.study in (s.id, s.label)), d.study)
    return EffectDirection(label, d.outcome, d.direction, d.basis)


def _study_effect(st: StudyRow, result: PoolResult) -> str:
    """A study's effect and CI on the display scale, as the forest plot prints it."""
    yi, low, high = (result.display_scale.transform(v) for v in st.interval(result.level))
    return f"{yi:.2f} [{low:.2f}, {high:.2f}]"


def _tables(context: dict[str, Any], syntheses: list[SynthesisResult], zh: bool) -> dict[str, Table]:
    """Every table of the report, named for its CSV file and XLSX sheet."""
    L = labels("zh" if zh else "en")
    tables: dict[str, Table] = {}
    proto = context["protocol"]
    picos = proto["picos"]
    rows_p = ((L["population"], picos["population"]), (L["intervention"], picos["intervention"]),
              (L["comparator"], picos["comparator"]), (L["outcomes"], ", ".join(picos["outcomes"])),
              (L["design"], picos["study_design"]))
    if any(text for _, text in rows_p):
        tables["protocol"] = Table("protocol", L["protocol"], (L["protocol"], ""),
                                   tuple((name, text) for name, text in rows_p if text))
    if proto["searches"]:
        tables["searches"] = Table("searches", L["searches"],
                                   (L["database"], L["query"], L["date_range"], L["records"]),
                                   tuple((x["database"], x["query"], x["date_range"], x["records"])
                                         for x in proto["searches"]))
    if context["prisma"]:
        tables["prisma"] = Table("prisma", L["prisma"], ("", L["count"]),
                                 tuple((k.strip(), v) for k, v in context["prisma"]))
    if context["prisma_computed"]:
        tables["prisma_computed"] = Table("prisma_computed", L["prisma_computed"], ("", L["count"]),
                                          tuple((k.strip(), v) for k, v in context["prisma_computed"]))
    tables["characteristics"] = Table(
        "characteristics", L["characteristics"],
        (L["study"], L["year"], L["design"], L["centres"], L["population"], L["arm"], L["n"],
         L["intervention"], L["dose"], L["duration"]),
        tuple((st["label"], st["year"], st["design"], st["centres"], st["population"], a["label"], a["n"],
               a["intervention"], a["dose_text"], a["duration"])
              for st in context["studies"] for a in st["arms"]))
    for key, title in (("quality", L["quality"]), ("rob2", "RoB 2")):
        q = context[key]
        if q:
            rows_q = tuple((row["study"], *(c["text"] for c in row["cells"])) for row in q["rows"])
            tables[key] = Table(key, title, (L["study"], *q["columns"]), rows_q)
    n = context["narrative"]
    if n:
        tables["effect_direction"] = Table("effect_direction", L["narrative"], (L["study"], *n["outcomes"]),
                                           tuple((row["study"], *(c["symbol"] for c in row["cells"]))
                                                 for row in n["rows"]), (n["legend"],))
        tables["vote_count"] = Table("vote_count", L["vote"], (L["outcomes"], "+", "−", "0", "p"),
                                     tuple((v["outcome"], v["benefit"], v["harm"], v["no_change"], v["p"])
                                           for v in n["votes"]))
    for i, s in enumerate(syntheses, start=1):
        weights = {row.study: row for row in (s.result.studies if s.result is not None else ())}
        arm_cols = [c for c in ("m1", "sd1", "n1", "m2", "sd2", "n2", "e1", "e2")
                    if any(c in row for row in s.table)]
        data = {str(row["study"]): row for row in s.table}
        rows = []
        for inc in s.inclusion:
            row = data.get(inc.study, {})
            st = weights.get(inc.study)
            effect = weight = ""
            if st is not None and math.isfinite(st.weight) and s.result is not None:
                effect = _study_effect(st, s.result)
                weight = f"{st.weight:.1f}"
            rows.append((inc.study, "✓" if inc.included else "—", inc.reason, inc.timepoint or "",
                         *(row.get(c, "") for c in arm_cols), effect, weight))
        title = s.spec.title + (f" — {s.spec.measure}" if s.result is not None else "")
        tables[f"analysis_{i}"] = Table(f"analysis_{i}", title,
                                        (L["study"], L["included"], L["reason"], "timepoint", *arm_cols,
                                         f"{s.spec.measure} (95% CI)", "weight %"), tuple(rows),
                                        (results_paragraph(s, "zh" if zh else "en"),))
    sof = context["sof"]
    if sof:
        tables["summary_of_findings"] = Table("summary_of_findings", L["grade"], tuple(sof["columns"]),
                                              tuple(tuple(r) for r in sof["rows"]),
                                              (*sof["footnotes"], context["grade"]["note"]))
    tables["checks"] = Table("checks", L["checks"], (L["severity"], L["finding"], L["where"]),
                             tuple((f["severity"], f["message"], f["where"]) for f in context["findings"]))
    return tables


def _document(context: dict[str, Any], tables: dict[str, Table], pngs: Mapping[str, tuple[bytes, str]],
              zh: bool) -> ReportDocument:
    """The report as blocks, in the order of the HTML page."""
    L = labels("zh" if zh else "en")
    blocks: list[Block] = []

    def heading(text: str, level: int = 1) -> None:
        blocks.append(Block("heading", text, level=level))

    def para(text: str) -> None:
        if text:
            blocks.append(Block("paragraph", text))

    def table(name: str) -> None:
        if name in tables:
            blocks.append(Block("table", table=tables[name]))

    def figure(key: str) -> None:
        if key in pngs:
            png, caption = pngs[key]
            blocks.append(Block("figure", caption, png=png))

    para((f"{L['source']}: {context['source']}. " if context["source"] else "")
         + f"{L['generated']} {context['version']}.")
    heading(L["protocol"])
    para(context["protocol"].get("question") or "")
    table("protocol")
    table("searches")
    heading(L["methods"])
    para(context["methods"])
    if "prisma" in tables:
        heading(L["prisma"])
        figure("prisma")
        table("prisma")
    if "prisma_computed" in tables:
        heading(L["prisma_computed"])
        figure("prisma_computed")
        table("prisma_computed")
    if context["studies"]:
        heading(L["characteristics"])
        table("characteristics")
    if "quality" in tables:
        heading(L["quality"])
        figure("rob")
        figure("rob_summary")
        table("quality")
    if "rob2" in tables:
        heading("RoB 2", 2)
        figure("rob2")
    table("rob2")
    if "effect_direction" in tables:
        heading(L["narrative"])
        figure("direction")
        table("effect_direction")
        table("vote_count")
    if context["analyses"]:
        heading(L["quantitative"])
    for i, a in enumerate(context["analyses"], start=1):
        heading(a["title"], 2)
        para(a["results_text"])
        for key in ANALYSIS_FIGURES:
            figure(f"{key}_{i}")
        table(f"analysis_{i}")
    if "summary_of_findings" in tables:
        heading(L["grade"])
        table("summary_of_findings")
    heading(L["checks"])
    table("checks")
    return ReportDocument(context["title"], "zh" if zh else "en", tuple(blocks))


@dataclass(frozen=True)
class ReviewReport:
    """The report in every form: the HTML page, results.json's dict, the tables, and the
    DOCX bytes when asked for."""

    html: str
    results: dict[str, Any]
    tables: dict[str, Table]
    docx: bytes | None = None


def build_report(project: Project, *, docx: bool = False, png_dpi: int = 200) -> ReviewReport:
    """Everything the report shows, built once; ``docx`` also renders the figures as PNG."""
    review = project.load_review()
    appraisals = project.load_appraisals()
    language = review.protocol.language
    zh = language == "zh"
    # Analyses use the value that stands for each key: with dual extraction, the agreed or
    # the arbiter's value; keys still in dispute are left out (and say so in the inclusion).
    standing, _ = standing_values(review.values, project.load_resolutions())
    analysed = replace(review, values=standing)
    syntheses = [synthesise(analysed, spec) for spec in review.analyses]
    findings = checks.run_checks(review)
    quality = appraisal_tables.quality_table(review, appraisals)
    rob2 = appraisal_tables.rob2_table(review, appraisals)
    narrative = appraisal_tables.narrative_table(review)
    grade = appraisal_tables.grade_table(review, syntheses, appraisals)
    sof = appraisal_tables.sof_table(review, syntheses, appraisals)
    figures = _figures(review, appraisals)
    flow = _computed_prisma(project)
    if flow is not None:
        figures["prisma_computed"] = (prisma2020_flow(flow, language=language),
                                      "PRISMA 2020 流程图（计算所得）" if zh
                                      else "PRISMA 2020 flow diagram (computed)")
    rob = _rob1_data(review, appraisals)
    if rob2:
        figures["rob2"] = (traffic_light_plot(rob2_plot_data(rob2), language=language),
                           "RoB 2 交通灯图" if zh else "RoB 2 traffic light plot")
    years = {st.label: st.year for st in review.studies if st.year is not None}
    doses = {st.label: a.dose for st in review.studies for a in st.arms
             if a.role == "experimental" and a.dose is not None}
    for i, s in enumerate(syntheses, start=1):
        figures.update(analysis_figures(s, language, i, rob=rob, years=years, doses=doses,
                                        arm_labels=_arm_labels(review)))
    uris = {key: _data_uri(fig) for key, (fig, _) in figures.items()}
    context = {
        "title": review.protocol.title,
        "source": review.source,
        "language": language,
        "version": __version__,
        "protocol": review.protocol.to_dict(),
        "methods": methods_paragraph(review, syntheses),
        "prisma": _prisma_rows(review),
        "prisma_computed": None if flow is None else _flow_rows(flow),
        "prisma_computed_notes": () if flow is None else flow.notes,
        "studies": _studies_context(review),
        "quality": quality,
        "rob2": rob2,
        "narrative": narrative,
        "analyses": [_analysis_context(s, language, i, uris) for i, s in enumerate(syntheses, start=1)],
        "figures": uris,
        "grade": grade,
        "sof": sof,
        "findings": [
            {"severity": f.severity,
             "message": f.message_zh if zh and f.message_zh else f.message,
             "where": finding_locations(f)}
            for f in findings
        ],
    }
    results = {
        "review": review.id,
        "evisynth_version": __version__,
        "prisma_reported": review.prisma.to_dict(),
        **({} if flow is None else {"prisma_computed": flow.to_dict()}),
        "studies": [{**st.to_dict(),
                     "appraisal": appraisal_tables.study_appraisal(st.id, appraisals.get(st.id, {}))}
                    for st in review.studies],
        "quality": quality,
        "rob2": rob2,
        "narrative": narrative,
        "analyses": [s.to_dict() for s in syntheses],
        "grade": grade,
        "certainty": appraisal_tables.certainty_by_analysis(review, syntheses, appraisals),
        "summary_of_findings": sof,
        "checks": [f.to_dict() for f in findings],
    }
    tables = _tables(context, syntheses, zh)
    docx_bytes = None
    if docx:
        pngs = {key: (figure_to_bytes(fig, format="png", dpi=png_dpi), caption)
                for key, (fig, caption) in figures.items()}
        docx_bytes = render_docx(_document(context, tables, pngs, zh))
    return ReviewReport(render_review_html(context), results, tables, docx_bytes)


def review_report(project: Project) -> tuple[str, dict[str, Any]]:
    """The review's HTML report and the same numbers as a JSON-ready dict."""
    report = build_report(project)
    return report.html, report.results


def write_tables(tables: Mapping[str, Table], folder: Path) -> tuple[Path, ...]:
    """One CSV per table (UTF-8 with BOM, so that Excel reads Chinese) and ``tables.xlsx`` with
    one sheet per table; returns the files written.

    Cells are written as the table holds them: a count stays an integer and a missing value
    stays an empty cell (a numeric column with a gap would otherwise become float, 38.0 and NaN).
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    frames = {name: pd.DataFrame(list(t.rows), columns=_unique(t.columns), dtype=object)
              for name, t in tables.items()}
    for name, frame in frames.items():
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False, encoding="utf-8-sig")
        written.append(path)
    xlsx = folder / "tables.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    written.append(xlsx)
    return tuple(written)


def _unique(columns: tuple[str, ...]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in columns:
        seen[c] = seen.get(c, 0) + 1
        out.append(c if seen[c] == 1 else f"{c} ({seen[c]})")
    return out


def write_report(project_path: Path, out_dir: Path | None = None, *, docx: Path | None = None,
                 tables_dir: Path | None = None) -> ReportOutput:
    """Write report.html and results.json to ``out_dir``; the DOCX to ``docx`` and the tables
    (CSV and XLSX) to ``tables_dir`` when given."""
    if out_dir is None and docx is None and tables_dir is None:
        raise StorageError("nothing to write: give --out, --docx or --tables-dir")
    project = open_project(project_path)
    try:
        report = build_report(project, docx=docx is not None)
    finally:
        project.close()
    html_path = json_path = None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        html_path, json_path = out_dir / "report.html", out_dir / "results.json"
        html_path.write_text(report.html, encoding="utf-8")
        json_path.write_text(json.dumps(report.results, ensure_ascii=False, indent=2, allow_nan=False)
                             + "\n", encoding="utf-8")
    if docx is not None and report.docx is not None:
        docx.parent.mkdir(parents=True, exist_ok=True)
        docx.write_bytes(report.docx)
    written = write_tables(report.tables, tables_dir) if tables_dir is not None else ()
    return ReportOutput(html_path, json_path, report.results, docx, written)


def demo(out_dir: Path, *, replace: bool = False, bundle: Path = EXAMPLE_BUNDLE) -> ReportOutput:
    """The main job: a fresh project from the vitamin K2 bundle, checked, pooled, reported."""
    project_path = out_dir / PROJECT_FILE
    if out_dir.exists() and any(out_dir.iterdir()):
        if not replace:
            raise StorageError(
                f"{out_dir} is not empty; pass --replace to rebuild the demo there, or choose "
                "another --out folder"
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    import_bundle(project_path, bundle, actor="evisynth-demo", create=True)
    return write_report(project_path, out_dir, docx=out_dir / "report.docx",
                        tables_dir=out_dir / "tables")
