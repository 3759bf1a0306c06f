"""Planted cliffhangers on real sound: does the episode planner end episodes on them?

    python bench/cliffhangers.py [../shared/media] [--seed 1] [--replan] [--samples]

Builds a fixture film (about 7-8 minutes, 320x180, 30 fps) into bench/.cliff/seed<N>/:
generated shots (textures panning, a moving block; a few shots of the real
horses clip when the media folder has it) with hard cuts every 2-20 s; real
speech (``speech_*.mp3``, lines cut at the labels in bench/speech_labels/, each
use resampled 0.92-1.08x) laid over beds from bench/speech.py (music, crowd,
rain, traffic) over room tone; Spanish subtitle cues for every line
(``film.es.srt``, timed like real subtitles: a little before the speech, 0.2-0.6 s
after it). Five hooks are planted at cuts about 85 s apart, each a different mix:

  classic   question cue just before, a hit sting ending on the cut, 1.2 s of silence after
  swell     the music swells 12 dB into the cut, no line in the last 5 s, 1.2 s of silence after
  sting     a statement line, a riser sting ending on the cut, the music goes on after it
  question  a question cue just before, the bed drops to room tone after the cut (no sting)
  braam     a line left hanging ("..."), music swelling into a braam on the cut, a reply 0.5 s after

Distractors between them: plain cuts between lines and inside them (L-cuts),
lines of every kind ending before cuts by chance (questions too), a montage of
short shots under loud music (louder than the dialogue, no hook), and a loud
music cue that stops at a cut into a quieter scene.

``verticalize.analyze`` runs with default options (60-120 s episodes); the
Signals it planned from are kept (signals.npz), so ``--replan`` re-plans with
the current hook features and HOOK_WEIGHTS in a second. ``--samples`` also plans
the drama sample (samples/drama.mp4 with its en and zh-Hans subtitles) and scores
its planted hooks as tests/test_pipeline_e2e.py does (hooks inside an episode's
60-120 s window). Prints the planted hooks, the chosen boundaries and their reasons,
and the share of planted hooks chosen.
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

import speech as sp  # noqa: E402  (bed generators, filters, labelled speech)

RATE = sp.RATE          # 16 kHz: the beds are made at this rate
FPS = 30
W, H = 320, 180
WORK = ROOT / "bench" / ".cliff"
RECIPES = ["classic", "swell", "sting", "question", "braam"]
VERSION = 5             # bump when the fixture changes (rebuilds cached films)

TEXTS = {  # Spanish lines by ending
    ".": ["Ya lo sé.", "No hay tiempo.", "Vámonos de aquí.", "Eso no importa ahora.", "Lo vi en la estación.",
          "Nadie lo sabe.", "Te estaba esperando.", "Mañana será tarde.", "Cierra la puerta.", "Tengo las llaves."],
    "?": ["¿Quién te envió?", "¿Dónde estabas anoche?", "¿Lo sabías?", "¿Por qué me mientes?", "¿Qué has hecho?"],
    "!": ["¡Corre!", "¡No me toques!", "¡Déjalo ya!", "¡Aquí está!"],
    "...": ["Si tan solo supieras...", "Pensé que estabas...", "Él nunca volvió..."],
    "": ["y entonces la vi", "pero no era ella", "cuando llegué a casa"],
}


# ---------------------------------------------------------------------------- sound
def db(x: float) -> float:
    return 10 ** (x / 20)


def speech_lines(media: Path) -> list[np.ndarray]:
    """Every labelled speech span as a line (0.08 s of the file's own room around it)."""
    lines = []
    for _, x, spans in sp.load_speech(media):
        for s, e in spans:
            a, b = max(0, int((s - 0.08) * RATE)), min(len(x), int((e + 0.08) * RATE))
            if b - a > 0.3 * RATE:
                lines.append(x[a:b])
    return lines


def hit(n: int, rng) -> np.ndarray:
    """An orchestral stab: low chord of saws and a noise burst, decaying; n samples."""
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for f in (55.0, 82.4, 110.0, 130.8, 164.8):
        ph = 2 * np.pi * f * (1 + 0.003 * rng.standard_normal()) * t
        out += sum(np.sin(k * ph) / k for k in range(1, 9))
    out = sp.filt(out, ("lp", 2500)) + 0.8 * sp.filt(rng.standard_normal(n), ("bp", 900, 0.7)) * np.exp(-t / 0.15)
    return out * np.exp(-t / 0.9) * np.minimum(1, t / 0.004)


def riser(n: int, rng) -> np.ndarray:
    """Noise sweeping up in pitch and level, ending at full level (the cut); n samples."""
    t = np.arange(n) / RATE
    u = t / t[-1]
    noise = rng.standard_normal(n)
    lo = sp.filt(noise, ("bp", 600, 1.0))
    hi = sp.filt(noise, ("bp", 3000, 1.0))
    tone = np.sin(2 * np.pi * np.cumsum(200 + 900 * u ** 2) / RATE)
    return ((1 - u) * lo + u * hi * 2 + 0.6 * tone) * (0.05 + 0.95 * u ** 2.5)


def braam(n: int, rng) -> np.ndarray:
    """Low detuned brass-like saws, the filter opening: a sustained blast of n samples."""
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for det in (-0.6, 0.0, 0.7):
        ph = 2 * np.pi * (49.0 + det) * t
        out += sum(np.sin(k * ph) / k for k in range(1, 14))
    return sp.filt(out, ("lp", 900)) * np.minimum(1, t / 0.08)


def momentary_max(x: np.ndarray, q: float) -> float:
    """The ``q``-th percentile of x's momentary (400 ms) K-weighted loudness per 1/30 s, LUFS."""
    from edit.audio import audio_features

    n = max(1, int(len(x) / RATE * FPS))
    lufs = audio_features(x.astype(np.float32), RATE, n, Fraction(FPS)).loudness_lufs
    return float(np.percentile(lufs[lufs > -100], q))


def ramp_db(n: int, rise_db: float) -> np.ndarray:
    return db(np.linspace(0, rise_db, n))


# ---------------------------------------------------------------------------- timeline
class Film:
    def __init__(self, seed: int, media: Path):
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.lines = speech_lines(media)
        if not self.lines:
            sys.exit(f"no labelled speech_*.mp3 in {media}")
        self.media = media

    def plan(self) -> dict:
        """Hooks, scenes, lines, cuts and special sounds, all in seconds (cuts on frames)."""
        rng = self.rng
        hooks, t = [], 0.0
        order = list(rng.permutation(RECIPES))
        for k in range(5):
            t += rng.uniform(78, 92) if k else rng.uniform(72, 90)
            hooks.append((round(t * FPS) / FPS, order[k]))
        total = round((hooks[-1][0] + rng.uniform(28, 48)) * FPS) / FPS
        anchors = [0.0] + [h for h, _ in hooks] + [total]
        scenes = []   # (start, end, bed, snr_db, kind)
        for a, b in zip(anchors, anchors[1:]):
            # a loud montage and a loud music cue that stops on a cut, somewhere in each gap
            span = b - a
            cuts = [a]
            pos = a
            while b - pos > 45:
                pos += rng.uniform(14, 34)
                cuts.append(pos)
            cuts.append(b)
            cuts = [round(c * FPS) / FPS for c in cuts]
            kinds = ["talk"] * (len(cuts) - 1)
            if len(kinds) >= 3 and span > 50:
                m = int(rng.integers(1, len(kinds) - 1))   # not the scene ending on a hook
                kinds[m] = "montage"
                m2 = int(rng.integers(0, len(kinds) - 1))
                if kinds[m2] == "talk":
                    kinds[m2] = "loud_stop"
            for (s, e), kind in zip(zip(cuts, cuts[1:]), kinds):
                if kind == "montage":
                    e2 = min(e, s + rng.uniform(9, 15))
                    scenes.append((s, e2, "music", rng.uniform(-3, 0), "montage"))
                    if e - e2 > 3:
                        scenes.append((round(e2 * FPS) / FPS, e, str(rng.choice(["crowd", "rain", "traffic", "room"])),
                                       rng.uniform(12, 20), "talk"))
                    continue
                bed = "music" if kind == "loud_stop" else str(rng.choice(["music", "music2", "crowd", "rain",
                                                                          "traffic", "room"]))
                snr = rng.uniform(-1, 3) if kind == "loud_stop" else rng.uniform(8, 18)
                scenes.append((s, e, bed, snr, kind))
        hook_at = {h: r for h, r in hooks}
        scenes = [(s, e, "music" if hook_at.get(e) in ("swell", "braam") else bed, snr, kind)
                  for s, e, bed, snr, kind in scenes]   # the swells are the music's
        ends_on = {sc[1]: hook_at.get(sc[1]) for sc in scenes}
        lines, cuts, special = [], [], []
        for s, e, bed, snr, kind in scenes:
            recipe = ends_on.get(e)
            prev_recipe = hook_at.get(s)
            start = s + (1.4 if prev_recipe in ("classic", "swell", "question") else rng.uniform(0.4, 1.5))
            if prev_recipe == "braam":
                start = s + 0.5
            if kind == "montage":
                pos = s
                while e - pos > 3.5:   # short shots on the beat (112 bpm)
                    pos += 60 / 112 * int(rng.integers(3, 7))
                    cuts.append(pos)
                continue
            stop = e - {"classic": 0.5, "question": 0.45, "swell": 5.5, "sting": 1.6, "braam": 1.3}.get(recipe, 0.6)
            pos = start
            while True:
                x = int(rng.integers(len(self.lines)))
                speed = rng.uniform(0.92, 1.08)
                dur = len(self.lines[x]) / speed / RATE
                if pos + dur > stop:
                    break
                lines.append({"at": pos, "line": x, "speed": speed, "dur": dur, "end": None})
                pos += dur + (rng.uniform(2.5, 6) if rng.random() < 0.2 else rng.uniform(0.25, 1.6))
            # the hook's last line ends on the mark: fit one that fits exactly before the cut
            if recipe in ("classic", "question", "sting", "braam"):
                gap_end = e - {"classic": rng.uniform(0.35, 0.8), "question": rng.uniform(0.3, 0.7),
                               "sting": rng.uniform(1.6, 2.4), "braam": rng.uniform(1.3, 1.8)}[recipe]
                lines = [ln for ln in lines if not (ln["at"] + ln["dur"] > gap_end - 0.3 and ln["at"] >= s)]
                while True:   # drop lines from the end until one fits between the last and the mark
                    mine = [ln for ln in lines if ln["at"] >= s]
                    prev_end = max([ln["at"] + ln["dur"] for ln in mine] + [start - 0.3])
                    fits = [x for x in range(len(self.lines))
                            if 0.8 < len(self.lines[x]) / RATE < gap_end - prev_end - 0.3]
                    if fits or not mine:
                        break
                    lines.remove(mine[-1])
                if fits:
                    x = int(rng.choice(fits))
                    dur = len(self.lines[x]) / RATE
                    lines.append({"at": gap_end - dur, "line": x, "speed": 1.0, "dur": dur,
                                  "end": {"classic": "?", "question": "?", "sting": ".", "braam": "..."}[recipe]})
            if recipe is not None:
                special.append((e, recipe))
            # shots: 2-20 s (log-uniform), moved to a pause between lines when one is near
            pos = s
            while True:
                pos += math.exp(rng.uniform(math.log(2), math.log(20)))
                if pos > e - 2:
                    break
                inside = [ln for ln in lines if ln["at"] < pos < ln["at"] + ln["dur"]]
                if inside and rng.random() < 0.75:
                    ln = inside[0]
                    pos = ln["at"] + ln["dur"] + 0.15
                if s + 1.5 < pos < e - 1.5:
                    cuts.append(pos)
        cuts = sorted({round(c * FPS) for c in cuts + [sc[0] for sc in scenes[1:]]})
        lines.sort(key=lambda ln: ln["at"])
        return {"hooks": hooks, "total": total, "scenes": scenes, "lines": lines, "cut_frames": cuts,
                "special": special}

    # ------------------------------------------------------------------ audio
    def audio(self, p: dict) -> tuple[np.ndarray, list]:
        rng = self.rng
        n = int(p["total"] * RATE)
        nb = int(64 * RATE)
        talk = self.lines
        beds = {"music": sp.bed_music(nb, rng), "music2": sp.bed_music(nb, np.random.default_rng(self.seed + 99)),
                "crowd": sp.bed_crowd(nb, talk, rng), "rain": sp.bed_rain(nb, rng), "traffic": sp.bed_traffic(nb, rng)}
        beds = {k: v / sp.rms(v) for k, v in beds.items()}
        speech_rms = 0.05                                   # about -26 dBFS while talking
        room = sp.filt(rng.standard_normal(n), ("lp", 3000)) * speech_rms * db(-38)
        bed = np.zeros(n)
        voice = np.zeros(n)
        fx = np.zeros(n)
        hook_at = {h: r for h, r in p["hooks"]}
        for s, e, name, snr, kind in p["scenes"]:
            a, b = int(s * RATE), int(e * RATE)
            if hook_at.get(s) in ("classic", "swell", "question"):
                a += int(1.2 * RATE)                        # a second or so of room tone after the hook
            if name == "room" or b <= a:
                continue
            src = beds[name]
            off = int(rng.integers(nb))
            seg = np.resize(np.roll(src, -off), b - a) * speech_rms * db(-snr)
            fade = min(len(seg), int(0.3 * RATE))
            seg[:fade] *= np.linspace(0, 1, fade)
            recipe = hook_at.get(e)
            if recipe in ("swell", "braam"):
                k = min(len(seg), int(5 * RATE))
                seg[-k:] *= ramp_db(k, 12.0)
            bed[a:b] += seg
        for ln in p["lines"]:
            x = self.lines[ln["line"]]
            if ln["speed"] != 1.0:
                x = np.interp(np.arange(0, len(x) - 1, ln["speed"]), np.arange(len(x)), x)
            x = x / sp.rms(x) * speech_rms * 1.25
            a = int(ln["at"] * RATE)
            m = min(len(x), n - a)
            voice[a:a + m] += x[:m]
        talk_lufs = momentary_max(np.concatenate([x / sp.rms(x) * speech_rms * 1.25 for x in self.lines]), 50)
        for t, recipe in p["special"]:
            c = int(t * RATE)
            make, k = {"classic": (hit, rng.uniform(0.45, 0.8)), "sting": (riser, rng.uniform(1.2, 1.8)),
                       "braam": (braam, rng.uniform(0.9, 1.3))}.get(recipe, (None, 0))
            if make is None:
                continue
            # a sting peaks 6-11 LU over the dialogue's median momentary loudness
            x = make(int(k * RATE), rng)
            fx[c - len(x):c] += x * db(talk_lufs + rng.uniform(6, 11) - momentary_max(x, 100))
        mix = room + bed + voice + fx
        peak = np.max(np.abs(mix))
        if peak > 0.98:
            mix *= 0.98 / peak
        return mix, []

    # ------------------------------------------------------------------ cues
    def cues(self, p: dict) -> list[tuple[float, float, str]]:
        rng = self.rng
        out = []
        hooks = {round(h * FPS) for h, _ in p["hooks"]}
        for ln in p["lines"]:
            lab = 0.08 / ln["speed"]
            a = ln["at"] + lab - rng.uniform(0.05, 0.2)
            e = ln["at"] + ln["dur"] - lab + (rng.uniform(0.1, 0.25) if ln["end"] else rng.uniform(0.2, 0.6))
            end = ln["end"]
            if end is None:
                end = str(rng.choice([".", ".", ".", ".", ".", "?", "!", "...", ""]))
            text = str(rng.choice(TEXTS[end]))
            out.append([a, max(e, a + 1.0), text])
        for k in range(len(out) - 1):   # no overlaps; never across a planted hook
            out[k][1] = min(out[k][1], out[k + 1][0] - 0.05)
        for c in out:
            for h in hooks:
                if c[0] < h / FPS < c[1]:
                    c[1] = h / FPS - 0.1
        return [tuple(c) for c in out if c[1] > c[0] + 0.2]

    # ------------------------------------------------------------------ picture
    def frames(self, p: dict):
        rng = self.rng
        n = int(round(p["total"] * FPS))
        bounds = [0] + p["cut_frames"] + [n]
        horses = None
        hp = self.media / "horses_4x3.mp4"
        if hp.exists():
            from verticalize.media import ffmpeg_exe
            raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(hp), "-vf",
                                  f"fps={FPS},scale={W}:{H}:force_original_aspect_ratio=increase,crop={W}:{H}",
                                  "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], capture_output=True, check=True).stdout
            horses = np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)
        yy, xx = np.mgrid[0:H, 0:W]
        for s, e in zip(bounds, bounds[1:]):
            if horses is not None and rng.random() < 0.15 and e - s < len(horses) - 2:
                o = int(rng.integers(0, len(horses) - (e - s)))
                for i in range(e - s):
                    yield horses[o + i]
                continue
            low = rng.uniform(0, 255, (6, 10, 3))
            tex = np.kron(low, np.ones((48, 48, 1)))[: H + 100, : W + 160]
            tex = (tex * 0.5 + rng.uniform(0, 127, 3)).clip(0, 255)
            tex = tex + rng.normal(0, 6, tex.shape)
            tex = tex.clip(0, 255).astype(np.uint8)
            vx, vy = rng.uniform(-1.5, 1.5, 2)
            col = rng.integers(0, 256, 3).astype(np.uint8)
            bx, by, bvx, bvy = rng.uniform(0, W - 40), rng.uniform(0, H - 40), *rng.uniform(-3, 3, 2)
            for i in range(e - s):
                ox = int(np.clip(80 + vx * i, 0, 160))
                oy = int(np.clip(50 + vy * i, 0, 100))
                f = tex[oy:oy + H, ox:ox + W].copy()
                x0, y0 = int(bx + bvx * i) % (W - 40), int(by + bvy * i) % (H - 40)
                f[y0:y0 + 40, x0:x0 + 40] = col
                yield f

    def build(self, out: Path) -> dict:
        from verticalize.media import ffmpeg_exe

        out.mkdir(parents=True, exist_ok=True)
        p = self.plan()
        mix, _ = self.audio(p)
        cues = self.cues(p)
        (out / "audio.f32").write_bytes(mix.astype("<f4").tobytes())
        srt = []
        for k, (a, b, text) in enumerate(cues, 1):
            ts = lambda t: f"{int(t // 3600):02d}:{int(t // 60) % 60:02d}:{int(t) % 60:02d},{int(round(t * 1000)) % 1000:03d}"
            srt.append(f"{k}\n{ts(a)} --> {ts(b)}\n{text}\n")
        (out / "film.es.srt").write_text("\n".join(srt), encoding="utf-8")
        cmd = [ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
               "-r", str(FPS), "-i", "pipe:0", "-f", "f32le", "-ar", str(RATE), "-ac", "1", "-i", str(out / "audio.f32"),
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
               "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2", "-shortest", str(out / "film.mp4")]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        for f in self.frames(p):
            proc.stdin.write(np.ascontiguousarray(f).tobytes())
        proc.stdin.close()
        if proc.wait():
            raise RuntimeError("ffmpeg failed")
        (out / "audio.f32").unlink()
        truth = {"version": VERSION, "seed": self.seed, "frame_count": int(round(p["total"] * FPS)),
                 "hooks": [{"frame": round(h * FPS), "recipe": r} for h, r in p["hooks"]],
                 "cuts": p["cut_frames"], "scenes": [list(s) for s in p["scenes"]]}
        (out / "truth.json").write_text(json.dumps(truth, indent=1))
        return truth


