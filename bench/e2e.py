"""End to end: ``verticalize run`` next to the physical floor, measured in one run on one machine.

    python bench/e2e.py [--input VIDEO] [--subs LANG=PATH ...] [--cut-s 120] [--size 1080x1920]
                        [--preset veryfast] [--crf 20] [--jobs N] [--repeat N] [--steps ...] [--json OUT]
    python bench/e2e.py --long      # samples/build/long.mp4 (2 h, built by samples/make_long.py)
    python bench/e2e.py --minutes 5 # samples/build/long5m.mp4, the same structure for 5 minutes

Steps, each a child process timed by wall clock and CPU seconds, with the peak
RSS of its whole process tree (sum over processes, polled every 0.2 s) and of
its largest single process:

* ``decode``  ``ffmpeg -i IN -map 0:v:0 -f null -``: decoding alone
* ``analyze`` ``verticalize analyze`` (writes the plan whose episodes the split floor uses)
* ``floor``   one ffmpeg: static centre crop to 9:16, scale to the output size (lanczos, as the
              renderer), x264 with the same preset and CRF, AAC 128k: the least any renderer
              of this input at this size can do
* ``split``   the same floor, but one file per episode and language, ``--jobs`` at a time, each
              process seeking to its episode as the renderer does: the same outputs as ``run``
* ``run``     ``verticalize run`` (analysis, then the episodes rendered with subtitles burned in)
* ``render``  ``verticalize render`` of the analysed plan alone (``--steps analyze,render,reencode``)
* ``reencode`` every file ``render`` wrote, decoded and encoded again with the same x264 options
              (preset, CRF, profile, threads) and AAC 128k, ``--jobs`` at a time: the content's own
              cost (a moving crop makes every frame move, so a static-crop transcode is not the floor
              for it); ``render / reencode`` is the renderer's overhead over that

``--languages`` instead compares languages, side by side on the same film
(``--subs`` or drama's five): ``run`` with the first language only, ``run``
with all of them in one ffmpeg per episode (the default), and ``run`` with
``--encoders-per-process 1`` (one ffmpeg per episode and language, as before),
with each run's CPU over the 1-language run's and whether the two many-language
runs wrote the same bytes (MD5 of every file but the manifest).

``run / split`` is the fair ratio (same files, same parallelism; the gap is
analysis, per-frame crop, subtitles and process overheads); ``run / floor``
also charges the split into files. The load average is printed with the
results: on a shared machine the wall-clock times are "loaded", CPU seconds
less so.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUILD = ROOT / "samples" / "build"
STEPS = ("decode", "analyze", "floor", "split", "run", "render", "reencode")
DEFAULT_STEPS = ("decode", "analyze", "floor", "split", "run")


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _commit(tree: Path) -> str:
    stamp = tree / "COMMIT"  # written next to a `git archive` snapshot
    if stamp.is_file():
        return stamp.read_text().strip()
    proc = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return (proc.stdout.strip() + ("+uncommitted edits" if dirty else "")) if proc.returncode == 0 else ""


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


class Measured:
    """Wall seconds, CPU seconds (user + sys of the children) and peak RSS of one command tree."""

    def __init__(self, wall: float, cpu: float, rss_tree: int, rss_max: int, load_before: str, load_after: str):
        self.wall, self.cpu, self.rss_tree, self.rss_max = wall, cpu, rss_tree, rss_max
        self.load_before, self.load_after = load_before, load_after

    def as_dict(self) -> dict:
        return {"wall_s": round(self.wall, 2), "cpu_s": round(self.cpu, 2), "peak_rss_tree_mb": round(self.rss_tree / 2**20, 1),
                "peak_rss_process_mb": round(self.rss_max / 2**20, 1), "load_before": self.load_before,
                "load_after": self.load_after}


def measure(commands: list[list[str]], jobs: int = 1, env: dict | None = None, cwd: Path = ROOT) -> Measured:
    """Run ``commands`` (``jobs`` at a time) and poll their process trees every 0.2 s."""
    import psutil

    me = psutil.Process()
    peak_tree = peak_one = 0
    stop = threading.Event()

    def poll():
        nonlocal peak_tree, peak_one
        while not stop.is_set():
            total = 0
            for p in me.children(recursive=True):
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                peak_one = max(peak_one, rss)
            peak_tree = max(peak_tree, total)
            stop.wait(0.02 if time.perf_counter() - t < 2 else 0.2)  # short commands: look often at first

    def one(cmd):
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env, cwd=cwd)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise SystemExit(f"e2e: command failed ({proc.returncode}): {' '.join(cmd)}\n" + "\n".join(tail))
        return proc

    watcher = threading.Thread(target=poll, daemon=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    lb = load()
    t = time.perf_counter()
    watcher.start()  # polls the tree: RSS summed over processes (shared pages count once per process)
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(one, commands))
    finally:
        stop.set()
        watcher.join()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(wall, cpu, peak_tree, peak_one, lb, load())


def best_of(repeat: int, fn) -> Measured:
    runs = [fn() for _ in range(repeat)]
    best = min(runs, key=lambda m: m.wall)
    best.rss_tree = max(m.rss_tree for m in runs)
    best.rss_max = max(m.rss_max for m in runs)
    return best


def warm_up(vert: list[str], env: dict, tree: Path, work: Path) -> Measured:
    """Untimed: samples/warm_cache.py of ``tree`` (a 3.5-s clip analysed), so the numba kernels are
    compiled into the tree's cache before the timed rows (``make`` does the same at install)."""
    script = tree / "samples" / "warm_cache.py"
    if not script.is_file():
        script = ROOT / "samples" / "warm_cache.py"
    return measure([[vert[0], str(script)]], env=env, cwd=tree)


