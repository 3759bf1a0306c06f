"""Probe a media file with ffmpeg itself (there is no ffprobe).

Probing reads ``ffmpeg -i`` stream lines and counts video packets with the
``framecrc`` muxer, which also gives the exact rational frame rate from the
packet durations and the stream time base, and decodes the first frames; one
ffmpeg run does all three when the file reads cleanly. The packet listing is
kept per file, so frame times and the decoders' packet index do not read it again.
"""
from __future__ import annotations

import logging
import os
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path


from verticalize.errors import InputError, NoTimestamps
from verticalize.media.ffmpeg import check_path, first_error_line, run

log = logging.getLogger(__name__)

_IMAGE_CODECS = {"png", "mjpeg", "bmp", "gif", "tiff", "webp", "jpegls", "jpeg2000", "ppm", "pgm", "pam"}


@dataclass(frozen=True)
class MediaInfo:
    """What the analysis needs to know about a source file: the picture as players show it.

    ``width`` x ``height`` is the displayed picture in square pixels: after the
    display matrix's rotation (ffmpeg applies it on decode) and the sample aspect
    ratio (applied by scaling). ``coded_width`` x ``coded_height`` is what the
    stream stores.
    """

    path: str
    width: int              # displayed width, square pixels
    height: int             # displayed height
    fps: Fraction           # frames per second, exact
    frame_count: int        # frames a decoder outputs: video packets, less those an edit list discards
    has_audio: bool
    codec: str
    vfr: bool               # some frame is more than half a frame from index / fps (see frame_times)
    coded_width: int = 0    # as stored (0: same as width)
    coded_height: int = 0
    rotation: int = 0       # display rotation, degrees counter-clockwise: 0, 90, 180 or 270
    sar: Fraction = Fraction(1)   # sample (pixel) aspect ratio of the stored picture
    interlaced: bool = False      # fields, top or bottom first: deinterlaced before analysis and render
    start_s: Fraction = Fraction(0)  # the video's first frame, s after the file's start (late streams)
    video_stream: int = 0   # the picture is the file's video stream "0:v:<this>" (a cover or still track passed over)

    @property
    def video_map(self) -> str:
        """ffmpeg's stream specifier of the picture stream, ``0:v:K``."""
        return f"0:v:{self.video_stream}"

    @property
    def square(self) -> bool:
        """Whether decoded frames are the displayed picture as they are (no SAR scaling)."""
        w, h = (self.coded_height, self.coded_width) if self.rotation % 180 else (self.coded_width, self.coded_height)
        return self.sar == 1 or (w, h) == (self.width, self.height)


_STREAM_RE = re.compile(r"Stream #0:(\d+)[^:]*: (Video|Audio|Subtitle|Data|Attachment): (\S+?)[\s,(]")
_SAR_RE = re.compile(r"\[SAR (\d+):(\d+) DAR \d+:\d+\]")
_ROTATION_RE = re.compile(r"[Dd]isplay ?[Mm]atrix: rotation of (-?[\d.]+) degrees")
_START_RE = re.compile(r"start: (-?\d+(?:\.\d+)?)")
_SIZE_RE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_FPS_RE = re.compile(r"([\d.]+) (?:fps|tbr)")


