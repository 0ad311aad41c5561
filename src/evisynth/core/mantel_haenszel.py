"""Mantel–Haenszel fixed-effect estimates from 2×2 tables, batched over analyses.

The tables enter uncorrected (no continuity correction), as in RevMan 5 and metafor's
``rma.mh``. Variances: Robins, Breslow & Greenland (1986) for the log OR; Greenland &
Robins (1985) for the log RR; for the RD either Greenland & Robins (1985), as RevMan 5
documents, or Sato (1989), as metafor's ``rma.mh`` computes.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from evisynth.core.batch import FixedEffect
from evisynth.core.effects import BinaryMeasure
from evisynth.core.tau2 import FloatArray, IntArray, segment_sum

RiskDifferenceVariance = Literal["sato", "greenland-robins"]


def mantel_haenszel(
    e1: FloatArray,
    n1: FloatArray,
    e2: FloatArray,
    n2: FloatArray,
    seg: IntArray,
    n_seg: int,
    *,
    measure: BinaryMeasure,
    rd_variance: RiskDifferenceVariance = "sato",
    corrected: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = None,
) -> FixedEffect:
    """MH estimate (log scale for OR and RR), its SE, and each table's MH weight.

    ``corrected`` (e1, n1, e2, n2 after a continuity correction), when given, replaces the
    tables in the Greenland–Robins RD variance's numerator only, as RevMan 5 computes it.
    """
    a, b, c, d = e1, n1 - e1, e2, n2 - e2
    total = n1 + n2

    def s(x: FloatArray) -> FloatArray:
        return segment_sum(seg, n_seg, x)

    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            r_i, s_i = a * d / total, b * c / total
            p_i, q_i = (a + d) / total, (b + c) / total
            r, s_ = s(r_i), s(s_i)
            estimate = np.log(r / s_)
            var = 0.5 * (
                s(p_i * r_i) / r**2 + s(p_i * s_i + q_i * r_i) / (r * s_) + s(q_i * s_i) / s_**2
            )
            weight = s_i
        elif measure == "RR":
            r_i, s_i = a * n2 / total, c * n1 / total
            r, s_ = s(r_i), s(s_i)
            estimate = np.log(r / s_)
            var = s(n1 * n2 * (a + c) / total**2 - a * c / total) / (r * s_)
            weight = s_i
        else:
            weight = n1 * n2 / total
            sw = s(weight)
            estimate = s((a * n2 - c * n1) / total) / sw
            if rd_variance == "greenland-robins":
                ce1, cn1, ce2, cn2 = corrected if corrected is not None else (e1, n1, e2, n2)
                ca, cb, cc, cd = ce1, cn1 - ce1, ce2, cn2 - ce2
                var = s((ca * cb * cn2**3 + cc * cd * cn1**3) / (cn1 * cn2 * (cn1 + cn2) ** 2)) / sw**2
            else:
                p1, p2 = n1 / total, n2 / total
                var = (
                    estimate * s(c * p1**2 - a * p2**2 + p1 * p2 * (n2 - n1) / 2)
                    + s(a * (n2 - c) / total + c * (n1 - a) / total) / 2
                ) / sw**2
    return FixedEffect(estimate=estimate, se=np.sqrt(var), weight=weight)
