"""Rendering: one ffmpeg process per episode and language, driven only by the plan.

Trim by exact frame, per-frame crop through ``sendcmd``, scale, libass burn-in
and encode happen inside ffmpeg; no pixel passes through Python. Outputs are
written under a temporary name and renamed on success.
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg
import numpy as np

from edit.defaults import DEFAULTS, Options
from edit.media import _first_error_line, ffmpeg_exe
from edit.plan import Plan, crop_size_for, write_json_atomic
from verticalize.errors import RenderError

log = logging.getLogger(__name__)

MANIFEST_SCHEMA = "verticalize.manifest/1"


@dataclass(frozen=True)
class RenderTask:
    episode: int              # 1-based episode index
    lang: str | None          # None: no subtitles
    output: Path              # final .mp4 path


def _seconds(value: Fraction) -> str:
    return f"{float(value):.6f}"


def sendcmd_script(xs, ys, ws, hs, fps: Fraction, times=None, target: str = "crop@c") -> str:
    """sendcmd lines that move ``crop@c`` on the frames where the window changes.

    A command at (k - 1/2)/fps takes effect from episode frame k on, so float
    rounding can never land it on the wrong frame. ``times`` (variable frame
    rate): each episode frame's start in seconds from the first; the command
    then goes halfway between frames k - 1 and k.
    """
    lines = []
    prev = (xs[0], ys[0], ws[0], hs[0])
    for k in range(1, len(xs)):
        cur = (xs[k], ys[k], ws[k], hs[k])
        if cur != prev:
            parts = [f"{target} {name} {v}" for name, v, p in zip("xywh", cur, prev) if v != p]
            at = (k - Fraction(1, 2)) / fps if times is None else (times[k - 1] + times[k]) / 2
            lines.append(f"{_seconds(at)} " + ", ".join(parts) + ";")
            prev = cur
    return "".join(line + "\n" for line in lines)


def episode_tasks(plan: Plan, outdir: Path, langs: list[str] | None = None) -> list[RenderTask]:
    langs = list(plan.subtitles) if langs is None else langs
    tasks = []
    for ep in plan.episodes:
        if langs:
            tasks += [RenderTask(ep["index"], lang, outdir / f"ep{ep['index']:03d}.{lang}.mp4") for lang in langs]
        else:
            tasks.append(RenderTask(ep["index"], None, outdir / f"ep{ep['index']:03d}.mp4"))
    return tasks


# x264 threads, fixed so the bytes do not depend on the machine's core count
# (same plan + options -> same file on any host of a render farm).
X264_THREADS = 4


def nvenc_cq(crf: int) -> int:
    """NVENC constant-quality level for an x264 CRF (0..51): about the same look at CRF + 3."""
    return max(0, min(51, crf + 3))


def video_codec_args(opts: Options) -> dict:
    """ffmpeg output options of the video encoder ``opts.encoder``."""
    if opts.encoder == "h264_nvenc":
        return {"c:v": "h264_nvenc", "preset": "p5", "rc": "vbr", "cq": nvenc_cq(opts.crf), "b:v": 0,
                "profile:v": "high"}
    return {"c:v": "libx264", "preset": opts.preset, "crf": opts.crf, "profile:v": "high", "threads": X264_THREADS}


_ENCODER_OK: dict[str, str | None] = {}  # encoder -> None (works) or the error line


def check_encoder(encoder: str) -> None:
    """Raise RenderError in one line when ``encoder`` cannot run here (probed once per process).

    libx264 is built in; h264_nvenc needs an NVIDIA GPU and driver, so a
    0.1 s clip is encoded to null to find out before any work starts.
    """
    if encoder != "h264_nvenc":
        return
    if encoder not in _ENCODER_OK:
        proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi",
                               "-i", "color=s=256x256:d=0.1", "-c:v", encoder, "-f", "null", "-"],
                              capture_output=True, text=True, errors="replace")
        _ENCODER_OK[encoder] = None if proc.returncode == 0 else _first_error_line(
            proc.stderr, f"exit code {proc.returncode}")
    if _ENCODER_OK[encoder] is not None:
        raise RenderError(f"{encoder}: no NVIDIA GPU/driver available (ffmpeg: {_ENCODER_OK[encoder]})")


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
    from subtitles import load_track
    from subtitles.retime import track_for_segments

    track = (tracks or {}).get(task.lang) or load_track(plan.subtitles[task.lang], task.lang)
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
    a language, ``epNNN.<lang>.srt`` is written next to the video, timed from
    the start of the file. Returns the manifest entry.
    """
    check_encoder(opts.encoder)
    fps = plan.fps
    W, H = plan.target["width"], plan.target["height"]
    src = plan.source["path"]
    if not Path(src).is_file():
        raise RenderError("source video of the plan is missing", src)
    out = Path(task.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    segments = _segments(plan, task)
    entry = _base_entry(plan, task)
    n = entry["frames"]
    work = Path(tempfile.mkdtemp(prefix="verticalize-"))
    tmp_out = out.with_name(f".{out.name}.part")
    try:
        parts = [_segment(plan, s, e, work / f"crop{k}.cmd", W, H) for k, (s, e) in enumerate(segments)]
        if len(parts) > 1:
            joined = ffmpeg.concat(*[x for part in parts for x in part], v=1, a=1).node
            v, a = joined[0], joined[1]
        else:
            v, a = parts[0]
        env = dict(os.environ)
        burn = []
        if plan.extras.get("title_card"):
            title = work / "title.ass"
            write_title_card(title, task.episode, task.lang, W, H, plan.extras.get("title_card_s", 2.5))
            burn.append(title)
        if task.lang:
            from subtitles import write_burnin_ass, write_srt, write_vtt

            ep_track = _episode_track(plan, task, tracks)
            ass = work / "subs.ass"
            # constant rate: cue times snapped to the frame grid; variable: already exact frame times
            write_burnin_ass(ep_track, ass, W, H, platform=opts.platform, fps=None if plan.vfr else fps)
            burn.append(ass)
            entry.update(_subtitle_entry(task, ep_track))
            write_srt(ep_track, out.with_name(entry["subtitles"]))
            write_vtt(ep_track, out.with_name(entry["subtitles_vtt"]))
        if burn:
            from subtitles import fontconfig_file, fonts_dir

            for ass in burn:
                v = v.filter("subtitles", filename=str(ass), fontsdir=str(fonts_dir()))
            env["FONTCONFIG_FILE"] = str(fontconfig_file())
        v = v.filter("format", "yuv420p")
        # constant rate: the output's own grid; variable: every source frame once, at its own time
        timing = ({"fps_mode": "passthrough"} if plan.vfr else
                  {"fps_mode": "cfr", "r": f"{fps.numerator}/{fps.denominator}"})
        stream = ffmpeg.output(
            v, a, str(tmp_out), f="mp4", **video_codec_args(opts),
            **{"pix_fmt": "yuv420p", **timing, "frames:v": n, "t": _seconds(Fraction(str(entry["duration_s"]))),
               "c:a": "aac", "b:a": f"{opts.audio_bitrate_kbps}k", "ar": 48000, "movflags": "+faststart"})
        args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y"] + ffmpeg.get_args(stream)
        proc = subprocess.run(args, capture_output=True, text=True, errors="replace", env=env)
        if proc.returncode != 0:
            raise RenderError(f"ffmpeg failed on episode {task.episode}: {_first_error_line(proc.stderr, f'exit code {proc.returncode}')}", out)
        os.replace(tmp_out, out)
    finally:
        tmp_out.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return entry


def _segment(plan: Plan, start: int, end: int, cmd_file: Path, W: int, H: int):
    """(video, audio) streams of source frames [start, end): exact trim, crop path or pad, scale."""
    fps = plan.fps
    n = end - start
    times = plan.frame_times()
    rel = None if times is None else [t - times[start] for t in times[start:end + 1]]
    crop, pad_ranges = episode_windows(plan, start, end)
    script = sendcmd_script(crop["x"], crop["y"], crop["w"], crop["h"], fps, rel)
    # seek to halfway between the frame before and the first frame: that frame comes first
    ss = (plan.time_of(start - 1, times) + plan.time_of(start, times)) / 2 if start > 0 else Fraction(0)
    src = ffmpeg.input(plan.source["path"], ss=_seconds(ss)) if start > 0 else ffmpeg.input(plan.source["path"])
    v = src.video.filter("setpts", "PTS-STARTPTS").filter("trim", end_frame=n)
    if pad_ranges and rel is None:
        v = _cropped_and_padded_runs(v, crop, pad_ranges, n, fps, cmd_file, W, H)
    elif pad_ranges:
        # variable frame rate: one crop chain under the pad overlay, so timestamps pass untouched
        both = v.split()
        v, v_pad = both[0], both[1]
    if not pad_ranges or rel is not None:
        if script.strip():  # sendcmd refuses an empty script
            cmd_file.write_text(script)
            v = v.filter("sendcmd", f=str(cmd_file))
        v = (v.filter("crop@c", w=crop["w"][0], h=crop["h"][0], x=crop["x"][0], y=crop["y"][0], exact=1)
             .filter("scale", W, H, flags="lanczos")
             .filter("setsar", 1))
    if pad_ranges and rel is not None:
        v = v.overlay(_padded(v_pad, W, H), x=0, y=0, enable=_between(pad_ranges, fps, rel))
    dur = _seconds(n / fps if rel is None else rel[n])
    if plan.source.get("has_audio"):
        a = src.audio.filter("asetpts", "PTS-STARTPTS").filter("atrim", end=dur).filter("apad", whole_dur=dur)
    else:
        a = ffmpeg.input("anullsrc=r=48000:cl=stereo", f="lavfi", t=dur).audio
    a = a.filter("aresample", 48000).filter("aformat", sample_fmts="fltp", channel_layouts="stereo")
    return v, a


def _cropped_and_padded_runs(v, crop: dict, pad_ranges, n: int, fps: Fraction, cmd_file: Path, W: int, H: int):
    """Episode frames [0, n) as runs, each its own chain: the crop path (with its own sendcmd
    script) or the pad picture, joined back with concat. Each chain sees only its own frames,
    so a pad shot costs nothing outside its range."""
    runs, at = [], 0
    for s, e in sorted(pad_ranges):
        if s > at:
            runs.append((at, s, False))
        runs.append((s, e, True))
        at = e
    if at < n:
        runs.append((at, n, False))
    split = v.split()
    parts = []
    for k, (s, e, is_pad) in enumerate(runs):
        b = split[k].filter("trim", start_frame=s, end_frame=e).filter("setpts", "PTS-STARTPTS")
        if is_pad:
            parts.append(_padded(b, W, H))
            continue
        sub = {key: crop[key][s:e] for key in "xywh"}
        name = f"crop@c{k}"
        script = sendcmd_script(sub["x"], sub["y"], sub["w"], sub["h"], fps, target=name)
        if script.strip():
            path = cmd_file.with_name(f"{cmd_file.stem}_{k}.cmd")
            path.write_text(script)
            b = b.filter("sendcmd", f=str(path))
        parts.append(b.filter(name, w=sub["w"][0], h=sub["h"][0], x=sub["x"][0], y=sub["y"][0], exact=1)
                     .filter("scale", W, H, flags="lanczos").filter("setsar", 1))
    return parts[0] if len(parts) == 1 else ffmpeg.concat(*parts, v=1, a=0)


TITLE_WORDS = {  # "Episode N" per language; {n} is the number
    "en": "Episode {n}", "es": "Episodio {n}", "pt": "Episódio {n}", "id": "Episode {n}", "fr": "Épisode {n}",
    "de": "Folge {n}", "th": "ตอนที่ {n}", "ja": "第{n}話", "ko": "{n}화", "zh": "第{n}集", "ar": "الحلقة {n}",
    "hi": "एपिसोड {n}", "vi": "Tập {n}", "tr": "Bölüm {n}", "ru": "Серия {n}",
}


def title_text(episode: int, lang: str | None) -> str:
    base = (lang or "en").split("-")[0].lower()
    return TITLE_WORDS.get(base, TITLE_WORDS["en"]).format(n=episode)


def write_title_card(path: Path, episode: int, lang: str | None, W: int, H: int, seconds: float = 2.5) -> None:
    """An ASS file that shows "Episode N" in the upper third for the first ``seconds``, fading out."""
    from subtitles import font_name_for

    font = font_name_for(lang or "en")
    size = int(round(H * 0.055))
    end_cs = int(round(seconds * 100))
    text = title_text(episode, lang)
    path.write_text(
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 2\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {W}\nPlayResY: {H}\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding\n"
        f"Style: Title,{font},{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,1,0,0,0,100,100,0,0,1,"
        f"{max(1, size // 12)},{max(1, size // 20)},8,{W // 10},{W // 10},{int(H * 0.16)},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        f"Dialogue: 0,0:00:00.00,0:00:{end_cs // 100:02d}.{end_cs % 100:02d},Title,,0,0,0,,{{\\fad(200,400)}}{text}\n",
        encoding="utf-8")


def episode_windows(plan: Plan, start: int, end: int) -> tuple[dict, list[tuple[int, int]]]:
    """Crop windows for episode frames [start, end) and its ``pad`` ranges (episode frames).

    Editor hints win over the analysed path, and a hinted pad shot is cropped.
    In pad ranges the crop branch holds its last window (it is hidden), so the
    crop size never changes inside one ffmpeg graph.
    """
    crop = {k: list(plan.crop[k][start:end]) for k in "xywh"}
    W0, H0 = plan.source["width"], plan.source["height"]
    cw, ch = crop_size_for(W0, H0, plan.target["width"], plan.target["height"])
    pads = []
    for shot in plan.shots:
        s, e = max(shot["start"], start) - start, min(shot["end"], end) - start
        if s >= e:
            continue
        hint = shot.get("hint")
        if hint is not None:
            x = {"left": 0, "center": (W0 - cw) // 2, "right": W0 - cw}.get(hint, hint)
            x = int(min(max(0, x), W0 - cw))
            for k in range(s, e):
                crop["x"][k], crop["y"][k], crop["w"][k], crop["h"][k] = x, (H0 - ch) // 2, cw, ch
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
                crop["x"][k], crop["y"][k], crop["w"][k], crop["h"][k] = (W0 - cw) // 2, (H0 - ch) // 2, cw, ch
    return crop, pads


def _padded(stream, W: int, H: int):
    """The whole frame scaled to the output width, over a blurred, dimmed fill of itself."""
    both = stream.split()
    fg, bg = both[0], both[1]
    small_w, small_h = max(2, W // 8 // 2 * 2), max(2, H // 8 // 2 * 2)
    bg = (bg.filter("crop", "min(iw,ih*%d/%d)" % (W, H), "min(ih,iw*%d/%d)" % (H, W))
          .filter("scale", small_w, small_h, flags="area")
          .filter("boxblur", max(1, min(6, min(small_w, small_h) // 4 - 1)))  # chroma planes are half size
          .filter("eq", brightness=-0.18, saturation=0.8)
          .filter("scale", W, H, flags="bicubic")
          .filter("setsar", 1))
    fg = fg.filter("scale", W, -2, flags="lanczos").filter("setsar", 1)
    return bg.overlay(fg, x="(W-w)/2", y="(H-h)/2")


def _between(ranges: list[tuple[int, int]], fps: Fraction, times=None) -> str:
    """An ffmpeg expression true on episode frames in any [start, end) range (``times``: each
    episode frame's start in seconds, for variable frame rate)."""
    def edge(k: int) -> Fraction:  # halfway into the gap before frame k
        return (k - Fraction(1, 2)) / fps if times is None else (times[max(k - 1, 0)] + times[k]) / 2
    return "+".join(f"between(t,{_seconds(edge(s))},{_seconds(edge(e))})" for s, e in ranges)


def render(plan: Plan, outdir: str | os.PathLike, opts: Options = DEFAULTS, langs: list[str] | None = None,
           episodes: list[int] | None = None, manifest: bool = True, skip_existing: bool = False,
           on_task=None) -> dict:
    """Render every episode (times every subtitle language) of ``plan`` into ``outdir``.

    Runs ``opts.jobs`` ffmpeg processes at once (0: one per core) and writes
    ``manifest.json`` last. ``skip_existing`` keeps outputs already in place
    (they are complete: every output is renamed into place when done).
    ``on_task(entry, skipped)`` is called as each task finishes.
    """
    from edit.analyze import load_subtitles

    check_encoder(opts.encoder)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    wanted = langs if langs is not None else list(plan.subtitles)
    tracks = load_subtitles({l: plan.subtitles[l] for l in wanted})
    tasks = [t for t in episode_tasks(plan, outdir, wanted) if episodes is None or t.episode in episodes]

    def one(task: RenderTask) -> dict:
        entry = existing_entry(plan, task, tracks) if skip_existing else None
        skipped = entry is not None
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
        write_json_atomic(result, outdir / "manifest.json")
    return result


def merge_manifest(plan: Plan, entries: list[dict], path: Path) -> dict:
    """Add the entries of some tasks to ``path``'s manifest, replacing the same episode and language.

    For farm tasks (``render --episode N --lang L``) sharing one folder: each adds its
    output under a lock instead of overwriting the others'. Every episode of the plan is
    listed, with the outputs rendered so far; other keys of the manifest are kept.
    """
    import fcntl
    import json

    lock = os.open(path.parent, os.O_RDONLY)  # the folder itself is the lock: nothing left behind
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old: dict = {}
        if path.is_file():
            try:
                old = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                old = {}
        if old.get("schema") != MANIFEST_SCHEMA or old.get("source") != plan.source["path"]:
            old = {}
        new_keys = {(e["episode"], e["lang"]) for e in entries}
        kept = [o for ep in old.get("episodes", []) for o in ep.get("outputs", [])
                if (o.get("episode"), o.get("lang")) not in new_keys]
        merged = build_manifest(plan, sorted(kept + entries, key=lambda e: (e["episode"], e["lang"] or "")))
        result = {**old, **merged}
        write_json_atomic(result, path)
    finally:
        os.close(lock)  # releases the lock
    return result


def build_manifest(plan: Plan, entries: list[dict], episodes: list[int] | None = None) -> dict:
    """What manifest.json holds: the episodes of ``plan`` (all, or those listed) with their outputs."""
    return {"schema": MANIFEST_SCHEMA, "source": plan.source["path"], "plan": "plan.json",
            "target": plan.target, "fps": plan.source["fps"],
            "episodes": [{"index": ep["index"], "start": ep["start"], "end": ep["end"],
                          "frames": ep["end"] - ep["start"], "score": ep["score"],
                          "free": ep["index"] <= int(plan.extras.get("free_episodes", 0)),
                          "recap": ep.get("recap"),
                          "outputs": [e for e in entries if e["episode"] == ep["index"]]}
                         for ep in plan.episodes if episodes is None or ep["index"] in episodes]}
