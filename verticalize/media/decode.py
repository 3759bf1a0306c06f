"""Streaming decode for the analysis: low-resolution RGB video, every frame
(``decode_frames``) or only the frames a fast scan needs, tagged with their
index (``decode_indexed``, ``decode_indexed_parallel``), and mono float audio
(``AudioDecode``); each streamed so nothing of picture or sound size piles up."""
from __future__ import annotations

import os
import threading
from fractions import Fraction
from typing import Iterator

import numpy as np

from verticalize.errors import InputError, NoTimestamps
from verticalize.media.ffmpeg import Stream, first_error_line
from verticalize.media.probe import MediaInfo, packet_index


class VideoDecode:
    """Iterate RGB frames (h, w, 3) uint8, one per decoded frame, in order."""

    def __init__(self, info: MediaInfo, width: int, height: int, threads: int = 0, crop=None,
                 keyframes_to: KeyframeJpegs | None = None):
        self.info = info
        self.width = width
        self.height = height
        self.threads = threads
        self.crop = crop
        self.keyframes_to = keyframes_to

    def __iter__(self) -> Iterator[np.ndarray]:
        info, w, h = self.info, self.width, self.height
        frame_bytes = w * h * 3
        scaled = f"{crop_filter(self.crop)}scale={w}:{h}:flags=area,format=rgb24"
        if self.keyframes_to is None:
            graph = ["-map", info.video_map, "-vf", f"{picture_filters(info)}{scaled}"]
        else:
            graph = ["-filter_complex", self.keyframes_to.graph(picture_filters(info), f"{scaled}[px]", info.video_map),
                     "-map", "[px]"]
        proc = Stream(["-v", "error", "-nostdin", "-threads", str(self.threads),
                       *(["-copyts"] if self.keyframes_to is not None else []), "-i", info.path,
                       *graph, "-fps_mode", "passthrough", "-an", "-sn", "-f", "rawvideo", "pipe:1",
                       *(self.keyframes_to.output() if self.keyframes_to is not None else [])],
                      bufsize=frame_bytes * 4)
        n = 0
        try:
            while True:
                buf = proc.stdout.read(frame_bytes)
                if len(buf) < frame_bytes:
                    break
                n += 1
                yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)
        finally:
            rc = proc.close()
        if rc != 0:
            raise InputError("decoding failed (" + first_error_line(proc.stderr) + ")", info.path)
        if "partial file" in proc.stderr:
            raise InputError("truncated or corrupt (ffmpeg: partial file)", info.path)
        if n == 0:
            raise InputError("no frames could be decoded", info.path)


class AudioDecode:
    """Decode the first audio stream to mono float32 at ``rate`` Hz in a background
    ffmpeg process, handing chunks of about 1 s to ``sink`` (a callable) as they come.

    ``start()`` returns at once; ``join()`` waits and raises InputError if ffmpeg
    failed. Nothing but one chunk is held in memory.
    """

    def __init__(self, info: MediaInfo, rate: int, sink):
        self.info = info
        self.rate = int(rate)
        self.sink = sink
        self.samples = 0
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._proc: Stream | None = None

    def start(self) -> "AudioDecode":
        # from the video's first frame on: sample k belongs to the time of video frame k * fps / rate
        seek = ["-ss", f"{float(self.info.start_s):.6f}"] if self.info.start_s else []
        self._proc = Stream(["-v", "error", "-nostdin", "-threads", "1", *seek, "-i", self.info.path, "-map", "0:a:0",
                             "-vn", "-sn", "-ac", "1", "-ar", str(self.rate), "-f", "f32le", "pipe:1"])
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()
        return self

    def _pump(self) -> None:
        proc = self._proc
        chunk = self.rate * 4  # one second of float32
        rest = b""
        try:
            while True:
                buf = proc.stdout.read(chunk)
                if not buf:
                    break
                buf = rest + buf
                cut = len(buf) // 4 * 4
                rest = buf[cut:]
                if cut:
                    self.sink(np.frombuffer(buf[:cut], np.float32))
                    self.samples += cut // 4
        except BaseException as e:  # handed to join()
            self._error = e
            proc.kill()
        finally:
            rc = proc.close()
        if self._error is None and rc != 0:
            self._error = InputError("audio decoding failed (" + first_error_line(proc.stderr) + ")", self.info.path)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
        if self._thread is not None:
            self._thread.join()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error


def picture_filters(info: MediaInfo) -> str:
    """Filters (each followed by a comma) that make decoded frames the picture players show, before
    scaling: deinterlacing of interlaced streams. (ffmpeg applies the display rotation itself; the
    sample aspect ratio is applied by scaling to the displayed size.)"""
    return "bwdif=mode=send_frame:deint=interlaced," if info.interlaced else ""


