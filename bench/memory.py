"""Peak memory and time of ``verticalize analyze`` against input length: does it stay linear, and how steep?

    python bench/memory.py [VIDEO ...] [--tree DIR] [--subs-from-name] [--json OUT]
    python bench/memory.py samples/build/long5m.mp4 samples/build/long.mp4   # 5 min against 2 h

Each input is analysed in a fresh process; the peak RSS of its process tree is
polled every 0.2 s. Printed per input: frames, wall and CPU seconds, fps, peak
RSS, and the plan's size on disk and in memory per frame. With two or more
inputs, the slope between the shortest and the longest (MB per hour of input,
seconds per hour) and the long run against the short one scaled up tell
whether anything grows faster than the film.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from e2e import BUILD, cpu_model, load, measure, warm_up  # noqa: E402


def deep_size(obj, seen=None) -> int:
    """Bytes of a JSON-like Python object in memory (lists, dicts, ints, floats, strings)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, (list, tuple)):
        size += sum(deep_size(v, seen) for v in obj)
    return size


def plan_bytes_per_frame(plan_path: Path, tree: Path) -> dict:
    """The plan on disk and as verticalize.plan.read_plan holds it, per source frame."""
    sys.path.insert(0, str(tree))
    from verticalize.plan import read_plan

    plan = read_plan(plan_path)
    n = plan.source["frame_count"]
    crop = deep_size(plan.crop)
    total = deep_size(vars(plan)) if hasattr(plan, "__dict__") else crop
    return {"frames": n, "file_b_per_frame": round(plan_path.stat().st_size / n, 1),
            "crop_mem_b_per_frame": round(crop / n, 1), "plan_mem_b_per_frame": round(total / n, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("videos", nargs="*", type=Path,
                    help="inputs (default samples/build/long5m.mp4; make_long.py inputs get their .en.srt)")
    ap.add_argument("--tree", type=Path, default=ROOT, help="source tree verticalize runs from (default this checkout)")
    ap.add_argument("--no-subs", action="store_true", help="analyse without the make_long.py subtitles")
    ap.add_argument("--size", default="1080x1920", help="output WIDTHxHEIGHT the plans are made for (default 1080x1920)")
    ap.add_argument("--render", action="store_true",
                    help="also render each plan (verticalize render, --preset/--jobs below) and measure that")
    ap.add_argument("--preset", default="veryfast", help="x264 preset for --render (default veryfast)")
    ap.add_argument("--jobs", type=int, default=0, help="parallel renders for --render (0: one per core)")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="keep the plans (and renders) in DIR")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    tree = args.tree.resolve()
    videos = args.videos or [BUILD / "long5m.mp4"]
    sys.path.insert(0, str(tree))
    from verticalize.media import probe

    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONUNBUFFERED="1")
    print(f"tree {tree}; machine {cpu_model()}, {os.cpu_count()} cores; load at start {load()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="memory-") as tmp:
        w = warm_up([sys.executable, "-m", "verticalize"], env, tree, Path(tmp))
        print(f"  warm-up (numba cache of this tree): {w.wall:.0f} s", flush=True)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            tmp = str(args.keep.resolve())
        for video in videos:
            video = video.resolve()
            info = probe(video)
            srt = video.with_name(video.stem + ".en.srt")
            subs = ["--subs", f"en={srt}"] if srt.is_file() and not args.no_subs else []
            plan = Path(tmp) / f"{video.stem}.plan.json"
            m = measure([[sys.executable, "-m", "verticalize", "analyze", str(video), "-o", str(plan), "--size", args.size]
                         + subs], env=env, cwd=tree)
            row = {"input": str(video), "frames": info.frame_count, "hours": float(info.frame_count / info.fps) / 3600,
                   "subtitles": bool(subs), **m.as_dict(), **plan_bytes_per_frame(plan, tree)}
            rows.append(row)
            print(f"  {video.name}: {m.wall:.0f} s, peak RSS {m.rss_tree / 2**20:.0f} MB (load {m.load_after})", flush=True)
            if args.render:
                out = Path(tmp) / f"{video.stem}.out"
                r = measure([[sys.executable, "-m", "verticalize", "render", str(plan), "-o", str(out), "--preset",
                              args.preset, "--jobs", str(args.jobs or os.cpu_count() or 1)]], env=env, cwd=tree)
                files = list(out.glob("ep*.mp4"))
                row["render"] = {**r.as_dict(), "files": len(files), "bytes": sum(f.stat().st_size for f in files)}
                print(f"  {video.name} render {args.size}: {r.wall:.0f} s, {len(files)} files, peak RSS tree "
                      f"{r.rss_tree / 2**20:.0f} MB, largest process {r.rss_max / 2**20:.0f} MB (load {r.load_after})",
                      flush=True)
                if not args.keep:
                    for f in out.iterdir():
                        f.unlink()
    print()
    print("| input | frames | wall s | CPU s | fps | peak RSS tree MB | largest process MB | plan file B/frame | "
          "crop in memory B/frame |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {Path(r['input']).name} | {r['frames']} | {r['wall_s']:.0f} | {r['cpu_s']:.0f} | "
              f"{r['frames'] / r['wall_s']:.0f} | {r['peak_rss_tree_mb']:.0f} | {r['peak_rss_process_mb']:.0f} | "
              f"{r['file_b_per_frame']:.0f} | {r['crop_mem_b_per_frame']:.0f} |")
    if len(rows) >= 2:
        a, b = min(rows, key=lambda r: r["frames"]), max(rows, key=lambda r: r["frames"])
        k = b["frames"] / a["frames"]
        dh = b["hours"] - a["hours"]
        print(f"\n{Path(b['input']).name} is {k:.1f}x {Path(a['input']).name}: wall {b['wall_s'] / a['wall_s']:.1f}x, "
              f"CPU {b['cpu_s'] / a['cpu_s']:.1f}x (linear: {k:.1f}x); peak RSS grows "
              f"{(b['peak_rss_tree_mb'] - a['peak_rss_tree_mb']) / dh:.0f} MB per hour of input")
    for r in rows:
        if "render" in r:
            x = r["render"]
            print(f"render {Path(r['input']).name} at {args.size}: {x['files']} files in {x['wall_s']:.0f} s "
                  f"(CPU {x['cpu_s']:.0f} s), peak RSS tree {x['peak_rss_tree_mb']:.0f} MB, "
                  f"largest process {x['peak_rss_process_mb']:.0f} MB")
    print(f"load at end {load()}")
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu_model(), "cores": os.cpu_count(), "tree": str(tree), "rows": rows},
                                        indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
