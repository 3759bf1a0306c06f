"""Rendering: one ffmpeg process per episode and language, driven only by the plan.

This module decides what each output holds (which frames, which crop window on
each, pad ranges, hints, subtitles, title card, manifest entry);
``verticalize.media.encode`` builds and runs the ffmpeg graph (trim by exact
frame, per-frame crop through ``sendcmd``, scale, libass burn-in, encode), so no
pixel passes through Python. Outputs are written under a temporary name and
renamed on success.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from reframe.path import hint_x
from subtitles import (fontconfig_file, fonts_dir, load_track, load_tracks, write_burnin_ass, write_srt,
                       write_title_card, write_vtt)
from subtitles.retime import shifted, track_for_segments
from verticalize.errors import RenderError
from verticalize.files import atomic_path
from verticalize.manifest import build_manifest, merge_manifest, write_manifest
from verticalize.media.encode import Segment, check_encoder, encode_episode
from verticalize.options import DEFAULTS, Options
from verticalize.plan import Plan, crop_size_for
from verticalize.watermark import write_pattern

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RenderTask:
    episode: int              # 1-based episode index
    lang: str | None          # None: no subtitles
    output: Path              # final .mp4 path


def episode_tasks(plan: Plan, outdir: Path, langs: list[str] | None = None) -> list[RenderTask]:
    langs = list(plan.subtitles) if langs is None else langs
    tasks = []
    for ep in plan.episodes:
        if langs:
            tasks += [RenderTask(ep["index"], lang, outdir / f"ep{ep['index']:03d}.{lang}.mp4") for lang in langs]
        else:
            tasks.append(RenderTask(ep["index"], None, outdir / f"ep{ep['index']:03d}.mp4"))
    return tasks


def _segments(plan: Plan, task: RenderTask) -> list[tuple[int, int]]:
    ep = plan.episodes[task.episode - 1]
    recap = ep.get("recap")
    return ([(recap["start"], recap["end"])] if recap else []) + [(ep["start"], ep["end"])]


def _base_entry(plan: Plan, task: RenderTask) -> dict:
    ep = plan.episodes[task.episode - 1]
    n = sum(e - s for s, e in _segments(plan, task))
    times = plan.frame_times()
    seconds = sum(plan.time_of(e, times) - plan.time_of(s, times) for s, e in _segments(plan, task))
    entry = {"episode": task.episode, "lang": task.lang, "video": Path(task.output).name, "start": ep["start"],
             "end": ep["end"], "frames": n, "duration_s": round(float(seconds), 6)}
    if ep.get("recap"):
        entry["recap_frames"] = ep["recap"]["end"] - ep["recap"]["start"]
    return entry


def _episode_track(plan: Plan, task: RenderTask, tracks):
    track = (tracks or {}).get(task.lang) or load_track(plan.subtitles[task.lang], task.lang)
    track = shifted(track, -int(round(Fraction(plan.source.get("video_start_s", "0")) * 1000)))
    return track_for_segments(track, _segments(plan, task), plan.fps, times=plan.frame_times())


def _subtitle_entry(task: RenderTask, ep_track) -> dict:
    stem = f"ep{task.episode:03d}.{task.lang}"
    return {"subtitles": stem + ".srt", "subtitles_vtt": stem + ".vtt", "cues": len(ep_track.cues)}


def existing_entry(plan: Plan, task: RenderTask, tracks=None) -> dict | None:
    """The manifest entry of ``task`` if its outputs already exist, else None.

    Outputs are renamed into place only when complete, and the video last, so
    an existing video means the whole task finished.
    """
    out = Path(task.output)
    if not out.is_file():
        return None
    entry = _base_entry(plan, task)
    if task.lang:
        extra = _subtitle_entry(task, _episode_track(plan, task, tracks))
        if not all((out.parent / extra[k]).is_file() for k in ("subtitles", "subtitles_vtt")):
            return None
        entry.update(extra)
    return entry


def render_episode(plan: Plan, task: RenderTask, opts: Options = DEFAULTS, tracks=None) -> dict:
    """Render one episode (optionally with one language burned in) to ``task.output``.

    With a recap in the plan, the episode opens with the recap's frames. With
    a language, ``epNNN.<lang>.srt`` and ``.vtt`` are written next to the video,
    timed from the start of the file. Every file is written under a temporary
    name and renamed when complete. Returns the manifest entry.
    """
    check_encoder(opts.encoder)
    W, H = plan.target["width"], plan.target["height"]
    src = plan.source["path"]
    if not Path(src).is_file():
        raise RenderError("source video of the plan is missing", src)
    out = Path(task.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    entry = _base_entry(plan, task)
    segments = [Segment(s, e, *episode_windows(plan, s, e)) for s, e in _segments(plan, task)]
    work = Path(tempfile.mkdtemp(prefix="verticalize-"))
    try:
        burn = []
        if plan.extras.get("title_card"):
            title = work / "title.ass"
            write_title_card(title, task.episode, task.lang, W, H, plan.extras.get("title_card_s", 2.5))
            burn.append(title)
        if task.lang:
            ep_track = _episode_track(plan, task, tracks)
            ass = work / "subs.ass"
            # constant rate: cue times snapped to the frame grid; variable: already exact frame times
            write_burnin_ass(ep_track, ass, W, H, platform=opts.platform, fps=None if plan.vfr else plan.fps)
            burn.append(ass)
            entry.update(_subtitle_entry(task, ep_track))
            write_srt(ep_track, out.with_name(entry["subtitles"]))
            write_vtt(ep_track, out.with_name(entry["subtitles_vtt"]))
        mark = None
        if opts.watermark_id is not None:
            mark = write_pattern(opts.watermark_id, work)
            entry["watermark_id"] = opts.watermark_id
        with atomic_path(out) as tmp:
            encode_episode(plan, segments, tmp, opts, frames=entry["frames"],
                           duration=Fraction(str(entry["duration_s"])), burn=burn,
                           fonts_dir=fonts_dir() if burn else None,
                           fontconfig_file=fontconfig_file() if burn else None, work=work,
                           label=f"episode {task.episode}", mark=mark)
    except RenderError as e:
        raise RenderError(e.message, out) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return entry


def episode_windows(plan: Plan, start: int, end: int) -> tuple[dict, list[tuple[int, int]]]:
    """Crop windows for episode frames [start, end) and its ``pad`` ranges (episode frames).

    Editor hints win over the analysed path, and a hinted pad shot is cropped.
    In pad ranges the crop branch holds its last window (it is hidden), so the
    crop size never changes inside one ffmpeg graph.
    """
    crop = {k: list(plan.crop[k][start:end]) for k in "xywh"}
    ax0, ay0, ax1, ay1 = active_box(plan)
    cw, ch = crop_size_for(ax1 - ax0, ay1 - ay0, plan.target["width"], plan.target["height"])
    y0 = ay0 + (ay1 - ay0 - ch) // 2
    pads = []
    for shot in plan.shots:
        s, e = max(shot["start"], start) - start, min(shot["end"], end) - start
        if s >= e:
            continue
        hint = shot.get("hint")
        if hint is not None:  # within the shot's active picture (bars left out)
            sx0, _, sx1, _ = shot.get("active") or (ax0, ay0, ax1, ay1)
            x = sx0 + hint_x(hint, sx1 - sx0 - cw)
            for k in range(s, e):
                crop["x"][k], crop["y"][k], crop["w"][k], crop["h"][k] = x, y0, cw, ch
        elif shot.get("mode") == "pad":
            pads.append((s, e))
    if pads:
        pad_frames = np.zeros(end - start, bool)
        for s, e in pads:
            pad_frames[s:e] = True
        held = None
        for k in list(range(end - start)) + list(range(end - start - 1, -1, -1)):
            if not pad_frames[k]:
                held = (crop["x"][k], crop["y"][k], crop["w"][k], crop["h"][k])
            elif held is not None:
                crop["x"][k], crop["y"][k], crop["w"][k], crop["h"][k] = held
        if held is None:  # the whole episode is padded: any valid window will do
            for k in range(end - start):
                crop["x"][k], crop["y"][k], crop["w"][k], crop["h"][k] = ax0 + (ax1 - ax0 - cw) // 2, y0, cw, ch
    return crop, pads


def active_box(plan: Plan) -> tuple[int, int, int, int]:
    """The film's active picture (x0, y0, x1, y1), source px: letterbox or pillarbox bars left out."""
    return tuple(plan.source.get("active") or (0, 0, plan.source["width"], plan.source["height"]))