# ---------------------------------------------------------------------------- analysis
def analyse(video: Path, subs: dict, cache: Path):
    """Signals the planner saw (cached in ``cache``) and the plan's episodes, from verticalize.analyze."""
    from edit.episodes import Line, Signals

    if cache.exists():
        d = np.load(cache, allow_pickle=False)
        meta = json.loads(str(d["meta"]))
        arr = lambda k: d[k] if k in d.files else None
        sig = Signals(Fraction(meta["fps"]), meta["frame_count"], meta["cuts"],
                      [Line(*c) for c in meta["cues"]], {int(k): v for k, v in meta["cut_scores"].items()},
                      loudness=arr("loudness"), loudness_fast=arr("loudness_fast"), speech=arr("speech"),
                      motion=arr("motion"), face_share=arr("face_share"))
        return sig, meta["episodes"], meta["cpu_s"]
    import verticalize
    import verticalize.analysis as va

    got = {}
    real = va.plan_episodes

    def spy(*a, **k):
        got["sig"] = a[8] if len(a) > 8 else k["signals"]
        return real(*a, **k)

    va.plan_episodes = spy
    c0 = time.process_time()
    try:
        plan = verticalize.analyze(str(video), {k: str(v) for k, v in subs.items()})
    finally:
        va.plan_episodes = real
    cpu = time.process_time() - c0
    sig = got["sig"]
    eps = [{"end": e["end"], "score": e["score"], "reasons": e["reasons"]} for e in plan.episodes]
    meta = {"fps": str(sig.fps), "frame_count": sig.frame_count, "cuts": [int(c) for c in sig.cuts],
            "cues": [[c.start, c.end, c.text] for c in sig.cues],
            "cut_scores": {str(k): float(v) for k, v in sig.cut_scores.items()}, "episodes": eps, "cpu_s": cpu}
    arrays = {k: np.asarray(getattr(sig, k)) for k in ("loudness", "loudness_fast", "speech", "motion", "face_share")
              if getattr(sig, k) is not None}
    np.savez_compressed(cache, meta=json.dumps(meta), **arrays)
    return sig, eps, cpu


