"""Delivery audio, side by side: loudness and true peak of every output, and what the loudness
pass costs in render time.

    python bench/delivery.py [../shared/media] [--seconds 30] [--size 1080x1920] [--preset veryfast]

Lays each test sound under the first ``--seconds`` of the drama sample's picture (into
bench/.delivery/, ignored): a quiet tone (-45 dBFS), loud pink noise over 0 dBTP, a
hard-clipped square wave, and, from the media folder, every ``speech_*.mp3`` (real speech;
looped to the length). Each is rendered twice in one run, one after the other, as two
episodes at ``--size``: with ``--loudness off`` (today's render) and with the default
(-14 LUFS, true peak <= -1 dBTP), and a third time as a dub (``dubs`` of the plan: the
same sound from its own file as language ``es``, rendered with ``langs=["es"]``). Prints per output the integrated loudness and true peak
(ffmpeg ebur128 peak=true on the file) and per input the wall and CPU seconds of both
renders (ffmpeg's CPU: children of this process) and their ratio, and the CPU of the
audio-only passes alone (the loudness measurement before and on the file after each
episode, timed again on their own), which does not vary with the machine's load the way
x264's threads do.
"""
from __future__ import annotations

import argparse
import resource
from dataclasses import replace
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from verticalize.media import ffmpeg_exe, probe  # noqa: E402
from verticalize.media.compare import audio_loudness  # noqa: E402
from verticalize.options import DEFAULTS  # noqa: E402
from verticalize.plan import Plan, crop_size_for  # noqa: E402
from verticalize.media.encode import AudioTrack, Segment, measure_loudness  # noqa: E402
from verticalize.render import episode_windows, render  # noqa: E402

SOUNDS = {
    "quiet": ["-f", "lavfi", "-i", "sine=f=440,volume=-45dB"],
    "loud": ["-f", "lavfi", "-i", "anoisesrc=c=pink:a=0.9,volume=3dB"],
    "clipped": ["-f", "lavfi", "-i", "sine=f=220,volume=30dB,aformat=sample_fmts=s16"],
}


def build(picture: Path, sound: list[str], out: Path, seconds: float) -> Path:
    import subprocess

    if not out.is_file():
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-t", str(seconds), "-i", str(picture), *sound,
                        "-map", "0:v", "-map", "1:a", "-t", str(seconds), "-c:v", "copy", "-c:a", "pcm_s16le",
                        str(out)], check=True)
    return out


def plan_for(path: Path, width: int, height: int) -> Plan:
    info = probe(path)
    n = info.frame_count
    cw, ch = crop_size_for(info.width, info.height, width, height)
    return Plan(source={"path": str(path), "width": info.width, "height": info.height,
                        "fps": f"{info.fps.numerator}/{info.fps.denominator}", "frame_count": n, "has_audio": True},
                target={"width": width, "height": height}, shots=[{"start": 0, "end": n, "mode": "track"}],
                crop={"x": [(info.width - cw) // 2] * n, "y": [0] * n, "w": [cw] * n, "h": [ch] * n},
                episodes=[{"index": 1, "start": 0, "end": n // 2, "score": 0.0, "reasons": []},
                          {"index": 2, "start": n // 2, "end": n, "score": 0.0, "reasons": []}])


def timed(fn) -> tuple[float, float]:
    c0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    fn()
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t0, c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("media", nargs="?", type=Path, help="folder with speech_*.mp3 (real speech)")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--size", default="1080x1920")
    ap.add_argument("--preset", default=DEFAULTS.preset)
    ap.add_argument("--no-dub", action="store_true", help="skip the dub rows")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    work = HERE / ".delivery"
    work.mkdir(exist_ok=True)
    sounds = dict(SOUNDS)
    for mp3 in sorted(args.media.glob("speech_*.mp3")) if args.media else []:
        sounds[mp3.stem] = ["-stream_loop", "-1", "-i", str(mp3)]
    picture = ROOT / "samples" / "drama.mp4"
    opts = DEFAULTS.with_(preset=args.preset, jobs=1)
    totals = {"off": [0.0, 0.0], "on": [0.0, 0.0], "dub": [0.0, 0.0], "passes": [0.0, 0.0]}
    print(f"{'input':24} {'mode':4} {'wall s':>7} {'cpu s':>7}  outputs: integrated LUFS / true peak dBTP")
    for name, sound in sounds.items():
        src = build(picture, sound, work / f"{name}.mov", args.seconds)
        plan = plan_for(src, w, h)
        # dub: the same sound as a dubbed mix (a second input file, cut and normalized as a dub)
        dubbed = replace(plan, dubs={"es": {"path": str(src), "offset_s": "0"}})
        modes = [("off", opts.with_(normalize_loudness=False), plan, None), ("on", opts, plan, None)]
        if not args.no_dub:
            modes.append(("dub", opts, dubbed, ["es"]))
        for mode, o, p, langs in modes:
            out = work / f"{name}.{mode}"
            wall, cpu = timed(lambda: render(p, out, o, langs=langs))
            totals[mode][0] += wall
            totals[mode][1] += cpu
            levels = [audio_loudness(out / (f"ep00{k}.es.mp4" if langs else f"ep00{k}.mp4")) for k in (1, 2)]
            ok = all(abs(m.integrated_lufs + 14) <= 0.5 and m.true_peak_dbtp <= -1.0 for m in levels)
            print(f"{name:24} {mode:4} {wall:7.2f} {cpu:7.2f}  " +
                  "  ".join(f"{m.integrated_lufs:6.1f} / {m.true_peak_dbtp:5.1f}" for m in levels) +
                  ("" if mode == "off" else ("  ok" if ok else "  MISS")), flush=True)
        segs = [[Segment(ep["start"], ep["end"], *episode_windows(plan, ep["start"], ep["end"]))] for ep in plan.episodes]
        wall, cpu = timed(lambda: [measure_loudness(plan, s, AudioTrack()) for s in segs] +
                          [audio_loudness(work / f"{name}.on" / f"ep00{k}.mp4") for k in (1, 2)])
        totals["passes"][0] += wall
        totals["passes"][1] += cpu
        print(f"{name:24} audio-only passes: {cpu:.2f} s cpu", flush=True)
    (w0, c0), (w1, c1) = totals["off"], totals["on"]
    print(f"total: off {w0:.1f} s wall {c0:.1f} s cpu; on {w1:.1f} s wall {c1:.1f} s cpu; "
          f"cost +{100 * (w1 / w0 - 1):.1f}% wall, +{100 * (c1 / c0 - 1):.1f}% cpu; audio-only passes "
          f"{totals['passes'][1]:.1f} s cpu = {100 * totals['passes'][1] / c0:.1f}% of the plain renders' cpu")
    if not args.no_dub:
        w2, c2 = totals["dub"]
        print(f"dub (loudness on, the sound as a dub file): {w2:.1f} s wall {c2:.1f} s cpu; "
              f"against off +{100 * (w2 / w0 - 1):.1f}% wall, +{100 * (c2 / c0 - 1):.1f}% cpu")
    return 0


if __name__ == "__main__":
    sys.exit(main())
