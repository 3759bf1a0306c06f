"""Where the analysis pass spends its time, by phase, and what the numba JIT costs.

    python bench/profile_run.py [VIDEO] [--cut-s 60] [--subs LANG=PATH] [--tree DIR] [--html OUT.html]
    python bench/profile_run.py --jit          # JIT: cold cache vs warm cache, first call vs second, fresh processes
    python bench/profile_run.py --py-spy       # py-spy over every thread and child process (needs ptrace)
    python bench/profile_run.py --startup [VIDEO]  # start-up pieces; a warm process's analysis next to decoding
                                               # (default samples/short.mp4, whole)

The profile runs pyinstrument in-process over ``verticalize.api.analyze`` after
an untimed warm-up (a 3-s clip, so the JIT is not in it) and sums the samples
by phase: the innermost frame of ours on each stack decides (``reframe/faces.py``
is "faces" even while mediapipe's C++ runs under it). pyinstrument samples the
main thread only: work done in worker threads shows up as the main thread
waiting (for decoding: "decode (waiting on ffmpeg)"); ``--py-spy`` sees every
thread and process.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent

# (phase, path fragment) in priority order: the first match on the innermost frame of ours wins
PHASES = (
    ("numba compile or cache load", "numba/core/"),
    ("decode (waiting on ffmpeg)", "verticalize/media/decode.py"),
    ("decode (waiting on ffmpeg)", "verticalize/media/probe.py"),
    ("shots", "edit/shots.py"),
    ("saliency", "reframe/saliency.py"),
    ("faces (mediapipe)", "reframe/faces.py"),
    ("persons (mediapipe)", "reframe/persons.py"),
    ("camera path solver", "reframe/solver.py"),
    ("camera path solver", "reframe/path.py"),
    ("camera path solver", "reframe/tracks.py"),
    ("audio features", "edit/audio.py"),
    ("episode planning", "edit/episodes.py"),
    ("subtitles", "subtitles/"),
    ("analysis loop and plan (verticalize/analysis.py)", "verticalize/analysis.py"),
    ("analysis loop and plan (verticalize/analysis.py)", "verticalize/plan.py"),
)
MEDIAPIPE_CALLS = ("wait_until_idle", "add_packet_to_input_stream", "_create_image_from_pixel_data")
NUMBA_MODULES = ("edit.shots", "edit.audio", "edit.episodes", "reframe.saliency", "reframe.solver", "reframe.path")


def _phase(path: str) -> str | None:
    path = path.replace("\\", "/")
    for name, frag in PHASES:
        if frag in path:
            return name
    return None


def phase_times(frame, inherited: str = "other (imports, python)", out=None, by_function=None,
                parent=None) -> dict[str, float]:
    """Self time of every frame under ``frame``, summed by the phase of its innermost frame of ours.

    ``by_function`` (a dict), when given, also collects self time per "file:function" of the frame itself.
    """
    out = defaultdict(float) if out is None else out
    p = _phase(frame.file_path or "")
    if inherited == "numba compile or cache load":
        p = inherited  # all of compilation counts as JIT, whatever it calls
    elif "mediapipe" in (frame.file_path or "") or frame.function in MEDIAPIPE_CALLS:
        p = inherited if inherited.startswith(("faces", "persons")) else "mediapipe (faces or persons, called elsewhere)"
    phase = p or inherited
    if not frame.children:  # a leaf (pyinstrument keeps self time in synthetic "[self]" leaves)
        out[inherited if frame.is_synthetic_leaf else phase] += frame.time
        if by_function is not None:
            owner = parent if frame.is_synthetic_leaf and parent is not None else frame
            key = f"{owner.file_path_short}:{owner.line_no} {owner.function}"
            by_function[key] = by_function.get(key, 0.0) + frame.time
    for child in frame.children:
        phase_times(child, phase, out, by_function, frame)
    return out


def warm_clip(work: Path) -> Path:
    from e2e import ffmpeg_exe

    clip = work / "warmup.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=3",
                    "-f", "lavfi", "-i", "sine=f=440:d=3", "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
                    "-c:a", "aac", str(clip)], check=True)
    return clip


JIT_PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
from verticalize import api
from verticalize.options import DEFAULTS
t_import = time.perf_counter() - t0
clip = sys.argv[1]
opts = DEFAULTS.with_(episodes=False)
t = time.perf_counter(); api.analyze(clip, None, opts); first = time.perf_counter() - t
t = time.perf_counter(); api.analyze(clip, None, opts); second = time.perf_counter() - t
import importlib
hits = misses = 0
for name in %r:
    mod = importlib.import_module(name)
    for obj in vars(mod).values():
        stats = getattr(obj, "stats", None)
        if stats is not None and hasattr(stats, "cache_hits"):
            hits += sum(stats.cache_hits.values()); misses += sum(stats.cache_misses.values())
print(json.dumps({"import_s": t_import, "first_s": first, "second_s": second, "cache_hits": hits, "cache_misses": misses}))
""" % (NUMBA_MODULES,)


