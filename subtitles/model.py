"""Subtitle data model and exact time <-> frame conversion.

Cue times are integer milliseconds. Frame numbers are converted with a
``fractions.Fraction`` frame rate only, so no float error ever accumulates.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from ``start_ms`` (inclusive) to ``end_ms`` (exclusive).

    ``text`` is plain text; ``"\\n"`` separates lines, there is no markup.
    ``line`` is the 1-based line of the source file the cue came from (its
    timing line), for messages; it takes no part in comparisons.
    """

    start_ms: int
    end_ms: int
    text: str
    line: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Track:
    """The cues of one language, sorted by start time.

    ``lang`` is a BCP-47-ish tag ("en", "zh-Hans", "ar"); ``source`` the file it
    was read from; ``repairs`` one line per repair that loading made, each
    naming the source line(s): "line 12: cue has no number", "lines 1-80:
    CRLF line endings", "decoded as cp1256 (detected, ...)".
    """

    lang: str
    cues: tuple[Cue, ...]
    source: str | None = None
    repairs: tuple[str, ...] = ()


def as_fps(fps) -> Fraction:
    """Validate a frame rate (frames per second) and return it as a Fraction.

    Accepts Fraction, int or a "30000/1001" string; floats are refused because
    29.97 is not 30000/1001.
    """
    if isinstance(fps, float):
        raise TypeError(f"fps must be a Fraction (e.g. Fraction(30000, 1001)), not float {fps!r}")
    rate = Fraction(fps)
    if rate <= 0:
        raise ValueError(f"fps must be positive, got {rate}")
    return rate


def format_timestamp(ms: int, separator: str) -> str:
    """``HH:MM:SS<separator>mmm`` for integer ms (negative counts as 0): "," for SRT, "." for WebVTT."""
    hours, rest = divmod(max(0, ms), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def frame_to_ms(frame: int, fps: Fraction) -> int:
    """Start time of ``frame`` in integer ms: ``round(frame * 1000 / fps)``, exact."""
    return round(Fraction(frame * 1000) / as_fps(fps))


def first_frame_at_or_after(ms: int, fps: Fraction) -> int:
    """First frame whose start time, rounded to ms, is >= ``ms``.

    Comparing at ms resolution (the resolution of cue times) makes the
    conversion round-trip: ``first_frame_at_or_after(frame_to_ms(k)) == k``.
    """
    rate = as_fps(fps)
    if ms <= 0:
        return 0
    # Start from the exact ceiling of (ms - 1/2) frames, then settle the
    # rounding edge with frame_to_ms itself so both functions always agree.
    x = (Fraction(ms) - Fraction(1, 2)) * rate / 1000
    k = max(0, -((-x.numerator) // x.denominator))
    while frame_to_ms(k, rate) < ms:
        k += 1
    while k > 0 and frame_to_ms(k - 1, rate) >= ms:
        k -= 1
    return k
