"""Audio features for cliffhanger scoring, in numba: K-weighted loudness and speech activity.

Loudness follows ITU-R BS.1770 / EBU R128: a K-weighting pre-filter (high
shelf + high pass, biquads designed for the actual sample rate), mean square
over a sliding 400 ms window ("momentary"), reported in LUFS once per video
frame. Speech activity is energy in the 300–3400 Hz band well above the
film's own noise floor.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numba
import numpy as np

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


def bandpass_biquad(rate: int, low_hz: float, high_hz: float) -> np.ndarray:
    """(1, 6) band-pass biquad (constant 0 dB peak) spanning low_hz..high_hz."""
    f0 = math.sqrt(low_hz * high_hz)
    q = f0 / (high_hz - low_hz)
    w0 = 2 * math.pi * f0 / rate
    alpha = math.sin(w0) / (2 * q)
    a0 = 1 + alpha
    return np.array([[alpha / a0, 0.0, -alpha / a0, 1.0, -2 * math.cos(w0) / a0, (1 - alpha) / a0]])


@numba.njit(cache=True, nogil=True)
def _biquad_cascade_kernel(x, sos):
    y = x.astype(np.float64)
    for s in range(sos.shape[0]):
        b0, b1, b2, _, a1, a2 = sos[s, 0], sos[s, 1], sos[s, 2], sos[s, 3], sos[s, 4], sos[s, 5]
        x1 = x2 = y1 = y2 = 0.0
        for i in range(y.shape[0]):
            xi = y[i]
            yi = b0 * xi + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            x2 = x1
            x1 = xi
            y2 = y1
            y1 = yi
            y[i] = yi
    return y


@numba.njit(cache=True, nogil=True)
def _windowed_mean_square_kernel(y, frame_ends, window):
    """Mean of y^2 over the ``window`` samples ending at each frame end (fewer at the start)."""
    csum = np.zeros(y.shape[0] + 1)
    for i in range(y.shape[0]):
        csum[i + 1] = csum[i] + y[i] * y[i]
    out = np.empty(frame_ends.shape[0])
    for k in range(frame_ends.shape[0]):
        e = min(max(frame_ends[k], 0), y.shape[0])
        s = max(0, e - window)
        out[k] = (csum[e] - csum[s]) / (e - s) if e > s else 0.0
    return out


def biquad_cascade(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    """Filter a mono signal through second-order sections ``sos`` (rows b0 b1 b2 a0 a1 a2, a0 = 1)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    if x.ndim != 1 or sos.ndim != 2 or sos.shape[1] != 6:
        raise ValueError("need a 1-D signal and an (n, 6) sos array")
    if not np.all(np.isfinite(x)):
        raise ValueError("signal has NaN or infinite samples")
    return _biquad_cascade_kernel(x, sos)


def _frame_ends(n_frames: int, fps: Fraction, rate: int) -> np.ndarray:
    """Sample index just after each video frame's start + one frame, exactly."""
    return np.array([int((k + 1) * rate / fps) for k in range(n_frames)], np.int64)


@dataclass(frozen=True)
class AudioFeatures:
    loudness_lufs: np.ndarray   # momentary loudness (400 ms) per video frame, LUFS (-120 for silence)
    loudness_fast: np.ndarray   # K-weighted loudness over the last 100 ms, LUFS, for onsets and drops
    speech: np.ndarray          # bool per video frame: speech-band activity
    rate: int


def audio_features(samples: np.ndarray, rate: int, n_frames: int, fps: Fraction,
                   speech_margin_db: float = 12.0) -> AudioFeatures:
    """Per-frame loudness and speech activity of mono float samples (-1..1) at ``rate`` Hz."""
    if n_frames <= 0:
        raise ValueError("n_frames must be positive")
    ends = _frame_ends(n_frames, Fraction(fps), rate)
    if samples.size == 0:
        return AudioFeatures(np.full(n_frames, -120.0), np.full(n_frames, -120.0), np.zeros(n_frames, bool), rate)
    k = biquad_cascade(samples, k_weighting_biquads(rate))
    ms = _windowed_mean_square_kernel(k, ends, int(0.4 * rate))
    lufs = np.where(ms > 1e-12, -0.691 + 10 * np.log10(np.maximum(ms, 1e-12)), -120.0)
    ms_fast = _windowed_mean_square_kernel(k, ends, int(0.1 * rate))
    fast = np.where(ms_fast > 1e-12, -0.691 + 10 * np.log10(np.maximum(ms_fast, 1e-12)), -120.0)
    # speech: speech-band energy well above the floor AND the syllable-rate flicker of
    # speech (a sustained tone or music bed is loud but steady)
    band = biquad_cascade(samples, bandpass_biquad(rate, 300.0, 3400.0))
    # each frame's own samples, so a sound that stops at a cut does not leak past it
    bms = _windowed_mean_square_kernel(band, ends, max(1, int(rate / Fraction(fps))))
    band_db = 10 * np.log10(np.maximum(bms, 1e-12))
    floor = np.percentile(band_db, 10)
    loud = band_db > floor + speech_margin_db
    # syllables: at least 3 jumps of 6 dB within half a second either side (an onset
    # or the end of a steady sound is one jump)
    jumps = np.zeros(n_frames)
    jumps[1:] = np.abs(np.diff(band_db)) > 6.0
    flicker = _rolling_sum(jumps, max(2, int(round(0.5 * float(fps)))))
    speech = _close_open(loud, int(round(0.3 * float(fps))), 1) & (flicker >= 3)
    # close gaps shorter than 0.3 s and drop blips shorter than 0.2 s
    speech = _close_open(speech, int(round(0.3 * float(fps))), int(round(0.2 * float(fps))))
    return AudioFeatures(lufs.astype(np.float32), fast.astype(np.float32), speech, rate)


def _rolling_sum(x: np.ndarray, half: int) -> np.ndarray:
    """Sum over a centred window of 2*half+1 samples (shrunk at the ends)."""
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    i = np.arange(len(x))
    return c[np.minimum(len(x), i + half + 1)] - c[np.maximum(0, i - half)]


def _close_open(mask: np.ndarray, close: int, open_: int) -> np.ndarray:
    m = mask.copy()
    runs = _runs(m)
    for v, s, e in runs:  # fill short gaps
        if not v and e - s <= close and s > 0 and e < len(m):
            m[s:e] = True
    for v, s, e in _runs(m):  # drop short blips
        if v and e - s < open_:
            m[s:e] = False
    return m


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