def jit_report(tree: Path, work: Path) -> None:
    """Fresh processes: an empty numba cache (compile), then the cache it left (load), each calling analyze twice."""
    clip = warm_clip(work)
    cache = work / "numba-cache"
    rows = []
    for label in ("cold cache (compiles)", "warm cache (loads)", "warm cache again"):
        env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(tree))
        proc = subprocess.run([sys.executable, "-c", JIT_PROBE, str(clip)], capture_output=True, text=True, env=env,
                              cwd=tree)
        if proc.returncode != 0:
            raise SystemExit(f"profile_run: JIT probe failed: {proc.stderr.strip().splitlines()[-1:]}")
        rows.append((label, json.loads(proc.stdout.strip().splitlines()[-1])))
    print(f"numba JIT, analyze() of a 3-s 640x360 clip twice per fresh process (NUMBA_CACHE_DIR={cache}):")
    print("| process | import s | 1st analyze s | 2nd analyze s | cache hits | cache misses |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, r in rows:
        print(f"| {label} | {r['import_s']:.2f} | {r['first_s']:.2f} | {r['second_s']:.2f} | {r['cache_hits']} | "
              f"{r['cache_misses']} |")
    cold, warm = rows[0][1], rows[1][1]
    print(f"JIT compile cost (cold 1st - warm 1st): {cold['first_s'] - warm['first_s']:.1f} s; "
          f"cache load + model load cost (warm 1st - 2nd): {warm['first_s'] - warm['second_s']:.1f} s")


STARTUP_PROBE = r"""
import hashlib, json, resource, subprocess, sys, time
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
rows = []
def lap(label, t, c):
    rows.append((label, time.perf_counter() - t, cpu() - c))
def digest(plan):
    data = plan.to_json()
    data["analysis"].pop("seconds", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
clip, video, ffmpeg, repeat, fresh = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "fresh"
t, c = time.perf_counter(), cpu()
from verticalize import api
lap("import verticalize.api", t, c)
if fresh:  # a process that analyses one file: everything below is its start-up
    t, c = time.perf_counter(), cpu(); plan = api.analyze(video); lap("analyze VIDEO, fresh process", t, c)
    print(json.dumps({"rows": rows, "digest": digest(plan), "matplotlib": "matplotlib" in sys.modules})); sys.exit()
t, c = time.perf_counter(), cpu()
from reframe.models import solutions
mp = solutions(); mp.face_detection; mp.selfie_segmentation
lap("import mediapipe (solutions used)", t, c)
t, c = time.perf_counter(), cpu()
from reframe.faces import FaceSampler
from reframe.persons import PersonSampler
f, p = FaceSampler(5, 640, 360), PersonSampler(15, 640); f.close(); p.close()
lap("build face + person models (first)", t, c)
t, c = time.perf_counter(), cpu()
f, p = FaceSampler(5, 640, 360), PersonSampler(15, 640); f.close(); p.close()
lap("face + person models again (reused)", t, c)
t, c = time.perf_counter(), cpu(); api.analyze(clip); lap("analyze 3-s clip, 1st (numba cache load, imports)", t, c)
t, c = time.perf_counter(), cpu(); api.analyze(clip); lap("analyze 3-s clip, 2nd (warm)", t, c)
digests = set()
for k in range(repeat):
    t, c = time.perf_counter(), cpu()
    subprocess.run([ffmpeg, "-v", "error", "-nostdin", "-i", video, "-map", "0:v:0", "-f", "null", "-"], check=True)
    lap("ffmpeg decode VIDEO -> null", t, c)
    t, c = time.perf_counter(), cpu(); plan = api.analyze(video); lap("analyze VIDEO, warm process", t, c)
    digests.add(digest(plan))
print(json.dumps({"rows": rows, "digest": sorted(digests), "matplotlib": "matplotlib" in sys.modules}))
"""


def startup_report(tree: Path, work: Path, video: Path, repeat: int = 2) -> None:
    """A fresh process's start-up, piece by piece, then a warm process's analysis of ``video`` next to
    an ffmpeg decode of it (alternating, ``repeat`` times), and one fresh process analysing ``video``."""
    from e2e import ffmpeg_exe

    clip = warm_clip(work)
    env = dict(os.environ, PYTHONPATH=str(tree), CI="1")
    results = {}
    for mode in ("warm", "fresh"):
        proc = subprocess.run([sys.executable, "-c", STARTUP_PROBE, str(clip), str(video), ffmpeg_exe(), str(repeat),
                               mode], capture_output=True, text=True, env=env, cwd=tree)
        if proc.returncode != 0:
            raise SystemExit(f"profile_run: start-up probe failed: {proc.stderr.strip().splitlines()[-3:]}")
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"start-up, one fresh process (VIDEO = {video}); then a second fresh process analysing VIDEO alone:")
    print("| piece | wall s | CPU s |")
    print("|---|---:|---:|")
    for mode in ("warm", "fresh"):
        for label, wall, cpu in results[mode]["rows"]:
            print(f"| {label}{' (2nd process)' if mode == 'fresh' and 'import' in label else ''} | {wall:.2f} | "
                  f"{cpu:.2f} |")
    rows = results["warm"]["rows"]
    decode = [r for r in rows if r[0].startswith("ffmpeg decode")]
    warm = [r for r in rows if r[0] == "analyze VIDEO, warm process"]
    best = lambda rs, i: min(r[i] for r in rs)
    print(f"warm analysis - decode (best of {repeat}): {best(warm, 1) - best(decode, 1):+.2f} s wall, "
          f"{best(warm, 2) - best(decode, 2):+.2f} s CPU (target: at most +1.0 s)")
    fresh_total = sum(r[1] for r in results["fresh"]["rows"])
    print(f"fresh process (import + analyze) - warm analysis: {fresh_total - best(warm, 1):+.2f} s wall")
    same = results["warm"]["digest"] == [results["fresh"]["digest"]]
    print(f"plans identical (warm process, reused models, x{repeat}; fresh process): {same} "
          f"({results['warm']['digest']} / {results['fresh']['digest']}); "
          f"matplotlib imported: {results['warm']['matplotlib'] or results['fresh']['matplotlib']}")


