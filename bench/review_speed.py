"""The review page's cost next to the analysis it reviews: wall and CPU seconds, side by side.

    python bench/review_speed.py samples/drama.mp4 --subs en=samples/subs/drama.en.srt [--repeat 2]

Each step is a fresh ``python -m verticalize`` process (analyze, then review
of that plan), so both pay the same start-up; CPU seconds are the user +
system time of the process and its ffmpeg children. Prints one row per step
and repeat and the review / analysis ratios of the medians, with the load average.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of ``python -m verticalize ARGS`` and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-m", "verticalize", *args], check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("video")
    p.add_argument("--subs", action="append", default=[], metavar="LANG=PATH")
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="review-speed-"))
    plan = work / "plan.json"
    subs = [a for s in args.subs for a in ("--subs", s)]
    timed(["analyze", args.video, "-o", str(plan), *subs])  # warm-up: numba cache, page cache
    rows = {"analyze": [], "review": []}
    load0 = os.getloadavg()
    for k in range(args.repeat):
        rows["analyze"].append(timed(["analyze", args.video, "-o", str(plan), *subs]))
        rows["review"].append(timed(["review", str(plan), "-o", str(work / "review")]))
    load1 = os.getloadavg()
    print(f"{args.video}: load {load0[0]:.1f} -> {load1[0]:.1f}")
    print(f"{'step':<10} {'wall s':>8} {'CPU s':>8}")
    for step, values in rows.items():
        for wall, cpu in values:
            print(f"{step:<10} {wall:8.2f} {cpu:8.2f}")
    med = {s: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for s, v in rows.items()}
    print(f"review / analysis (medians): wall {med['review'][0] / med['analyze'][0]:.3f}, "
          f"CPU {med['review'][1] / med['analyze'][1]:.3f}")
    images = list((work / "review" / "img").iterdir())
    print(f"review: {len(images)} images, {sum(f.stat().st_size for f in images) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