def cut_input(src: Path, seconds: float, subs: dict[str, Path]) -> tuple[Path, dict[str, Path]]:
    """The first ``seconds`` of ``src`` by stream copy (cached in samples/build/), and its subtitles' SRT cues in it.

    The picture ends just before the last keyframe at or before ``seconds`` (``-frames:v``, counted
    in decode order): a cut elsewhere drops the B-frames after its last reference frame, and the
    gap at its end makes the file variable-frame-rate, which the renderer handles on another path."""
    from verticalize.media import probe
    from verticalize.media.thumbs import keyframes

    BUILD.mkdir(parents=True, exist_ok=True)
    out = BUILD / f"{src.stem}.cut{seconds:g}s.key.mp4"
    if not out.is_file() or out.stat().st_mtime < src.stat().st_mtime:
        info = probe(src)
        keys = [] if info.vfr else [k for k in keyframes(info) if 0 < k <= seconds * info.fps]
        length = ["-frames:v", str(keys[-1]), "-t", f"{float(keys[-1] / info.fps):.6f}"] if keys else ["-t", f"{seconds}"]
        tmp = out.with_name(f".{out.name}.part")
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-map", "0", *length, "-c", "copy",
                        "-f", "mp4", str(tmp)], check=True)
        os.replace(tmp, out)
    cut_subs = {}
    for lang, path in subs.items():
        try:
            text = path.read_text(encoding="utf-8-sig") if path.suffix.lower() == ".srt" else None
        except UnicodeDecodeError:
            text = None
        if text is None:
            cut_subs[lang] = path  # other formats and encodings pass whole; cues past the end are ignored
            continue
        blocks = re.split(r"\n\s*\n", text.strip())
        kept = []
        for b in blocks:
            m = re.search(r"(\d+):(\d+):(\d+)[,.](\d+)\s*-->", b)
            if m and int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3]) + int(m[4]) / 1000 < seconds:
                kept.append(b)
        p = BUILD / f"{path.stem}.cut{seconds:g}s.srt"
        p.write_text("\n\n".join(kept) + "\n", encoding="utf-8")
        cut_subs[lang] = p
    return out, cut_subs


