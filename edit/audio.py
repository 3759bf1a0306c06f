"""Audio features for cliffhanger scoring: K-weighted loudness (numba) and speech activity (Silero VAD).

Loudness follows ITU-R BS.1770 / EBU R128: a K-weighting pre-filter (high
shelf + high pass, biquads designed for the actual sample rate), mean square
over a sliding 400 ms window ("momentary"), reported in LUFS once per video
frame. Speech activity is Silero VAD's probability per 32 ms window with
hysteresis (``edit.vad``), mapped to frames.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numba
import numpy as np

from edit.vad import SpeechDetector, speech_per_frame, speech_windows

SAMPLE_RATE = 16000  # analysis rate, Hz; the K-weighting is designed for it


def k_weighting_biquads(rate: int) -> np.ndarray:
    """(2, 6) array of [b0, b1, b2, a0, a1, a2] for the BS.1770 shelf and high-pass at ``rate`` Hz."""
    # Stage 1: high shelf (+4 dB above ~1.7 kHz), analogue prototype values from BS.1770 / libebur128.
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    # Stage 2: high pass at ~38 Hz.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    hp = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, hp], np.float64)


def biquad_cascade(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    """Filter a mono signal through second-order sections ``sos`` (rows b0 b1 b2 a0 a1 a2, a0 = 1)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    if x.ndim != 1 or sos.ndim != 2 or sos.shape[1] != 6:
        raise ValueError("need a 1-D signal and an (n, 6) sos array")
    if not np.all(np.isfinite(x)):
        raise ValueError("signal has NaN or infinite samples")
    out = np.empty_like(x)
    _biquad_stateful_kernel(x, sos, np.zeros((sos.shape[0], 4)), out)
    return out


@numba.njit(cache=True, nogil=True)
def _biquad_stateful_kernel(x, sos, state, out):
    """Filter ``x`` through the cascade ``sos``, continuing from ``state`` (n_sections, 4: x1 x2 y1 y2)."""
    for i in range(x.shape[0]):
        out[i] = x[i]
    for s in range(sos.shape[0]):
        b0, b1, b2, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 4], sos[s, 5]
        x1, x2, y1, y2 = state[s, 0], state[s, 1], state[s, 2], state[s, 3]
        for i in range(out.shape[0]):
            xi = out[i]
            yi = b0 * xi + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            x2 = x1
            x1 = xi
            y2 = y1
            y1 = yi
            out[i] = yi
        state[s, 0], state[s, 1], state[s, 2], state[s, 3] = x1, x2, y1, y2


@numba.njit(cache=True, nogil=True)
def _frame_sums_kernel(csum, base, first_frame, num, den, windows, out, total):
    """Mean squares of the windows ending at frame ends, for frames whose end is covered.

    ``csum``: running sum of squares for absolute samples base..base+len-1 (csum[0]
    is the sum before ``base``); frame k ends at sample (k+1)*num//den. Writes
    ``out[k - first_frame, j]`` for window j and returns the first frame not done.
    ``total`` >= 0 means the stream has ended there (ends beyond it are clamped).
    """
    k = first_frame
    covered = base + csum.shape[0] - 1
    while k - first_frame < out.shape[0]:
        e = (k + 1) * num // den
        if total >= 0:
            e = min(e, total)
        elif e > covered:
            break
        for j in range(windows.shape[0]):
            s0 = max(0, e - windows[j])
            if e > s0:
                out[k - first_frame, j] = (csum[e - base] - csum[s0 - base]) / (e - s0)
            else:
                out[k - first_frame, j] = 0.0
        k += 1
    return k