def probe(path: str | os.PathLike) -> MediaInfo:
    """Read width, height, exact fps, frame count and audio presence of ``path``.

    Raises InputError with one line for missing, non-media, truncated or
    undecodable input, or input without a video stream.
    """
    path = Path(path)
    check_path(path)
    once = _probe_once(path)  # one ffmpeg run when the file reads cleanly; else one run per question
    err = once[0] if once is not None else run(["-hide_banner", "-nostdin", "-i", str(path)]).stderr
    if "moov atom not found" in err:
        if _looks_like_isobmff(path):
            raise InputError("truncated or corrupt MP4 (moov atom not found)", path)
        raise InputError("not a video file (no MP4 structure; is it a renamed file?)", path)
    if "Error opening input" in err or "Invalid data found" in err and "Stream #" not in err:
        raise InputError("not a video file ffmpeg can read (" + first_error_line(
            "\n".join(l for l in err.splitlines() if "Error" in l or "Invalid" in l)) + ")", path)
    streams = _STREAM_RE.findall(err)
    video = [(i, codec) for i, kind, codec in streams if kind == "Video"]
    has_audio = any(kind == "Audio" for _, kind, _ in streams)
    if not video:
        raise InputError("no video stream" + (" (audio only)" if has_audio else ""), path)
    lines = [next(l for l in err.splitlines() if re.search(r"Stream #0:%s\b.*Video:" % i, l)) for i, _ in video]
    if all("(attached pic)" in line for line in lines):
        raise InputError("no video stream (" + ("audio with " if has_audio else "only ") + "a cover picture)", path)
    k = picture_stream([c for _, c in video], lines)
    if k:
        log.info("%s: the picture is video stream %d; stream 0 is %s", path, k,
                 "a cover picture" if "(attached pic)" in lines[0] else f"a still {video[0][1]} image")
    codec, vline = video[k][1], lines[k]
    if codec == "none":
        raise InputError("unsupported video codec (ffmpeg has no decoder for it)", path)
    size = _SIZE_RE.search(vline.split("Video:", 1)[1])
    if not size:
        raise InputError("video stream has no frame size", path)
    coded_w, coded_h = int(size.group(1)), int(size.group(2))
    block = _stream_block(err, vline)
    m = _ROTATION_RE.search(block)
    rotation = int(round(float(m.group(1)))) % 360 if m else 0
    rotation = rotation if rotation in (0, 90, 180, 270) else 0  # odd angles: ffmpeg shows them unrotated
    m = _SAR_RE.search(vline)
    sar = Fraction(int(m.group(1)), int(m.group(2))) if m and int(m.group(1)) and int(m.group(2)) else Fraction(1)
    interlaced = bool(re.search(r"\((?:[^()]*, )?(top first|bottom first|top coded first|bottom coded first)", vline))
    width, height = display_size(coded_w, coded_h, sar, rotation)

    # the single run listed stream 0's packets and decoded its first frames: of use only when it is the picture
    packets = once[1] if once is not None and k == 0 else None
    fps, count, vfr, first_s, read_error = _count_packets(path, packets, k)
    if fps is None:
        m = _FPS_RE.search(vline)
        if not m:
            raise InputError("video stream has no frame rate", path)
        fps = _rational_fps(m.group(1))
    if count < 2 or codec in _IMAGE_CODECS and count < 2:
        raise InputError(f"not a video (a still {codec} image)" if codec in _IMAGE_CODECS
                         else "video stream has fewer than 2 frames", path)
    start = _START_RE.search(err)
    start_s = max(Fraction(0), first_s - Fraction(start.group(1))) if start and first_s is not None else Fraction(0)
    dur = _DURATION_RE.search(err)
    if dur:
        seconds = int(dur.group(1)) * 3600 + int(dur.group(2)) * 60 + float(dur.group(3))
        seconds -= float(start_s)  # a video stream that starts late covers only the rest of the file
        expected = seconds * float(fps)
        if vfr:  # no single rate: the frames' own average rate
            tb, times, _ = _times_cache.get(_cache_key(path), (None, [], None))
            if tb is not None and len(times) > 1 and times[-1] > times[0]:
                expected = seconds * (len(times) - 1) / float((times[-1] - times[0]) * tb)
        if expected > 30 and count < 0.97 * expected:
            if read_error:  # the demuxer ran out of data: the file was cut short
                raise InputError(f"truncated or corrupt: only {count} of about {int(expected)} frames are "
                                 f"readable ({read_error})", path)
            # every packet read cleanly: the other streams simply run longer than the picture
            log.warning("%s: the video stream holds %d frames (%.2f s) of the file's %.2f s; "
                        "the rest is other streams", path, count, count / float(fps), seconds + float(start_s))
    if packets is None:
        _check_decodable(path, k)
    return MediaInfo(str(path), width, height, fps, count, has_audio, codec, vfr, coded_w, coded_h, rotation,
                     sar, interlaced, start_s, k)