def render(plan: Plan, outdir: str | os.PathLike, opts: Options = DEFAULTS, langs: list[str] | None = None,
           episodes: list[int] | None = None, manifest: bool = True, skip_existing: bool = False,
           on_task=None) -> dict:
    """Render every episode (times every subtitle language) of ``plan`` into ``outdir``.

    Runs ``opts.jobs`` ffmpeg processes at once (0: one per core) and writes
    ``manifest.json`` last. ``skip_existing`` keeps outputs already in place
    (they are complete: every output is renamed into place when done).
    ``on_task(entry, skipped)`` is called as each task finishes.
    """
    check_encoder(opts.encoder)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    wanted = langs if langs is not None else list(plan.subtitles)
    tracks = load_tracks({l: plan.subtitles[l] for l in wanted})
    tasks = [t for t in episode_tasks(plan, outdir, wanted) if episodes is None or t.episode in episodes]

    def one(task: RenderTask) -> dict:
        entry = existing_entry(plan, task, tracks) if skip_existing else None
        skipped = entry is not None
        if skipped and opts.watermark_id is not None:  # resume kept it: same options, so the same mark
            entry["watermark_id"] = opts.watermark_id
        if entry is None:
            entry = render_episode(plan, task, opts, tracks)
        if on_task:
            on_task(entry, skipped)
        return entry

    jobs = opts.jobs or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(tasks)))) as pool:
        entries = list(pool.map(one, tasks))
    result = build_manifest(plan, entries, episodes)
    if manifest and (episodes is not None or langs is not None):
        return merge_manifest(plan, entries, outdir / "manifest.json")
    if manifest:
        write_manifest(result, outdir / "manifest.json")
    return result
