"""Analysis throughput next to plain decoding of the same file, measured in one run.

    python bench/analysis_speed.py [VIDEO] [--repeat N]

Prints seconds, fps, CPU seconds (medians of ``--repeat`` rounds, each round timing every row
once, in turn) and the ratio to a plain ``ffmpeg -i IN -f null -``
decode (the issue's target is analysis >= 0.9x decode). Rows:

- the plain decode (the reference);
- the decode the analysis uses: intra and P-frames only, at analysis size, in
  parallel keyframe chunks;
- every frame decoded and scaled into numpy (what the analysis did before);
- the analysis as shipped (shots, saliency, faces, persons, audio, camera path,
  episodes) and, for comparison, the same analysis decoding every frame.

The numba JIT is warmed (or loaded from its cache) before timing and reported
on its own line; mediapipe's import and model load are inside the timings.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from verticalize.analysis import analyze  # noqa: E402
from verticalize.options import DEFAULTS  # noqa: E402
from verticalize.media import analysis_size, decode_frames, decode_indexed_parallel, ffmpeg_exe, probe  # noqa: E402


def _cpu() -> float:
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def timed(fn, repeat: int) -> tuple[float, float]:
    """(median wall seconds, median CPU seconds of this process and its children)."""
    walls, cpus = [], []
    for _ in range(repeat):
        c, t = _cpu(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(_cpu() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", default=str(ROOT / "samples" / "drama.mp4"))
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-exhaustive", action="store_true", help="skip the every-frame analysis row")
    args = ap.parse_args()
    info = probe(args.video)
    aw, ah = analysis_size(info, DEFAULTS.analysis_width_px)

    t = time.perf_counter()
    import numpy as np

    from edit.shots import frame_features
    from reframe.saliency import SaliencyTracker, changed_fraction
    f = np.zeros((ah, aw, 3), np.uint8)
    frame_features(f), SaliencyTracker(aw, ah, 0.3, info.width).process_frame(0, f), changed_fraction(f[..., 0], f[..., 0])
    jit = time.perf_counter() - t

    rows = [
        ("ffmpeg decode -> null", lambda: subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", args.video, "-map", "0:v:0", "-f", "null", "-"], check=True)),
        (f"decode I/P frames {aw}x{ah} into numpy", lambda: sum(
            1 for _ in decode_indexed_parallel(info, aw, ah, skip="bidir"))),
        (f"decode every frame {aw}x{ah} into numpy", lambda: sum(1 for _ in decode_frames(info, aw, ah))),
        ("verticalize analysis", lambda: analyze(args.video)),
    ]
    if not args.no_exhaustive:
        rows.append(("  ... decoding every frame", lambda: analyze(
            args.video, opts=DEFAULTS.with_(analysis_skip_frames=False))))
    # the repeats go round the rows (decode, ..., analysis, decode, ...), so a machine whose speed
    # drifts over minutes weighs on every row alike; medians per row
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in rows}
    for _ in range(args.repeat):
        for name, fn in rows:
            runs[name].append(timed(fn, 1))
    results = [(name, statistics.median(w for w, _ in runs[name]), statistics.median(c for _, c in runs[name]))
               for name, _ in rows]
    base = results[0][1]
    load = os.getloadavg()[0]
    print(f"input: {args.video} ({info.width}x{info.height}, {info.frame_count} frames @ {float(info.fps):.3f} fps)")
    print(f"machine: {os.cpu_count()} cores, load average {load:.2f} at the end")
    print(f"numba JIT warm-up (paid once per process, cached on disk): {jit:.2f} s")
    print(f"{'step':44} {'seconds':>8} {'CPU s':>7} {'fps':>8} {'throughput vs decode':>21}")
    for name, sec, cpu in results:
        print(f"{name:44} {sec:8.2f} {cpu:7.2f} {info.frame_count / sec:8.1f} {base / sec:20.2f}x")


if __name__ == "__main__":
    main()