def picture_stream(codecs: list[str], lines: list[str]) -> int:
    """Which of a file's video streams (``codecs`` and ``ffmpeg -i`` stream ``lines``, in order)
    is the picture: the first that is neither a cover picture ("attached pic") nor a still-image
    codec (a poster or thumbnail track), else the first that is not a cover, else the first."""
    for k, (codec, line) in enumerate(zip(codecs, lines)):
        if "(attached pic)" not in line and codec not in _IMAGE_CODECS:
            return k
    return next((k for k, line in enumerate(lines) if "(attached pic)" not in line), 0)


def display_size(coded_width: int, coded_height: int, sar: Fraction, rotation: int) -> tuple[int, int]:
    """The displayed picture's size in square pixels: the stored width stretched by the sample
    aspect ratio (rounded to even), then turned by the rotation (90 and 270 swap the sides)."""
    w = coded_width if sar == 1 else max(2, int(round(coded_width * sar / 2)) * 2)
    h = coded_height
    return (h, w) if rotation % 180 else (w, h)


def _stream_block(err: str, vline: str) -> str:
    """The lines that belong to the stream line ``vline`` (its metadata and side data)."""
    lines = err.splitlines()
    i = lines.index(vline)
    out = [vline]
    for line in lines[i + 1:]:
        if re.match(r"\s*Stream #", line) or not line.startswith("    "):
            break
        out.append(line)
    return "\n".join(out)


