"""Where each cue goes on a vertical frame: size, lines, position, stacking.

Every cue is laid out by us, not by libass: font size relative to the frame
height, at most two lines broken by ``linebreak``, centred in the chosen
platform's safe zone, sitting on its bottom edge. Cues that overlap in time
are stacked, each above the ones already on screen, and every block (outline
and shadow included) stays inside the safe zone: the font shrinks when a cue
would not fit otherwise. The ASS writer places each cue with ``\\an2\\pos``
at the position computed here, so the prediction (``CueLayout.box``) is what
gets drawn.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from verticalize.errors import OptionsError

from .fonts import primary_language
from .linebreak import fit_cue_lines
from .measure import text_width_px
from .model import Track

# Safe zones: the part of a 9:16 frame no platform UI covers, as fractions of
# the frame (left and right of the width, top and bottom of the height).
# Sources are listed in subtitles/README.md; in short:
PLATFORMS: dict[str, tuple[float, float, float, float]] = {
    # TikTok: clear of ~250 px at the top (tabs, search), 420 px at the bottom
    # (caption, username, sound) and 170 px on the right (avatar, like,
    # comment, share column) of 1080x1920, as TikTok's Creative Center safe-
    # zone overlays are usually quoted; 60 px on the left is our edge margin.
    "tiktok": (60 / 1080, 250 / 1920, 170 / 1080, 420 / 1920),
    # Instagram / Facebook Reels: Meta's published guidance for Reels ads:
    # keep 14% at the top, 35% at the bottom and 6% on each side free of text.
    "reels": (0.06, 0.14, 0.06, 0.35),
    # YouTube Shorts: YouTube publishes no pixel figures; creator guides
    # measure the title / channel / subscribe area at 25-30% of the bottom and
    # the action column at ~15% of the right. We take 30% and 15%, 12% at the
    # top (search and camera icons) and 6% on the left.
    "shorts": (0.06, 0.12, 0.15, 0.30),
    # No platform UI: the EBU R 95 graphics-safe area, 5% from every edge.
    "none": (0.05, 0.05, 0.05, 0.05),
}

# Style, as fractions of the output height.
FONT_SIZE_OF_HEIGHT = 0.042
OUTLINE_OF_HEIGHT = 0.0035
SHADOW_OF_HEIGHT = 0.002
BLUR_PAD_PX = 2.0  # \blur1 spreads the outline edge by about this much
# Glyph ink may reach past the advance box at the ends of a line (negative
# side bearings: Devanagari vowel signs, italic-like overhangs); allow this
# much of the font size on each side.
OVERSHOOT_OF_SIZE = 0.06
# libass sizes a font by its ascent + descent (OS/2 win metrics). Noto Sans
# Arabic (2169 units) and Devanagari (1906) have much taller metrics than
# Noto Sans (1519), so at one ASS size their letters look smaller; these
# factors were chosen by eye on rendered frames.
FONT_SCALE_BY_LANGUAGE = {"ar": 1.3, "fa": 1.3, "ur": 1.3, "hi": 1.15, "mr": 1.15, "ne": 1.15}
RTL_LANGUAGES = {"ar", "fa", "ur", "he", "yi", "ps", "ckb", "ug", "sd"}


def safe_zone(platform: str, width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixels of ``platform``'s safe zone in a ``width`` x ``height`` frame.

    ``right`` and ``bottom`` are exclusive edges: the zone is
    ``left <= x < right``, ``top <= y < bottom``.
    """
    if platform not in PLATFORMS:
        raise OptionsError(f"platform {platform!r}: choose one of {', '.join(PLATFORMS)}")
    if width <= 0 or height <= 0:
        raise ValueError(f"bad frame size {width}x{height}")
    left, top, right, bottom = PLATFORMS[platform]

    def px(fraction: float, size: int) -> int:  # rounded up, float noise aside
        return math.ceil(fraction * size - 1e-6)

    return px(left, width), px(top, height), width - px(right, width), height - px(bottom, height)


def burnin_font_size(lang: str, height: int) -> int:
    """ASS font size (pixels of the output frame) for ``lang`` at ``height``."""
    return max(1, round(height * FONT_SIZE_OF_HEIGHT * FONT_SCALE_BY_LANGUAGE.get(primary_language(lang), 1.0)))


@dataclass(frozen=True)
class Style:
    """The burn-in style at one output size."""

    font_size: int
    outline: float
    shadow: float

    @property
    def pad(self) -> float:
        """How far ink reaches beyond the text box: outline plus blur."""
        return self.outline + BLUR_PAD_PX