class KeyframeJpegs:
    """A second output of a decode: every keyframe (as the decoder flags it) scaled to ``height`` px
    (width to the picture's aspect, even) and written by ffmpeg as ``<folder>/<pts>.jpg``, the pts in
    the stream's time base (``-copyts``): no Python, no extra decode. The caller maps pts to frames."""

    def __init__(self, folder: str | os.PathLike, height: int, quality: int = 3):
        self.folder = str(folder)
        self.height = int(height)
        self.quality = int(quality)  # ffmpeg's -q:v for MJPEG: 2 (best) .. 31

    def graph(self, pictures: str, rest: str, stream: str) -> str:
        """A decode's filter graph with this output beside it: video ``stream`` through ``pictures`` (filters
        ending in a comma, or "": the displayed pictures), split into the decode's own chain ``rest``
        and the keyframes' branch to ``[keyjpeg]``."""
        return (f"[{stream}]{pictures}split[all][key];[all]{rest};"
                f"[key]select=key,scale=-2:{self.height}:flags=area,format=yuvj420p[keyjpeg]")

    def output(self) -> list[str]:
        # atomic: a chunk's process stopped while writing leaves no half picture (the next chunk writes it whole)
        return ["-map", "[keyjpeg]", "-fps_mode", "passthrough", "-enc_time_base:v", "demux", "-frame_pts", "1",
                "-atomic_writing", "1", "-q:v", str(self.quality), "-f", "image2",
                os.path.join(self.folder, "%d.jpg")]


def decode_frames(info: MediaInfo, width: int, height: int, threads: int = 0, crop=None,
                  keyframes_to: KeyframeJpegs | None = None) -> Iterator[np.ndarray]:
    """Yield every source frame, in order, as an RGB ``(height, width, 3)`` uint8 array.

    One frame out per decoded frame (``-fps_mode passthrough``), so the n-th
    array is source frame n. ``crop``: (x0, x1, y0, y1), the part of the displayed
    picture kept before scaling, in fractions of its width and height (None: all).
    Raises InputError if ffmpeg reports a decoding error or the stream ends early. ``keyframes_to``:
    the keyframes also written as JPEG files (``KeyframeJpegs``).
    """
    yield from VideoDecode(info, width, height, threads=threads, crop=crop, keyframes_to=keyframes_to)


def crop_filter(crop) -> str:
    """The ``crop`` filter (followed by a comma) keeping (x0, x1, y0, y1) of the picture, in
    fractions of its width and height; "" for None."""
    if crop is None:
        return ""
    x0, x1, y0, y1 = (float(v) for v in crop)
    if not (0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1):
        raise ValueError(f"crop {crop!r}: 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1 expected")
    return f"crop=w=iw*{x1 - x0:.6f}:h=ih*{y1 - y0:.6f}:x=iw*{x0:.6f}:y=ih*{y0:.6f},"


def decode_indexed(info: MediaInfo, width: int, height: int, *, skip: str = "none",
                   first: int = 0, last: int | None = None, seek_margin_s: float | None = 1.0,
                   threads: int = 0, keyframes_to: KeyframeJpegs | None = None) -> Iterator[tuple[int, np.ndarray]]:
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
    tb, index_of, _, times = packet_index(info)
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
    rest = f"{scale},format=rgb24,split[px][ts];[ts]scale=1:1:flags=neighbor[tiny]"
    if keyframes_to is None:
        graph = f"[{info.video_map}]{picture_filters(info)}{rest}"
    else:
        # a chunk ends on its own after its last frame (not stopped early: its last keyframes' JPEGs
        # may still be on their way when the raw frames after them come out)
        trim = f"trim=end_pts={times[last] + 1}," if last is not None else ""
        graph = keyframes_to.graph(f"{trim}{picture_filters(info)}", rest, info.video_map)
    args = ["-v", "error", "-nostdin", "-threads", str(threads), *pre, "-i", info.path,
           "-filter_complex", graph,
           "-map", "[px]", "-fps_mode", "passthrough", "-enc_time_base:v", "demux", "-f", "rawvideo", "pipe:1",
           "-map", "[tiny]", "-fps_mode", "passthrough", "-enc_time_base:v", "demux", "-f", "framecrc",
           "-flush_packets", "1", f"pipe:{wfd}", *(keyframes_to.output() if keyframes_to is not None else [])]
    frame_bytes = width * height * 3
    proc = Stream(args, bufsize=frame_bytes * 4, pass_fds=(wfd,))
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
                    raise NoTimestamps("decoding failed (no timestamp for a decoded frame)", info.path)
                if line.startswith("#tb 0:"):
                    out_tb = Fraction(line.split(":", 1)[1].strip())
                elif line.strip() and not line.startswith("#"):
                    break
            pts = int(line.split(",")[2])
            if out_tb != tb:
                pts = int(round(pts * out_tb / tb))
            idx = index_of.get(pts)
            if idx is None:
                raise NoTimestamps(f"decoding failed (a frame has timestamp {pts}, no packet has)", info.path)
            if idx < first:
                continue
            if last is not None and idx > last:
                stopped = True
                break
            yield idx, np.frombuffer(buf, np.uint8).reshape(height, width, 3)
    finally:
        rc = proc.close(kill=stopped or proc.running() and last is not None)
        stamps.close()
    if rc != 0 and not stopped:
        raise InputError("decoding failed (" + first_error_line(proc.stderr) + ")", info.path)


