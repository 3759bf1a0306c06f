"""The render's ffmpeg graph: exact trim, per-frame crop through ``sendcmd``, pad
pictures, scale, libass burn-in and the encoders, in one ffmpeg process per episode
(``split`` into one burn-in and encoder branch per output file).

The decisions (which window on which frame, which ranges are padded, which
subtitle files to burn) come in from the pipeline; no pixel passes through
Python. ``encode_episode`` writes to the path it is given; the caller renames.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg

from verticalize.errors import RenderError
from verticalize.media.ffmpeg import first_error_line, run
from verticalize.options import Options
from verticalize.plan import Plan

# x264 runs with ``Options.x264_threads`` threads (default 4), a fixed count so the bytes do not
# depend on the machine's core count. Measured: at 1080x1920 x264 with 4 threads gives different
# bytes from run to run (4 renders of one 10-s episode: 4 different files; 7 encodes of the same
# frames: 3 different streams, non-deterministic=0 or not), while its input frames repeat exactly;
# with 1 thread it repeats (tests/test_render.py). Small sizes (most tests') repeat with 4.


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
class AudioTrack:
    """One audio track of an output: the plan's source audio (``path`` None) or a dub file
    (``offset_s``: the dub's time at the film's first frame, s), with a gain (dB, None: as it
    is) and a true-peak ceiling (dBTP) for the limiter (None: no limiter, the gain leaves the
    peaks under the ceiling), and an ISO 639 language tag or None."""

    path: str | None = None
    offset_s: Fraction = Fraction(0)
    gain_db: float | None = None
    ceiling_dbtp: float | None = -1.0
    lang: str | None = None


# The limiter runs on audio oversampled 4x (192 kHz), so it sees the true peaks between samples;
# its ceiling sits this far under the target (the resampler back to 48 kHz and AAC overshoot a little).
LIMITER_RATE_HZ = 192000
LIMITER_HEADROOM_DB = 0.5

# ISO 639-1 -> ISO 639-2/T, for the MP4 language tag (which has three letters)
_LANG3 = {"en": "eng", "es": "spa", "pt": "por", "fr": "fra", "de": "deu", "it": "ita", "zh": "zho", "ja": "jpn",
          "ko": "kor", "ru": "rus", "ar": "ara", "hi": "hin", "id": "ind", "th": "tha", "vi": "vie", "tr": "tur",
          "pl": "pol", "nl": "nld", "sv": "swe", "uk": "ukr", "ms": "msa", "tl": "tgl", "fil": "fil", "he": "heb"}


def mp4_language(tag: str) -> str:
    """The three-letter ISO 639-2 code MP4 stores for a language tag like ``pt-BR`` (``por``)."""
    base = tag.split("-")[0].lower()
    return _LANG3.get(base, base if len(base) == 3 else "und")


def audio_filters(gain_db: float | None, ceiling_dbtp: float | None = -1.0) -> list[tuple[str, dict]]:
    """The loudness chain as (filter, options) pairs: a linear gain (dB), then a lookahead
    limiter on 4x oversampled audio holding true peaks under ``ceiling_dbtp`` (delay
    compensated, so the audio stays on its frames; none for ``ceiling_dbtp`` None). Empty
    for ``gain_db`` None."""
    if gain_db is None:
        return []
    gain = [("volume", {"volume": f"{gain_db:.3f}dB", "precision": "double"})]
    if ceiling_dbtp is None:
        return gain
    limit = 10 ** ((ceiling_dbtp - LIMITER_HEADROOM_DB) / 20)
    return gain + [
            ("aresample", {"out_sample_rate": LIMITER_RATE_HZ}),
            ("alimiter", {"limit": f"{limit:.6f}", "attack": 5, "release": 100, "level": 0, "latency": 1}),
            ("aresample", {"out_sample_rate": 48000})]


def apply_filters(stream, chain: list[tuple[str, dict]]):
    """``stream`` through each (filter, options) of ``chain``."""
    for name, kwargs in chain:
        stream = stream.filter(name, **kwargs)
    return stream


@dataclass(frozen=True)
class MarkPattern:
    """A watermark pattern clip: raw yuv420p pictures of ``width`` x ``height`` (one loop),
    shown at ``rate`` pictures per second (luma 128 + offset, chroma 128)."""

    path: Path
    width: int
    height: int
    rate: float


def watermark_blend(v, mark: MarkPattern, W: int, H: int):
    """``v`` with the looped pattern clip (W x H, the output's size) added to its luma; chroma
    passes as it is. Two SIMD passes over the luma: ``blend`` (grainmerge: picture + offset - 128,
    clipped) and ``threshold``, which keeps the picture where its luma is below video black (16:
    the bars and title cards of full-range sources, luma 0, where a mark costs SSIM: 0.81 on
    Sintel's pad shots; a display shows all of 0..16 as black); ``lut2`` did both in one table
    look-up per pixel of every plane, 6 times the CPU. The clip's pictures are read once and
    looped in memory (``loop``). Applied before the subtitles: text stays crisp, and one blend
    serves every language of a recipient. Raises ValueError when the clip is not W x H."""
    pattern = ffmpeg.input(str(mark.path), f="rawvideo", pix_fmt="yuv420p", s=f"{mark.width}x{mark.height}",
                           framerate=f"{mark.rate:g}")
    frames = Path(mark.path).stat().st_size // (mark.width * mark.height * 3 // 2)
    if (mark.width, mark.height) != (W, H):
        raise ValueError(f"the watermark pattern is {mark.width}x{mark.height}, the picture {W}x{H}")
    pattern = (pattern.video.filter("setsar", 1).filter("loop", loop=-1, size=frames, start=0)
               .filter("setpts", f"N/{mark.rate:g}/TB"))
    picture = v.filter("format", "yuv420p").split()
    # the threshold, luma 16, made from the picture itself so that it has the picture's timestamps
    # (``threshold`` outputs a frame for every frame of any input: a colour source at its own rate
    # added frames between the picture's); a 2 x 2 corner set to 16 and padded with black (memset)
    black = (picture[3].filter("crop", 2, 2, 0, 0).filter("lutyuv", y=16, u=128, v=128)
             .filter("pad", W, H, 0, 0, color="black"))
    marked = ffmpeg.filter([picture[0], pattern], "blend", c0_mode="grainmerge", shortest=1)
    return ffmpeg.filter([picture[1], black, picture[2], marked], "threshold", planes=1)


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
    return {"c:v": "libx264", "preset": opts.preset, "crf": opts.crf, "profile:v": "high",
            "threads": opts.x264_threads}


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
        _ENCODER_OK[encoder] = None if proc.returncode == 0 else nvenc_error(proc.stderr, proc.returncode)
    if _ENCODER_OK[encoder] is not None:
        raise RenderError(f"{encoder}: {_ENCODER_OK[encoder]}")


def nvenc_error(stderr: str, returncode: int) -> str:
    """What stops NVENC, in one line, from ffmpeg's stderr: a driver older than this ffmpeg's NVENC
    needs (seen on an H200 with driver 580: the bundled ffmpeg 9 asks for 610), or no GPU/driver."""
    first = first_error_line(stderr, f"exit code {returncode}")
    need = re.search(r"minimum required Nvidia driver for nvenc is ([\d.]+)", stderr)
    if need:
        return (f"this ffmpeg's NVENC needs NVIDIA driver {need.group(1)} or newer (ffmpeg: {first}); "
                "set VERTICALIZE_FFMPEG to an ffmpeg built for your driver, or use libx264")
    return f"no NVIDIA GPU/driver available (ffmpeg: {first})"


@dataclass(frozen=True)
class Output:
    """One file of an episode's render: its path, the ASS files burned into it, in order, and
    its audio tracks, in order (default: the source's, as it is)."""

    path: Path
    burn: tuple[Path, ...] = ()
    audio: tuple[AudioTrack, ...] = (AudioTrack(),)


def encode_episode(plan: Plan, segments: list[Segment], output: Path, opts: Options, *, frames: int,
                   duration: Fraction, burn: list[Path] = (), fonts_dir: Path | None = None,
                   fontconfig_file: Path | None = None, work: Path, label: str = "episode",
                   audio: list[AudioTrack] = (AudioTrack(),), mark: MarkPattern | None = None) -> None:
    """Encode ``segments`` of ``plan``'s source, joined, to ``output`` (MP4, H.264 + AAC 48 kHz).

    ``audio``: the output's audio tracks in order (default: the source's, as it is), each cut
    at the same frames as the picture and put through its ``audio_filters``.

    ``burn``: ASS files burned in, in order, with fonts from ``fonts_dir`` (and
    ``fontconfig_file`` as FONTCONFIG_FILE, for fallback). ``frames`` and
    ``duration`` (seconds) bound the output exactly. ``work``: a folder for the
    sendcmd scripts. ``mark``: a watermark pattern blended in. Raises RenderError with ffmpeg's first error line.
    """
    encode_outputs(plan, segments, [Output(Path(output), tuple(burn), tuple(audio))], opts, frames=frames,
                   duration=duration,
                   fonts_dir=fonts_dir, fontconfig_file=fontconfig_file, work=work, label=label, mark=mark)


def encode_outputs(plan: Plan, segments: list[Segment], outputs: list[Output], opts: Options, *, frames: int,
                   duration: Fraction, fonts_dir: Path | None = None, fontconfig_file: Path | None = None,
                   work: Path, label: str = "episode", mark: MarkPattern | None = None) -> None:
    """Encode ``segments``, joined, to every file of ``outputs`` in ONE ffmpeg process.

    ``mark``: a watermark pattern blended into the picture once, before the split (every
    language of one recipient carries the same mark), under the subtitles.

    The source is decoded, cropped and scaled once; the picture and the sound
    are then ``split`` into one branch per output, each with its own burn-in
    and its own encoders with the same options as a render of that output
    alone: each encoder gets the same frames as in a render of its file by
    itself, so the file has the same bytes wherever x264 is reproducible (at
    small sizes, and at any size with ``opts.x264_threads`` 1; at 1080x1920 x264 with 4 threads
    varies from run to run, in either kind of render).
    ``frames`` and ``duration`` (seconds) bound every output exactly. Raises
    RenderError with ffmpeg's first error line, naming the first output.
    """
    W, H = plan.target["width"], plan.target["height"]
    wanted = [tuple(o.audio) or (AudioTrack(),) for o in outputs]
    audio: list[AudioTrack] = []  # every distinct track once, in order of first use
    for tracks in wanted:
        audio += [t for t in tracks if t not in audio]
    parts = [_segment(plan, seg, work / f"crop{k}.cmd", W, H, audio) for k, seg in enumerate(segments)]
    if len(parts) > 1:
        joined = ffmpeg.concat(*[x for v_, aa in parts for x in (v_, *aa)], v=1, a=len(audio)).node
        v, sound = joined[0], [joined[1 + i] for i in range(len(audio))]
        # each segment's audio is cut to its exact length, so concat starts the next segment
        # (a recap, then the episode) at its exact time, variable frame rate too
    else:
        v, sound = parts[0]
    sound = [apply_filters(a, audio_filters(t.gain_db, t.ceiling_dbtp)) for a, t in zip(sound, audio)]
    if mark is not None:  # once, before the split: every output of one recipient carries it
        v = watermark_blend(v, mark, W, H)
    # one branch per output: the picture always, a track where outputs share it
    pictures = _branches(v, len(outputs))
    pools = [_branches(a, sum(t in tracks for tracks in wanted), audio=True) for a, t in zip(sound, audio)]
    env = dict(os.environ)
    if any(o.burn for o in outputs) and fontconfig_file is not None:
        env["FONTCONFIG_FILE"] = str(fontconfig_file)
    fps = plan.fps
    # constant rate: the output's own grid; variable: every source frame once, at its own time
    timing = ({"fps_mode": "passthrough"} if plan.vfr else
              {"fps_mode": "cfr", "r": f"{fps.numerator}/{fps.denominator}"})
    streams = []
    for out, bv, tracks in zip(outputs, pictures, wanted):
        for ass in out.burn:
            bv = bv.filter("subtitles", filename=str(ass), fontsdir=str(fonts_dir))
        bv = bv.filter("format", "yuv420p")
        ba = [pools[audio.index(t)].pop(0) for t in tracks]
        streams.append(ffmpeg.output(
            bv, *ba, str(out.path), f="mp4", **video_codec_args(opts), **audio_output_args(opts, list(tracks)),
            **{"pix_fmt": "yuv420p", **timing, "frames:v": frames, "t": seconds_text(duration),
               "movflags": "+faststart"}))
    stream = streams[0] if len(streams) == 1 else ffmpeg.merge_outputs(*streams)
    proc = run(["-hide_banner", "-nostdin", "-v", "error", "-y"] + ffmpeg.get_args(stream), env=env)
    if proc.returncode != 0:
        raise RenderError(f"ffmpeg failed on {label}: {first_error_line(proc.stderr, f'exit code {proc.returncode}')}",
                          outputs[0].path)


def audio_output_args(opts: Options, audio: list[AudioTrack]) -> dict:
    """ffmpeg output options of the audio tracks: AAC 48 kHz at ``opts.audio_bitrate_kbps``, language tags."""
    tags = {f"metadata:s:a:{i}": f"language={mp4_language(t.lang)}" for i, t in enumerate(audio) if t.lang}
    return {"c:a": "aac", "b:a": f"{opts.audio_bitrate_kbps}k", "ar": 48000, **tags}


def replace_audio(plan: Plan, segments: list[Segment], video: Path, output: Path, opts: Options, *,
                  duration: Fraction, audio: list[AudioTrack], label: str = "episode") -> None:
    """``video``'s picture (stream-copied, not re-encoded) with ``audio`` made again from the
    source over ``segments``, to ``output``: for a gain corrected after the render measured it.
    Raises RenderError with ffmpeg's first error line."""
    tracks = [apply_filters(joined_audio(plan, segments, t), audio_filters(t.gain_db, t.ceiling_dbtp)) for t in audio]
    stream = ffmpeg.output(ffmpeg.input(str(video)).video, *tracks, str(output), f="mp4", **{"c:v": "copy"},
                           **audio_output_args(opts, audio), t=seconds_text(duration), movflags="+faststart")
    proc = run(["-hide_banner", "-nostdin", "-v", "error", "-y"] + ffmpeg.get_args(stream))
    if proc.returncode != 0:
        raise RenderError(f"ffmpeg failed on {label}'s audio: "
                          f"{first_error_line(proc.stderr, f'exit code {proc.returncode}')}", output)


def _segment(plan: Plan, seg: Segment, cmd_file: Path, W: int, H: int, audio: list[AudioTrack]):
    """(video, [audio per track]) streams of source frames [start, end): exact trim, crop path or
    pad, scale; each audio track cut to the same frames."""
    fps = plan.fps
    start, end, crop, pad_ranges = seg.start, seg.end, seg.crop, seg.pad_ranges
    n = end - start
    times = plan.frame_times()
    rel = None if times is None else [t - times[start] for t in times[start:end + 1]]
    # seek to halfway between the frame before and the first frame: that frame comes first (frame
    # times count from the video's first frame, which may start after the file's other streams)
    ss = _seek_s(plan, start, times)
    src = ffmpeg.input(plan.source["path"], ss=seconds_text(ss)) if ss > 0 else ffmpeg.input(plan.source["path"])
    v = src[f"v:{int(plan.source.get('video_stream', 0))}"]  # the picture (stream 0 may be a cover or still track)
    if plan.source.get("deinterlace"):
        v = v.filter("bwdif", mode="send_frame", deint="interlaced")
    v = v.filter("setpts", "PTS-STARTPTS").filter("trim", end_frame=n)
    if plan.source.get("sar"):
        # non-square pixels: crop windows are in the displayed picture's square pixels
        v = v.filter("scale", plan.source["width"], plan.source["height"]).filter("setsar", 1)
    active = plan.source.get("active")  # a pad shot shows the active picture: bars left out
    if pad_ranges:
        v = _cropped_and_padded_runs(v, crop, pad_ranges, n, fps, cmd_file, W, H, active, rel)
    else:
        script = sendcmd_script(crop["x"], crop["y"], crop["w"], crop["h"], fps, rel)
        if script.strip():  # sendcmd refuses an empty script
            cmd_file.write_text(script)
            v = v.filter("sendcmd", f=str(cmd_file))
        v = (v.filter("crop@c", w=crop["w"][0], h=crop["h"][0], x=crop["x"][0], y=crop["y"][0], exact=1)
             .filter("scale", W, H, flags="lanczos")
             .filter("setsar", 1))
    return v, [segment_audio(plan, seg, track, src) for track in audio]


def _seek_s(plan: Plan, start: int, times=None) -> Fraction:
    """Where the render seeks the source for a segment starting at frame ``start``, s from the
    file's start: halfway between the frame before and ``start``."""
    fps = plan.fps
    offset = Fraction(plan.source.get("video_start_s", "0"))
    before = plan.time_of(start - 1, times) if start > 0 else -1 / (2 * fps)
    return offset + (before + plan.time_of(start, times)) / 2


def segment_audio(plan: Plan, seg: Segment, track: AudioTrack, src=None):
    """Audio of source frames [seg.start, seg.end) for ``track`` at 48 kHz stereo float: from the
    start of frame ``seg.start`` on, exactly the segment's length. The source's audio comes from
    ``src`` (the segment's input, seeked by ``_seek_s``) or a new input; a dub is read at the same
    film time plus its ``offset_s`` (silence where that falls before the dub's start). No gain
    here: see ``audio_filters``."""
    times = plan.frame_times()
    n = seg.end - seg.start
    dur = seconds_text(n / plan.fps if times is None else times[seg.end] - times[seg.start])
    film_at = plan.time_of(seg.start, times)  # s from the video's first frame
    if track.path is None:
        if not plan.source.get("has_audio"):
            a = ffmpeg.input("anullsrc=r=48000:cl=stereo", f="lavfi", t=dur).audio
            # tagged with its segment: ffmpeg-python merges equal nodes, and two segments of one
            # length would share one silence chain (a graph it then refuses)
            a = a.filter("ametadata", mode="add", key="verticalize_segment", value=str(seg.start))
            return a.filter("aresample", 48000).filter("aformat", sample_fmts="fltp", channel_layouts="stereo")
        ss = _seek_s(plan, seg.start, times)
        if src is None:
            src = ffmpeg.input(plan.source["path"], ss=seconds_text(ss)) if ss > 0 else \
                ffmpeg.input(plan.source["path"])
        # the seek lands half a frame early (so the picture's first frame is the right one): skip that
        lead = Fraction(plan.source.get("video_start_s", "0")) + film_at - max(ss, Fraction(0))
        # trimmed on the seek's own time line (0 = the seek point), before any reset: the first
        # audio packet after a seek may begin after it (a late video start: about 8 ms here)
        a = src.audio
        if lead > 0:
            a = a.filter("atrim", start=seconds_text(lead))
        a = a.filter("asetpts", "PTS-STARTPTS")
    else:
        at = film_at + track.offset_s  # the dub's time at the segment's first frame, s
        a = ffmpeg.input(track.path, ss=seconds_text(at)).audio if at > 0 else ffmpeg.input(track.path).audio
        a = a.filter("asetpts", "PTS-STARTPTS")
        if at < 0:  # the dub starts after this point: silence first
            a = a.filter("aresample", 48000).filter("adelay", delays=f"{round(-at * 48000)}S", all=1)
    a = a.filter("atrim", end=dur).filter("apad", whole_dur=dur)
    return a.filter("aresample", 48000).filter("aformat", sample_fmts="fltp", channel_layouts="stereo")


def joined_audio(plan: Plan, segments: list[Segment], track: AudioTrack):
    """``track``'s audio over ``segments``, joined, from inputs of its own (no picture)."""
    parts = [segment_audio(plan, seg, track) for seg in segments]
    return ffmpeg.concat(*parts, v=0, a=1) if len(parts) > 1 else parts[0]


def measure_loudness(plan: Plan, segments: list[Segment], track: AudioTrack, label: str = "episode"):
    """BS.1770 loudness (``compare.Loudness``) of ``track``'s audio over ``segments`` joined, as
    the episode will play it, after the track's gain and limiter when it has them: one
    audio-only ffmpeg pass (no picture decoded)."""
    from verticalize.media.compare import parse_ebur128_summary

    a = apply_filters(joined_audio(plan, segments, track), audio_filters(track.gain_db, track.ceiling_dbtp))
    a = a.filter("ebur128", peak="true", framelog="quiet")
    args = ffmpeg.get_args(ffmpeg.output(a, "-", f="null"))
    proc = run(["-hide_banner", "-nostdin", "-nostats"] + args)
    if proc.returncode != 0 or "Summary:" not in proc.stderr:
        where = track.path or plan.source["path"]
        raise RenderError(f"ffmpeg could not measure the loudness of {label}: "
                          f"{first_error_line(proc.stderr, f'exit code {proc.returncode}')}", where)
    return parse_ebur128_summary(proc.stderr)


def _branches(stream, k: int, audio: bool = False) -> list:
    """``k`` (>= 1) branches of ``stream``: itself for one, else a ``split`` (``asplit``) into k
    (ffmpeg-python counts a split's outputs by the indices taken)."""
    if k == 1:
        return [stream]
    split = stream.asplit() if audio else stream.split()
    return [split[i] for i in range(k)]


def _cut_to(stream, box):
    """``stream`` cut to ``box`` (x0, y0, x1, y1, source px), or as it is for None."""
    if not box:
        return stream
    x0, y0, x1, y1 = box
    return stream.filter("crop", w=x1 - x0, h=y1 - y0, x=x0, y=y0, exact=1)


def _cropped_and_padded_runs(v, crop: dict, pad_ranges, n: int, fps: Fraction, cmd_file: Path, W: int, H: int,
                             active=None, times=None):
    """Episode frames [0, n) as runs, each its own chain: the crop path (with its own sendcmd
    script) or the pad picture, joined back with concat. Each chain sees only its own frames,
    so a pad shot costs nothing outside its range. ``times``: each episode frame's start in
    seconds from the first (n + 1 of them; variable frame rate), which the frames keep."""
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
        run_times = None if times is None else [t - times[s] for t in times[s:e + 1]]
        script = sendcmd_script(sub["x"], sub["y"], sub["w"], sub["h"], fps, run_times, target=name)
        if script.strip():
            path = cmd_file.with_name(f"{cmd_file.stem}_{k}.cmd")
            path.write_text(script)
            b = b.filter("sendcmd", f=str(path))
        parts.append(b.filter(name, w=sub["w"][0], h=sub["h"][0], x=sub["x"][0], y=sub["y"][0], exact=1)
                     .filter("scale", W, H, flags="lanczos").filter("setsar", 1))
    if len(parts) == 1:
        return parts[0]
    joined = ffmpeg.concat(*parts, v=1, a=0)
    if times is None:
        # frame k of the episode at k / fps: concat times a run after the last frame of the one before
        # by that frame's duration, unknown for a one-frame run, and the encoder then drops a frame
        return joined.filter("setpts", f"N*{fps.denominator}/{fps.numerator}/TB")
    return joined.filter("setpts", run_times_expression([s for s, _, _ in runs], times))


def run_times_expression(starts: list[int], times) -> str:
    """A ``setpts`` expression that puts every frame of runs joined by concat back at its own
    time (variable frame rate): ``starts`` are the runs' first frames (0 first), ``times`` each
    frame's start in seconds. Inside a run the frames keep their spacing; concat guesses where
    a run starts from the mean spacing of the run before, so each run's first frame is moved to
    its exact time (register 0 holds concat's time of the run's first frame)."""
    first = "+".join(f"eq(N,{s})" for s in starts)
    steps = [(s, times[s] - times[p]) for p, s in zip(starts, starts[1:])]  # each run's start after the one before
    start_of_run = "+".join([f"{times[starts[0]].numerator}/{times[starts[0]].denominator}"] +
                            [f"{d.numerator}/{d.denominator}*gte(N,{s})" for s, d in steps])
    return f"st(0,if({first},PTS,ld(0)));round(({start_of_run})/TB+PTS-ld(0))"


def _padded(stream, W: int, H: int):
    """The whole frame scaled to the output width, over a blurred, dimmed fill of itself."""
    both = stream.split()
    fg, bg = both[0], both[1]
    small_w, small_h = max(2, W // 8 // 2 * 2), max(2, H // 8 // 2 * 2)
    bg = (bg.filter("crop", "min(iw,ih*%d/%d)" % (W, H), "min(ih,iw*%d/%d)" % (H, W))
          .filter("scale", small_w, small_h, flags="area")
          .filter("format", "yuv420p")  # 8-bit video range whatever the source: 16 is black below
          .filter("boxblur", max(1, min(6, min(small_w, small_h) // 4 - 1)))  # chroma planes are half size
          .filter("eq", brightness=-0.18, saturation=0.8)
          .filter("lutyuv", y="max(val,16)")  # eq takes dark parts below video black (16): kept legal
          .filter("scale", W, H, flags="bicubic")
          .filter("setsar", 1))
    fg = fg.filter("scale", W, -2, flags="lanczos").filter("setsar", 1)
    return bg.overlay(fg, x="(W-w)/2", y="(H-h)/2")
