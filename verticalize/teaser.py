"""The teaser of a plan: a vertical 15-30 s trailer of the free episodes, one ffmpeg process.

``edit.teaser`` chooses the source ranges from the plan's data (every cut's cliffhanger
score in ``plan.analysis["hooks"]``, shots, lines of dialogue, episodes); this module
renders them joined, at the plan's size, with subtitles burned in, the loudness of the
episodes and an optional title card, and writes ``TEASER.json`` (``{"ranges": [[start,
end], ...]}`` in source frames, in play order) next to the video.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path

from edit.teaser import Teaser, choose_teaser
from subtitles import fontconfig_file, fonts_dir, load_track, write_burnin_ass, write_title_card
from subtitles.retime import shifted, track_for_segments
from verticalize.analysis import cues_in_frames
from verticalize.errors import OptionsError, RenderError
from verticalize.files import atomic_path, write_json
from verticalize.media.encode import Segment, check_encoder, encode_episode
from verticalize.options import DEFAULTS, Options
from verticalize.plan import Plan
from verticalize.render import RenderTask, audio_entry, audio_tracks, episode_windows, settle_loudness

log = logging.getLogger(__name__)


def teaser_episodes(plan: Plan, from_episodes: tuple[int, int] | None = None) -> tuple[list[int], str | None]:
    """The 1-based episodes a teaser may show, and a note when the default had to guess.

    Default: the free episodes (``extras.free_episodes``); with none marked free, every
    episode but the last (whose ending is the payoff), or the only one. ``from_episodes``
    (first, last) narrows that; it may not reach past the free episodes.
    """
    n = len(plan.episodes)
    free = int(plan.extras.get("free_episodes", 0) or 0)
    if from_episodes is not None:
        first, last = from_episodes
        if not 1 <= first <= last <= n:
            raise OptionsError(f"--from-episodes {first}-{last}: the plan has episodes 1..{n}")
        if free and last > free:
            raise OptionsError(f"--from-episodes {first}-{last} reaches past the {free} free episode(s): "
                               "a teaser shows nothing a viewer would pay for")
        return list(range(first, last + 1)), None
    if free:
        return list(range(1, min(free, n) + 1)), None
    if n == 1:
        return [1], "no free episodes marked and one episode: the teaser draws on all of it"
    return list(range(1, n)), (f"no free episodes marked (--free-episodes): the teaser draws on episodes 1-{n - 1}, "
                               "leaving out the last")


def plan_hooks(plan: Plan) -> tuple[list[tuple[int, float, tuple]], str | None]:
    """(cut, score, features) of every scored cut in the plan; plans analysed before the hooks
    were recorded give their episode boundaries only (with a note)."""
    hooks = plan.analysis.get("hooks")
    if hooks is not None:
        return [(int(h[0]), float(h[1]), tuple(h[2:])) for h in hooks], None
    return ([(ep["end"], float(ep.get("score", 0)), tuple(r["feature"] for r in ep.get("reasons", [])))
             for ep in plan.episodes[:-1]],
            "the plan has no per-cut hook scores (analysed by an older version): only episode endings are moments")


def spoken_lines(plan: Plan) -> list[tuple[int, int]]:
    """Every line of dialogue in source frames [start, end): cues of every subtitle file of
    the plan, and detected speech."""
    tracks = {lang: load_track(path, lang) for lang, path in plan.subtitles.items()}
    cues = cues_in_frames(tracks, plan.fps, plan.frame_times(), Fraction(plan.source.get("video_start_s", "0")))
    return [(c.start, c.end) for c in cues] + [(int(a), int(b)) for a, b in plan.analysis.get("speech", [])]


def choose(plan: Plan, seconds: tuple[float, float] = (15.0, 30.0),
           from_episodes: tuple[int, int] | None = None) -> Teaser:
    """The teaser's moments for ``plan`` (see ``edit.teaser.choose_teaser``); notes included."""
    chosen, note = teaser_episodes(plan, from_episodes)
    hooks, hook_note = plan_hooks(plan)
    teaser = choose_teaser(plan.fps, [s["start"] for s in plan.shots],
                           [(plan.episodes[i - 1]["start"], plan.episodes[i - 1]["end"]) for i in chosen],
                           [ep["start"] for ep in plan.episodes], hooks, spoken_lines(plan), *seconds)
    teaser.notes[:0] = [n for n in (note, hook_note) if n]
    return teaser