def decode_span(info: MediaInfo, width: int, height: int, first: int, last: int, *, skip: str = "none",
                threads: int = 1, keyframes_to: KeyframeJpegs | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """``decode_indexed`` of frames ``first..last`` (inclusive) that starts with frame ``first``,
    seeking to the keyframe before it. Some containers seek coarsely: a try whose first frame
    comes after ``first``, that yields nothing, or that fails before its first frame is made again
    from 10 s earlier, then from the start. Raises that last failure (InputError, NoTimestamps), or
    InputError "cannot reach frame" when every try started late; a failure after frames were
    yielded is raised as it comes. ``first`` 0: one try from the start, taken as it comes (an
    empty stream yields nothing)."""
    listed = len(packet_index(info)[3])
    if not 0 <= first < listed:
        raise InputError(f"decoding failed (cannot reach frame {first}: the stream lists {listed})", info.path)
    if first == 0:
        yield from decode_indexed(info, width, height, skip=skip, first=0, last=last, seek_margin_s=None,
                                  threads=threads, keyframes_to=keyframes_to)
        return
    quarter_frame = 0.25 / float(info.fps)
    failure: InputError | None = None
    for margin in (-quarter_frame, 10.0, None):  # a target just after the frame lands on its keyframe
        sent = 0
        try:
            for idx, frame in decode_indexed(info, width, height, skip=skip, first=first, last=last,
                                             seek_margin_s=margin, threads=threads, keyframes_to=keyframes_to):
                if sent == 0 and idx != first:
                    break  # the seek landed past the frame: a wider margin
                yield idx, frame
                sent += 1
        except InputError as e:
            if sent:
                raise
            failure = e
            continue
        if sent:
            return
        failure = None
    raise failure or InputError(f"decoding failed (cannot reach frame {first})", info.path)


def decode_indexed_parallel(info: MediaInfo, width: int, height: int, *, skip: str = "none", workers: int = 0,
                            chunk_s: float | None = None, min_chunk_s: float = 5.0,
                            chunk_max_mb: float = 128.0, keyframes_to: KeyframeJpegs | None = None
                            ) -> Iterator[tuple[int, np.ndarray]]:
    """``decode_indexed`` over the whole stream, split at keyframes into chunks of about
    ``chunk_s`` seconds (default: a third of each worker's share, at most 60 s and at
    least ``min_chunk_s`` or the whole share where that is shorter, never under 5 s; and
    no more frames than fit in ``chunk_max_mb`` MB were every frame decoded)
    decoded by ``workers`` ffmpeg processes at once (0: one per core, at most 4).

    Each process costs a start-up (opening the input reads and decodes its first
    frames: about as much as decoding a second or two of skipped 1080p), so a caller
    that consumes frames quickly (the shot scan) asks for longer chunks; one that
    works on each frame (the analysis) keeps them short, so its work starts sooner.

    The H.264 decoder gains little from its own threads when it skips frames (the
    intra and P-frames left depend on each other in a chain); chunks that start on
    keyframes are independent. Frames come back in order; at most ``workers + 1``
    chunks are held in memory, so memory is bounded whatever the input's length
    (a chunk is never shorter than one keyframe interval, though). ``keyframes_to``: as
    ``decode_indexed`` (each chunk writes its own keyframes).
    """
    import queue
    from concurrent.futures import ThreadPoolExecutor

    tb, index_of, keys, _ = packet_index(info)
    n = len(index_of)
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    if chunk_s is None:  # three chunks per worker, each 5..60 s (a chunk's frames wait in memory)
        share = n / float(info.fps) / workers
        chunk_s = min(60.0, max(5.0, share / 3, min(min_chunk_s, share)))
    chunk_s = min(chunk_s, chunk_max_mb * 1e6 / (width * height * 3) / float(info.fps))
    step = max(1, int(chunk_s * float(info.fps)))
    starts = [0]
    for k in keys:
        if k >= starts[-1] + step and k < n:
            starts.append(k)
    if workers == 1 or len(starts) == 1:
        yield from decode_indexed(info, width, height, skip=skip, threads=0, keyframes_to=keyframes_to)
        return
    bounds = list(zip(starts, starts[1:] + [n]))

    def chunk(first: int, end: int, out: "queue.SimpleQueue") -> None:
        # frames go to ``out`` as they are decoded (the consumer starts on the first one), then None
        try:
            for item in decode_span(info, width, height, first, end - 1, skip=skip, threads=1,
                                    keyframes_to=keyframes_to):
                out.put(item)
        except BaseException as e:  # handed to the consumer
            out.put(e)
        finally:
            out.put(None)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        def start(b: tuple[int, int]):
            q: queue.SimpleQueue = queue.SimpleQueue()
            return pool.submit(chunk, *b, q), q

        pending = []
        it = iter(bounds)
        for b in it:
            pending.append(start(b))
            if len(pending) > workers:
                break
        while pending:
            done, q = pending.pop(0)
            nxt = next(it, None)
            if nxt is not None:
                pending.append(start(nxt))
            while (item := q.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
            done.result()
