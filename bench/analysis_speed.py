"""Analysis throughput next to plain decoding of the same file, measured in one run.

    python bench/analysis_speed.py [VIDEO] [--repeat N]

Prints seconds, fps and the ratio to a plain ``ffmpeg -i IN -f null -`` decode
(the issue's target is analysis >= 0.9x decode). The numba JIT warm-up is paid
before timing and reported on its own line.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edit.analyze import analyze  # noqa: E402
from edit.media import analysis_size, decode_frames, ffmpeg_exe, probe  # noqa: E402


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", default=str(ROOT / "samples" / "drama.mp4"))
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    info = probe(args.video)
    aw, ah = analysis_size(info, 384)

    t = time.perf_counter()
    import numpy as np
    from edit.shots import frame_features
    from reframe.saliency import best_window, saliency_columns
    f = np.zeros((ah, aw, 3), np.uint8)
    frame_features(f), best_window(saliency_columns(f)[0], 10)
    jit = time.perf_counter() - t

    rows = [
        ("ffmpeg decode -> null", lambda: subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", args.video, "-map", "0:v:0", "-f", "null", "-"], check=True)),
        (f"decode + scale {aw}x{ah} into numpy", lambda: sum(1 for _ in decode_frames(info, aw, ah))),
        ("verticalize analysis (shots, saliency, faces)", lambda: analyze(args.video)),
    ]
    results = [(name, timed(fn, args.repeat)) for name, fn in rows]
    base = results[0][1]
    print(f"input: {args.video} ({info.width}x{info.height}, {info.frame_count} frames @ {float(info.fps):.3f} fps)")
    print(f"numba JIT warm-up (paid once per process, cached on disk): {jit:.2f} s")
    print(f"{'step':48} {'seconds':>8} {'fps':>8} {'throughput vs decode':>21}")
    for name, sec in results:
        print(f"{name:48} {sec:8.2f} {info.frame_count / sec:8.1f} {base / sec:20.2f}x")


if __name__ == "__main__":
    main()
