"""Speech detection scored per 1/30 s frame against hand-checked labels, over real-sounding beds.

    python bench/speech.py [../shared/media] [--snr 20 10 5] [--seed 7]

Real speech (``speech_*.mp3`` in the media folder, labels in bench/speech_labels/)
is laid over four beds made here (music with a beat, bass and a melody; crowd
babble; rain; traffic) at each SNR (speech's active RMS over the bed's RMS), with
2 s of bed between files and 4 s at each end; each bed also runs 30 s alone.
Detectors, side by side: ours (edit.audio.AudioAnalyzer: Silero + hysteresis),
raw Silero (p >= 0.5 per 32 ms window), WebRTC VAD (mode 2, 30 ms frames;
``pip install webrtcvad-wheels``, the ``bench`` extra) and the old syllabic-envelope
detector (bench/envelope_vad_old.py).

Columns: F1, precision and recall of speech frames; "bed as speech": share of
frames at least 0.5 s from any labelled speech that are called speech (noise,
music, the tone); span-end and span-start error: median |detected - labelled| over
labelled spans with a detected edge within 1 s (how many matched in brackets);
CPU ms per second of audio.
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from edit.audio import AudioAnalyzer, biquad_cascade  # noqa: E402
from edit.vad import SpeechDetector, speech_per_frame  # noqa: E402

RATE = 16000
FPS = Fraction(30)
LABELS = ROOT / "bench" / "speech_labels"


# ---------------------------------------------------------------------------- filters
def _rbj(kind: str, f: float, q: float = 0.707) -> np.ndarray:
    w = 2 * math.pi * f / RATE
    a = math.sin(w) / (2 * q)
    c = math.cos(w)
    if kind == "lp":
        b = [(1 - c) / 2, 1 - c, (1 - c) / 2]
    elif kind == "hp":
        b = [(1 + c) / 2, -(1 + c), (1 + c) / 2]
    else:  # band pass, 0 dB peak
        b = [a, 0.0, -a]
    a0 = 1 + a
    return np.array([[b[0] / a0, b[1] / a0, b[2] / a0, 1.0, -2 * c / a0, (1 - a) / a0]])


def filt(x, *stages):
    return biquad_cascade(np.asarray(x, np.float64), np.concatenate([_rbj(*s) for s in stages]))


def rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


# ---------------------------------------------------------------------------- beds
def bed_music(n: int, rng) -> np.ndarray:
    """112 bpm: kick on every beat, snare on 2 and 4, closed hats on eighths, a bass line,
    a plucked melody over a pentatonic scale and a soft chord pad."""
    t = np.arange(n) / RATE
    beat = 60 / 112
    out = np.zeros(n)
    kick_len = int(0.25 * RATE)
    tk = np.arange(kick_len) / RATE
    kick = np.sin(2 * np.pi * np.cumsum(50 + 90 * np.exp(-tk / 0.03)) / RATE) * np.exp(-tk / 0.12)
    snare = filt(rng.standard_normal(int(0.18 * RATE)), ("bp", 1800, 0.8)) * np.exp(-np.arange(int(0.18 * RATE)) / RATE / 0.05)
    hat = filt(rng.standard_normal(int(0.05 * RATE)), ("hp", 7000)) * np.exp(-np.arange(int(0.05 * RATE)) / RATE / 0.012)

    def put(sig, at, gain):
        i = int(at * RATE)
        if i < n:
            m = min(len(sig), n - i)
            out[i:i + m] += gain * sig[:m]

    scale = [0, 2, 4, 7, 9, 12, 14]
    root = 220.0
    chords = [0, 5, 7, 3]   # i, iv, v, III-ish roots in semitones
    k = 0
    while k * beat < n / RATE:
        at = k * beat
        put(kick, at, 0.9)
        if k % 2 == 1:
            put(snare, at, 0.5)
        put(hat, at, 0.15)
        put(hat, at + beat / 2, 0.1)
        bar = (k // 4) % 4
        # bass: chord root, eighth notes
        for h in (0, 1):
            f = root / 4 * 2 ** (chords[bar] / 12)
            ln = int(beat / 2 * RATE)
            tb = np.arange(ln) / RATE
            bass = np.sign(np.sin(2 * np.pi * f * tb)) * 0.3 + np.sin(2 * np.pi * f * tb)
            put(filt(bass, ("lp", 400)) * np.exp(-tb / 0.2), at + h * beat / 2, 0.35)
        # melody: one or two notes a beat, plucked (harmonics decaying)
        for h in range(int(rng.integers(1, 3))):
            step = scale[int(rng.integers(len(scale)))]
            f = root * 2 ** ((chords[bar] + step) / 12)
            ln = int(beat / 2 * RATE)
            tm = np.arange(ln) / RATE
            vib = 1 + 0.004 * np.sin(2 * np.pi * 5.5 * tm)
            note = sum((0.6 ** j) * np.sin(2 * np.pi * f * (j + 1) * np.cumsum(vib) / RATE) for j in range(5))
            put(note * np.exp(-tm / 0.18) * np.minimum(1, tm / 0.005), at + h * beat / 2, 0.3)
        k += 1
    # pad: the bar's triad, slow attack
    bars = (np.floor(t / (4 * beat)).astype(int)) % 4
    pad = np.zeros(n)
    for semis in (0, 4, 7):
        f = root / 2 * 2 ** ((np.array(chords)[bars] + semis) / 12)
        pad += np.sin(2 * np.pi * np.cumsum(f) / RATE)
    out += 0.08 * filt(pad, ("lp", 1500))
    return out


def bed_crowd(n: int, speech: list[np.ndarray], rng) -> np.ndarray:
    """Babble: 20 voices, each a reversed, pitch-shifted (0.8-1.25x), time-shifted copy of the
    real speech, low-passed by distance, summed with a short diffuse tail."""
    pool = np.concatenate(speech)
    out = np.zeros(n)
    for _ in range(20):
        r = rng.uniform(0.8, 1.25)
        src = pool[::-1]
        idx = np.arange(0, len(src) - 1, r)
        v = np.interp(idx, np.arange(len(src)), src)
        v = np.roll(np.resize(v, n), int(rng.integers(n)))
        out += filt(v, ("lp", rng.uniform(2000, 4000))) * rng.uniform(0.4, 1.0)
    tail = rng.standard_normal(int(0.25 * RATE)) * np.exp(-np.arange(int(0.25 * RATE)) / RATE / 0.06)
    return out + 0.3 * np.convolve(out, tail / np.sqrt(np.sum(tail ** 2)))[:n]


def bed_rain(n: int, rng) -> np.ndarray:
    """Steady hiss (high-passed noise), a low wash, and drops: about 40 a second, short
    decaying pings at 1.5-6 kHz with log-normal strength."""
    hiss = filt(rng.standard_normal(n), ("hp", 600), ("lp", 8000 * 0.95))
    wash = filt(np.cumsum(rng.standard_normal(n)) * 0.02, ("hp", 40), ("lp", 400))
    out = hiss + 0.5 * wash / max(rms(wash), 1e-9) * rms(hiss)
    drops = rng.uniform(0, n, int(40 * n / RATE)).astype(int)
    ln = int(0.03 * RATE)
    td = np.arange(ln) / RATE
    for d in drops:
        f = rng.uniform(1500, 6000)
        ping = np.sin(2 * np.pi * f * td) * np.exp(-td / rng.uniform(0.003, 0.012)) * rng.lognormal(0, 0.7)
        m = min(ln, n - d)
        out[d:d + m] += 1.5 * rms(hiss) * ping[:m] * 3
    return out


def bed_traffic(n: int, rng) -> np.ndarray:
    """Low rumble (brown noise under 150 Hz) and passing cars every 5-9 s: engine harmonics
    gliding down (Doppler) and tyre noise under a swell of about 3 s."""
    rumble = filt(np.cumsum(rng.standard_normal(n)), ("hp", 20), ("lp", 150))
    rumble /= rms(rumble)
    out = 0.6 * rumble
    t = np.arange(n) / RATE
    at = rng.uniform(0, 3)
    while at < n / RATE + 3:
        sigma = rng.uniform(1.0, 1.8)
        env = np.exp(-0.5 * ((t - at) / sigma) ** 2)
        f0 = rng.uniform(35, 70)
        glide = f0 * (1 + 0.06 * np.tanh(-(t - at) / 0.6))   # approaching high, leaving low
        ph = 2 * np.pi * np.cumsum(glide) / RATE
        engine = sum(np.sin(h * ph) / h for h in range(1, 8))
        tyre = filt(rng.standard_normal(n), ("bp", rng.uniform(500, 1200), 0.5))
        out += env * (0.5 * engine + 1.2 * tyre) * rng.uniform(0.6, 1.4)
        at += rng.uniform(5, 9)
    return out


# ---------------------------------------------------------------------------- data
def decode(path: Path) -> np.ndarray:
    import imageio_ffmpeg

    raw = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-ac", "1",
                          "-ar", str(RATE), "-f", "f32le", "pipe:1"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.float32).astype(np.float64)


def load_speech(media: Path):
    """[(name, samples, [(start_s, end_s), ...])] for every labelled file present."""
    out = []
    for lab in sorted(LABELS.glob("*.json")):
        d = json.loads(lab.read_text())
        p = media / d["file"]
        if p.exists():
            out.append((d["file"], decode(p), [tuple(s) for s in d["spans_s"]]))
    return out


def programme(speech, bed: np.ndarray, snr_db: float | None):
    """Speech files in a row over ``bed`` at ``snr_db``; (mix, labelled spans in seconds)."""
    gap, edge = int(2 * RATE), int(4 * RATE)
    parts, spans, pos = [np.zeros(edge)], [], edge
    active = []
    for _, x, sp in speech:
        parts.append(x)
        spans += [(pos / RATE + s, pos / RATE + e) for s, e in sp]
        active += [x[int(s * RATE):int(e * RATE)] for s, e in sp]
        pos += len(x)
        parts.append(np.zeros(gap))
        pos += gap
    parts.append(np.zeros(edge - gap))
    clean = np.concatenate(parts)
    if snr_db is None:
        return clean, spans
    b = np.resize(bed, clean.size)
    b = b * (rms(np.concatenate(active)) / rms(b)) * 10 ** (-snr_db / 20)
    return clean + b, spans


# ---------------------------------------------------------------------------- detectors
def det_ours(x, n):
    an = AudioAnalyzer(RATE, FPS)
    for i in range(0, x.size, RATE):
        an.feed(x[i:i + RATE].astype(np.float32))
    return an.finish(n).speech


def det_silero_raw(x, n):
    d = SpeechDetector(RATE)
    for i in range(0, x.size, RATE):
        d.feed(x[i:i + RATE])
    p = d.finish()
    return speech_per_frame(p >= 0.5, d.window, RATE, FPS, n)


def det_webrtc(x, n):
    import webrtcvad

    v = webrtcvad.Vad(2)
    w = int(0.03 * RATE)
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
    flags = np.array([v.is_speech(pcm[i:i + w].tobytes(), RATE) for i in range(0, pcm.size - w + 1, w)], bool)
    return speech_per_frame(flags, w, RATE, FPS, n)


def det_envelope(x, n):
    import envelope_vad_old

    return envelope_vad_old.audio_features(x, RATE, n, FPS).speech


DETECTORS = [("ours (Silero + hysteresis)", det_ours), ("raw Silero p>=0.5", det_silero_raw),
             ("webrtcvad mode 2", det_webrtc), ("old envelope", det_envelope)]


# ---------------------------------------------------------------------------- scoring
def frame_labels(spans, n):
    mid = (np.arange(n) + 0.5) / float(FPS)
    lab = np.zeros(n, bool)
    far = np.ones(n, bool)
    for s, e in spans:
        lab |= (mid >= s) & (mid < e)
        far &= (mid < s - 0.5) | (mid >= e + 0.5)
    return lab, far


def runs(mask):
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def edge_errors(spans, pred, which):
    """|detected - labelled| in ms for labelled span edges with a detected edge within 1 s."""
    det = [(s / float(FPS), e / float(FPS)) for s, e in runs(pred)]
    edges = np.array([d[which] for d in det]) if det else np.zeros(0)
    out = []
    for sp in spans:
        if edges.size:
            err = float(np.min(np.abs(edges - sp[which])))
            if err <= 1.0:
                out.append(err * 1000)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("media", nargs="?", default=str(ROOT.parent / "shared" / "media"))
    ap.add_argument("--snr", type=float, nargs="+", default=[20.0, 10.0, 5.0], help="speech over bed, dB")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", nargs="*", help="detectors to run (substrings of their names)")
    args = ap.parse_args(argv)
    speech = load_speech(Path(args.media))
    if not speech:
        sys.exit(f"no labelled speech_*.mp3 in {args.media}")
    rng = np.random.default_rng(args.seed)
    n_bed = int(40 * RATE)
    talk = [x for _, x, sp in speech if sp]
    beds = {"music": bed_music(n_bed, rng), "crowd": bed_crowd(n_bed, talk, rng),
            "rain": bed_rain(n_bed, rng), "traffic": bed_traffic(n_bed, rng)}
    cases = [("clean", None, None)] + [(b, snr, beds[b]) for b in beds for snr in args.snr]
    dets = [d for d in DETECTORS if not args.only or any(o in d[0] for o in args.only)]
    total_s = 0.0
    acc = {name: {"tp": 0, "fp": 0, "fn": 0, "bed_fp": 0, "bed_n": 0, "end": [], "start": [], "cpu": 0.0, "n_sp": 0}
           for name, _ in dets}
    per_case = {name: {} for name, _ in dets}
    items = []
    for bed_name, snr, bed in cases:
        mix, spans = programme(speech, bed, snr)
        items.append((f"{bed_name}" + ("" if snr is None else f" {snr:g} dB"), mix, spans))
    for b, x in beds.items():  # bed alone, 30 s, at the 10 dB level of the speech
        active = np.concatenate([x[int(s * RATE):int(e * RATE)] for _, x, sp in speech for s, e in sp])
        items.append((f"{b} alone", x[:30 * RATE] * rms(active) / rms(x) * 10 ** (-10 / 20), []))
    for label, mix, spans in items:
        peak = np.max(np.abs(mix))
        if peak > 0.99:   # keep it in range like a mastered track
            mix = mix * 0.99 / peak
        n = int(mix.size / RATE * float(FPS))
        total_s += mix.size / RATE
        lab, far = frame_labels(spans, n)
        for name, fn in dets:
            c0 = time.process_time()
            pred = fn(mix.astype(np.float32), n)
            a = acc[name]
            a["cpu"] += time.process_time() - c0
            tp, fp, fn_ = int(np.sum(pred & lab)), int(np.sum(pred & ~lab)), int(np.sum(~pred & lab))
            a["tp"] += tp; a["fp"] += fp; a["fn"] += fn_
            a["bed_fp"] += int(np.sum(pred & far)); a["bed_n"] += int(np.sum(far))
            a["end"] += edge_errors(spans, pred, 1); a["start"] += edge_errors(spans, pred, 0)
            a["n_sp"] += len(spans)
            f1 = 2 * tp / max(1, 2 * tp + fp + fn_)
            per_case[name][label] = (f1 if spans else None, float(np.mean(pred[far])) if far.any() else 0.0)
    print(f"speech bench: {len(speech)} labelled files, {sum(len(s) for _, _, s in speech)} spans, "
          f"{len(items)} mixes, {total_s:.0f} s of audio, SNR {', '.join(f'{s:g}' for s in args.snr)} dB")
    print()
    hdr = f"{'detector':28s} {'F1':>6s} {'prec':>6s} {'recall':>6s} {'bed as speech':>13s} " \
          f"{'end err ms':>14s} {'start err ms':>14s} {'CPU ms/s':>9s}"
    print(hdr)
    print("-" * len(hdr))
    for name, _ in dets:
        a = acc[name]
        p = a["tp"] / max(1, a["tp"] + a["fp"])
        r = a["tp"] / max(1, a["tp"] + a["fn"])
        f1 = 2 * p * r / max(1e-9, p + r)
        end = f"{np.median(a['end']):.0f} ({len(a['end'])}/{a['n_sp']})" if a["end"] else "-"
        start = f"{np.median(a['start']):.0f} ({len(a['start'])}/{a['n_sp']})" if a["start"] else "-"
        print(f"{name:28s} {f1:6.3f} {p:6.3f} {r:6.3f} {100 * a['bed_fp'] / max(1, a['bed_n']):12.1f}% "
              f"{end:>14s} {start:>14s} {1000 * a['cpu'] / total_s:9.1f}")
    print()
    labels = [lab for lab, _, _ in items]
    print("per mix: F1 / bed as speech %")
    print(f"{'mix':16s} " + " ".join(f"{name[:22]:>22s}" for name, _ in dets))
    for lab in labels:
        cells = []
        for name, _ in dets:
            f1, bfp = per_case[name][lab]
            cells.append(f"{'-' if f1 is None else f'{f1:.3f}':>6s} / {100 * bfp:5.1f}%")
        print(f"{lab:16s} " + " ".join(f"{c:>22s}" for c in cells))


if __name__ == "__main__":
    main()
