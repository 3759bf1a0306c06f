"""The render's ffmpeg graph: exact trim, per-frame crop through ``sendcmd``, pad
pictures, scale, libass burn-in and the encoders, in one ffmpeg process per output.

The decisions (which window on which frame, which ranges are padded, which
subtitle files to burn) come in from the pipeline; no pixel passes through
Python. ``encode_episode`` writes to the path it is given; the caller renames.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg

from verticalize.errors import RenderError
from verticalize.media.ffmpeg import first_error_line, run
from verticalize.options import Options
from verticalize.plan import Plan

# x264 threads, fixed so the bytes do not depend on the machine's core count
# (same plan + options -> same file on any host of a render farm).
X264_THREADS = 4


@dataclass(frozen=True)
class Segment:
    """Source frames [start, end) of one episode part (a recap, the episode), with the
    crop window of each of its frames (``crop``: lists ``x``, ``y``, ``w``, ``h`` in source
    pixels) and the ranges shown padded (frames counted from ``start``, end exclusive)."""

    start: int
    end: int
    crop: dict
    pad_ranges: list[tuple[int, int]]


@dataclass(frozen=True)
class MarkPattern:
    """A watermark pattern clip: raw yuv420p pictures of ``width`` x ``height`` (one loop),
    shown at ``rate`` pictures per second (luma 128 + offset, chroma 128)."""

    path: Path
    width: int
    height: int
    rate: float


def watermark_blend(v, mark: MarkPattern, W: int, H: int):
    """``v`` with the looped pattern clip, scaled to W x H, added to it (``blend=grainmerge``:
    A + B - 128, so chroma 128 leaves colour alone). Applied before the subtitles: text
    stays crisp, and one blend serves every language of a recipient."""
    pattern = ffmpeg.input(str(mark.path), f="rawvideo", pix_fmt="yuv420p", s=f"{mark.width}x{mark.height}",
                           framerate=f"{mark.rate:g}", stream_loop=-1)
    pattern = pattern.video.filter("scale", W, H, flags="bicubic").filter("setsar", 1)
    return ffmpeg.filter([v.filter("format", "yuv420p"), pattern], "blend", all_mode="grainmerge", shortest=1)


def seconds_text(value: Fraction) -> str:
    """Seconds as ffmpeg reads them: 6 decimals (microseconds)."""
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
            lines.append(f"{seconds_text(at)} " + ", ".join(parts) + ";")
            prev = cur
    return "".join(line + "\n" for line in lines)


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
        proc = run(["-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=s=256x256:d=0.1",
                    "-c:v", encoder, "-f", "null", "-"])
        _ENCODER_OK[encoder] = None if proc.returncode == 0 else first_error_line(
            proc.stderr, f"exit code {proc.returncode}")
    if _ENCODER_OK[encoder] is not None:
        raise RenderError(f"{encoder}: no NVIDIA GPU/driver available (ffmpeg: {_ENCODER_OK[encoder]})")


def encode_episode(plan: Plan, segments: list[Segment], output: Path, opts: Options, *, frames: int,
                   duration: Fraction, burn: list[Path] = (), fonts_dir: Path | None = None,
                   fontconfig_file: Path | None = None, work: Path, label: str = "episode",
                   mark: MarkPattern | None = None) -> None:
    """Encode ``segments`` of ``plan``'s source, joined, to ``output`` (MP4, H.264 + AAC 48 kHz).

    ``burn``: ASS files burned in, in order, with fonts from ``fonts_dir`` (and
    ``fontconfig_file`` as FONTCONFIG_FILE, for fallback). ``frames`` and
    ``duration`` (seconds) bound the output exactly. ``work``: a folder for the
    sendcmd scripts. ``mark``: a watermark pattern blended in. Raises RenderError with ffmpeg's first error line.
    """
    W, H = plan.target["width"], plan.target["height"]
    parts = [_segment(plan, seg, work / f"crop{k}.cmd", W, H) for k, seg in enumerate(segments)]
    if len(parts) > 1:
        joined = ffmpeg.concat(*[x for part in parts for x in part], v=1, a=1).node
        v, a = joined[0], joined[1]
    else:
        v, a = parts[0]
    env = dict(os.environ)
    if mark is not None:
        v = watermark_blend(v, mark, W, H)
    for ass in burn:
        v = v.filter("subtitles", filename=str(ass), fontsdir=str(fonts_dir))
    if burn and fontconfig_file is not None:
        env["FONTCONFIG_FILE"] = str(fontconfig_file)
    v = v.filter("format", "yuv420p")
    fps = plan.fps
    # constant rate: the output's own grid; variable: every source frame once, at its own time
    timing = ({"fps_mode": "passthrough"} if plan.vfr else
              {"fps_mode": "cfr", "r": f"{fps.numerator}/{fps.denominator}"})
    stream = ffmpeg.output(
        v, a, str(output), f="mp4", **video_codec_args(opts),
        **{"pix_fmt": "yuv420p", **timing, "frames:v": frames, "t": seconds_text(duration),
           "c:a": "aac", "b:a": f"{opts.audio_bitrate_kbps}k", "ar": 48000, "movflags": "+faststart"})
    proc = run(["-hide_banner", "-nostdin", "-v", "error", "-y"] + ffmpeg.get_args(stream), env=env)
    if proc.returncode != 0:
        raise RenderError(f"ffmpeg failed on {label}: {first_error_line(proc.stderr, f'exit code {proc.returncode}')}",
                          output)


def _segment(plan: Plan, seg: Segment, cmd_file: Path, W: int, H: int):
    """(video, audio) streams of source frames [start, end): exact trim, crop path or pad, scale."""
    fps = plan.fps
    start, end, crop, pad_ranges = seg.start, seg.end, seg.crop, seg.pad_ranges
    n = end - start
    times = plan.frame_times()
    rel = None if times is None else [t - times[start] for t in times[start:end + 1]]
    script = sendcmd_script(crop["x"], crop["y"], crop["w"], crop["h"], fps, rel)
    # seek to halfway between the frame before and the first frame: that frame comes first (frame
    # times count from the video's first frame, which may start after the file's other streams)
    offset = Fraction(plan.source.get("video_start_s", "0"))
    before = plan.time_of(start - 1, times) if start > 0 else -1 / (2 * fps)
    ss = offset + (before + plan.time_of(start, times)) / 2
    src = ffmpeg.input(plan.source["path"], ss=seconds_text(ss)) if ss > 0 else ffmpeg.input(plan.source["path"])
    v = src.video
    if plan.source.get("deinterlace"):
        v = v.filter("bwdif", mode="send_frame", deint="interlaced")
    v = v.filter("setpts", "PTS-STARTPTS").filter("trim", end_frame=n)
    if plan.source.get("sar"):
        # non-square pixels: crop windows are in the displayed picture's square pixels
        v = v.filter("scale", plan.source["width"], plan.source["height"]).filter("setsar", 1)
    active = plan.source.get("active")  # a pad shot shows the active picture: bars left out
    if pad_ranges and rel is None:
        v = _cropped_and_padded_runs(v, crop, pad_ranges, n, fps, cmd_file, W, H, active)
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
        v = v.overlay(_padded(_cut_to(v_pad, active), W, H), x=0, y=0, enable=_between(pad_ranges, fps, rel))
    dur = seconds_text(n / fps if rel is None else rel[n])
    if plan.source.get("has_audio"):
        a = src.audio.filter("asetpts", "PTS-STARTPTS").filter("atrim", end=dur).filter("apad", whole_dur=dur)
    else:
        a = ffmpeg.input("anullsrc=r=48000:cl=stereo", f="lavfi", t=dur).audio
    a = a.filter("aresample", 48000).filter("aformat", sample_fmts="fltp", channel_layouts="stereo")
    return v, a


def _cut_to(stream, box):
    """``stream`` cut to ``box`` (x0, y0, x1, y1, source px), or as it is for None."""
    if not box:
        return stream
    x0, y0, x1, y1 = box
    return stream.filter("crop", w=x1 - x0, h=y1 - y0, x=x0, y=y0, exact=1)


def _cropped_and_padded_runs(v, crop: dict, pad_ranges, n: int, fps: Fraction, cmd_file: Path, W: int, H: int,
                             active=None):
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
            parts.append(_padded(_cut_to(b, active), W, H))
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
    return "+".join(f"between(t,{seconds_text(edge(s))},{seconds_text(edge(e))})" for s, e in ranges)
