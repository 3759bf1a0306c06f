"""Dubbed audio: a full-length mix per language, checked against the film's length and
recorded in the plan (``plan.dubs``), which the render reads."""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from verticalize.errors import InputError
from verticalize.media.compare import audio_duration
from verticalize.media.ffmpeg import check_path
from verticalize.plan import Plan


def attach_dubs(plan: Plan, dubs: dict[str, str | os.PathLike] | None,
                offsets_s: dict[str, float | str] | None = None) -> Plan:
    """Record each language's dub file in ``plan.dubs`` (in place; returns the plan).

    A dub must last as long as the film's picture within one frame, unless
    ``offsets_s`` gives its alignment: the dub's time (s) at the film's first
    frame (positive: the dub has that much lead-in; negative: it starts late).
    Raises InputError in one line naming the dub file otherwise.
    """
    offsets_s = offsets_s or {}
    for lang in offsets_s:
        if lang not in (dubs or {}):
            raise InputError(f"--dub-offset {lang}: no --dub for that language")
    film_s = plan.time_of(plan.source["frame_count"])
    for lang, path in (dubs or {}).items():
        check_path(path)
        length = Fraction(audio_duration(path)).limit_denominator(48000)
        offset = offsets_s.get(lang)
        if offset is None and abs(length - film_s) > 1 / plan.fps:
            raise InputError(f"dub {lang} lasts {float(length):.3f} s but the film {float(film_s):.3f} s (more than "
                             f"one frame apart); give --dub-offset {lang}=SECONDS to align it", path)
        plan.dubs[lang] = {"path": str(Path(path).resolve()),
                           "offset_s": str(Fraction(str(offset if offset is not None else 0)).limit_denominator(48000))}
    return plan