def replan(sig) -> list[dict]:
    from edit.episodes import plan_episodes
    from verticalize.options import DEFAULTS as O

    sig._raw = None
    sig._cue_index = None
    eps = plan_episodes(sig.frame_count, sig.fps, sig.cuts, sig.cut_scores, sig.cues, O.episode_min_s,
                        O.episode_max_s, O.episodes, sig, O.first_episode_min_s, strict=O.strict_boundaries)
    return [{"end": e.end, "score": e.score, "reasons": e.reasons} for e in eps]


def features_at(sig, frame: int) -> dict:
    from edit.episodes import hook_features

    bounds = [0] + sorted(c for c in set(sig.cuts) if 0 < c < sig.frame_count) + [sig.frame_count]
    lengths = np.diff(bounds)
    if frame not in bounds:
        return {}
    k = bounds.index(frame)
    return hook_features(frame, sig, list(lengths[max(0, k - 3):k]), float(np.median(lengths)))


def report(title: str, sig, eps: list[dict], planted: list[tuple[int, str]], windowed: bool) -> tuple[int, int]:
    from edit.episodes import _score, inside_speech, _covered_by_cues

    fps = float(sig.fps)
    ends = [e["end"] for e in eps[:-1]]
    near = lambda c: any(abs(c - e) <= 1 for e in ends)
    covered = _covered_by_cues(sig.cues, sig.frame_count)
    print(f"\n== {title}: {sig.frame_count / fps:.0f} s, {len(sig.cuts)} cuts, {len(sig.cues)} cues, "
          f"{len(eps)} episodes")
    print(f"{'planted':>9s} {'recipe':9s} {'chosen':6s} {'score':>6s} {'clean':5s} {'rank':>4s}  features")
    for c, recipe in planted:
        f = features_at(sig, c) or features_at(sig, c + 1) or features_at(sig, c - 1)
        found = next((x for x in (c, c + 1, c - 1) if x in sig.cuts), None)
        clean = found is not None and not covered[found] and not inside_speech(found, sig.speech, sig.fps)
        # rank among the cuts 60-120 s after the previous chosen boundary
        prev = max([0] + [e for e in ends if e < c - 1])
        window = [x for x in sig.cuts if prev + 60 * fps <= x <= prev + 120 * fps]
        scores = sorted(((_score(features_at(sig, x)), x) for x in window if not covered[x]
                         and not inside_speech(x, sig.speech, sig.fps)), reverse=True)
        rank = next((i + 1 for i, (_, x) in enumerate(scores) if abs(x - c) <= 1), 0)
        fs = " ".join(f"{k}={v:.2f}" for k, v in sorted(f.items(), key=lambda kv: -kv[1]))
        print(f"{c / fps:8.1f}s {recipe:9s} {'yes' if near(c) else 'NO':6s} {_score(f):6.2f} "
              f"{'yes' if clean else 'NO':5s} {rank:4d}  {fs}")
    print(f"{'boundary':>9s} {'planted':7s} {'score':>6s}  reasons")
    pl = {c for c, _ in planted}
    for e in eps[:-1]:
        rs = " ".join(f"{r['feature']}={r['value']}" for r in e["reasons"])
        print(f"{e['end'] / fps:8.1f}s {'yes' if any(abs(e['end'] - c) <= 1 for c in pl) else '-':7s} "
              f"{e['score']:6.2f}  {rs}")
    if windowed:   # as tests/test_pipeline_e2e.py: a planted hook inside the episode's window is a chance
        chances = hits = 0
        prev = 0
        for e in eps[:-1]:
            w = range(prev + int(60 * fps), prev + int(120 * fps) + 1)
            if any(c in w for c in pl):
                chances += 1
                hits += any(abs(e["end"] - c) <= 1 for c in pl)
            prev = e["end"]
    else:
        chances, hits = len(pl), sum(near(c) for c in pl)
    print(f"chosen: {hits}/{chances} = {100 * hits / max(1, chances):.0f}%")
    return hits, chances


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("media", nargs="?", default=str(ROOT.parent / "shared" / "media"))
    ap.add_argument("--seed", type=int, nargs="+", default=[1])
    ap.add_argument("--replan", action="store_true", help="plan from the cached Signals with the current code")
    ap.add_argument("--samples", action="store_true", help="also the drama sample's planted hooks")
    args = ap.parse_args(argv)
    logging_quiet()
    total_h = total_c = 0
    for seed in args.seed:
        d = WORK / f"seed{seed}"
        tj = d / "truth.json"
        if not tj.exists() or json.loads(tj.read_text()).get("version") != VERSION:
            for f in ("signals.npz",):
                (d / f).unlink(missing_ok=True)
            c0 = time.process_time()
            t0 = time.perf_counter()
            Film(seed, Path(args.media)).build(d)
            print(f"built {d / 'film.mp4'} in {time.perf_counter() - t0:.0f} s ({time.process_time() - c0:.0f} CPU s "
                  "here, plus ffmpeg)")
        truth = json.loads(tj.read_text())
        sig, eps, cpu = analyse(d / "film.mp4", {"es": d / "film.es.srt"}, d / "signals.npz")
        if args.replan:
            eps = replan(sig)
        h, c = report(f"fixture seed {seed} ({'replanned' if args.replan else f'analyze, {cpu:.0f} CPU s'})", sig, eps,
                      [(x["frame"], x["recipe"]) for x in truth["hooks"]], False)
        total_h += h
        total_c += c
    if args.samples:
        smp = ROOT / "samples"
        truth = json.loads((smp / "drama.truth.json").read_text())
        WORK.mkdir(parents=True, exist_ok=True)
        sig, eps, cpu = analyse(smp / "drama.mp4", {"en": smp / "subs" / "drama.en.srt",
                                                   "zh-Hans": smp / "subs" / "drama.zh-Hans.gbk.srt"},
                                WORK / "drama.signals.npz")
        if args.replan:
            eps = replan(sig)
        report("drama sample", sig, eps, [(c, "sample") for c in truth["cliffhangers"]], True)
    if len(args.seed) > 1:
        print(f"\nall fixtures: {total_h}/{total_c} = {100 * total_h / max(1, total_c):.0f}%")


def logging_quiet():
    import logging

    logging.basicConfig(level=logging.ERROR)


if __name__ == "__main__":
    main()
