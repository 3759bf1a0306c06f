"""ASS files for libass burn-in at the output size, and our own line breaking.

libass gets ``WrapStyle: 2`` (no automatic wrapping): we break lines here,
measuring with the real fonts, so we control the shape (at most two balanced
lines, kinsoku for CJK) and never lose text.
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .export import write_text_atomically
from .fonts import bundled_font_files, font_file_for, font_name_for, is_traditional_chinese, primary_language
from .model import Track, as_fps, frame_to_ms
from .parse import cue_frame_spans

# Layout, as fractions of the output frame.
FONT_SIZE_OF_HEIGHT = 0.042
OUTLINE_OF_HEIGHT = 0.0035
SHADOW_OF_HEIGHT = 0.002
BOTTOM_MARGIN_OF_HEIGHT = 0.22  # keep clear of the platform's buttons and caption
SIDE_MARGIN_OF_WIDTH = 0.08
# libass sizes a font by its ascent + descent (OS/2 win metrics). Noto Sans
# Arabic (2169 units) and Devanagari (1906) have much taller metrics than
# Noto Sans (1519), so at one ASS size their letters look smaller; these
# factors were chosen by eye on rendered frames.
FONT_SCALE_BY_LANGUAGE = {"ar": 1.3, "fa": 1.3, "ur": 1.3, "hi": 1.15, "mr": 1.15, "ne": 1.15}
RTL_LANGUAGES = {"ar", "fa", "ur", "he", "yi", "ps", "ckb", "ug", "sd"}
MAX_LINES = 2
MIN_FONT_SCALE = 0.7  # shrink a cue that cannot fit in two lines, down to this

# Languages written without spaces between words: break between characters.
CHARACTER_BREAK_LANGUAGES = {"zh", "ja", "yue", "cmn", "th"}
# Simple kinsoku: no line may start with these ...
NO_LINE_START = set(
    "）」』】〕〉》］｝〙〗、。，．・：；！？!?:;,.)]}…‥ー〜～”’"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々ゝゞヽヾ"
)
# ... and none may end with these.
NO_LINE_END = set("（「『【〔〈《［｛〘〖([{“‘")
THAI_LEADING_VOWELS = set("เแโใไ")  # written before the consonant: never end a line


# --- ffmpeg filtergraph escaping -------------------------------------------


def ffmpeg_filter_path(path) -> str:
    """``path`` escaped for ``subtitles=filename=<here>`` inside an ffmpeg filtergraph.

    Two levels: the option value (``\\ ' :``), then the filtergraph
    (``\\ ' [ ] , ;``). Pass the result as one argv item, no shell quoting.
    """
    value = re.sub(r"([\\':])", r"\\\1", str(path))
    return re.sub(r"([\\'\[\],;])", r"\\\1", value)


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


def _fallback_chain(lang: str) -> tuple[FontMetrics, ...]:
    """The style's font first, then every other bundled font (as libass falls back)."""
    primary = font_file_for(font_name_for(lang))
    others = [p for p in bundled_font_files() if p != primary and "italic" not in p.name.lower()]
    return tuple(font_metrics(p) for p in (primary, *others))


def char_width_px(char: str, lang: str, font_size_px: float) -> float:
    """Advance of ``char`` in pixels when set in ``lang``'s style at ``font_size_px``.

    libass requests the font at "real dimension" = ascender + descender, so one
    font unit is ``font_size / (winAscent + winDescent)`` pixels.
    """
    for metrics in _fallback_chain(lang):
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


# --- line breaking ----------------------------------------------------------


def _is_word_char(char: str) -> bool:
    """Letters/digits of scripts that use spaces (don't split "iPhone" or "2024")."""
    return char.isascii() and char.isalnum() or unicodedata.category(char)[0] in "LN" and ord(char) < 0x0E00


def _can_break_between(before: str, after: str, lang: str) -> bool:
    """May a line end with ``before`` and the next start with ``after``?"""
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    if unicodedata.category(after) in ("Mn", "Mc", "Me", "Cf") or before == "\u200d":
        return False  # combining marks and joiners stay with their base
    if _is_word_char(before) and _is_word_char(after):
        return False
    if primary_language(lang) == "th" or "\u0e00" <= after <= "\u0e7f":
        if before in THAI_LEADING_VOWELS:
            return False
        if "\u0e30" <= after <= "\u0e3a" or "\u0e45" <= after <= "\u0e4e":
            return False  # following vowels, tone marks, repetition mark
    return True


def _join_lines(lines: list[str], lang: str) -> str:
    """Source lines joined for re-breaking: no space between CJK characters."""
    if primary_language(lang) not in ("zh", "ja", "yue", "cmn"):
        return " ".join(lines)
    joined = lines[0]
    for line in lines[1:]:
        joined += (" " if _is_word_char(joined[-1]) and _is_word_char(line[0]) else "") + line
    return joined


def _break_candidates(text: str, lang: str) -> list[tuple[int, int, int]]:
    """(end of line 1, start of line 2, rank) for each allowed break; rank 0 = at a space."""
    candidates = [(m.start(), m.end(), 0) for m in re.finditer(r"\s+", text) if 0 < m.start() and m.end() < len(text)]
    character_breaks = primary_language(lang) in CHARACTER_BREAK_LANGUAGES or not candidates
    if character_breaks:
        # Thai without a dictionary: prefer its spaces, break inside words only if needed.
        rank = 1 if primary_language(lang) == "th" else 0
        for i in range(1, len(text)):
            if not text[i - 1].isspace() and not text[i].isspace() and _can_break_between(text[i - 1], text[i], lang):
                candidates.append((i, i, rank))
    return candidates


def break_lines(text: str, lang: str, max_width_px: float, font_size_px: float) -> list[str]:
    """Break ``text`` into at most two lines that fit ``max_width_px``.

    Widths are measured with the real font for ``lang`` (fontTools advances
    at ``font_size_px``, the ASS font size). Existing line breaks are kept
    when they fit; otherwise the text is re-broken at the split that makes
    the longer line shortest: at spaces for spaced scripts, between
    characters (with kinsoku) for Chinese, Japanese and Thai. Text that needs
    more than two lines still gets two (overflowing) lines; no character is
    ever dropped: ``"".join(result)`` equals ``text`` apart from whitespace.
    """
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return []

    def fits(line: str) -> bool:
        return text_width_px(line, lang, font_size_px) <= max_width_px

    if len(lines) <= MAX_LINES and all(fits(line) for line in lines):
        return lines
    joined = _join_lines(lines, lang)
    if fits(joined):
        return [joined]
    # Prefix widths make every candidate O(1).
    prefix = [0.0]
    for width in char_widths_px(joined, lang, font_size_px):
        prefix.append(prefix[-1] + width)
    best_key, best = None, None
    for end1, start2, rank in _break_candidates(joined, lang):
        first, second = prefix[end1], prefix[-1] - prefix[start2]
        longer = max(first, second)
        # Fitting first, then preferred kind of break, then balance; on a tie
        # prefer the shorter top line (a pyramid reads better).
        key = (longer > max_width_px, rank, round(longer, 3), first > second)
        if best_key is None or key < best_key:
            best_key, best = key, (end1, start2)
    if best is None:
        return [joined]  # one unbreakable word: overflow is the caller's problem
    end1, start2 = best
    return [joined[:end1].rstrip(), joined[start2:].lstrip()]


# --- the ASS file -----------------------------------------------------------


def _ass_time(ms: int) -> str:
    """ASS H:MM:SS.cc for a cue boundary of ``ms``.

    ASS has centiseconds and libass compares them with the frame time in
    whole ms (truncated, sometimes 1 ms low after float rounding). Flooring
    ``ms - 1`` to centiseconds puts every frame-aligned boundary strictly
    after the previous frame and at or before its own frame, for frame rates
    up to ~90 fps, so the cue shows on exactly the frames ``cue_frame_spans``
    gives.
    """
    cs = max(0, ms - 1) // 10
    hours, rest = divmod(cs, 360_000)
    minutes, rest = divmod(rest, 6000)
    seconds, centis = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{seconds:02d}.{centis:02d}"


def _ass_escape(line: str) -> str:
    """Make plain text literal in ASS: no {override blocks}, no \\N, \\h, \\n escapes."""
    line = line.replace("\\", "\\\u2060")  # a word joiner keeps "\N" from being a line break
    return line.replace("{", "\\{").replace("}", "\\}")


def fit_cue_lines(text: str, lang: str, max_width_px: float, font_size: int) -> tuple[int, list[str]]:
    """(font size, lines) for one cue: two lines at most, shrunk (to 70% at
    most) when even two lines at ``font_size`` would run off the frame."""
    lines = break_lines(text, lang, max_width_px, font_size)
    widest = max((text_width_px(line, lang, font_size) for line in lines), default=0.0)
    if widest <= max_width_px:
        return font_size, lines
    size = max(math.floor(font_size * MIN_FONT_SCALE), math.floor(font_size * max_width_px / widest))
    return size, break_lines(text, lang, max_width_px, size)


def _language_header(lang: str) -> list[str]:
    """Script Info "Language" line: libass hands it to harfbuzz, whose locl
    feature then picks the regional glyphs of the CJK font (Simplified or
    Japanese punctuation sits bottom-left, not centred). libass only uses the
    ISO 639-1 code, and "zh" means Simplified, so for Traditional Chinese we
    leave it out: the TC font's default glyphs are the right ones."""
    if is_traditional_chinese(lang) or not primary_language(lang).isalpha():
        return []
    return [f"Language: {primary_language(lang)}"]


def burnin_font_size(lang: str, height: int) -> int:
    """ASS font size (pixels of the output frame) for ``lang`` at ``height``."""
    return max(1, round(height * FONT_SIZE_OF_HEIGHT * FONT_SCALE_BY_LANGUAGE.get(primary_language(lang), 1.0)))


def burnin_ass_text(track: Track, width: int, height: int, fps: Fraction | None = None) -> str:
    """The ASS document ``write_burnin_ass`` writes."""
    lang = primary_language(track.lang)
    font_size = burnin_font_size(track.lang, height)
    outline = round(height * OUTLINE_OF_HEIGHT, 2)
    shadow = round(height * SHADOW_OF_HEIGHT, 2)
    margin_side = round(width * SIDE_MARGIN_OF_WIDTH)
    margin_bottom = round(height * BOTTOM_MARGIN_OF_HEIGHT)
    # Encoding -1 makes libass detect the paragraph direction (RTL for Arabic).
    encoding = -1 if lang in RTL_LANGUAGES else 1
    header = [
        "[Script Info]",
        "; written by verticalize for libass burn-in",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "ScaledBorderAndShadow: yes",
        "WrapStyle: 2",
        "YCbCr Matrix: None",
        *_language_header(track.lang),
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding",
        # White text, black outline, half-transparent black shadow, bottom centre.
        f"Style: Default,{font_name_for(track.lang)},{font_size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,"
        f"0,0,0,0,100,100,0,0,1,{outline:g},{shadow:g},2,{margin_side},{margin_side},{margin_bottom},{encoding}",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    times = [(cue.start_ms, cue.end_ms) for cue in track.cues]
    if fps is not None:  # snap to the frames the cue is shown on
        rate = as_fps(fps)
        times = [(frame_to_ms(a, rate), frame_to_ms(b, rate)) for a, b in cue_frame_spans(track, rate)]
    max_width = width - 2 * margin_side
    events = []
    for cue, (start_ms, end_ms) in zip(track.cues, times):
        if end_ms <= start_ms:
            continue
        size, lines = fit_cue_lines(cue.text, track.lang, max_width, font_size)
        text = "\\N".join(_ass_escape(line) for line in lines)
        # The blur softens the outline and shadow edges only; the fill stays crisp.
        tags = "{\\blur1}" if size == font_size else f"{{\\blur1\\fs{size}}}"
        events.append(f"Dialogue: 0,{_ass_time(start_ms)},{_ass_time(end_ms)},Default,,0,0,0,,{tags}{text}")
    return "\n".join(header + events) + "\n"


def write_burnin_ass(track: Track, path, width: int, height: int, *, fps: Fraction | None = None) -> None:
    """Write an ASS file for burning ``track`` into a ``width`` x ``height`` video.

    One style: ``font_name_for(lang)``, size ~4.2% of the height, white with a
    black outline and soft shadow, bottom centre above the lowest 22% of the
    frame, 8% side margins. Lines are broken by ``break_lines``; RTL text is
    written as-is (libass shapes it with fribidi + harfbuzz). With ``fps``,
    cue times are first snapped to the frames they are shown on. Atomic.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"bad output size {width}x{height}")
    write_text_atomically(path, burnin_ass_text(track, width, height, fps))
