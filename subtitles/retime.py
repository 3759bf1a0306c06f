"""Cut a track down to one episode and shift it so the episode starts at 0 ms."""
from __future__ import annotations

import operator
from fractions import Fraction

from .model import Cue, Track, as_fps, frame_to_ms
from .parse import cue_frame_spans


def track_for_episode(track: Track, start_frame: int, end_frame: int, fps: Fraction) -> Track:
    """The cues shown on frames ``[start_frame, end_frame)``, re-timed to the episode.

    A cue crossing an episode boundary is clipped to its part inside (its
    text is kept whole). Times are exact: each cue starts/ends on a frame
    boundary, ``ms = round(frame * 1000 / fps)`` with frames counted from the
    episode's first frame. Cues shown on no frame of the episode are left out.
    """
    rate = as_fps(fps)
    start_frame, end_frame = operator.index(start_frame), operator.index(end_frame)  # ints only
    if start_frame < 0 or end_frame <= start_frame:
        raise ValueError(f"bad episode frame range [{start_frame}, {end_frame})")
    cues = []
    for cue, (first, end) in zip(track.cues, cue_frame_spans(track, rate)):
        first, end = max(first, start_frame), min(end, end_frame)
        if first >= end:
            continue  # not on screen during this episode
        cues.append(Cue(frame_to_ms(first - start_frame, rate), frame_to_ms(end - start_frame, rate), cue.text))
    return Track(lang=track.lang, cues=tuple(cues), source=track.source, repairs=track.repairs)
