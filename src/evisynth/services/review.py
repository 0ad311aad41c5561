"""Review-project operations the CLI calls: new, import/export, check, report, demo."""

from __future__ import annotations

import base64
import json
import math
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from evisynth import __version__
from evisynth.analysis.review import SynthesisResult, synthesise
from evisynth.core.results import PoolResult, format_p
from evisynth.plotting import figure_to_bytes, forest_plot, prisma_flow, rob1_traffic_light
from evisynth.report.html import render_review_html
from evisynth.review import checks
from evisynth.review.appraisal import RobAssessment
from evisynth.review.extraction import compare_extractions, consensus
from evisynth.review.model import Protocol, Review
from evisynth.services import appraisal_tables
from evisynth.storage.errors import StorageError
from evisynth.storage.project import Project, open_project

#: The seed-000 review shipped with the package (docs/review-bundle.md).
EXAMPLE_BUNDLE = Path(__file__).resolve().parents[1] / "examples" / "vitk2"
PROJECT_FILE = "project.sqlite"


@dataclass(frozen=True)
class ReportOutput:
    """Where a report was written and the numbers it holds."""

    html: Path
    results: Path
    content: dict[str, Any]


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
    return {
        "measure": result.measure,
        "model": result.model,
        "k": e.k,
        "estimate_text": _num(e.estimate),
        "ci_text": f"{_num(e.ci_low)} to {_num(e.ci_high)}",
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


def _analysis_context(s: SynthesisResult, language: str) -> dict[str, Any]:
    forest = None
    if s.result is not None and s.result.k > 1:
        arm_data = pd.DataFrame(list(s.table)).drop(columns=["study_id", "note"], errors="ignore")
        forest = _data_uri(forest_plot(s.result, arm_data=arm_data, language=language,
                                       labels=("维生素 K2", "对照") if language == "zh"
                                       else ("Vitamin K2", "Control")))
    return {
        "forest": forest,
        "title": s.spec.title,
        "inclusion": [i.to_dict() for i in s.inclusion],
        "result": _result_context(s.result) if s.result is not None else None,
        "not_pooled_because": s.not_pooled_because,
    }


def _methods(review: Review, syntheses: list[SynthesisResult]) -> str:
    measures = ", ".join(sorted({s.spec.measure for s in syntheses})) or "—"
    pooled = sum(1 for s in syntheses if s.result is not None and s.result.k >= 2)
    if review.protocol.language == "zh":
        return (
            f"统计分析使用 evisynth {__version__}。连续变量以 {measures} 合并；模型按本评价的规则选择："
            "异质性检验 p ≥ 0.10 且 I² ≤ 50% 时用固定效应模型（倒方差法），否则用 DerSimonian–Laird "
            "随机效应模型。无对照组的研究（单臂前后对照）或各组数据不完整的研究仅作描述性分析。"
            f"{len(syntheses)} 项计划分析中，{pooled} 项有两项及以上研究可合并。"
        )
    return (
        f"Analyses were run with evisynth {__version__}. Continuous outcomes were pooled as "
        f"{measures}; the model followed the review's rule: a fixed-effect (inverse-variance) model "
        "when the heterogeneity test gave p >= 0.10 and I² <= 50%, otherwise a DerSimonian–Laird "
        "random-effects model. Studies without a control arm (single-arm before/after studies) or "
        "without complete arm data were synthesised narratively. "
        f"{pooled} of {len(syntheses)} planned analyses had two or more studies to pool."
    )


def _prisma_rows(review: Review) -> list[tuple[str, Any]]:
    p = review.prisma
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


def _figures(review: Review, appraisals: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    language = review.protocol.language
    figures = {"prisma": _data_uri(prisma_flow(review.prisma, language=language))}
    assessed = [RobAssessment.from_dict(s.label, appraisals[s.id]["rob1"])
                for s in review.studies if "rob1" in appraisals.get(s.id, {})]
    if assessed:
        figures["rob"] = _data_uri(rob1_traffic_light(assessed, language=language))
    return figures


def review_report(project: Project) -> tuple[str, dict[str, Any]]:
    """The review's HTML report and the same numbers as a JSON-ready dict."""
    review = project.load_review()
    appraisals = project.load_appraisals()
    syntheses = [synthesise(review, spec) for spec in review.analyses]
    findings = checks.run_checks(review)
    quality = appraisal_tables.quality_table(review, appraisals)
    rob2 = appraisal_tables.rob2_table(review, appraisals)
    narrative = appraisal_tables.narrative_table(review)
    grade = appraisal_tables.grade_table(review, syntheses, appraisals)
    context = {
        "title": review.protocol.title,
        "source": review.source,
        "language": review.protocol.language,
        "version": __version__,
        "protocol": review.protocol.to_dict(),
        "methods": _methods(review, syntheses),
        "prisma": _prisma_rows(review),
        "studies": _studies_context(review),
        "quality": quality,
        "rob2": rob2,
        "narrative": narrative,
        "analyses": [_analysis_context(s, review.protocol.language) for s in syntheses],
        "figures": _figures(review, appraisals),
        "grade": grade,
        "findings": [
            {"severity": f.severity,
             "message": f.message_zh if review.protocol.language == "zh" and f.message_zh
             else f.message,
             "where": finding_locations(f)}
            for f in findings
        ],
    }
    results = {
        "review": review.id,
        "evisynth_version": __version__,
        "prisma_reported": review.prisma.to_dict(),
        "quality": quality,
        "rob2": rob2,
        "narrative": narrative,
        "analyses": [s.to_dict() for s in syntheses],
        "grade": grade,
        "checks": [f.to_dict() for f in findings],
    }
    return render_review_html(context), results


def write_report(project_path: Path, out_dir: Path) -> ReportOutput:
    project = open_project(project_path)
    try:
        html, results = review_report(project)
    finally:
        project.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_dir / "report.html", out_dir / "results.json"
    html_path.write_text(html, encoding="utf-8")
    json_path.write_text(json.dumps(results, ensure_ascii=False, indent=2, allow_nan=False)
                         + "\n", encoding="utf-8")
    return ReportOutput(html_path, json_path, results)


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
    return write_report(project_path, out_dir)
