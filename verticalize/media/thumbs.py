"""Small pictures of chosen source frames, for the review page.

``grab_frames`` decodes only the frames asked for, at low resolution: the
keyframes among them in ONE ffmpeg pass that drops every other packet before
the decoder (the ``noise`` bitstream filter's ``drop`` expression), so a
keyframe costs one intra decode whatever the film's length; any other frame
by a seek from the keyframe before it. ``read_video`` reads every frame of a
small video (the review's 9:16 previews).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from verticalize.errors import InputError, NoTimestamps
from verticalize.media.decode import decode_indexed, picture_filters
from verticalize.media.ffmpeg import Stream, first_error_line
from verticalize.media.probe import MediaInfo, packet_index


def keyframes(info: MediaInfo) -> list[int]:
    """Display indices of the video's keyframes (frames that decode on their own), ascending."""
    return list(packet_index(info)[2])


def _read_rgb(args: list[str], width: int, height: int, path) -> list[np.ndarray]:
    """Every rawvideo RGB frame ffmpeg ``args`` writes to stdout."""
    size = width * height * 3
    proc = Stream(args, bufsize=size * 4)
    frames = []
    try:
        while True:
            buf = proc.stdout.read(size)
            if len(buf) < size:
                break
            frames.append(np.frombuffer(buf, np.uint8).reshape(height, width, 3))
    finally:
        rc = proc.close()
    if rc != 0:
        raise InputError("decoding failed (" + first_error_line(proc.stderr) + ")", path)
    return frames


MAX_KEYFRAMES_PER_PASS = 2000  # keeps the drop expression (about 20 bytes a frame) under the 128 KiB argument limit


def _any_of(terms: list[str]) -> str:
    """``terms`` summed as a shallow tree: ffmpeg's expression parser refuses a flat sum of ~100 terms."""
    while len(terms) > 8:
        terms = ["(" + "+".join(terms[i:i + 8]) + ")" for i in range(0, len(terms), 8)]
    return "+".join(terms)


def grab_keyframes(info: MediaInfo, frames: list[int], width: int, height: int) -> dict[int, np.ndarray]:
    """RGB ``(height, width, 3)`` pictures of the keyframes ``frames`` (display indices), one ffmpeg
    pass per ``MAX_KEYFRAMES_PER_PASS``.

    Packets other than these keyframes are dropped before the decoder, so a
    pass costs one intra decode per frame asked for (deblocking skipped: the
    pictures are small) plus reading the file. Raises NoTimestamps when the
    stream gives fewer pictures than asked (a keyframe that does not decode
    on its own): ``grab_frame`` each instead.
    """
    wanted = sorted(set(frames))
    if len(wanted) > MAX_KEYFRAMES_PER_PASS:
        out: dict[int, np.ndarray] = {}
        for k in range(0, len(wanted), MAX_KEYFRAMES_PER_PASS):
            out.update(grab_keyframes(info, wanted[k:k + MAX_KEYFRAMES_PER_PASS], width, height))
        return out
    if not wanted:
        return {}
    _, _, keys, times = packet_index(info)
    keyset = set(keys)
    if any(f not in keyset for f in wanted):
        raise ValueError("grab_keyframes: every frame must be a keyframe")
    # drop = 1 for every packet but the wanted keyframes; if() only evaluates the sum on keyframes
    # (commas escaped: the bitstream filter list splits on them)
    expr = "if(key\\,not(" + _any_of([f"eq(pts\\,{times[f]})" for f in wanted]) + ")\\,1)"
    args = ["-v", "error", "-nostdin", "-threads", "1", "-skip_loop_filter", "all", "-bsf:v", f"noise=drop={expr}",
            "-i", info.path, "-map", "0:v:0", "-an", "-sn", "-fps_mode", "passthrough",
            "-vf", f"{picture_filters(info)}scale={width}:{height}:flags=area", "-pix_fmt", "rgb24",
            "-f", "rawvideo", "pipe:1"]
    got = _read_rgb(args, width, height, info.path)
    if len(got) != len(wanted):
        raise NoTimestamps(f"decoding {len(wanted)} keyframes alone gave {len(got)} pictures", info.path)
    return dict(zip(wanted, got))


def grab_frame(info: MediaInfo, frame: int, width: int, height: int) -> np.ndarray:
    """RGB ``(height, width, 3)`` picture of source frame ``frame`` (display index), exact: a seek to
    the keyframe before it, then every frame decoded up to it."""
    quarter_frame = 0.25 / float(info.fps)
    for margin in (-quarter_frame, 10.0, None):
        for idx, picture in decode_indexed(info, width, height, first=frame, last=frame, seek_margin_s=margin,
                                           threads=1):
            if idx == frame:
                return picture
    raise InputError(f"decoding failed (cannot reach frame {frame})", info.path)


def grab_frames(info: MediaInfo, frames: list[int], width: int, height: int) -> dict[int, np.ndarray]:
    """Pictures of source ``frames`` at ``width`` x ``height`` (RGB uint8): keyframes in one pass
    (``grab_keyframes``), the rest one seek each (``grab_frame``)."""
    keyset = set(keyframes(info))
    keys = [f for f in set(frames) if f in keyset]
    others = [f for f in set(frames) if f not in keyset]
    try:
        out = grab_keyframes(info, keys, width, height)
    except NoTimestamps:
        out, others = {}, others + keys
    for f in sorted(others):
        out[f] = grab_frame(info, f, width, height)
    return out


def read_video(path: str | os.PathLike, width: int, height: int) -> list[np.ndarray]:
    """Every frame of the (small) video ``path`` as RGB ``(height, width, 3)`` uint8, in order."""
    path = Path(path)
    args = ["-v", "error", "-nostdin", "-threads", "1", "-i", str(path), "-map", "0:v:0", "-an", "-sn",
            "-fps_mode", "passthrough", "-vf", f"scale={width}:{height}:flags=area", "-pix_fmt", "rgb24",
            "-f", "rawvideo", "pipe:1"]
    return _read_rgb(args, width, height, path)

