"""Cut a track down to one episode and shift it so the episode starts at 0 ms.

An episode is one or more source frame ranges played back to back: an
optional recap (a few seconds of the previous episode) and then the
episode itself. Each cue is shown on the frames ``cue_frame_spans`` gives;
its part inside each range is re-timed to the output.

A cue that crosses a range boundary is split there, and so is its text: the
part before the cut gets the words spoken so far (the text is divided in
proportion to time, at the nearest place a line may break: a space, a CJK
character boundary allowed by kinsoku, a Thai word boundary), the part
after the cut gets the rest. So when a film is cut into consecutive
episodes, every word of every cue ends up in exactly one episode.
"""
from __future__ import annotations

import operator
from dataclasses import replace
from fractions import Fraction

from .linebreak import join_lines, break_opportunities
from .model import Cue, Track, as_fps, frame_to_ms
from .parse import cue_frame_spans


def _flat(text: str, lang: str) -> str:
    """The cue's lines joined as one line (as the line breaker joins them)."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    return join_lines(lines, lang) if lines else ""


def _cut_at(flat: str, lang: str, fraction: Fraction) -> tuple[int, int]:
    """(end of the first part, start of the second) for cutting ``flat`` at ``fraction`` of its length.

    The cut is the allowed break nearest to the proportional position (the
    ends of the text count too); on a tie, the better kind of break.
    """
    target = fraction * len(flat)
    options = [(0, 0, 0), (len(flat), len(flat), 0), *break_opportunities(flat, lang)]
    end1, start2, _penalty = min(options, key=lambda o: (abs(o[0] - target), o[2], o[0]))
    return end1, start2


def split_cue_text(text: str, lang: str, first: int, end: int, cuts: list[int]) -> list[str]:
    """The text of a cue shown on frames ``[first, end)`` divided at the frames ``cuts``.

    Returns one string per piece (``len(cuts) + 1``, cuts sorted and inside
    the span); pieces may be empty. Joined, they equal the text apart from
    whitespace. A cue that is not cut keeps its own lines.
    """
    if not cuts:
        return [text]
    flat = _flat(text, lang)
    bounds = [(0, 0)]
    for cut in cuts:
        bounds.append(_cut_at(flat, lang, Fraction(cut - first, end - first)))
    bounds.append((len(flat), len(flat)))
    pieces = []
    for (_, start), (stop, _) in zip(bounds, bounds[1:]):
        pieces.append(flat[start:stop].strip() if stop > start else "")
    return pieces


def shifted(track: Track, offset_ms: int) -> Track:
    """``track`` with every cue moved by ``offset_ms`` (negative: earlier); cues that end at or
    before 0 are dropped and those that start before 0 start at 0. For a video stream that starts
    ``-offset_ms`` after the file's start: cue times count from the file, frames from the video."""
    if not offset_ms:
        return track
    cues = tuple(replace(c, start_ms=max(0, c.start_ms + offset_ms), end_ms=c.end_ms + offset_ms)
                 for c in track.cues if c.end_ms + offset_ms > 0)
    return replace(track, cues=cues)


def track_for_segments(track: Track, segments: list[tuple[int, int]], fps: Fraction,
                       split_text: bool = True, times=None) -> Track:
    """The cues shown on the source frame ranges ``segments``, played back to back from 0 ms.

    Each cue part inside a range is re-timed to the output: its frames
    counted from the output's first frame, ``ms = round(frame * 1000 / fps)``.
    A cue crossing a range boundary is split there; with ``split_text`` its
    text is divided between the parts (see ``split_cue_text``), otherwise
    every part shows the whole text. Parts left without text are dropped.
    ``times`` (variable frame rate): the exact start of every source frame in
    seconds, one more entry than frames; output times then follow them,
    ``ms = round(1000 * (output time of the frame))``.
    """
    rate = as_fps(fps)
    checked = []
    for start_frame, end_frame in segments:
        start_frame, end_frame = operator.index(start_frame), operator.index(end_frame)  # ints only
        if start_frame < 0 or end_frame <= start_frame:
            raise ValueError(f"bad episode frame range [{start_frame}, {end_frame})")
        checked.append((start_frame, end_frame))
    cues = []
    offset = 0
    offset_s = Fraction(0)
    spans = cue_frame_spans(track, rate, times)

    def out_ms(frame: int, start_frame: int) -> int:
        if times is None:
            return frame_to_ms(offset + frame - start_frame, rate)
        return round(1000 * (offset_s + times[frame] - times[start_frame]))

    for start_frame, end_frame in checked:
        for cue, (first, end) in zip(track.cues, spans):
            a, b = max(first, start_frame), min(end, end_frame)
            if a >= b:
                continue  # not on screen during this range
            text = cue.text
            if split_text and (a > first or b < end):
                cuts = [c for c in (start_frame, end_frame) if first < c < end]
                pieces = split_cue_text(cue.text, track.lang, first, end, cuts)
                text = pieces[1 if start_frame > first else 0]
            if not text:
                continue
            cues.append(Cue(out_ms(a, start_frame), out_ms(b, start_frame), text, line=cue.line))
        offset += end_frame - start_frame
        if times is not None:
            offset_s += times[end_frame] - times[start_frame]
    cues.sort(key=lambda c: (c.start_ms, c.end_ms))
    return Track(lang=track.lang, cues=tuple(cues), source=track.source, repairs=track.repairs)


def track_for_episode(track: Track, start_frame: int, end_frame: int, fps: Fraction, *,
                      recap: tuple[int, int] | None = None, split_text: bool = True) -> Track:
    """The cues shown on frames ``[start_frame, end_frame)``, re-timed to the episode.

    With ``recap`` (source frames ``(start, end)``, shown before the
    episode), the recap's cues come first and the episode's are shifted by
    the recap's length. A cue crossing a boundary is split at it, text
    included (``split_text``), so consecutive episodes neither lose nor
    repeat a word. Times are exact: each cue starts/ends on a frame
    boundary, ``ms = round(frame * 1000 / fps)`` with frames counted from
    the output's first frame. Cues shown on no frame are left out.
    """
    segments = ([recap] if recap else []) + [(start_frame, end_frame)]
    return track_for_segments(track, segments, fps, split_text)
