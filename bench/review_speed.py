"""The review page's cost next to the analysis it reviews: wall and CPU seconds, side by side.

    python bench/review_speed.py samples/drama.mp4 --subs en=samples/subs/drama.en.srt [--repeat 2]
    python bench/review_speed.py film.mp4 --plan film.json --analysis 860 1210   # analysis timed elsewhere

Each step is a fresh ``python -m verticalize`` process (analyze, then review
of that plan), so both pay the same start-up; CPU seconds are the user +
system time of the process and its ffmpeg children. Prints a table, one row
per repeat: analysis wall and CPU, review wall and CPU, review / analysis for
both, then the ratios of the medians, with the load average. ``--plan`` with
``--analysis CPU_S WALL_S``: review that plan, against an analysis measured
elsewhere (a 2-hour film is analysed once, not per repeat).
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
    p.add_argument("--no-warmup", action="store_true", help="no first analysis to warm the caches")
    p.add_argument("--plan", help="review this plan (no analysis here); needs --analysis")
    p.add_argument("--analysis", type=float, nargs=2, metavar=("CPU_S", "WALL_S"),
                   help="the plan's analysis, measured elsewhere: CPU and wall seconds")
    args = p.parse_args()
    if (args.plan is None) != (args.analysis is None):
        p.error("--plan and --analysis go together")
    work = Path(tempfile.mkdtemp(prefix="review-speed-"))
    plan = Path(args.plan) if args.plan else work / "plan.json"
    subs = [a for s in args.subs for a in ("--subs", s)]
    if args.plan is None and not args.no_warmup:
        timed(["analyze", args.video, "-o", str(plan), *subs])  # warm-up: numba cache, page cache
    rows = []  # (analysis wall, CPU, review wall, CPU)
    load0 = os.getloadavg()
    for _ in range(args.repeat):
        if args.plan is None:
            a_wall, a_cpu = timed(["analyze", args.video, "-o", str(plan), *subs])
        else:
            a_cpu, a_wall = args.analysis
        r_wall, r_cpu = timed(["review", str(plan), "-o", str(work / "review")])
        rows.append((a_wall, a_cpu, r_wall, r_cpu))
    load1 = os.getloadavg()
    print(f"{args.video}: load {load0[0]:.1f} -> {load1[0]:.1f}"
          + (" (analysis measured elsewhere)" if args.plan else ""))
    print(f"{'':<8} {'analysis wall s':>15} {'CPU s':>8} {'review wall s':>13} {'CPU s':>8} "
          f"{'review/analysis wall':>20} {'CPU':>6}")
    for k, (aw, ac, rw, rc) in enumerate(rows):
        print(f"{'run ' + str(k + 1):<8} {aw:15.2f} {ac:8.2f} {rw:13.2f} {rc:8.2f} {rw / aw:20.3f} {rc / ac:6.3f}")
    aw, ac, rw, rc = (statistics.median(r[i] for r in rows) for i in range(4))
    print(f"{'median':<8} {aw:15.2f} {ac:8.2f} {rw:13.2f} {rc:8.2f} {rw / aw:20.3f} {rc / ac:6.3f}")
    images = list((work / "review" / "img").iterdir())
    print(f"review: {len(images)} images, {sum(f.stat().st_size for f in images) / 1e6:.1f} MB; "
          f"plan and page in {work}")


if __name__ == "__main__":
    main()
