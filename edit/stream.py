"""One ffmpeg process for the analysis pass: low-resolution RGB video on stdout and
mono float audio on a second pipe, so the source is decoded exactly once."""
from __future__ import annotations

import os
import subprocess
import threading
from typing import Iterator

import numpy as np

from edit.media import MediaInfo, _first_error_line, ffmpeg_exe
from verticalize.errors import InputError


class AnalysisDecode:
    """Iterate RGB frames (h, w, 3) uint8, one per decoded frame; then read ``audio``.

    ``audio`` is a float32 mono array at ``audio_rate`` Hz (empty without an
    audio stream), complete once iteration has finished.
    """

    def __init__(self, info: MediaInfo, width: int, height: int, audio_rate: int = 16000, threads: int = 0,
                 with_audio: bool = True):
        self.info = info
        self.with_audio = with_audio
        self.width = width
        self.height = height
        self.audio_rate = audio_rate
        self.threads = threads
        self.audio = np.zeros(0, np.float32)
        self.frames = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        info, w, h = self.info, self.width, self.height
        cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", "-threads", str(self.threads), "-i", info.path,
               "-map", "0:v:0", "-fps_mode", "passthrough", "-an", "-sn",
               "-vf", f"scale={w}:{h}:flags=area", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]
        audio_r = audio_w = None
        if info.has_audio and self.with_audio:
            audio_r, audio_w = os.pipe()
            cmd += ["-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(self.audio_rate), "-f", "f32le",
                    f"pipe:{audio_w}"]
        frame_bytes = w * h * 3
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=frame_bytes * 4,
                                pass_fds=(audio_w,) if audio_w is not None else ())
        if audio_w is not None:
            os.close(audio_w)
        chunks: list[bytes] = []
        err: list[bytes] = []

        def read_audio():
            with os.fdopen(audio_r, "rb") as f:
                while True:
                    b = f.read(1 << 16)
                    if not b:
                        break
                    chunks.append(b)

        threads = [threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)]
        if audio_r is not None:
            threads.append(threading.Thread(target=read_audio, daemon=True))
        for t in threads:
            t.start()
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
            for t in threads:
                t.join()
        stderr = b"".join(err).decode("utf-8", "replace")
        if rc != 0:
            raise InputError("decoding failed (" + _first_error_line(stderr) + ")", info.path)
        if "partial file" in stderr:
            raise InputError("truncated or corrupt (ffmpeg: partial file)", info.path)
        if n == 0:
            raise InputError("no frames could be decoded", info.path)
        raw = b"".join(chunks)
        self.audio = np.frombuffer(raw[: len(raw) // 4 * 4], np.float32)
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