def py_spy(tree: Path, clip: Path, subs: dict, out: Path) -> None:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    code = ("import sys; from verticalize import api; api.analyze(sys.argv[1], %r)" % (subs or None,))
    cmd = [exe, "record", "--subprocesses", "--threads", "--nonblocking", "-r", "50", "-f", "raw", "-o", str(out), "--",
           sys.executable, "-c", code, str(clip)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, env=dict(os.environ, PYTHONPATH=str(tree)))
    if proc.returncode != 0 or not out.is_file():
        print(f"py-spy not usable here ({(proc.stderr or proc.stdout).strip().splitlines()[-1:]}); "
              "use the pyinstrument profile instead")
        return
    by_phase = defaultdict(int)
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        phase = "other"
        for f in reversed(frames):
            p = _phase(f)
            if p:
                phase = p
                break
        by_phase[phase] += int(count)
        total += int(count)
    print(f"py-spy samples by phase, all threads and processes ({total} samples at 50 Hz, {out}):")
    for phase, n in sorted(by_phase.items(), key=lambda kv: -kv[1]):
        print(f"  {phase:34} {n / 50:8.1f} s  {100 * n / max(1, total):5.1f} %")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", type=Path, help="default samples/drama.mp4 with its en subtitles")
    ap.add_argument("--cut-s", type=float, default=60.0, help="profile the first S seconds (0: all; default 60)")
    ap.add_argument("--subs", action="append", metavar="LANG=PATH")
    ap.add_argument("--tree", type=Path, default=ROOT, help="source tree to profile (default this checkout)")
    ap.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    ap.add_argument("--jit", action="store_true", help="measure the numba JIT in fresh processes instead")
    ap.add_argument("--py-spy", action="store_true", help="profile with py-spy (all threads and processes) instead")
    ap.add_argument("--startup", action="store_true",
                    help="start-up pieces and a warm process's analysis next to decoding (default samples/short.mp4)")
    ap.add_argument("--repeat", type=int, default=2, help="--startup: warm analyses and decodes, alternating")
    args = ap.parse_args(argv)
    tree = args.tree.resolve()
    sys.path.insert(0, str(BENCH))
    sys.path.insert(0, str(tree))
    from e2e import BUILD, cpu_model, cut_input, load

    BUILD.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="profile-", dir=BUILD))
    try:
        print(f"tree {tree}; machine {cpu_model()}, {os.cpu_count()} cores; load {load()}")
        if args.jit:
            jit_report(tree, work)
            return 0
        if args.startup:
            startup_report(tree, work, (args.video or ROOT / "samples" / "short.mp4").resolve(), args.repeat)
            return 0
        video = args.video or ROOT / "samples" / "drama.mp4"
        subs = {}
        if args.video is None:
            subs["en"] = ROOT / "samples" / "subs" / "drama.en.srt"
        for item in args.subs or []:
            lang, _, p = item.partition("=")
            subs[lang] = Path(p)
        if args.cut_s:
            video, subs = cut_input(Path(video), args.cut_s, subs)
        subs = {k: str(v) for k, v in subs.items()}
        if args.py_spy:
            py_spy(tree, video, subs, work / "py-spy.txt")
            return 0
        from pyinstrument import Profiler

        from verticalize import api
        from verticalize.media import probe

        t = time.perf_counter()
        api.analyze(warm_clip(work), None)
        print(f"warm-up analyze (3-s clip: JIT or cache load, model load): {time.perf_counter() - t:.1f} s")
        info = probe(video)
        prof = Profiler(interval=0.005)
        t = time.perf_counter()
        prof.start()
        plan = api.analyze(video, subs or None)
        prof.stop()
        wall = time.perf_counter() - t
        by_function: dict[str, float] = {}
        phases = phase_times(prof.last_session.root_frame(), by_function=by_function)
        total = sum(phases.values())
        print(f"{video}: {info.frame_count} frames, analyze {wall:.1f} s ({info.frame_count / wall:.0f} fps), "
              f"load {load()}; the plan's own timings: {plan.analysis.get('seconds')}")
        print("| phase | s | share |")
        print("|---|---:|---:|")
        for name, sec in sorted(phases.items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {sec:.2f} | {100 * sec / total:.0f} % |")
        print("\ntop functions by self time (waiting included):")
        for key, sec in sorted(by_function.items(), key=lambda kv: -kv[1])[:12]:
            print(f"  {sec:7.2f} s  {key}")
        if args.html:
            args.html.write_text(prof.output_html())
            print(f"HTML report: {args.html}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
