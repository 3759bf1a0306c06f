"""Probe and streaming decode with the ffmpeg binary bundled by imageio-ffmpeg.

There is no ffprobe: probing reads ``ffmpeg -i`` stream lines and counts video
packets with the ``framecrc`` muxer, which also gives the exact rational frame
rate from the packet durations and the stream time base.
"""
from __future__ import annotations

import logging
import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from verticalize.errors import InputError

log = logging.getLogger(__name__)

_IMAGE_CODECS = {"png", "mjpeg", "bmp", "gif", "tiff", "webp", "jpegls", "jpeg2000", "ppm", "pgm", "pam"}


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary (``$VERTICALIZE_FFMPEG`` overrides imageio-ffmpeg's)."""
    env = os.environ.get("VERTICALIZE_FFMPEG")
    if env:
        return env
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class MediaInfo:
    """What the analysis needs to know about a source file."""

    path: str
    width: int
    height: int
    fps: Fraction           # frames per second, exact
    frame_count: int        # video packets in the first video stream
    has_audio: bool
    codec: str
    vfr: bool               # some frame is more than half a frame from index / fps (see frame_times)


def _check_path(path: Path) -> None:
    if not path.exists():
        raise InputError("no such file", path)
    if path.is_dir():
        raise InputError("is a directory, not a video file", path)
    if path.stat().st_size == 0:
        raise InputError("file is empty", path)


def _first_error_line(stderr: str, default: str = "ffmpeg failed") -> str:
    """The first non-empty line of ffmpeg's stderr, without its ``[component @ addr]`` prefixes."""
    for line in stderr.splitlines():
        line = re.sub(r"^(\[[^\]]*\]\s*)+", "", line.strip())
        if line:
            return line
    return default


_STREAM_RE = re.compile(r"Stream #0:(\d+)[^:]*: (Video|Audio|Subtitle|Data|Attachment): (\S+?)[\s,(]")
_SIZE_RE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_FPS_RE = re.compile(r"([\d.]+) (?:fps|tbr)")


def probe(path: str | os.PathLike) -> MediaInfo:
    """Read width, height, exact fps, frame count and audio presence of ``path``.

    Raises InputError with one line for missing, non-media, truncated or
    undecodable input, or input without a video stream.
    """
    path = Path(path)
    _check_path(path)
    ff = ffmpeg_exe()
    head = subprocess.run([ff, "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True, errors="replace")
    err = head.stderr
    if "moov atom not found" in err:
        if _looks_like_isobmff(path):
            raise InputError("truncated or corrupt MP4 (moov atom not found)", path)
        raise InputError("not a video file (no MP4 structure; is it a renamed file?)", path)
    if "Error opening input" in err or "Invalid data found" in err and "Stream #" not in err:
        raise InputError("not a video file ffmpeg can read (" + _first_error_line(
            "\n".join(l for l in err.splitlines() if "Error" in l or "Invalid" in l)) + ")", path)
    streams = _STREAM_RE.findall(err)
    video = [(i, codec) for i, kind, codec in streams if kind == "Video"]
    has_audio = any(kind == "Audio" for _, kind, _ in streams)
    if not video:
        raise InputError("no video stream" + (" (audio only)" if has_audio else ""), path)
    codec = video[0][1]
    vline = next(l for l in err.splitlines() if re.search(r"Stream #0:%s\b.*Video:" % video[0][0], l))
    if codec == "none":
        raise InputError("unsupported video codec (ffmpeg has no decoder for it)", path)
    size = _SIZE_RE.search(vline.split("Video:", 1)[1])
    if not size:
        raise InputError("video stream has no frame size", path)
    width, height = int(size.group(1)), int(size.group(2))

    fps, count, vfr = _count_packets(ff, path)
    if fps is None:
        m = _FPS_RE.search(vline)
        if not m:
            raise InputError("video stream has no frame rate", path)
        fps = _rational_fps(m.group(1))
    if count < 2 or codec in _IMAGE_CODECS and count < 2:
        raise InputError(f"not a video (a still {codec} image)" if codec in _IMAGE_CODECS
                         else "video stream has fewer than 2 frames", path)
    dur = _DURATION_RE.search(err)
    if dur:
        seconds = int(dur.group(1)) * 3600 + int(dur.group(2)) * 60 + float(dur.group(3))
        expected = seconds * float(fps)
        if vfr:  # no single rate: the frames' own average rate
            tb, times, _ = _times_cache.get(_cache_key(path), (None, [], None))
            if tb is not None and len(times) > 1 and times[-1] > times[0]:
                expected = seconds * (len(times) - 1) / float((times[-1] - times[0]) * tb)
        if expected > 30 and count < 0.97 * expected:
            raise InputError(f"truncated or corrupt: only {count} of about {int(expected)} frames are readable", path)
    _check_decodable(ff, path)
    return MediaInfo(str(path), width, height, fps, count, has_audio, codec, vfr)


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


def _read_packets(ff: str, path: Path) -> tuple[Fraction | None, list[int], list[int], list[bool]]:
    """(time base, pts, durations, keyframe flags) of the first video stream's packets, in file order."""
    # -copyts: the container's own timestamps, as a decoder run with -copyts reports them
    proc = subprocess.run([ff, "-v", "error", "-nostdin", "-copyts", "-i", str(path), "-map", "0:v:0",
                           "-c", "copy", "-f", "framecrc", "-"],
                          capture_output=True, text=True, errors="replace")
    if "partial file" in proc.stderr:
        raise InputError("truncated or corrupt (ffmpeg: partial file)", path)
    if proc.returncode != 0:
        raise InputError("cannot read video packets (" + _first_error_line(proc.stderr) + ")", path)
    tb = None
    pts: list[int] = []
    durations: list[int] = []
    keys: list[bool] = []
    for line in proc.stdout.splitlines():
        if line.startswith("#tb 0:"):
            tb = Fraction(line.split(":", 1)[1].strip())
        elif line and not line.startswith("#"):
            parts = line.split(",")
            pts.append(int(parts[2]))
            durations.append(int(parts[3]))
            flags = next((p.strip()[2:] for p in parts[6:] if p.strip().startswith("F=")), None)
            keys.append(flags is None or bool(int(flags, 16) & 1))  # framecrc omits F= for a plain keyframe
    return tb, pts, durations, keys


def _count_packets(ff: str, path: Path) -> tuple[Fraction | None, int, bool]:
    """Count video packets, derive the exact fps from their durations, and tell VFR from CFR.

    The stream is variable-frame-rate when some frame's presentation time is more
    than half a frame away from ``index / fps`` (so frame numbers alone would give
    wrong timecodes); timestamps rounded to the time base do not count.
    """
    tb, pts, durs, keys = _read_packets(ff, path)
    count = len(pts)
    durations: Counter[int] = Counter(durs)
    if tb is None or not durations:
        return None, count, False
    common, _ = durations.most_common(1)[0]
    if common <= 0:
        return None, count, False
    fps = 1 / (common * tb)
    if any(t <= _NOPTS for t in pts):  # an elementary stream: no timestamps, frames are index / fps
        return fps, count, False
    times = sorted(pts)
    t0 = times[0]
    _remember_times(path, tb, times, [t for t, k in zip(pts, keys) if k])
    if count > 1 and times[-1] > t0:
        # Time bases that cannot hold the frame duration (1/1000 s in Matroska: 33 and 34 ms
        # steps at 30 fps) make the commonest duration a rounded one; the average over the
        # whole stream is then the exact rate.
        mean_fps = Fraction(count - 1) / ((times[-1] - t0) * tb)
        if abs(mean_fps - fps) <= Fraction(15, 1000) * mean_fps:
            fps = _snap_fps(mean_fps, Fraction(3, 2) / (times[-1] - t0))  # 1.5 ticks over the span
    # VFR: some |(t - t0) tb - i / fps| > 1 / (2 fps); with 1 / (fps tb) = p / q, in integers
    step = 1 / (fps * tb)
    p, q = step.numerator, step.denominator
    vfr = any(abs(2 * ((t - t0) * q - i * p)) > p for i, t in enumerate(times))
    return fps, count, vfr


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
        tb, pts, _, keys = _read_packets(ffmpeg_exe(), path)
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


def _check_decodable(ff: str, path: Path) -> None:
    proc = subprocess.run([ff, "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0",
                           "-frames:v", "2", "-f", "null", "-"], capture_output=True, text=True, errors="replace")
    text = proc.stderr
    if proc.returncode != 0 or "Decoder" in text and "not found" in text:
        raise InputError("cannot decode video (" + _first_error_line(text) + ")", path)


def analysis_size(info: MediaInfo, width_px: int) -> tuple[int, int]:
    """Even-sized low-resolution frame that keeps the source aspect ratio."""
    w = min(width_px, info.width) // 2 * 2
    h = max(2, int(round(info.height * w / info.width / 2)) * 2)
    return w, h


def decode_frames(info: MediaInfo, width: int, height: int, threads: int = 0) -> Iterator[np.ndarray]:
    """Yield every source frame, in order, as an RGB ``(height, width, 3)`` uint8 array.

    One frame out per decoded frame (``-fps_mode passthrough``), so the n-th
    array is source frame n. Raises InputError if ffmpeg reports a decoding
    error or the stream ends early.
    """
    from edit.stream import VideoDecode

    yield from VideoDecode(info, width, height, threads=threads)


_index_cache: dict[tuple, tuple[Fraction, dict[int, int], list[int], list[int]]] = {}


def _packet_index(info: MediaInfo) -> tuple[Fraction, dict[int, int], list[int], list[int]]:
    """(time base, packet pts -> display index, display indices of keyframes, sorted pts) of the
    first video stream; built once per file (every decode chunk asks for it)."""
    path = Path(info.path)
    key = _cache_key(path)
    if key in _index_cache:
        return _index_cache[key]
    if key not in _times_cache:
        tb, pts, _, keys = _read_packets(ffmpeg_exe(), path)
        if tb is None or not pts or any(t <= _NOPTS for t in pts):
            raise InputError("video stream has no packet timestamps", path)
        _remember_times(path, tb, sorted(pts), [t for t, k in zip(pts, keys) if k])
    tb, times, key_pts = _times_cache[key]
    index_of = {t: i for i, t in enumerate(times)}
    entry = (tb, index_of, sorted(index_of[t] for t in key_pts if t in index_of), times)
    while len(_index_cache) >= 2:
        _index_cache.pop(next(iter(_index_cache)))
    _index_cache[key] = entry
    return entry


def decode_indexed(info: MediaInfo, width: int, height: int, *, skip: str = "none",
                   first: int = 0, last: int | None = None, seek_margin_s: float | None = 1.0,
                   threads: int = 0) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(frame index, RGB frame)`` for decoded frames, each frame tagged by its timestamp.

    ``skip``: a fast scan for shot detection. ``"noref"`` skips the frames no other
    frame refers to (about half of an H.264 stream with B-frames), ``"bidir"`` every
    B-frame (about three quarters; intra and P-frames remain, and encoders put an
    intra frame on a scene cut); both skip the deblocking filter and scale with a
    bilinear filter. The frames yielded keep their true indices, so a cut between
    two decoded neighbours is still exact. ``first``/``last``: only frames
    first..last (inclusive): decoding starts at the last keyframe at or before
    ``seek_margin_s`` ahead of frame ``first`` (None: no seek, from the start; some
    containers seek coarsely, so a caller that gets fewer frames than asked may
    try again with a wider margin); all of them are decoded. Raises
    InputError when ffmpeg fails or a frame's timestamp is not one of the stream's.
    """
    if skip not in ("none", "noref", "bidir"):
        raise ValueError(f"skip must be none, noref or bidir, not {skip!r}")
    tb, index_of, _, times = _packet_index(info)
    pre = ["-copyts"]
    if skip != "none":
        pre += ["-skip_frame", skip, "-skip_loop_filter", "all"]
        scale = f"scale={width}:{height}:flags=fast_bilinear"
    else:
        scale = f"scale={width}:{height}:flags=area"
    if first > 0 and seek_margin_s is not None:
        # decoding starts at the last keyframe at or before the target (no accurate-seek trimming:
        # frames before ``first`` are dropped here, by index)
        target = float((times[first] - times[0]) * tb) - seek_margin_s
        pre += ["-noaccurate_seek", "-ss", f"{max(0.0, target):.6f}"]
    rfd, wfd = os.pipe()
    # one scaled picture, split: the frames to stdout, a 1x1 copy to a framecrc listing their timestamps
    graph = f"[0:v:0]{scale},format=rgb24,split[px][ts];[ts]scale=1:1:flags=neighbor[tiny]"
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-threads", str(threads), *pre, "-i", info.path,
           "-filter_complex", graph,
           "-map", "[px]", "-fps_mode", "passthrough", "-enc_time_base:v", "demux", "-f", "rawvideo", "pipe:1",
           "-map", "[tiny]", "-fps_mode", "passthrough", "-enc_time_base:v", "demux", "-f", "framecrc",
           "-flush_packets", "1", f"pipe:{wfd}"]
    frame_bytes = width * height * 3
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=frame_bytes * 4,
                            pass_fds=(wfd,))
    os.close(wfd)
    import threading

    err_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    stamps = os.fdopen(rfd, "r", errors="replace")
    out_tb = tb
    stopped = False
    try:
        while True:
            buf = proc.stdout.read(frame_bytes)
            if len(buf) < frame_bytes:
                break
            while True:
                line = stamps.readline()
                if not line:
                    raise InputError("decoding failed (no timestamp for a decoded frame)", info.path)
                if line.startswith("#tb 0:"):
                    out_tb = Fraction(line.split(":", 1)[1].strip())
                elif line.strip() and not line.startswith("#"):
                    break
            pts = int(line.split(",")[2])
            if out_tb != tb:
                pts = int(round(pts * out_tb / tb))
            idx = index_of.get(pts)
            if idx is None:
                raise InputError(f"decoding failed (a frame has timestamp {pts}, no packet has)", info.path)
            if idx < first:
                continue
            if last is not None and idx > last:
                stopped = True
                break
            yield idx, np.frombuffer(buf, np.uint8).reshape(height, width, 3)
    finally:
        if stopped or proc.poll() is None and last is not None:
            proc.kill()
        proc.stdout.close()
        rc = proc.wait()
        reader.join()
        stamps.close()
    stderr = b"".join(err_chunks).decode("utf-8", "replace")
    if rc != 0 and not stopped:
        raise InputError("decoding failed (" + _first_error_line(stderr) + ")", info.path)


def decode_indexed_parallel(info: MediaInfo, width: int, height: int, *, skip: str = "none", workers: int = 0,
                            chunk_s: float | None = None,
                            chunk_max_mb: float = 128.0) -> Iterator[tuple[int, np.ndarray]]:
    """``decode_indexed`` over the whole stream, split at keyframes into chunks of about
    ``chunk_s`` seconds (default: a third of each worker's share, 5 to 60 s, and no
    more frames than fit in ``chunk_max_mb`` MB were every frame decoded)
    decoded by ``workers`` ffmpeg processes at once (0: one per core, at most 4).

    The H.264 decoder gains little from its own threads when it skips frames (the
    intra and P-frames left depend on each other in a chain); chunks that start on
    keyframes are independent. Frames come back in order; at most ``workers + 1``
    chunks are held in memory, so memory is bounded whatever the input's length
    (a chunk is never shorter than one keyframe interval, though).
    """
    from concurrent.futures import ThreadPoolExecutor

    tb, index_of, keys, _ = _packet_index(info)
    n = len(index_of)
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    if chunk_s is None:  # three chunks per worker, each 5..60 s (a chunk's frames wait in memory)
        chunk_s = min(60.0, max(5.0, n / float(info.fps) / (3 * workers)))
    chunk_s = min(chunk_s, chunk_max_mb * 1e6 / (width * height * 3) / float(info.fps))
    step = max(1, int(chunk_s * float(info.fps)))
    starts = [0]
    for k in keys:
        if k >= starts[-1] + step and k < n:
            starts.append(k)
    if workers == 1 or len(starts) == 1:
        yield from decode_indexed(info, width, height, skip=skip, threads=0)
        return
    bounds = list(zip(starts, starts[1:] + [n]))
    quarter_frame = 0.25 / float(info.fps)

    def chunk(first: int, end: int) -> list[tuple[int, np.ndarray]]:
        # a target just after the chunk's keyframe lands on it
        for margin in ((None,) if first == 0 else (-quarter_frame, 10.0, None)):
            got = list(decode_indexed(info, width, height, skip=skip, first=first, last=end - 1,
                                      seek_margin_s=margin, threads=1))
            if got and got[0][0] == first or first == 0:
                return got
        raise InputError(f"decoding failed (cannot reach frame {first})", info.path)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        it = iter(bounds)
        for b in it:
            pending.append(pool.submit(chunk, *b))
            if len(pending) > workers:
                break
        while pending:
            frames = pending.pop(0).result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(chunk, *nxt))
            yield from frames