def floor_cmd(src: Path, out: Path, w: int, h: int, preset: str, crf: int, start: Fraction | None = None,
              frames: int | None = None, fps: Fraction | None = None) -> list[str]:
    """A static centre crop to w:h, scaled with lanczos, encoded as the renderer encodes."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y"]
    if start:
        cmd += ["-ss", f"{float(start):.6f}"]
    cmd += ["-i", str(src), "-map", "0:v:0", "-map", "0:a:0?",
            "-vf", f"crop='min(iw,ih*{w}/{h})':'min(ih,iw*{h}/{w})',scale={w}:{h}:flags=lanczos,setsar=1,format=yuv420p",
            "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-movflags", "+faststart"]
    if frames is not None:
        cmd += ["-frames:v", str(frames), "-t", f"{float(frames / fps):.6f}"]
    return cmd + ["-f", "mp4", str(out)]


def _digests(folder: Path) -> dict[str, str]:
    import hashlib

    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*/*"))
            if p.name not in ("manifest.json",)}


def compare_languages(vert, env, tree: Path, src: Path, subs: dict, w: int, h: int, args, jobs: int,
                      seconds: float, work: Path) -> int:
    """``run`` with one language, then all languages split in one ffmpeg per episode, then one ffmpeg per
    episode and language; the table and the ratios of CPU seconds to the 1-language run."""
    if len(subs) < 2:
        raise SystemExit("e2e: --languages needs two or more subtitle languages")
    first = next(iter(subs))
    common = ["--size", f"{w}x{h}", "--preset", args.preset, "--crf", str(args.crf), "--jobs", str(jobs)]
    cases = [(f"run, 1 language ({first})", [first], []),
             (f"run, {len(subs)} languages, one ffmpeg per episode", list(subs), []),
             (f"run, {len(subs)} languages, one ffmpeg per language", list(subs), ["--encoders-per-process", "1"])]
    rows = []
    digests = []
    for label, langs, extra in cases:
        out = work / f"out{len(rows)}"
        sub_args = [a for lang in langs for a in ("--subs", f"{lang}={subs[lang]}")]
        print(f"  {label} ...", end="", flush=True)
        m = best_of(args.repeat, lambda: (shutil.rmtree(out, ignore_errors=True),
                                          measure([vert + ["run", str(src), "-o", str(out)] + common + sub_args + extra],
                                                  env=env, cwd=tree))[1])
        manifest = json.loads(next(out.glob("*/manifest.json")).read_text())
        files = sum(len(ep["outputs"]) for ep in manifest["episodes"])
        rows.append((label, files, m))
        digests.append(_digests(out))
        print(f" {m.wall:.1f} s, {m.cpu:.1f} CPU s (load {m.load_after})", flush=True)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print()
    print("| run | files | wall s | CPU s | CPU / 1 language | x realtime | peak RSS tree MB | peak RSS process MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    base = rows[0][2].cpu
    for label, files, m in rows:
        print(f"| {label} | {files} | {m.wall:.1f} | {m.cpu:.1f} | {m.cpu / base:.2f} | {seconds / m.wall:.2f} | "
              f"{m.rss_tree / 2**20:.0f} | {m.rss_max / 2**20:.0f} |")
    same = digests[1] == digests[2]
    print()
    print(f"split / per-language: {rows[1][2].cpu / rows[2][2].cpu:.2f} in CPU, {rows[1][2].wall / rows[2][2].wall:.2f} "
          f"in wall; same bytes in all {len(digests[1])} files (videos, .srt, .vtt): {same}")
    if not same:
        print("  differ: " + ", ".join(sorted(k for k in digests[1] if digests[1].get(k) != digests[2].get(k))))
    print(f"load average (1/5/15 min) at end: {load()}")
    if args.json:
        args.json.write_text(json.dumps({
            "input": str(src), "seconds": seconds, "size": [w, h], "preset": args.preset, "crf": args.crf,
            "jobs": jobs, "cpu": cpu_model(), "cores": os.cpu_count(), "tree": str(tree), "commit": _commit(tree),
            "subtitles": list(subs), "same_bytes": same,
            "runs": [{"label": label, "files": files, **m.as_dict()} for label, files, m in rows]}, indent=1))
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", type=Path, help="video (default samples/drama.mp4, cut to --cut-s)")
    ap.add_argument("--subs", action="append", metavar="LANG=PATH", help="subtitles for run (default en of the sample)")
    ap.add_argument("--no-subs", action="store_true", help="run without subtitles")
    ap.add_argument("--cut-s", type=float, default=None,
                    help="use only the first S seconds (stream copy; default 120 for the drama sample, 0 = all)")
    ap.add_argument("--long", action="store_true", help="the 2-hour input from samples/make_long.py")
    ap.add_argument("--minutes", type=float, help="the make_long.py input of this many minutes (e.g. 5)")
    ap.add_argument("--size", default="1080x1920", help="output WIDTHxHEIGHT (default 1080x1920)")
    ap.add_argument("--preset", default="veryfast", help="x264 preset (default veryfast)")
    ap.add_argument("--crf", type=int, default=20, help="x264 CRF (default 20)")
    ap.add_argument("--jobs", type=int, default=0, help="parallel renders for run and split (0: one per core)")
    ap.add_argument("--repeat", type=int, default=1, help="best of N wall-clock times (default 1)")
    ap.add_argument("--steps", default=",".join(DEFAULT_STEPS),
                    help=f"comma list of {', '.join(STEPS)} (default {','.join(DEFAULT_STEPS)})")
    ap.add_argument("--tree", type=Path, default=ROOT,
                    help="source tree verticalize runs from (default this checkout; e.g. a `git archive` snapshot "
                         "of one commit, to time it while others edit the checkout)")
    ap.add_argument("--no-warmup", action="store_true",
                    help="skip the untimed analysis of a 3-s clip that fills the numba cache first")
    ap.add_argument("--languages", action="store_true",
                    help="compare run with 1 language, all languages split in one ffmpeg per episode, and one "
                    "ffmpeg per language (default subtitles: drama's five)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--keep", action="store_true", help="keep the outputs (printed path)")
    args = ap.parse_args(argv)

    from verticalize.media import probe

    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    if bad := [s for s in steps if s not in STEPS]:
        ap.error(f"--steps: unknown {', '.join(bad)}")
    if args.long or args.minutes:
        minutes = 120.0 if args.long else args.minutes
        name = "long" if minutes == 120 else f"long{minutes:g}m"
        subprocess.run([sys.executable, str(ROOT / "samples" / "make_long.py"), "--minutes", f"{minutes:g}"], check=True)
        src = BUILD / f"{name}.mp4"
        subs = {"en": BUILD / f"{name}.en.srt"}
    else:
        src = args.input or ROOT / "samples" / "drama.mp4"
        if args.input is None and not src.is_file():
            subprocess.run([sys.executable, str(ROOT / "samples" / "make_samples.py")], check=True)
        subs = {"en": ROOT / "samples" / "subs" / "drama.en.srt"} if args.input is None else {}
    for item in args.subs or []:
        lang, _, p = item.partition("=")
        subs[lang] = Path(p)
    if args.languages and args.input is None and not args.subs:
        d = ROOT / "samples" / "subs"
        subs = {"en": d / "drama.en.srt", "es": d / "drama.es.vtt", "zh-Hans": d / "drama.zh-Hans.gbk.srt",
                "ja": d / "drama.ja.srt", "ar": d / "drama.ar.srt"}
    if args.no_subs:
        subs = {}
    cut = args.cut_s if args.cut_s is not None else (120.0 if args.input is None and not (args.long or args.minutes) else 0)
    if cut:
        src, subs = cut_input(Path(src), cut, subs)
    src = Path(src).resolve()
    subs = {lang: Path(p).resolve() for lang, p in subs.items()}
    w, h = (int(v) for v in args.size.lower().split("x"))
    jobs = args.jobs or os.cpu_count() or 1
    info = probe(src)
    frames, fps = info.frame_count, info.fps
    seconds = float(frames / fps)
    work = Path(tempfile.mkdtemp(prefix="e2e-", dir=BUILD if BUILD.is_dir() else None))
    vert = [sys.executable, "-m", "verticalize"]
    sub_args = [a for lang, p in subs.items() for a in ("--subs", f"{lang}={p}")]
    tree = args.tree.resolve()
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(tree))
    env.pop("VERTICALIZE_DEBUG", None)

    print(f"input: {src} ({info.width}x{info.height}, {frames} frames, {seconds:.1f} s @ {float(fps):.3f} fps), "
          f"subtitles: {', '.join(subs) or 'none'}; output {w}x{h}, x264 {args.preset} crf {args.crf}, jobs {jobs}")
    print(f"verticalize from {tree}" + (f" (commit {_commit(tree)})" if _commit(tree) else ""))
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; load average (1/5/15 min) at start {load()}", flush=True)

    results: dict[str, Measured] = {}
    warmup = None
    if not args.no_warmup:  # numba compiles on first use per tree (then cache=True reloads): keep that out of the rows
        warmup = warm_up(vert, env, tree, work)
        print(f"  warm-up: analyze of a 3.5-s clip {warmup.wall:.1f} s (first use in this tree pays the numba JIT)")
    if args.languages:
        try:
            return compare_languages(vert, env, tree, src, subs, w, h, args, jobs, seconds, work)
        finally:
            if args.keep:
                print(f"outputs kept in {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    plan_path = work / "plan.json"
    files = 1
    try:
        for step in STEPS:
            if step not in steps:
                continue
            print(f"  {step} ...", end="", flush=True)
            if step == "decode":
                m = best_of(args.repeat, lambda: measure([[ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(src),
                                                           "-map", "0:v:0", "-f", "null", "-"]]))
            elif step == "analyze":
                m = best_of(args.repeat, lambda: measure([vert + ["analyze", str(src), "-o", str(plan_path),
                                                                   "--size", f"{w}x{h}"] + sub_args], env=env, cwd=tree))
            elif step == "floor":
                m = best_of(args.repeat, lambda: measure([floor_cmd(src, work / "floor.mp4", w, h, args.preset, args.crf)]))
                (work / "floor.mp4").unlink(missing_ok=True)
            elif step == "split":
                if not plan_path.is_file():
                    measure([vert + ["analyze", str(src), "-o", str(plan_path), "--size", f"{w}x{h}"] + sub_args], env=env, cwd=tree)
                plan = json.loads(plan_path.read_text())
                langs = list(subs) or [None]
                cmds = []
                for ep in plan["episodes"]:
                    for lang in langs:
                        s, e = ep["start"], ep["end"]
                        start = (s - Fraction(1, 2)) / fps if s > 0 else None
                        cmds.append(floor_cmd(src, work / f"split{ep['index']:03d}.{lang}.mp4", w, h, args.preset,
                                              args.crf, start, e - s, fps))
                files = len(cmds)
                m = best_of(args.repeat, lambda: measure(cmds, jobs=jobs))
                for p in work.glob("split*.mp4"):
                    p.unlink()
            elif step == "render":
                if not plan_path.is_file():
                    measure([vert + ["analyze", str(src), "-o", str(plan_path), "--size", f"{w}x{h}"] + sub_args], env=env, cwd=tree)
                rendered = work / "rendered"

                def one_render():
                    shutil.rmtree(rendered, ignore_errors=True)
                    return measure([vert + ["render", str(plan_path), "-o", str(rendered), "--preset", args.preset,
                                            "--crf", str(args.crf), "--jobs", str(jobs)]], env=env, cwd=tree)
                m = best_of(args.repeat, one_render)
                files = len(list(rendered.glob("*.mp4")))
            elif step == "reencode":
                rendered = work / "rendered"
                if not any(rendered.glob("*.mp4")):
                    raise SystemExit("e2e: the reencode step needs the render step before it (--steps ...,render,reencode)")
                from verticalize.options import DEFAULTS

                cmds = [[ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(p), "-map", "0:v:0",
                         "-map", "0:a:0?", "-c:v", "libx264", "-preset", args.preset, "-crf", str(args.crf),
                         "-profile:v", "high", "-pix_fmt", "yuv420p", "-threads", str(DEFAULTS.x264_threads), "-c:a", "aac",
                         "-b:a", "128k", "-movflags", "+faststart", "-f", "mp4", str(work / f"again.{p.name}")]
                        for p in sorted(rendered.glob("*.mp4"))]
                files = len(cmds)
                m = best_of(args.repeat, lambda: measure(cmds, jobs=jobs))
                for p in work.glob("again.*.mp4"):
                    p.unlink()
            else:  # run
                out = work / "out"

                def one_run():
                    shutil.rmtree(out, ignore_errors=True)
                    return measure([vert + ["run", str(src), "-o", str(out), "--size", f"{w}x{h}", "--preset", args.preset,
                                            "--crf", str(args.crf), "--jobs", str(jobs)] + sub_args], env=env, cwd=tree)
                m = best_of(args.repeat, one_run)
                manifest = json.loads(next(out.glob("*/manifest.json")).read_text())
                files = sum(len(ep["outputs"]) for ep in manifest["episodes"])
                if not args.keep:
                    shutil.rmtree(out, ignore_errors=True)
            results[step] = m
            print(f" {m.wall:.1f} s (load {m.load_after})", flush=True)
    finally:
        if args.keep:
            print(f"outputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    def ratio(a: str, b: str) -> str:
        return f"{results[a].wall / results[b].wall:.2f}" if a in results and b in results else "-"

    print()
    print("| step | wall s | CPU s | x realtime | peak RSS tree MB | peak RSS process MB |")
    print("|---|---:|---:|---:|---:|---:|")
    labels = {"decode": "ffmpeg decode -> null", "analyze": "verticalize analyze",
              "floor": "floor: centre crop + x264, 1 file", "split": f"floor split: {files} files, {jobs} jobs",
              "run": f"verticalize run ({files} files)", "render": f"verticalize render ({files} files)",
              "reencode": f"its outputs encoded again ({files} files, {jobs} jobs)"}
    for step, m in results.items():
        print(f"| {labels[step]} | {m.wall:.1f} | {m.cpu:.1f} | {seconds / m.wall:.2f} | {m.rss_tree / 2**20:.0f} | "
              f"{m.rss_max / 2**20:.0f} |")
    print()
    print(f"run / split floor (fair: same files, same jobs): {ratio('run', 'split')}")
    print(f"run / floor (one file):                          {ratio('run', 'floor')}")
    if "analyze" in results and "decode" in results:
        print(f"analysis throughput / decode throughput:        {results['decode'].wall / results['analyze'].wall:.2f}"
              f"  (analysis {frames / results['analyze'].wall:.0f} fps, decode {frames / results['decode'].wall:.0f} fps)")
    if "render" in results and "reencode" in results:
        print(f"render / re-encoding its own output:            {results['render'].cpu / results['reencode'].cpu:.2f} in CPU, "
              f"{results['render'].wall / results['reencode'].wall:.2f} in wall")
    if "run" in results and "analyze" in results:
        print(f"run - analyze (render share):                   {results['run'].wall - results['analyze'].wall:.1f} s")
    print(f"load average (1/5/15 min) at end: {load()}")
    if args.json:
        args.json.write_text(json.dumps({
            "input": str(src), "frames": frames, "seconds": seconds, "size": [w, h], "preset": args.preset,
            "crf": args.crf, "jobs": jobs, "files": files, "cpu": cpu_model(), "cores": os.cpu_count(),
            "tree": str(tree), "commit": _commit(tree), "subtitles": list(subs),
            "warmup": warmup.as_dict() if warmup else None,
            "steps": {k: v.as_dict() for k, v in results.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
