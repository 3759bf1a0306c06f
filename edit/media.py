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
    vfr: bool               # packet durations vary


def _check_path(path: Path) -> None:
    if not path.exists():
        raise InputError("no such file", path)
    if path.is_dir():
        raise InputError("is a directory, not a video file", path)
    if path.stat().st_size == 0:
        raise InputError("file is empty", path)


def _first_error_line(stderr: str) -> str:
    for line in stderr.splitlines():
        line = re.sub(r"^\[[^\]]*\]\s*", "", line.strip())
        if line:
            return line
    return "ffmpeg failed"


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


def _count_packets(ff: str, path: Path) -> tuple[Fraction | None, int, bool]:
    """Count video packets and derive the exact fps from their durations."""
    proc = subprocess.run([ff, "-v", "error", "-nostdin", "-i", str(path), "-map", "0:v:0",
                           "-c", "copy", "-f", "framecrc", "-"],
                          capture_output=True, text=True, errors="replace")
    if "partial file" in proc.stderr:
        raise InputError("truncated or corrupt (ffmpeg: partial file)", path)
    if proc.returncode != 0:
        raise InputError("cannot read video packets (" + _first_error_line(proc.stderr) + ")", path)
    tb = None
    durations: Counter[int] = Counter()
    count = 0
    for line in proc.stdout.splitlines():
        if line.startswith("#tb 0:"):
            tb = Fraction(line.split(":", 1)[1].strip())
        elif line and not line.startswith("#"):
            parts = line.split(",")
            count += 1
            durations[int(parts[3])] += 1
    if tb is None or not durations:
        return None, count, False
    common, _ = durations.most_common(1)[0]
    if common <= 0:
        return None, count, False
    fps = 1 / (common * tb)
    vfr = len([d for d, n in durations.items() if n > max(2, count // 100)]) > 1
    return fps, count, vfr


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
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-threads", str(threads), "-i", info.path,
           "-map", "0:v:0", "-fps_mode", "passthrough", "-an", "-sn",
           "-vf", f"scale={width}:{height}:flags=area", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    frame_bytes = width * height * 3
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=frame_bytes * 4)
    import threading

    err_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    n = 0
    try:
        while True:
            buf = proc.stdout.read(frame_bytes)
            if len(buf) < frame_bytes:
                break
            n += 1
            yield np.frombuffer(buf, np.uint8).reshape(height, width, 3)
    finally:
        proc.stdout.close()
        rc = proc.wait()
        reader.join()
    stderr = b"".join(err_chunks).decode("utf-8", "replace")
    if rc != 0:
        raise InputError("decoding failed (" + _first_error_line(stderr) + ")", info.path)
    if "partial file" in stderr:
        raise InputError("truncated or corrupt (ffmpeg: partial file)", info.path)
    if n == 0:
        raise InputError("no frames could be decoded", info.path)