def make_teaser(plan: Plan, output: str | os.PathLike, opts: Options = DEFAULTS, *,
                seconds: tuple[float, float] = (15.0, 30.0), lang: str | None = None,
                from_episodes: tuple[int, int] | None = None, title: str | None = None) -> dict:
    """Render ``plan``'s teaser to ``output`` (.mp4) and write ``output`` .json beside it.

    ``lang``: subtitles burned in and/or the dub of that language. ``title``: a title card
    over the opening seconds, in the language's font. Returns what TEASER.json holds.
    Each note (where the ideal could not be met) is one warning line.
    """
    check_encoder(opts.encoder)
    if lang is not None and lang not in plan.languages:
        raise OptionsError(f"--lang {lang}: the plan has subtitles or dubs for {', '.join(plan.languages) or 'no language'}")
    if not Path(plan.source["path"]).is_file():
        raise RenderError("source video of the plan is missing", plan.source["path"])
    lo, hi = seconds
    if not 0 < lo <= hi:
        raise OptionsError(f"--seconds {lo:g}-{hi:g}: want a range like 15-30")
    teaser = choose(plan, seconds, from_episodes)
    output = Path(output)
    for note in teaser.notes:
        log.warning("teaser %s: %s", output.name, note)
    if not teaser.moments:
        raise RenderError("no moment for a teaser: " + "; ".join(teaser.notes), output)
    ranges = [(m.start, m.end) for m in teaser.moments]
    times = plan.frame_times()
    frames = sum(e - s for s, e in ranges)
    duration = sum(plan.time_of(e, times) - plan.time_of(s, times) for s, e in ranges)
    segments = [Segment(s, e, *episode_windows(plan, s, e)) for s, e in ranges]
    W, H = plan.target["width"], plan.target["height"]
    task = RenderTask(0, lang, output)
    result = {"ranges": [list(r) for r in ranges], "fps": plan.source["fps"], "frames": frames,
              "duration_s": round(float(duration), 6), "lang": lang,
              "moments": [{"start": m.start, "end": m.end, "score": round(m.score, 3), "features": list(m.features),
                           "on_shot_boundary": m.on_shot} for m in teaser.moments],
              "notes": teaser.notes}
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="verticalize-teaser-"))
    try:
        burn = []
        if title:
            card = work / "title.ass"
            write_title_card(card, 0, lang, W, H, plan.extras.get("title_card_s", 2.5), text=title)
            burn.append(card)
        if lang in plan.subtitles:
            track = shifted(load_track(plan.subtitles[lang], lang),
                            -int(round(Fraction(plan.source.get("video_start_s", "0")) * 1000)))
            ass = work / "subs.ass"
            write_burnin_ass(track_for_segments(track, ranges, plan.fps, times=times), ass, W, H,
                             platform=opts.platform, fps=None if plan.vfr else plan.fps)
            burn.append(ass)
        audio = audio_tracks(plan, task, segments, opts, label="the teaser")
        result["audio"] = [audio_entry(t) for t in audio]
        with atomic_path(output) as tmp:
            encode_episode(plan, segments, tmp, opts, frames=frames, duration=Fraction(str(round(float(duration), 6))),
                           burn=burn, fonts_dir=fonts_dir() if burn else None,
                           fontconfig_file=fontconfig_file() if burn else None, work=work, label="the teaser",
                           audio=[t for t, _ in audio])
            settle_loudness(plan, segments, tmp, opts, audio, Fraction(str(round(float(duration), 6))), work,
                            "the teaser", result["audio"])
    except RenderError as e:
        raise RenderError(e.message, output) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_json(result, output.with_suffix(".json"))
    return result
