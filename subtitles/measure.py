"""Text widths with the real fonts, as libass will draw them.

Advances come from the fonts' hmtx tables via their cmap (fontTools); a
character the style's font lacks is measured in the bundled font libass falls
back to. libass sizes a font so that winAscent + winDescent equals the ASS
font size, so one font unit is ``size / (winAscent + winDescent)`` pixels,
and a line is exactly ``size`` pixels tall whatever the script.
"""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .fonts import bundled_font_files, font_file_for, font_name_for


# --- measuring text with the real fonts ------------------------------------


@dataclass(frozen=True)
class FontMetrics:
    """Advance widths of one font file, in font units, and libass' size basis."""

    advances: dict[int, int]  # code point -> advance width (font units)
    size_units: int  # libass sizes a font so that ascender + descender == font size


@functools.lru_cache(maxsize=None)
def font_metrics(path: Path) -> FontMetrics:
    """Advances (hmtx via cmap) and the ascent+descent libass scales to (OS/2 win metrics)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True, fontNumber=0) as font:
        hmtx = font["hmtx"].metrics
        advances = {cp: hmtx[name][0] for cp, name in (font.getBestCmap() or {}).items() if name in hmtx}
        os2 = font["OS/2"] if "OS/2" in font else None
        if os2 is not None and os2.usWinAscent + os2.usWinDescent > 0:
            size_units = os2.usWinAscent + os2.usWinDescent
        else:
            size_units = font["hhea"].ascent - font["hhea"].descent
        return FontMetrics(advances, size_units or font["head"].unitsPerEm)


@functools.lru_cache(maxsize=None)
def _fallback_chain(lang: str) -> tuple[Path, ...]:
    """The style's font file first, then every other bundled one (as libass falls back); each font's
    metrics are read when a character first needs it (the CJK font's cmap alone costs 0.2 s)."""
    primary = font_file_for(font_name_for(lang))
    others = [p for p in bundled_font_files() if p != primary and "italic" not in p.name.lower()]
    return (primary, *others)


def char_width_px(char: str, lang: str, font_size_px: float) -> float:
    """Advance of ``char`` in pixels when set in ``lang``'s style at ``font_size_px``.

    libass requests the font at "real dimension" = ascender + descender, so one
    font unit is ``font_size / (winAscent + winDescent)`` pixels.
    """
    for path in _fallback_chain(lang):
        metrics = font_metrics(path)
        advance = metrics.advances.get(ord(char))
        if advance is not None:
            return advance * font_size_px / metrics.size_units
    return 0.0 if unicodedata.category(char) in ("Mn", "Me", "Cf") else 0.6 * font_size_px


@functools.lru_cache(maxsize=1)
def _arabic_forms() -> dict[str, dict[str, str]]:
    """Arabic letter -> {"initial"|"medial"|"final"|"isolated": presentation form}."""
    forms: dict[str, dict[str, str]] = {}
    for cp in (*range(0xFB50, 0xFDFF), *range(0xFE70, 0xFEFF)):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and parts[0] in ("<initial>", "<medial>", "<final>", "<isolated>"):
            forms.setdefault(chr(int(parts[1], 16)), {})[parts[0][1:-1]] = chr(cp)
    forms.setdefault("\u0640", {})  # tatweel joins on both sides
    return forms


def _shaped_for_width(text: str) -> str:
    """``text`` with Arabic letters replaced by their contextual presentation forms.

    Joined Arabic is much narrower than isolated letters; this approximates
    harfbuzz's shaping closely enough to measure lines (no ligatures).
    """
    forms = _arabic_forms()
    if not any(ch in forms for ch in text):
        return text

    def joins_both(ch: str) -> bool:  # dual-joining: connects to the next letter too
        return ch == "\u0640" or "medial" in forms.get(ch, {}) or "initial" in forms.get(ch, {})

    def neighbour(i: int, step: int) -> str:
        i += step
        while 0 <= i < len(text) and unicodedata.category(text[i]) == "Mn":  # harakat are transparent
            i += step
        return text[i] if 0 <= i < len(text) else ""

    out = []
    for i, ch in enumerate(text):
        if ch not in forms:
            out.append(ch)
            continue
        prev, nxt = neighbour(i, -1), neighbour(i, 1)
        joins_prev = bool(prev) and joins_both(prev)
        joins_next = joins_both(ch) and nxt in forms
        form = {(True, True): "medial", (True, False): "final", (False, True): "initial"}.get(
            (joins_prev, joins_next), "isolated")
        out.append(forms[ch].get(form) or forms[ch].get("isolated") or ch)
    return "".join(out)


def char_widths_px(text: str, lang: str, font_size_px: float) -> list[float]:
    """Per-character advances of ``text`` in pixels (Arabic measured joined)."""
    return [char_width_px(ch, lang, font_size_px) for ch in _shaped_for_width(text)]


def text_width_px(text: str, lang: str, font_size_px: float) -> float:
    """Width of one line (sum of advances; no kerning, ligatures or other shaping)."""
    return sum(char_widths_px(text, lang, font_size_px))
