"""Fonts for figures in English and Chinese, chosen per figure (no global rcParams changes).

Chinese needs a CJK font; matplotlib's default (DejaVu Sans) has no CJK glyphs and would draw
empty boxes ("tofu") with a warning. Figures use Noto Sans SC (SIL Open Font License) shipped
in the Python package ``pylopdf-fonts-zh-cn``, a dependency of evisynth: it is registered with
matplotlib from the installed file, so neither the system's fonts nor matplotlib's font cache
(which misses fonts installed after it was written) can make Chinese fail. The shipped font is
preferred even where a system CJK font exists, so a figure has the same glyphs on every machine
(reproducible figures, and the visual tests' references hold everywhere). Only when the package
is missing do we look for an installed CJK family. The CJK family is listed after (English) or
before (Chinese) DejaVu Sans, so that matplotlib's per-glyph fallback finds every character.
The shipped font has one weight: bold text in it gets a thin outline (``bold_effects``).
When no CJK font is found at all, Chinese labels fall back to English, and the figure carries a
note (``figure_notes``) that says so and how to fix it; the note is also logged.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patheffects import AbstractPathEffect, Stroke

Language = Literal["en", "zh"]

logger = logging.getLogger(__name__)

#: The CJK font shipped as a Python dependency: (package, file inside it).
SHIPPED_CJK_FONT = ("pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf")
#: Installed CJK families looked for when the shipped font is missing (Simplified Chinese first).
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
    "no CJK font found (the package pylopdf-fonts-zh-cn is not installed, and none of "
    + ", ".join(CJK_FAMILIES[:5]) + " is); Chinese labels are shown in English. Reinstall evisynth "
    "(`pip install pylopdf-fonts-zh-cn`), or install a system font, e.g. `apt-get install "
    "fonts-noto-cjk`, then delete matplotlib's font cache (~/.cache/matplotlib/fontlist-*.json)"
)
#: Outline (points) drawn round bold text in the shipped CJK font, which has one weight; at the
#: 7-11 pt of our figures it looks close to Noto Sans CJK Bold (compared by eye at 72-300 dpi).
FAUX_BOLD_OUTLINE = 0.35
#: Character ranges of CJK text (ideographs, kana, hangul, full-width forms), for a regex class.
CJK_RANGES = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_CJK = re.compile(f"[{CJK_RANGES}]")
_NOTES_ATTR = "_evisynth_notes"


def shipped_cjk_font_path() -> Path | None:
    """The file of the shipped CJK font, or None when its package is not installed."""
    package, name = SHIPPED_CJK_FONT
    try:
        resource = resources.files(package).joinpath(name)
    except ModuleNotFoundError:
        return None
    # FreeType needs a real file; a package imported from a zip archive has none to offer.
    return resource if isinstance(resource, Path) and resource.is_file() else None


def _register_shipped_cjk_font() -> str | None:
    """Register the shipped CJK font with matplotlib and return its family name (None: missing).

    ``addfont`` reads the file itself, so matplotlib's font cache is never consulted. The entry
    is moved to the front of the font list (among equal matches matplotlib takes the first), so
    another version of the family installed on the system cannot replace it. The package has
    one weight; a bold entry for the same file lets bold text (headings, totals) use it instead
    of matplotlib logging "Failed to find font weight", and ``bold_effects`` draws it bold.
    """
    path = shipped_cjk_font_path()
    if path is None:
        return None
    manager = font_manager.fontManager
    manager.addfont(str(path))
    regular = next(f for f in manager.ttflist if Path(f.fname) == path)
    manager.ttflist.remove(regular)
    manager.ttflist[:0] = [regular, dataclasses.replace(regular, weight=700)]
    name: str = regular.name
    return name


@cache
def cjk_font_family() -> str | None:
    """The CJK family figures use: the shipped font, else the first installed of ``CJK_FAMILIES``.

    None when there is neither. The first call registers the shipped font with matplotlib.
    """
    shipped = _register_shipped_cjk_font()
    if shipped is not None:
        return shipped
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in installed), None)


def cjk_font_available() -> bool:
    """True when a CJK-capable font can be used (the shipped one, or one installed)."""
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


def bold_effects(family: list[str]) -> list[AbstractPathEffect]:
    """Path effects for bold text in ``family`` (pass them with ``fontweight="bold"``).

    None where the first font of ``family`` has a bold weight; for the shipped CJK font, which
    has one weight, an outline in the text's own colour that draws it bold ("faux bold").
    """
    if family[0] == cjk_font_family() and shipped_cjk_font_path() is not None:
        return [Stroke(linewidth=FAUX_BOLD_OUTLINE)]
    return []


@cache
def _measuring_figure() -> Figure:
    fig = Figure()
    FigureCanvasAgg(fig)  # measures as the PNG export draws, with a renderer it keeps
    return fig


def text_width_in(text: str, family: list[str], size: float, *, bold: bool = False) -> float:
    """Width in inches of ``text`` as matplotlib draws it in ``family`` at ``size`` points."""
    fig = _measuring_figure()
    line = fig.text(0, 0, text, fontsize=size, fontfamily=family, fontweight="bold" if bold else "normal")
    width = line.get_window_extent().width / fig.dpi
    line.remove()
    return width


def new_figure(width: float, height: float, language: Language) -> Figure:
    """A Figure (no pyplot) whose text defaults to the language's fonts."""
    fig = Figure(figsize=(width, height), layout=None)
    setattr(fig, "_evisynth_family", font_family(language))  # noqa: B010
    return fig


def family_of(fig: Figure) -> list[str]:
    family: list[str] = getattr(fig, "_evisynth_family", [LATIN_FAMILY])
    return family
