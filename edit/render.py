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
from edit.media import ffmpeg_exe
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


def sendcmd_script(xs, ys, ws, hs, fps: Fraction) -> str:
    """sendcmd lines that move ``crop@c`` on the frames where the window changes.

    A command at (k - 1/2)/fps takes effect from episode frame k on, so float
    rounding can never land it on the wrong frame.
    """
    lines = []
    prev = (xs[0], ys[0], ws[0], hs[0])
    for k in range(1, len(xs)):
        cur = (xs[k], ys[k], ws[k], hs[k])
        if cur != prev:
            parts = [f"crop@c {name} {v}" for name, v, p in zip("xywh", cur, prev) if v != p]
            lines.append(f"{_seconds((k - Fraction(1, 2)) / fps)} " + ", ".join(parts) + ";")
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


def render_episode(plan: Plan, task: RenderTask, opts: Options = DEFAULTS, tracks=None) -> dict:
    """Render one episode (optionally with one language burned in) to ``task.output``.

    Also writes ``epNNN.<lang>.srt`` next to it, timed from the episode start.
    Returns the manifest entry.
    """
    ep = plan.episodes[task.episode - 1]
    start, end = ep["start"], ep["end"]
    n = end - start
    fps = plan.fps
    W, H = plan.target["width"], plan.target["height"]
    src = plan.source["path"]
    if not Path(src).is_file():
        raise RenderError("source video of the plan is missing", src)
    out = Path(task.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    crop, pad_ranges = episode_windows(plan, start, end)
    work = Path(tempfile.mkdtemp(prefix="verticalize-"))
    tmp_out = out.with_name(f".{out.name}.part")
    entry = {"episode": task.episode, "lang": task.lang, "video": out.name, "start": start, "end": end,
             "frames": n, "duration_s": round(float(n / fps), 6)}
    try:
        script = sendcmd_script(crop["x"], crop["y"], crop["w"], crop["h"], fps)
        ss = max(Fraction(0), (start - Fraction(1, 2)) / fps) if start > 0 else Fraction(0)
        video_in = ffmpeg.input(src, ss=_seconds(ss)) if start > 0 else ffmpeg.input(src)
        v = video_in.video.filter("setpts", "PTS-STARTPTS")
        if pad_ranges:
            both = v.split()
            v, v_pad = both[0], both[1]
        if script.strip():  # sendcmd refuses an empty script
            cmd_file = work / "crop.cmd"
            cmd_file.write_text(script)
            v = v.filter("sendcmd", f=str(cmd_file))
        v = (v.filter("crop@c", w=crop["w"][0], h=crop["h"][0], x=crop["x"][0], y=crop["y"][0], exact=1)
             .filter("scale", W, H, flags="lanczos")
             .filter("setsar", 1))
        if pad_ranges:
            v = v.overlay(_padded(v_pad, W, H), x=0, y=0, enable=_between(pad_ranges, fps))
        env = dict(os.environ)
        if task.lang:
            from subtitles import fontconfig_file, fonts_dir, load_track, track_for_episode, write_burnin_ass, write_srt

            track = (tracks or {}).get(task.lang) or load_track(plan.subtitles[task.lang], task.lang)
            ep_track = track_for_episode(track, start, end, fps)
            ass = work / "subs.ass"
            write_burnin_ass(ep_track, ass, W, H)
            v = v.filter("subtitles", filename=str(ass), fontsdir=str(fonts_dir()))
            env["FONTCONFIG_FILE"] = str(fontconfig_file())
            srt = out.with_name(f"ep{task.episode:03d}.{task.lang}.srt")
            write_srt(ep_track, srt)
            entry["subtitles"] = srt.name
            entry["cues"] = len(ep_track.cues)
        v = v.filter("format", "yuv420p")
        if plan.source.get("has_audio"):
            a = video_in.audio.filter("asetpts", "PTS-STARTPTS")
        else:
            a = ffmpeg.input("anullsrc=r=48000:cl=stereo", f="lavfi").audio
        stream = ffmpeg.output(
            v, a, str(tmp_out), f="mp4", vcodec="libx264", preset=opts.preset, crf=opts.crf,
            **{"profile:v": "high", "pix_fmt": "yuv420p", "fps_mode": "cfr", "r": f"{fps.numerator}/{fps.denominator}",
               "frames:v": n, "t": _seconds(n / fps), "c:a": "aac", "b:a": f"{opts.audio_bitrate_kbps}k",
               "ar": 48000, "movflags": "+faststart"})
        args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y"] + ffmpeg.get_args(stream)
        proc = subprocess.run(args, capture_output=True, text=True, errors="replace", env=env)
        if proc.returncode != 0:
            raise RenderError(f"ffmpeg failed on episode {task.episode}: {_ffmpeg_reason(proc.stderr, proc.returncode)}", out)
        os.replace(tmp_out, out)
    finally:
        tmp_out.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return entry


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
          .filter("boxblur", max(1, min(6, min(small_w, small_h) // 2 - 1)))
          .filter("eq", brightness=-0.18, saturation=0.8)
          .filter("scale", W, H, flags="bicubic")
          .filter("setsar", 1))
    fg = fg.filter("scale", W, -2, flags="lanczos").filter("setsar", 1)
    return bg.overlay(fg, x="(W-w)/2", y="(H-h)/2")


def _between(ranges: list[tuple[int, int]], fps: Fraction) -> str:
    """An ffmpeg expression true on episode frames in any [start, end) range."""
    half = Fraction(1, 2)
    return "+".join(f"between(t,{_seconds((s - half) / fps)},{_seconds((e - half) / fps)})" for s, e in ranges)


def _ffmpeg_reason(stderr: str, rc: int) -> str:
    """The most telling line of ffmpeg's stderr: the first one, without its [component @ addr] prefix."""
    import re

    for line in stderr.splitlines():
        line = re.sub(r"^(\[[^\]]*\]\s*)+", "", line.strip())
        if line:
            return line
    return f"exit code {rc}"


def render(plan: Plan, outdir: str | os.PathLike, opts: Options = DEFAULTS, langs: list[str] | None = None,
           episodes: list[int] | None = None, manifest: bool = True) -> dict:
    """Render every episode (times every subtitle language) of ``plan`` into ``outdir``.

    Runs ``opts.jobs`` ffmpeg processes at once (0: one per core) and writes
    ``manifest.json`` last.
    """
    from edit.analyze import load_subtitles

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    wanted = langs if langs is not None else list(plan.subtitles)
    tracks = load_subtitles({l: plan.subtitles[l] for l in wanted})
    tasks = [t for t in episode_tasks(plan, outdir, wanted) if episodes is None or t.episode in episodes]
    jobs = opts.jobs or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(tasks)))) as pool:
        entries = list(pool.map(lambda t: render_episode(plan, t, opts, tracks), tasks))
    result = {"schema": MANIFEST_SCHEMA, "source": plan.source["path"], "plan": "plan.json",
              "target": plan.target, "fps": plan.source["fps"],
              "episodes": [{"index": ep["index"], "start": ep["start"], "end": ep["end"],
                            "frames": ep["end"] - ep["start"], "score": ep["score"],
                            "outputs": [e for e in entries if e["episode"] == ep["index"]]}
                           for ep in plan.episodes if episodes is None or ep["index"] in episodes]}
    if manifest:
        write_json_atomic(result, outdir / "manifest.json")
    return result
