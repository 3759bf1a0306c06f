"""Reading speed: per-language limits, the check, and the duration fix.

``LIMITS`` is the one table of per-language figures; its sources are cited
in subtitles/README.md (mainly the Netflix Timed Text Style Guides: the
General Requirements for durations, frame gap and line count, and each
language's guide for its reading speed and characters per line).

Characters are counted as a reader sees them: line breaks are not counted,
combining marks (Thai vowels above/below and tone marks, Arabic harakat,
Devanagari nukta/virama/anusvara...) are not counted, and in Chinese,
Japanese and Korean a half-width character (Latin letter, digit, space,
ASCII punctuation) counts as half a character, as those guides specify.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, replace
from fractions import Fraction

from .fonts import primary_language
from .model import Cue, Track, as_fps, format_timestamp


@dataclass(frozen=True)
class Limits:
    """Reading limits of one language."""

    cps: float  # most characters per second
    chars_per_line: int
    max_lines: int = 2
    min_duration_ms: int = 833  # 5/6 s (20 frames at 24 fps)
    max_duration_ms: int = 7000
    min_gap_frames: int = 2  # between two consecutive cues, whatever the frame rate


# Per language (primary subtag). Figures for adult programmes.
LIMITS: dict[str, Limits] = {
    "en": Limits(cps=20, chars_per_line=42),  # English (USA) TTSG; the English template uses 17
    "es": Limits(cps=17, chars_per_line=42),
    "fr": Limits(cps=17, chars_per_line=42),
    "de": Limits(cps=17, chars_per_line=42),
    "it": Limits(cps=17, chars_per_line=42),
    "pt": Limits(cps=17, chars_per_line=42),
    "nl": Limits(cps=17, chars_per_line=42),
    "ru": Limits(cps=17, chars_per_line=42),
    "el": Limits(cps=17, chars_per_line=42),
    "tr": Limits(cps=17, chars_per_line=42),
    "pl": Limits(cps=17, chars_per_line=42),
    "zh": Limits(cps=9, chars_per_line=16),
    "yue": Limits(cps=9, chars_per_line=16),
    "ja": Limits(cps=4, chars_per_line=13),
    "ko": Limits(cps=12, chars_per_line=16),
    "ar": Limits(cps=20, chars_per_line=42),
    "he": Limits(cps=17, chars_per_line=42),
    "hi": Limits(cps=17, chars_per_line=42),
    "th": Limits(cps=17, chars_per_line=35),
}
DEFAULT_LIMITS = Limits(cps=17, chars_per_line=42)  # Netflix's figures for most Latin-script languages
HALF_WIDTH_LANGUAGES = {"zh", "yue", "ja", "ko"}
DEFAULT_FPS = Fraction(24)  # for the frame gap when the frame rate is not known


def limits_for(lang: str) -> Limits:
    """The limits for a language tag ("pt-BR" -> "pt"); unknown languages get ``DEFAULT_LIMITS``."""
    return LIMITS.get(primary_language(lang), DEFAULT_LIMITS)


def count_chars(text: str, lang: str) -> float:
    """Characters of ``text`` as the reading-speed limits count them (see the module doc)."""
    half = primary_language(lang) in HALF_WIDTH_LANGUAGES
    total = 0.0
    for ch in text:
        if ch in "\n\r" or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        if half and (ch.isascii() or unicodedata.east_asian_width(ch) in ("H", "Na")):
            total += 0.5
        else:
            total += 1
    return total


def min_gap_ms(limits: Limits, fps: Fraction | None) -> int:
    """The minimum gap in ms: ``min_gap_frames`` at ``fps`` (24 fps when unknown), rounded up."""
    rate = as_fps(fps) if fps is not None else DEFAULT_FPS
    return math.ceil(Fraction(limits.min_gap_frames * 1000) / rate)


@dataclass(frozen=True)
class Violation:
    """One cue over one limit."""

    index: int  # of the cue in the track
    line: int | None  # source line of the cue
    start_ms: int
    kind: str  # "cps", "chars_per_line", "lines", "min_duration", "max_duration", "gap"
    value: float
    limit: float

    def describe(self) -> str:
        unit = {"cps": " cps", "chars_per_line": " chars", "lines": " lines", "min_duration": " ms",
                "max_duration": " ms", "gap": " ms"}[self.kind]
        what = {"cps": "reading speed", "chars_per_line": "characters in a line", "lines": "lines",
                "min_duration": "duration below minimum", "max_duration": "duration above maximum",
                "gap": "gap to the next cue"}[self.kind]
        comparison = "<" if self.kind in ("min_duration", "gap") else ">"
        return f"{what}: {self.value:g}{unit} {comparison} {self.limit:g}{unit}"


def _next_start(cues: tuple[Cue, ...], i: int) -> int | None:
    """Start of the first cue that begins at or after cue ``i`` ends (overlapping cues are stacked, not next)."""
    end = cues[i].end_ms
    starts = [c.start_ms for j, c in enumerate(cues) if j != i and c.start_ms >= end]
    return min(starts) if starts else None


def _previous_end(cues: tuple[Cue, ...], i: int) -> int | None:
    """End of the last cue that finishes at or before cue ``i`` starts."""
    start = cues[i].start_ms
    ends = [c.end_ms for j, c in enumerate(cues) if j != i and c.end_ms <= start]
    return max(ends) if ends else None


def check_track(track: Track, fps: Fraction | None = None, limits: Limits | None = None) -> list[Violation]:
    """Every limit every cue breaks, in cue order."""
    lim = limits or limits_for(track.lang)
    gap_limit = min_gap_ms(lim, fps)
    out: list[Violation] = []
    for i, cue in enumerate(track.cues):
        def add(kind: str, value: float, limit: float) -> None:
            out.append(Violation(i, cue.line, cue.start_ms, kind, value, limit))

        duration = cue.end_ms - cue.start_ms
        chars = count_chars(cue.text, track.lang)
        if duration > 0 and chars / (duration / 1000) > lim.cps + 1e-9:
            add("cps", round(chars / (duration / 1000), 1), lim.cps)
        lines = [line for line in cue.text.split("\n") if line.strip()]
        longest = max((count_chars(line, track.lang) for line in lines), default=0)
        if longest > lim.chars_per_line:
            add("chars_per_line", longest, lim.chars_per_line)
        if len(lines) > lim.max_lines:
            add("lines", len(lines), lim.max_lines)
        if duration < lim.min_duration_ms:
            add("min_duration", duration, lim.min_duration_ms)
        if duration > lim.max_duration_ms:
            add("max_duration", duration, lim.max_duration_ms)
        following = _next_start(track.cues, i)
        if following is not None and following - cue.end_ms < gap_limit:
            add("gap", following - cue.end_ms, gap_limit)
    return out


def needed_duration_ms(cue: Cue, lang: str, lim: Limits) -> int:
    """The shortest duration that meets both the reading speed and the minimum duration."""
    chars = count_chars(cue.text, lang)
    return max(lim.min_duration_ms, math.ceil(chars * 1000 / lim.cps))


def fix_durations(track: Track, fps: Fraction | None = None,
                  limits: Limits | None = None) -> tuple[Track, list[str]]:
    """Lengthen cues that are too short or too fast, into the free time around them.

    A cue is extended only when that resolves its violation (reading speed
    and minimum duration both met): its end moves later, up to the minimum
    gap before the next cue, and if that is not enough its start moves
    earlier, down to the minimum gap after the previous one; never beyond
    the maximum duration. Returns the new track (same cues, same order) and
    one note per changed cue.
    """
    lim = limits or limits_for(track.lang)
    gap = min_gap_ms(lim, fps)
    cues = list(track.cues)
    notes: list[str] = []
    for i, cue in enumerate(cues):
        duration = cue.end_ms - cue.start_ms
        need = needed_duration_ms(cue, track.lang, lim)
        if duration >= need or need > lim.max_duration_ms:
            continue
        current = tuple(cues)
        following = _next_start(current, i)
        latest_end = following - gap if following is not None else cue.end_ms + (need - duration)
        previous = _previous_end(current, i)
        earliest_start = max(0, previous + gap) if previous is not None else max(0, cue.start_ms - (need - duration))
        end = min(max(cue.end_ms, latest_end), cue.start_ms + need)
        start = cue.start_ms
        if end - start < need:
            start = max(min(cue.start_ms, earliest_start), end - need)
        if end - start < need:
            continue  # not enough free time: leave it for a person to fix
        cues[i] = replace(cue, start_ms=start, end_ms=end)
        where = f"line {cue.line}" if cue.line else f"cue {i + 1}"
        notes.append(f"{where}: {format_timestamp(cue.start_ms, ',')} --> {format_timestamp(cue.end_ms, ',')} "
                     f"now {format_timestamp(start, ',')} --> {format_timestamp(end, ',')} ({duration} -> {end - start} ms)")
    ordered = tuple(sorted(cues, key=lambda c: (c.start_ms, c.end_ms)))
    return Track(track.lang, ordered, track.source, track.repairs), notes
