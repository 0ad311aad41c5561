"""Figures from results: each function returns a ``matplotlib.figure.Figure``; the caller
decides where it goes (``figure_to_bytes`` renders it as SVG or PNG)."""

from evisynth.plotting.export import figure_to_bytes
from evisynth.plotting.fonts import cjk_font_available, figure_notes
from evisynth.plotting.forest import forest_plot
from evisynth.plotting.funnel import funnel_plot
from evisynth.plotting.prisma import prisma2020_flow, prisma_flow
from evisynth.plotting.rob import (
    RobData,
    judgements_from_mapping,
    rob1_judgements,
    rob1_summary,
    rob1_traffic_light,
    summary_plot,
    traffic_light_plot,
)

__all__ = [
    "RobData",
    "cjk_font_available",
    "figure_notes",
    "figure_to_bytes",
    "forest_plot",
    "funnel_plot",
    "judgements_from_mapping",
    "prisma2020_flow",
    "prisma_flow",
    "rob1_judgements",
    "rob1_summary",
    "rob1_traffic_light",
    "summary_plot",
    "traffic_light_plot",
]
