"""Audio features: BS.1770 loudness calibration, speech activity, and the hooks they feed."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from edit.audio import audio_features, biquad_cascade, k_weighting_biquads, speech_spans
from edit.episodes import Line, Signals, hook_features

from speech_synth import formant_speech

RATE = 16000


def tone(freq, seconds, amp=1.0):
    t = np.arange(int(RATE * seconds)) / RATE
    return amp * np.sin(2 * np.pi * freq * t)


def test_full_scale_997hz_sine_reads_minus_3_lkfs():
    # ITU-R BS.1770-4: a 0 dBFS 997 Hz sine in one channel measures -3.01 LKFS
    f = audio_features(tone(997, 3), RATE, 90, Fraction(30))
    assert f.loudness_lufs[60] == pytest.approx(-3.01, abs=0.1)
    f = audio_features(tone(997, 3, 0.1), RATE, 90, Fraction(30))
    assert f.loudness_lufs[60] == pytest.approx(-23.01, abs=0.1)


def test_k_weighting_matches_a_slow_reference():
    sos = k_weighting_biquads(RATE)
    x = np.random.default_rng(0).normal(0, 0.1, 2000)
    y = x.copy()
    for b0, b1, b2, _, a1, a2 in sos:  # direct form I, plain Python
        out = np.zeros_like(y)
        for i in range(len(y)):
            out[i] = (b0 * y[i] + b1 * (y[i - 1] if i > 0 else 0) + b2 * (y[i - 2] if i > 1 else 0)
                      - a1 * (out[i - 1] if i > 0 else 0) - a2 * (out[i - 2] if i > 1 else 0))
        y = out
    np.testing.assert_allclose(biquad_cascade(x, sos), y, atol=1e-12)
    with pytest.raises(ValueError):
        biquad_cascade(np.array([0.0, np.nan]), sos)


def test_speech_is_voiced_syllables_not_a_tone_nor_band_noise():
    # Silero VAD: formant-synthesised syllables are speech; a steady tone and the old
    # samples' "voice" (band-passed noise gated at 4 Hz) are not
    rng = np.random.default_rng(1)
    quiet = rng.normal(0, 0.002, RATE * 2)
    voiced = formant_speech(3.0, rng)
    t = np.arange(RATE * 3) / RATE
    noisy = rng.normal(0, 0.2, RATE * 3) * (np.sin(2 * np.pi * 4 * t) > 0)
    noisy = biquad_cascade(noisy, np.array([[0.2, 0, -0.2, 1, -1.6, 0.64]]))  # a crude voice band
    steady = tone(800, 3, 0.3)
    parts = [quiet, voiced, quiet, steady, quiet, noisy, quiet]
    x = np.concatenate(parts)
    n = int(len(x) / RATE * 30)
    f = audio_features(x, RATE, n, Fraction(30))
    spans = speech_spans(f.speech)
    assert len(spans) == 1
    s, e = spans[0]
    start, end = 60, round((2 * RATE + voiced.size) / RATE * 30)
    assert abs(s - start) <= 4 and abs(e - end) <= 4          # within 150 ms (4.5 frames) of the speech
    tone_at = round((4 * RATE + voiced.size) / RATE * 30)
    assert not f.speech[tone_at:].any()                        # neither the tone nor the band noise


def test_hysteresis_kernel_matches_a_plain_reference():
    from edit.vad import speech_windows

    def reference(p, on, off, min_speech, min_silence):
        out = [False] * len(p)
        spans, start, temp = [], None, None
        for i, q in enumerate(p):
            if start is None:
                if q >= on:
                    start, temp = i, None
                continue
            if q >= on:
                temp = None
            elif q < off:
                temp = i if temp is None else temp
                if i - temp + 1 >= min_silence:
                    spans.append((start, temp))
                    start, temp = None, None
        if start is not None:
            spans.append((start, temp if temp is not None else len(p)))
        for s, e in spans:
            if e - s >= min_speech:
                out[s:e] = [True] * (e - s)
        return np.array(out)

    rng = np.random.default_rng(5)
    for _ in range(30):
        p = np.clip(np.repeat(rng.uniform(0, 1, 60), rng.integers(1, 6)) + rng.normal(0, 0.1, 1), 0, 1)
        got = speech_windows(p, 0.032, 0.5, 0.35, min_speech_s=0.096, min_silence_s=0.192)
        np.testing.assert_array_equal(got, reference(p, 0.5, 0.35, 3, 6))
    # a dip under `off` shorter than the minimum silence is bridged; a longer one ends the span
    p = np.array([0, .9, .9, .2, .2, .9, .9, .1, .1, .1, .1, .1, .1, .1, 0])
    assert speech_windows(p, 0.032, min_speech_s=0.06, min_silence_s=0.1).tolist() == \
        [False, True, True, True, True, True, True] + [False] * 8
    with pytest.raises(ValueError):
        speech_windows(p, 0.032, on=0.3, off=0.5)


def test_sting_then_silence_scores_as_a_hook():
    fps = Fraction(30)
    n = 300
    loud = np.full(n, -30.0, np.float32)
    fast = np.full(n, -30.0, np.float32)
    fast[170:200] = -8.0            # a sting in the last second before the cut at 200
    fast[200:] = -55.0              # silence after it
    sig = Signals(fps, n, [200], [Line(120, 160, "Who are you?")], {200: 0.5},
                  loudness=loud, loudness_fast=fast)
    f = hook_features(200, sig, [], 0)
    assert f["sting"] == 1.0 and f["silence_after"] == 1.0 and f["question"] == 1.0
    flat = Signals(fps, n, [200], [], {200: 0.5}, loudness=loud, loudness_fast=np.full(n, -30.0, np.float32))
    g = hook_features(200, flat, [], 0)
    assert "sting" not in g and "silence_after" not in g


def test_streaming_in_odd_chunks_matches_the_whole_signal_and_the_plain_definition():
    from edit.audio import AudioAnalyzer

    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.1, RATE * 12) * (np.sin(np.arange(RATE * 12) / RATE * 2 * np.pi * 4) > 0)
    fps = Fraction(30000, 1001)
    n = 370  # a little longer than the audio: the last frames clamp to its end
    whole = audio_features(x, RATE, n, fps)
    an = AudioAnalyzer(RATE, fps)
    for i in range(0, x.size, 777):
        an.feed(x[i:i + 777])
    parts = an.finish(n)
    np.testing.assert_allclose(parts.loudness_lufs, whole.loudness_lufs, atol=1e-4)
    np.testing.assert_array_equal(parts.speech, whole.speech)
    # the plain definition: K-weighted mean square over the 400 ms ending at each frame's end
    k = biquad_cascade(x, k_weighting_biquads(RATE))
    for frame in (0, 5, 100, 299, 369):
        e = min(int((frame + 1) * RATE / fps), x.size)
        s = max(0, e - int(0.4 * RATE))
        ms = float(np.mean(k[s:e] ** 2))
        assert whole.loudness_lufs[frame] == pytest.approx(-0.691 + 10 * np.log10(ms), abs=1e-3)


def test_analysis_finds_the_speech_of_a_clip(tmp_path):
    """Through the real decode: a 6 s clip, formant speech from 2.0 s to about 4.5 s over quiet
    room noise; the plan's speech spans cover it to within 150 ms."""
    import wave

    from verticalize.analysis import analyze
    from media_helpers import ffmpeg

    rng = np.random.default_rng(4)
    voiced = formant_speech(2.5, rng, f0_hz=180.0)
    x = rng.normal(0, 0.003, RATE * 6)
    x[2 * RATE:2 * RATE + voiced.size] += voiced
    with wave.open(str(tmp_path / "a.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    clip = tmp_path / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x90:r=30:d=6", "-i", str(tmp_path / "a.wav"), "-c:v", "libx264",
           "-preset", "ultrafast", "-c:a", "aac", "-b:a", "96k", "-shortest", str(clip))
    plan = analyze(clip)
    spans = plan.analysis["speech"]
    assert len(spans) == 1
    s, e = spans[0]
    end = round((2 * RATE + voiced.size) / RATE * 30)
    assert abs(s - 60) <= 4 and abs(e - end) <= 4