def _looks_like_isobmff(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(12)
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")


def _rational_fps(text: str) -> Fraction:
    """'29.97' -> 30000/1001; '25' -> 25."""
    value = Fraction(text)
    for base in (24, 30, 48, 60, 120):
        ntsc = Fraction(base * 1000, 1001)
        if abs(float(value - ntsc)) < 0.01:
            return ntsc
    return value.limit_denominator(1001)


_READ_ERRORS = ("partial file", "ended prematurely", "Invalid data", "Truncated", "truncated", "error reading")


_LEVEL_RE = re.compile(r"\[(panic|fatal|error|warning|info|verbose|debug|trace)\] ")
def _packets_args(k: int = 0) -> list[str]:
    """Output options listing video stream ``0:v:k``'s packets (framecrc, no decoding)."""
    return ["-map", f"0:v:{k}", "-c", "copy", "-f", "framecrc"]


def _decode_check_args(k: int = 0) -> list[str]:
    """Output options decoding the first 2 frames of video stream ``0:v:k`` to nowhere."""
    return ["-map", f"0:v:{k}", "-frames:v", "2", "-f", "null", "-"]


def _probe_once(path: Path) -> tuple[str, tuple] | None:
    """The three questions of ``probe`` in one ffmpeg run: the input's stream lines (``ffmpeg -i``),
    its video packets (a framecrc listing) and a decode of the first 2 frames.

    Returns (the stream lines as ``ffmpeg -i`` prints them, ``_read_packets``'s answer) when
    ffmpeg ran cleanly (exit 0, no message at error level or worse), else None: then ``probe``
    asks each question on its own, so every error reads as it always has. One process
    instead of three saves two start-ups and two reads of the stream's first frames, the
    larger part of probing a short clip.
    """
    proc = run(["-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+info", "-threads", "1",
                "-copyts", "-i", str(path), *_packets_args(), "pipe:1", *_decode_check_args()])
    if proc.returncode != 0:
        return None
    head: list[str] = []
    in_head = True
    for line in proc.stderr.splitlines():
        m = _LEVEL_RE.search(line)
        level = m.group(1) if m else "info"
        if level in ("panic", "fatal", "error"):
            return None
        text = line[:m.start()] + line[m.end():] if m else line
        if text.startswith(("Stream mapping:", "Output #", "Press [q]")):
            in_head = False
        if in_head:
            head.append(text)
    return "\n".join(head) + "\n", _parse_framecrc(proc.stdout) + ("",)


def _parse_framecrc(listing: str) -> tuple[Fraction | None, list[int], list[int], list[bool]]:
    """(time base, pts, durations, keyframe flags) from a framecrc listing of one stream, less the
    packets an edit list discards."""
    tb = None
    pts: list[int] = []
    durations: list[int] = []
    keys: list[bool] = []
    for line in listing.splitlines():
        if line.startswith("#tb 0:"):
            tb = Fraction(line.split(":", 1)[1].strip())
        elif line and not line.startswith("#"):
            parts = line.split(",")
            flags = next((p.strip()[2:] for p in parts[6:] if p.strip().startswith("F=")), None)
            bits = 1 if flags is None else int(flags, 16)  # framecrc omits F= for a plain keyframe
            if bits & 4:  # AV_PKT_FLAG_DISCARD: before an edit list's start, never shown
                continue
            pts.append(int(parts[2]))
            durations.append(int(parts[3]))
            keys.append(bool(bits & 1))
    return tb, pts, durations, keys


def _read_packets(path: Path, k: int = 0) -> tuple[Fraction | None, list[int], list[int], list[bool], str]:
    """(time base, pts, durations, keyframe flags, read error) of video stream ``0:v:k``'s packets
    that a decoder outputs, in file order: packets an edit list discards are left out. ``read error``
    is the demuxer's first complaint about missing or bad data ("" when it read cleanly)."""
    # -copyts: the container's own timestamps, as a decoder run with -copyts reports them
    proc = run(["-v", "error", "-nostdin", "-copyts", "-i", str(path), *_packets_args(k), "-"])
    if "partial file" in proc.stderr:
        raise InputError("truncated or corrupt (ffmpeg: partial file)", path)
    if proc.returncode != 0:
        raise InputError("cannot read video packets (" + first_error_line(proc.stderr) + ")", path)
    tb, pts, durations, keys = _parse_framecrc(proc.stdout)
    read_error = next((first_error_line(line) for line in proc.stderr.splitlines()
                       if any(e in line for e in _READ_ERRORS)), "")
    return tb, pts, durations, keys, read_error


def _count_packets(path: Path, packets: tuple | None = None,
                   k: int = 0) -> tuple[Fraction | None, int, bool, Fraction | None, str]:
    """Count video packets, derive the exact fps from their durations, and tell VFR from CFR;
    also the first frame's time (s, None without timestamps) and the demuxer's read error.

    The stream is variable-frame-rate when some frame's presentation time is more
    than half a frame away from ``index / fps`` (so frame numbers alone would give
    wrong timecodes); timestamps rounded to the time base do not count.
    """
    tb, pts, durs, keys, read_error = packets if packets is not None else _read_packets(path, k)
    count = len(pts)
    durations: Counter[int] = Counter(durs)
    if tb is None or not durations:
        return None, count, False, None, read_error
    common, _ = durations.most_common(1)[0]
    if common <= 0:
        return None, count, False, None, read_error
    fps = 1 / (common * tb)
    if any(t <= _NOPTS for t in pts):  # an elementary stream: no timestamps, frames are index / fps
        return fps, count, False, None, read_error
    times = sorted(pts)
    t0 = times[0]
    _remember_times(path, tb, times, [t for t, k in zip(pts, keys) if k])
    steps = Counter(b - a for a, b in zip(times, times[1:]))
    steady = bool(steps) and steps.most_common(1)[0][1] >= 0.9 * (count - 1)
    if count > 1 and times[-1] > t0 and not steady:
        # Time bases that cannot hold the frame duration (1/1000 s in Matroska: 33 and 34 ms
        # steps at 30 fps) make the commonest duration a rounded one; the average over the
        # whole stream is then the exact rate. Where one step between timestamps holds (nine in
        # ten or more) that is the rate: a cut's missing last frames must not pull it (30 -> 29.95).
        mean_fps = Fraction(count - 1) / ((times[-1] - t0) * tb)
        if abs(mean_fps - fps) <= Fraction(15, 1000) * mean_fps:
            fps = _snap_fps(mean_fps, Fraction(3, 2) / (times[-1] - t0))  # 1.5 ticks over the span
    # VFR: some |(t - t0) tb - i / fps| > 1 / (2 fps); with 1 / (fps tb) = p / q, in integers
    step = 1 / (fps * tb)
    p, q = step.numerator, step.denominator
    vfr = any(abs(2 * ((t - t0) * q - i * p)) > p for i, t in enumerate(times))
    return fps, count, vfr, t0 * tb, read_error


def _snap_fps(value: Fraction, rel: Fraction) -> Fraction:
    """A measured rate to the standard one within ``rel`` (relative): 29.97.. -> 30000/1001, 30.0.. -> 30."""
    tol = max(float(rel), 1e-5) * float(value)
    candidates = [Fraction(base * 1000, 1001) for base in (24, 30, 48, 60, 120)]
    if round(value) > 0:
        candidates.append(Fraction(round(value)))
    best = min(candidates, key=lambda c: abs(value - c))
    return best if abs(float(value - best)) <= tol else value.limit_denominator(1001)


_times_cache: dict[tuple, tuple[Fraction, list[int], frozenset[int]]] = {}  # (tb, sorted pts, keyframe pts)
_NOPTS = -(2 ** 62)   # framecrc prints AV_NOPTS_VALUE (-2**63) for a packet without a timestamp


def _remember_times(path: Path, tb: Fraction, times: list[int], key_pts) -> None:
    while len(_times_cache) >= 4:
        _times_cache.pop(next(iter(_times_cache)))
    _times_cache[_cache_key(path)] = (tb, times, frozenset(key_pts))


def _cache_key(path: Path) -> tuple:
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def frame_times(info: MediaInfo) -> list[Fraction]:
    """Presentation time of every video frame, in seconds from the first frame, exact.

    The n-th entry belongs to the n-th array of ``decode_frames`` (which passes
    every decoded frame through, in presentation order). For a constant frame
    rate this is ``n / info.fps``; for variable-frame-rate input it is the
    packet timestamps, sorted. Read from the container's packets (no decoding);
    the probe's reading is reused when the file has not changed.
    """
    path = Path(info.path)
    key = _cache_key(path)
    if key not in _times_cache:
        tb, pts, _, keys, _ = _read_packets(path, info.video_stream)
        if tb is None or not pts or any(t <= _NOPTS for t in pts):
            return [Fraction(i) / info.fps for i in range(info.frame_count)]
        _remember_times(path, tb, sorted(pts), [t for t, k in zip(pts, keys) if k])
    tb, times, _ = _times_cache[key]
    t0 = times[0]
    return [(t - t0) * tb for t in times]


def frame_pts(info: MediaInfo) -> tuple[Fraction, list[int]]:
    """(time base, presentation timestamp of every frame counted from the first, in time-base ticks).

    ``frame_times`` in integers: frame k starts ``pts[k] * time_base`` seconds after frame 0.
    """
    times = frame_times(info)
    path = Path(info.path)
    entry = _times_cache.get(_cache_key(path))
    tb = entry[0] if entry else Fraction(1, 1) / info.fps
    return tb, [int(t / tb) for t in times]


def _check_decodable(path: Path, k: int = 0) -> None:
    proc = run(["-v", "error", "-nostdin", "-i", str(path), *_decode_check_args(k)])
    text = proc.stderr
    if proc.returncode != 0 or "Decoder" in text and "not found" in text:
        raise InputError("cannot decode video (" + first_error_line(text) + ")", path)


def analysis_size(info: MediaInfo, width_px: int) -> tuple[int, int]:
    """Even-sized low-resolution frame that keeps the source aspect ratio."""
    w = min(width_px, info.width) // 2 * 2
    h = max(2, int(round(info.height * w / info.width / 2)) * 2)
    return w, h


_index_cache: dict[tuple, tuple[Fraction, dict[int, int], list[int], list[int]]] = {}


def packet_index(info: MediaInfo) -> tuple[Fraction, dict[int, int], list[int], list[int]]:
    """(time base, packet pts -> display index, display indices of keyframes, sorted pts) of the
    picture stream (``info.video_stream``); built once per file (every decode chunk asks for it)."""
    path = Path(info.path)
    key = _cache_key(path)
    if key in _index_cache:
        return _index_cache[key]
    if key not in _times_cache:
        tb, pts, _, keys, _ = _read_packets(path, info.video_stream)
        if tb is None or not pts or any(t <= _NOPTS for t in pts):
            raise NoTimestamps("video stream has no packet timestamps", path)
        _remember_times(path, tb, sorted(pts), [t for t, k in zip(pts, keys) if k])
    tb, times, key_pts = _times_cache[key]
    index_of = {t: i for i, t in enumerate(times)}
    entry = (tb, index_of, sorted(index_of[t] for t in key_pts if t in index_of), times)
    while len(_index_cache) >= 2:
        _index_cache.pop(next(iter(_index_cache)))
    _index_cache[key] = entry
    return entry
