"""A small formant synthesiser: vowel-consonant syllables that Silero VAD hears as speech.

A glottal pulse train (pitch gliding around ``f0``, a little jitter) through three
vowel formant resonators, each syllable opened by a short fricative burst; 4-6
syllables a second. No network, no model files: numpy and the project's biquads.
"""
from __future__ import annotations

import math

import numpy as np

from edit.audio import biquad_cascade

VOWEL_FORMANTS_HZ = {"a": (730, 1090, 2440), "i": (270, 2290, 3010), "u": (300, 870, 2240),
                     "e": (530, 1840, 2480), "o": (570, 840, 2410)}


def _resonator(rate: int, f_hz: float, bw_hz: float) -> np.ndarray:
    r = math.exp(-math.pi * bw_hz / rate)
    return np.array([[1 - r, 0.0, 0.0, 1.0, -2 * r * math.cos(2 * math.pi * f_hz / rate), r * r]])


def formant_speech(seconds: float, rng: np.random.Generator, f0_hz: float = 120.0, rate: int = 16000,
                   peak: float = 0.5) -> np.ndarray:
    """About ``seconds`` of syllables (ends on a whole syllable, within 0.3 s), peak amplitude ``peak``."""
    parts, total = [], 0
    k = 0
    while total < seconds * rate:
        vowel = list(VOWEL_FORMANTS_HZ)[int(rng.integers(len(VOWEL_FORMANTS_HZ)))]
        n = int(rng.uniform(0.12, 0.25) * rate)
        f = f0_hz * (1 + 0.15 * np.sin(np.linspace(0, np.pi, n) + k)) * (1 + 0.01 * rng.standard_normal())
        pulses = (np.diff(np.floor(np.cumsum(f / rate)), prepend=0) > 0).astype(float)
        src = np.convolve(pulses, np.exp(-np.arange(40) / 8.0))[:n] + 0.02 * rng.standard_normal(n)
        v = sum(w * biquad_cascade(src, _resonator(rate, fh, 60 + 0.06 * fh))
                for fh, w in zip(VOWEL_FORMANTS_HZ[vowel], (1.0, 0.6, 0.3)))
        v *= np.sin(np.linspace(0, np.pi, n)) ** 0.6
        cn = int(0.05 * rate)
        c = 0.3 * biquad_cascade(rng.standard_normal(cn), _resonator(rate, 4000, 1500)) * np.linspace(1, 0.3, cn)
        parts += [c, v]
        total += cn + n
        k += 1
    x = np.concatenate(parts)
    return x / np.abs(x).max() * peak
