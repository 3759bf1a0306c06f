"""Rendering: one ffmpeg process per episode (all its languages), driven only by the plan.

This module decides what each output holds (which frames, which crop window on
each, pad ranges, hints, subtitles, title card, manifest entry);
``verticalize.media.encode`` builds and runs the ffmpeg graph (trim by exact
frame, per-frame crop through ``sendcmd``, scale, libass burn-in, encode), so no
pixel passes through Python. Outputs are written under a temporary name and
renamed on success.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from subtitles import (fontconfig_file, fonts_dir, load_track, load_tracks, write_burnin_ass, write_srt,
                       write_title_card, write_vtt)
from subtitles.retime import shifted, track_for_segments
from verticalize.errors import RenderError
from verticalize.files import atomic_path
from verticalize.manifest import build_manifest, merge_manifest, write_manifest
from verticalize.media.compare import audio_loudness
from verticalize.media.encode import (LIMITER_HEADROOM_DB, AudioTrack, Output, Segment, check_encoder, encode_outputs,
                                      measure_loudness, replace_audio)
from verticalize.options import DEFAULTS, Options
from verticalize.plan import Plan, crop_size_for

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RenderTask:
    episode: int              # 1-based episode index
    lang: str | None          # None: no subtitles
    output: Path              # final .mp4 path


def episode_tasks(plan: Plan, outdir: Path, langs: list[str] | None = None) -> list[RenderTask]:
    langs = plan.languages if langs is None else langs
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
    if task.lang in plan.subtitles:
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
    return render_outputs(plan, [task], opts, tracks)[0]


def render_outputs(plan: Plan, tasks: list[RenderTask], opts: Options = DEFAULTS, tracks=None) -> list[dict]:
    """Render ``tasks`` (one episode, one or more languages) in ONE ffmpeg process.

    The episode is decoded, cropped and scaled once and split into one
    burn-in and encoder branch per task; each encoder gets the frames
    ``render_episode`` gives it alone (the same bytes wherever x264 repeats
    itself: see ``Options.x264_threads``). Use ``render_groups`` to keep the
    number of encoders per process within ``opts.encoders_per_process``.
    Returns the manifest entries, in the order of ``tasks``.
    """
    check_encoder(opts.encoder)
    if not tasks:
        return []
    if len({t.episode for t in tasks}) != 1:
        raise ValueError("render_outputs: all tasks must be of one episode")
    W, H = plan.target["width"], plan.target["height"]
    src = plan.source["path"]
    first = Path(tasks[0].output)
    if not Path(src).is_file():
        raise RenderError("source video of the plan is missing", src)
    entries = [_base_entry(plan, task) for task in tasks]
    segments = [Segment(s, e, *episode_windows(plan, s, e)) for s, e in _segments(plan, tasks[0])]
    work = Path(tempfile.mkdtemp(prefix="verticalize-"))
    try:
        mark = None
        if opts.watermark_id is not None:  # one pattern for the recipient, blended once for every language
            from verticalize.watermark import write_pattern  # here: its numba kernels stay out of other start-ups

            mark = write_pattern(opts.watermark_id, work, plan.target["width"], plan.target["height"])
        outputs = []
        for k, (task, entry) in enumerate(zip(tasks, entries)):
            if mark is not None:
                entry["watermark_id"] = opts.watermark_id
            out = Path(task.output)
            out.parent.mkdir(parents=True, exist_ok=True)
            burn = []
            if plan.extras.get("title_card"):
                title = work / f"title{k}.ass"
                write_title_card(title, task.episode, task.lang, W, H, plan.extras.get("title_card_s", 2.5))
                burn.append(title)
            if task.lang in plan.subtitles:
                ep_track = _episode_track(plan, task, tracks)
                ass = work / f"subs{k}.ass"
                # constant rate: cue times snapped to the frame grid; variable: already exact frame times
                write_burnin_ass(ep_track, ass, W, H, platform=opts.platform, fps=None if plan.vfr else plan.fps)
                burn.append(ass)
                entry.update(_subtitle_entry(task, ep_track))
                write_srt(ep_track, out.with_name(entry["subtitles"]))
                write_vtt(ep_track, out.with_name(entry["subtitles_vtt"]))
            audio = audio_tracks(plan, task, segments, opts)
            entry["audio"] = [audio_entry(t) for t in audio]
            outputs.append((out, tuple(burn), audio))
        burning = any(burn for _, burn, _ in outputs)
        duration = Fraction(str(entries[0]["duration_s"]))
        with contextlib.ExitStack() as stack:
            temps = [stack.enter_context(atomic_path(out)) for out, _, _ in outputs]  # renamed when all are done
            encode_outputs(plan, segments, [Output(tmp, burn, tuple(t for t, _ in audio))
                                            for tmp, (_, burn, audio) in zip(temps, outputs)], opts,
                           frames=entries[0]["frames"], duration=duration,
                           fonts_dir=fonts_dir() if burning else None,
                           fontconfig_file=fontconfig_file() if burning else None, work=work,
                           label=f"episode {tasks[0].episode}", mark=mark)
            for tmp, (_, _, audio), task, entry in zip(temps, outputs, tasks, entries):
                settle_loudness(plan, segments, tmp, opts, audio, duration, work,
                                f"episode {task.episode}" + (f" ({task.lang})" if task.lang else ""), entry["audio"])
    except RenderError as e:
        raise RenderError(e.message, first) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return entries


def render_groups(tasks: list[RenderTask], encoders_per_process: int) -> list[list[RenderTask]]:
    """``tasks`` as the units one ffmpeg process renders: the tasks of one episode, at most
    ``encoders_per_process`` of them each (7 languages, 3 per process: 3 + 3 + 1), in order."""
    groups: list[list[RenderTask]] = []
    for task in tasks:
        if groups and groups[-1][0].episode == task.episode and len(groups[-1]) < max(1, encoders_per_process):
            groups[-1].append(task)
        else:
            groups.append([task])
    return groups


LOUDNESS_TRIES = 3  # audio-only passes that correct the gain for what the limiter takes
_LOUDNESS: dict[tuple, tuple] = {}  # (source, segments, dub, offset, target, ceiling) -> (measured Loudness, gain dB)
_LOUDNESS_LOCK = threading.Lock()


def audio_tracks(plan: Plan, task: RenderTask, segments: list[Segment], opts: Options,
                 label: str | None = None) -> list[tuple[AudioTrack, object]]:
    """The audio tracks of ``task``'s output with their gains, and each one's measured loudness
    (None with loudness off); ``label`` names the output in messages (default "episode N").
    ``audio_tracks`` "one": the dub of the task's language, else the
    source's; "all": the source's first, then every dub, language-tagged. Gain: the target
    minus the measured integrated loudness; silence is left as it is (warned)."""
    dubs = plan.dubs
    original = AudioTrack()
    if opts.audio_tracks == "all" and dubs:
        wanted = [original] + [AudioTrack(path=d["path"], offset_s=Fraction(str(d.get("offset_s", "0"))), lang=lang)
                               for lang, d in dubs.items()]
    elif task.lang in dubs:
        d = dubs[task.lang]
        wanted = [AudioTrack(path=d["path"], offset_s=Fraction(str(d.get("offset_s", "0"))), lang=task.lang)]
    else:
        wanted = [original]
    if not opts.normalize_loudness:
        return [(t, None) for t in wanted]
    out = []
    for t in wanted:
        if t.path is None and not plan.source.get("has_audio"):  # a silent track is made for it: nothing to level
            out.append((t, None))
            continue
        # the same audio levelled to the same target gets the same gain whatever the output's language:
        # measured (and corrected for the limiter) once per process
        key = (plan.source["path"], tuple((s.start, s.end) for s in segments), t.path, t.offset_s,
               opts.loudness_lufs, opts.true_peak_dbtp)
        with _LOUDNESS_LOCK:
            known = _LOUDNESS.get(key)
        if known is None:
            measured = measure_loudness(plan, segments, t, label=label or f"episode {task.episode}")
            level = measured.integrated_lufs
            where = (label or f"episode {task.episode}") + (f" ({t.lang})" if t.lang else "")
            if not np.isfinite(level) or level <= -69.9:  # ebur128 gives -70 LUFS when every block is gated out
                log.warning("%s: the audio is silent; left as it is, not raised to %g LUFS", where, opts.loudness_lufs)
                gain = None
            else:
                gain = limited_gain(plan, segments, t, measured, opts, where)
            known = (measured, gain)
            with _LOUDNESS_LOCK:
                _LOUDNESS[key] = known
        measured, gain = known
        # a limiter only where the gain lifts the true peak near the ceiling (it costs a 4x resample)
        limit = gain is None or measured.true_peak_dbtp + gain > opts.true_peak_dbtp - LIMITER_HEADROOM_DB
        out.append((AudioTrack(t.path, t.offset_s, gain, opts.true_peak_dbtp if limit else None, t.lang), measured))
    return out


SETTLE_LU = 0.3  # an output further than this from the target gets its audio made again


def settle_loudness(plan: Plan, segments: list[Segment], video: Path, opts: Options,
                    audio: list[tuple[AudioTrack, object]], duration: Fraction, work: Path, label: str,
                    entries: list[dict]) -> None:
    """Measure each audio track of the rendered ``video`` (ffmpeg ebur128 on the file) and
    record it in ``entries`` (``output_lufs``, ``output_true_peak_dbtp``). A track further than
    ``SETTLE_LU`` from the target, or over the ceiling (the AAC encoder's low-pass takes
    loudness from full-band sound such as noise), gets its gain corrected by the miss and the
    audio made again from the source, the picture stream-copied (``replace_audio``: no second
    pass over the pixels); one warning line if it still misses by more than 0.5 LU."""
    if not opts.normalize_loudness or all(t.gain_db is None for t, _ in audio):
        return
    for attempt in range(2):
        measured = [audio_loudness(video, k) if t.gain_db is not None else None for k, (t, _) in enumerate(audio)]
        for entry, m in zip(entries, measured):
            if m is not None and np.isfinite(m.integrated_lufs):
                entry.update(output_lufs=round(m.integrated_lufs, 2), output_true_peak_dbtp=round(m.true_peak_dbtp, 2))
        fixes = []
        for (t, inp), m in zip(audio, measured):
            miss = opts.loudness_lufs - m.integrated_lufs if m is not None else 0.0
            over = m is not None and m.true_peak_dbtp > opts.true_peak_dbtp
            if m is None or (abs(miss) <= SETTLE_LU and not over):
                fixes.append(None)
                continue
            gain = t.gain_db + miss
            fixes.append(AudioTrack(t.path, t.offset_s, gain, opts.true_peak_dbtp if (
                over or m.true_peak_dbtp + miss > opts.true_peak_dbtp - LIMITER_HEADROOM_DB) else t.ceiling_dbtp, t.lang))
        if attempt == 1 or not any(fixes):
            break
        audio[:] = [(f or t, inp) for f, (t, inp) in zip(fixes, audio)]
        for entry, (t, _) in zip(entries, audio):
            entry.update(gain_db=round(t.gain_db, 2) if t.gain_db is not None else None,
                         limiter_ceiling_dbtp=t.ceiling_dbtp)
        fixed = work / "loudness.mp4"
        replace_audio(plan, segments, video, fixed, opts, duration=duration, audio=[t for t, _ in audio], label=label)
        os.replace(fixed, video)
    for entry in entries:
        if "output_lufs" in entry and (abs(entry["output_lufs"] - opts.loudness_lufs) > 0.5
                                       or entry["output_true_peak_dbtp"] > opts.true_peak_dbtp):
            log.warning("%s: the output is at %.1f LUFS, %.1f dBTP (target %g LUFS, <= %g dBTP)", label,
                        entry["output_lufs"], entry["output_true_peak_dbtp"], opts.loudness_lufs, opts.true_peak_dbtp)


def limited_gain(plan: Plan, segments: list[Segment], track: AudioTrack, measured, opts: Options,
                 where: str) -> float:
    """The gain (dB) that brings ``track`` to ``opts.loudness_lufs`` under the true-peak limiter.

    The linear gain is the target minus the measured loudness. Where it lifts peaks into the
    limiter, the limiter takes some loudness away: the result is measured (audio only) and
    the gain corrected, up to ``LOUDNESS_TRIES`` times; the closest is kept, and a miss of
    more than 0.5 LU is warned (very peaky audio cannot reach the target under the ceiling).
    """
    target = opts.loudness_lufs
    gain = target - measured.integrated_lufs
    if measured.true_peak_dbtp + gain <= opts.true_peak_dbtp - LIMITER_HEADROOM_DB:
        return gain  # the limiter stays idle: the linear gain lands on the target
    best = None
    for _ in range(LOUDNESS_TRIES):
        after = measure_loudness(plan, segments, AudioTrack(track.path, track.offset_s, gain, opts.true_peak_dbtp),
                                 label=where)
        miss = target - after.integrated_lufs
        if best is None or abs(miss) < abs(best[1]):
            best = (gain, miss)
        if abs(miss) <= 0.2:
            break
        gain += miss
    if abs(best[1]) > 0.5:
        log.warning("%s: reaches %.1f LUFS, not %g: its peaks leave no more room under %g dBTP", where,
                    target - best[1], target, opts.true_peak_dbtp)
    return best[0]


def audio_entry(item: tuple[AudioTrack, object]) -> dict:
    """A manifest line for one audio track: language, dub file, measured input loudness, gain."""
    track, measured = item
    entry = {"lang": track.lang, "dub": Path(track.path).name if track.path else None}
    if measured is not None:
        finite = lambda v: round(v, 2) if np.isfinite(v) else None  # silence measures -inf: JSON has no such number
        entry.update(input_lufs=finite(measured.integrated_lufs), input_true_peak_dbtp=finite(measured.true_peak_dbtp),
                     gain_db=None if track.gain_db is None else round(track.gain_db, 2),
                     limiter_ceiling_dbtp=track.ceiling_dbtp)
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
            from reframe.path import hint_x  # here: the path solver's numba import stays out of other start-ups

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

    Runs ``opts.jobs`` ffmpeg processes at once (0: one per core), each
    rendering one episode in up to ``opts.encoders_per_process`` languages, and
    writes ``manifest.json`` last. ``skip_existing`` keeps outputs already in place
    (they are complete: every output is renamed into place when done).
    ``on_task(entry, skipped)`` is called as each task finishes.
    """
    check_encoder(opts.encoder)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    wanted = langs if langs is not None else plan.languages
    tracks = load_tracks({l: plan.subtitles[l] for l in wanted if l in plan.subtitles})
    tasks = [t for t in episode_tasks(plan, outdir, wanted) if episodes is None or t.episode in episodes]

    todo, done = [], {}
    for k, task in enumerate(tasks):
        entry = existing_entry(plan, task, tracks) if skip_existing else None
        skipped = entry is not None
        if skipped and opts.watermark_id is not None:  # resume kept it: same options, so the same mark
            entry["watermark_id"] = opts.watermark_id
        if entry is None:
            todo.append(task)
        else:
            done[k] = entry
            if on_task:
                on_task(entry, True)
    groups = render_groups(todo, opts.encoders_per_process)

    def one(group: list[RenderTask]) -> list[dict]:
        got = render_outputs(plan, group, opts, tracks)
        if on_task:
            for entry in got:
                on_task(entry, False)
        return got

    jobs = opts.jobs or os.cpu_count() or 1
    if groups:
        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(groups)))) as pool:
            rendered = {task: entry for group, got in zip(groups, pool.map(one, groups))
                        for task, entry in zip(group, got)}
    else:
        rendered = {}
    entries = [done[k] if k in done else rendered[task] for k, task in enumerate(tasks)]
    result = build_manifest(plan, entries, episodes)
    if manifest and (episodes is not None or langs is not None):
        return merge_manifest(plan, entries, outdir / "manifest.json")
    if manifest:
        write_manifest(result, outdir / "manifest.json")
    return result
