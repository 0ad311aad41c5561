"""Fonts for figures in English and Chinese, chosen per figure (no global rcParams changes).

Chinese needs a CJK font; matplotlib's default (DejaVu Sans) has no CJK glyphs and would draw
empty boxes ("tofu") with a warning. We look for a CJK-capable family that matplotlib knows
about and list it after (English) or before (Chinese) DejaVu Sans, so that matplotlib's
per-glyph fallback finds every character. When none is installed, Chinese labels fall back
to English, and the figure carries a note (``figure_notes``) that says so and how to fix it;
the note is also logged.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Literal

from matplotlib import font_manager
from matplotlib.figure import Figure

Language = Literal["en", "zh"]

logger = logging.getLogger(__name__)

#: CJK families in order of preference (Simplified Chinese first).
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK JP",
    "Source Han Sans",
)
LATIN_FAMILY = "DejaVu Sans"  # ships with matplotlib: always present
NO_CJK_FONT = (
    "no CJK font found (looked for " + ", ".join(CJK_FAMILIES[:5]) + "); Chinese labels are shown "
    "in English. Install one, e.g. `apt-get install fonts-noto-cjk`, then delete matplotlib's "
    "font cache (~/.cache/matplotlib/fontlist-*.json)"
)
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_NOTES_ATTR = "_evisynth_notes"


@cache
def cjk_font_family() -> str | None:
    """The first installed family of ``CJK_FAMILIES`` that matplotlib can use, else None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in installed), None)


def cjk_font_available() -> bool:
    """True when a CJK-capable font is installed where matplotlib finds it."""
    return cjk_font_family() is not None


def has_cjk(text: str) -> bool:
    """True when ``text`` contains CJK characters (ideographs, kana, hangul, full-width forms)."""
    return _CJK.search(text) is not None


def resolve_language(language: str, fig: Figure | None = None) -> Language:
    """The language the figure can actually be drawn in: 'zh' needs a CJK font.

    Raises ValueError for anything but 'en' or 'zh'. Falls back from 'zh' to 'en' with a note
    on ``fig`` (and a log message) when no CJK font is installed.
    """
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh' (got {language!r})")
    if language == "zh" and not cjk_font_available():
        if fig is not None:
            add_note(fig, NO_CJK_FONT)
        logger.warning(NO_CJK_FONT)
        return "en"
    return "zh" if language == "zh" else "en"


def note_fallback(fig: Figure, asked: str, used: Language) -> None:
    """Record on ``fig`` that Chinese was asked for but drawn in English (no CJK font)."""
    if asked == "zh" and used == "en":
        add_note(fig, NO_CJK_FONT)


def font_family(language: Language) -> list[str]:
    """The family list for text in ``language``: the CJK font first for Chinese, else second."""
    cjk = cjk_font_family()
    if cjk is None:
        return [LATIN_FAMILY]
    return [cjk, LATIN_FAMILY] if language == "zh" else [LATIN_FAMILY, cjk]


def check_text(fig: Figure, texts: list[str]) -> None:
    """Note on ``fig`` (and log) when some text has CJK characters but no CJK font is installed."""
    if cjk_font_available():
        return
    bad = [t for t in texts if has_cjk(t)]
    if bad:
        message = f"{len(bad)} label(s) contain CJK characters (e.g. {bad[0]!r}) but {NO_CJK_FONT}"
        add_note(fig, message)
        logger.warning(message)


def add_note(fig: Figure, message: str) -> None:
    """Attach a message to the figure (kept in exported metadata by ``figure_to_bytes``)."""
    notes: list[str] = getattr(fig, _NOTES_ATTR, [])
    if message not in notes:
        notes.append(message)
    setattr(fig, _NOTES_ATTR, notes)


def figure_notes(fig: Figure) -> list[str]:
    """Messages attached to the figure while it was drawn (missing fonts, clipped intervals)."""
    return list(getattr(fig, _NOTES_ATTR, []))


def new_figure(width: float, height: float, language: Language) -> Figure:
    """A Figure (no pyplot) whose text defaults to the language's fonts."""
    fig = Figure(figsize=(width, height), layout=None)
    setattr(fig, "_evisynth_family", font_family(language))  # noqa: B010
    return fig


def family_of(fig: Figure) -> list[str]:
    family: list[str] = getattr(fig, "_evisynth_family", [LATIN_FAMILY])
    return family
