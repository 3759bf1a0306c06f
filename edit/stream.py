"""The analysis pass's ffmpeg processes: low-resolution RGB video (``VideoDecode``; the
fast scan uses ``edit.media.decode_indexed_parallel``) and mono float audio
(``AudioDecode``), each streamed so nothing of picture or sound size piles up."""
from __future__ import annotations

import subprocess
import threading
from typing import Iterator

import numpy as np

from edit.media import MediaInfo, _first_error_line, ffmpeg_exe
from verticalize.errors import InputError


class VideoDecode:
    """Iterate RGB frames (h, w, 3) uint8, one per decoded frame, in order."""

    def __init__(self, info: MediaInfo, width: int, height: int, threads: int = 0):
        self.info = info
        self.width = width
        self.height = height
        self.threads = threads
        self.frames = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        info, w, h = self.info, self.width, self.height
        cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-threads", str(self.threads), "-i", info.path,
               "-map", "0:v:0", "-fps_mode", "passthrough", "-an", "-sn",
               "-vf", f"scale={w}:{h}:flags=area", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]
        frame_bytes = w * h * 3
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=frame_bytes * 4)
        err: list[bytes] = []
        reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
        reader.start()
        n = 0
        try:
            while True:
                buf = proc.stdout.read(frame_bytes)
                if len(buf) < frame_bytes:
                    break
                n += 1
                yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)
        finally:
            proc.stdout.close()
            rc = proc.wait()
            reader.join()
        stderr = b"".join(err).decode("utf-8", "replace")
        if rc != 0:
            raise InputError("decoding failed (" + _first_error_line(stderr) + ")", info.path)
        if "partial file" in stderr:
            raise InputError("truncated or corrupt (ffmpeg: partial file)", info.path)
        if n == 0:
            raise InputError("no frames could be decoded", info.path)
        self.frames = n


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
        self._proc: subprocess.Popen | None = None

    def start(self) -> "AudioDecode":
        cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-threads", "1", "-i", self.info.path, "-map", "0:a:0",
               "-vn", "-sn", "-ac", "1", "-ar", str(self.rate), "-f", "f32le", "pipe:1"]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()
        return self

    def _pump(self) -> None:
        proc = self._proc
        err: list[bytes] = []
        reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
        reader.start()
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
            proc.stdout.close()
            rc = proc.wait()
            reader.join()
        if self._error is None and rc != 0:
            text = b"".join(err).decode("utf-8", "replace")
            self._error = InputError("audio decoding failed (" + _first_error_line(text) + ")", self.info.path)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        if self._thread is not None:
            self._thread.join()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