def style_for(lang: str, height: int) -> Style:
    return Style(burnin_font_size(lang, height), round(height * OUTLINE_OF_HEIGHT, 2),
                 round(height * SHADOW_OF_HEIGHT, 2))


@dataclass(frozen=True)
class CueLayout:
    """One cue as it will be drawn.

    ``x``, ``y``: the ``\\an2\\pos`` anchor (bottom centre of the text box);
    ``text_box``: (left, top, right, bottom) of the lines' advance boxes;
    ``box``: the same grown by outline, blur and shadow: every pixel the cue
    can touch. ``stacked``: how many cues already on screen it sits above.
    ``overlaps_other``: True only if no free place was left in the safe zone
    (it then sits at the bottom, still inside the zone).
    """

    index: int  # position of the cue in its track
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    font_size: int
    x: float
    y: float
    text_box: tuple[float, float, float, float]
    box: tuple[float, float, float, float]
    stacked: int = 0
    overlaps_other: bool = False


def _fit(text: str, lang: str, style: Style, zone: tuple[int, int, int, int]) -> tuple[int, list[str]]:
    """(font size, lines) so that the block fits the zone's width and height."""
    left, top, right, bottom = zone
    max_width = (right - left) - 2 * style.pad - style.shadow
    max_height = (bottom - top) - 2 * style.pad - style.shadow
    if max_width <= 0 or max_height <= 0:
        raise ValueError(f"safe zone {zone} is too small for subtitles")
    size = style.font_size
    for _attempt in range(20):
        size, lines = fit_cue_lines(text, lang, max_width - 2 * OVERSHOOT_OF_SIZE * size, size)
        widest = max((text_width_px(line, lang, size) for line in lines), default=0.0)
        if (widest + 2 * OVERSHOOT_OF_SIZE * size <= max_width and len(lines) * size <= max_height) or size <= 1:
            return size, lines
        size = max(1, min(size - 1, math.floor(max_height / max(1, len(lines)))))
    return size, lines


def layout_track(track: Track, width: int, height: int, platform: str = "none",
                 times: list[tuple[int, int]] | None = None) -> list[CueLayout]:
    """Lay out every cue of ``track`` (in track order, zero-length cues left out).

    ``times`` replaces the cues' (start, end) ms, e.g. snapped to frames.
    """
    zone = safe_zone(platform, width, height)
    left, top, right, bottom = zone
    style = style_for(track.lang, height)
    gap = style.outline  # between two stacked blocks
    x = (left + right - style.shadow) / 2
    spans = times if times is not None else [(cue.start_ms, cue.end_ms) for cue in track.cues]
    in_order = all(a <= b for (a, _), (b, _) in zip(spans, spans[1:]))
    placed: list[CueLayout] = []
    active: list[CueLayout] = []  # laid-out cues that may still be on screen
    for index, cue in enumerate(track.cues):
        start, end = spans[index]
        if end <= start:
            continue
        if in_order:
            active = [p for p in active if p.end_ms > start]
        else:
            active = placed
        size, lines = _fit(cue.text, track.lang, style, zone)
        text_width = max((text_width_px(line, track.lang, size) for line in lines), default=0.0)
        text_height = len(lines) * size
        below = style.pad + style.shadow  # ink below the text box
        above = style.pad  # ink above it
        # Lowest free place: on the zone's bottom edge, or just above a cue
        # on screen at the same time.
        on_screen = [p for p in active if p.start_ms < end and start < p.end_ms]
        candidates = sorted({bottom - below, *(p.box[1] - gap - below for p in on_screen)}, reverse=True)
        y, stacked, collides = None, 0, False
        for candidate in candidates:
            box_top, box_bottom = candidate - text_height - above, candidate + below
            if box_top < top:
                continue
            if all(box_bottom <= p.box[1] - gap + 1e-9 or box_top >= p.box[3] + gap - 1e-9 for p in on_screen):
                y = candidate
                stacked = sum(1 for p in on_screen if p.box[1] >= box_bottom - 1e-9)
                break
        if y is None:
            y, collides = bottom - below, bool(on_screen)
        text_box = (x - text_width / 2, y - text_height, x + text_width / 2, y)
        overshoot = OVERSHOOT_OF_SIZE * size
        box = (text_box[0] - overshoot - style.pad, text_box[1] - above,
               text_box[2] + overshoot + style.pad + style.shadow, y + below)
        layout = CueLayout(index, start, end, tuple(lines), size, x, y, text_box, box, stacked, collides)
        placed.append(layout)
        if active is not placed:
            active.append(layout)
    return placed