class AudioAnalyzer:
    """Streaming K-weighted loudness and speech activity, one row per video frame.

    Feed mono float samples (-1..1) at ``rate`` Hz (8000 or 16000, Silero's
    rates) in chunks of any size with ``feed``; ``finish(n_frames)`` returns
    the ``AudioFeatures``. Memory is the per-frame results (two floats a frame),
    one float per 32 ms window and the last 0.4 s of audio.
    """

    def __init__(self, rate: int, fps: Fraction):
        self.rate = int(rate)
        self.fps = Fraction(fps)
        step = Fraction(self.rate) / self.fps   # samples per frame, exact
        self._num, self._den = step.numerator, step.denominator
        self._vad = SpeechDetector(self.rate)
        self._k_sos = k_weighting_biquads(self.rate)
        self._k_state = np.zeros((self._k_sos.shape[0], 4))
        # windows in samples: momentary 400 ms, fast 100 ms (K-weighted)
        self._kwin = np.array([int(0.4 * self.rate), int(0.1 * self.rate)], np.int64)
        self._keep = int(self._kwin.max()) + -(-self._num // self._den) + 2  # a window, a frame, and slack
        self._k_tail = np.zeros(1)   # csum tail: csum[0] is the sum of squares before _base
        self._base = 0               # absolute sample index of tail csum[0]
        self._total = 0
        self._done = 0               # frames computed so far
        self._rows: list[np.ndarray] = []

    def feed(self, samples: np.ndarray) -> None:
        x = np.ascontiguousarray(samples, dtype=np.float64)
        if x.size == 0:
            return
        if not np.all(np.isfinite(x)):
            raise ValueError("signal has NaN or infinite samples")
        k = np.empty_like(x)
        _biquad_stateful_kernel(x, self._k_sos, self._k_state, k)
        self._k_tail = np.concatenate([self._k_tail, self._k_tail[-1] + np.cumsum(k * k)])
        self._vad.feed(samples)
        self._total += x.size
        self._advance(-1)

    def _advance(self, total: int) -> None:
        covered = self._base + self._k_tail.size - 1
        end_frame = (covered * self._den) // self._num + 1 if total < 0 else self._n_final
        if end_frame <= self._done:
            return
        k_out = np.zeros((end_frame - self._done, 2))
        a = _frame_sums_kernel(self._k_tail, self._base, self._done, self._num, self._den, self._kwin, k_out, total)
        rows = k_out[: a - self._done]
        if rows.size:
            self._rows.append(rows)
        self._done = a
        # keep only what later windows can reach
        if total < 0:
            first_needed = max(0, ((self._done + 1) * self._num) // self._den - self._keep)
            drop = min(max(0, first_needed - self._base), self._k_tail.size - 1)
            if drop:
                self._k_tail = self._k_tail[drop:]
                self._base += drop

    def finish(self, n_frames: int) -> "AudioFeatures":
        if n_frames <= 0:
            raise ValueError("n_frames must be positive")
        if self._total == 0:
            return AudioFeatures(np.full(n_frames, -120.0, np.float32), np.full(n_frames, -120.0, np.float32),
                                 np.zeros(n_frames, bool), self.rate)
        self._n_final = n_frames
        if self._done < n_frames:
            self._advance(self._total)
        ms = np.concatenate(self._rows)[:n_frames]
        prob = self._vad.finish()
        win = speech_windows(prob, self._vad.window / self.rate, energy_db=self._vad.energy_db())
        speech = speech_per_frame(win, self._vad.window, self.rate, self.fps, n_frames)
        return _features_from_mean_squares(ms[:, 0], ms[:, 1], speech, self.rate)


@dataclass(frozen=True)
class AudioFeatures:
    loudness_lufs: np.ndarray   # momentary loudness (400 ms) per video frame, LUFS (-120 for silence)
    loudness_fast: np.ndarray   # K-weighted loudness over the last 100 ms, LUFS, for onsets and drops
    speech: np.ndarray          # bool per video frame: Silero VAD speech (hysteresis, edit.vad)
    rate: int


def audio_features(samples: np.ndarray, rate: int, n_frames: int, fps: Fraction) -> AudioFeatures:
    """Per-frame loudness and speech activity of mono float samples (-1..1) at ``rate`` Hz (8000 or 16000).

    The whole signal at once; ``AudioAnalyzer`` does the same on a stream.
    """
    if n_frames <= 0:
        raise ValueError("n_frames must be positive")
    an = AudioAnalyzer(rate, fps)
    x = np.asarray(samples)
    for i in range(0, x.size, 1 << 16):
        an.feed(x[i:i + (1 << 16)])
    return an.finish(n_frames)


def _features_from_mean_squares(ms, ms_fast, speech, rate: int) -> AudioFeatures:
    lufs = np.where(ms > 1e-12, -0.691 + 10 * np.log10(np.maximum(ms, 1e-12)), -120.0)
    fast = np.where(ms_fast > 1e-12, -0.691 + 10 * np.log10(np.maximum(ms_fast, 1e-12)), -120.0)
    return AudioFeatures(lufs.astype(np.float32), fast.astype(np.float32), speech, rate)


def _runs(mask: np.ndarray):
    out, s = [], 0
    for i in range(1, len(mask) + 1):
        if i == len(mask) or mask[i] != mask[s]:
            out.append((bool(mask[s]), s, i))
            s = i
    return out


def speech_spans(speech: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) frame runs of speech."""
    return [(s, e) for v, s, e in _runs(speech) if v]
