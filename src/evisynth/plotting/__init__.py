"""Figures from results: each function returns a ``matplotlib.figure.Figure``; the caller
decides where it goes (``figure_to_bytes`` renders it as SVG or PNG)."""

from evisynth.plotting.bubble import bubble_plot
from evisynth.plotting.direction import effect_direction_plot
from evisynth.plotting.export import figure_to_bytes
from evisynth.plotting.fonts import cjk_font_available, figure_notes
from evisynth.plotting.forest import forest_plot
from evisynth.plotting.funnel import funnel_plot
from evisynth.plotting.prisma import prisma2020_flow, prisma_flow
from evisynth.plotting.rob import (
    RobData,
    jadad_judgements,
    judgements_from_mapping,
    rob1_judgements,
    rob1_summary,
    rob1_traffic_light,
    summary_plot,
    traffic_light_plot,
)
from evisynth.plotting.sensitivity import cumulative_plot, leave_one_out_plot, sensitivity_plot

__all__ = [
    "RobData",
    "bubble_plot",
    "cjk_font_available",
    "cumulative_plot",
    "effect_direction_plot",
    "figure_notes",
    "figure_to_bytes",
    "forest_plot",
    "funnel_plot",
    "jadad_judgements",
    "judgements_from_mapping",
    "leave_one_out_plot",
    "prisma2020_flow",
    "prisma_flow",
    "rob1_judgements",
    "rob1_summary",
    "rob1_traffic_light",
    "sensitivity_plot",
    "summary_plot",
    "traffic_light_plot",
]
