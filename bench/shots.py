"""Shot detection: F1 at +-1 frame and throughput, ours next to PySceneDetect, in one run.

    python bench/shots.py [--clips NAME ...] [--no-peer] [--repeat N] [--json OUT]

Clips: the samples (``samples/drama.mp4``, ``samples/short.mp4``, built by
samples/make_samples.py if missing) and the shot clips of bench/make_shot_clips.py
(hard cuts, dissolves, fades, flashes, fast pans, variable frame rate, a
fast-cutting montage; 1080p, cached in bench/.clips/). No clip with published shot annotations ships in a
package on PyPI or Debian, so these are the clips with ground truth we have.

Detectors, each on the same file, one after another:
  * ours      ``verticalize scenes`` (verticalize.analysis.detect_scenes: probe, fast scan of the
              reference frames, ShotDetector, exact re-decode around ambiguous cuts)
  * ours-full (``--full``) the same detector fed every frame at 384 px, as the analysis pass does
  * adaptive  PySceneDetect ``AdaptiveDetector()`` at its defaults
  * content   PySceneDetect ``ContentDetector()`` at its defaults
PySceneDetect runs in its own virtual environment (``bench/.venv-peer``, created
here with ``pip install scenedetect-headless`` on first use; ``$SHOTS_PEER_PYTHON``
names another interpreter), because its OpenCV must not share ``cv2/`` with
mediapipe's. Its time includes opening the video, as ours includes the probe.

Scoring: every true boundary is matched to at most one detection. A hard cut at c
matches a detection in c-1..c+1; a gradual transition [s, e) (end exclusive)
matches a detection in s-1..e+1, as TRECVID scores gradual transitions by overlap.
Flashes, fast pans and fades at the very start or end are not boundaries: a
detection there is a false positive. ``spans`` counts our transitions whose start
and end are both within 1 frame of the truth.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PEER_VENV = ROOT / "bench" / ".venv-peer"
PEER_SCRIPT = r"""
import json, sys, time
from scenedetect import open_video, SceneManager, AdaptiveDetector, ContentDetector
path, kind = sys.argv[1], sys.argv[2]
t = time.perf_counter()
video = open_video(path)
sm = SceneManager()
sm.add_detector(AdaptiveDetector() if kind == "adaptive" else ContentDetector())
sm.detect_scenes(video)
cuts = [s[0].frame_num for s in sm.get_scene_list()][1:]
print(json.dumps({"cuts": cuts, "seconds": time.perf_counter() - t, "frames": video.frame_number}))
"""


def peer_python(setup: bool = True) -> str | None:
    env = os.environ.get("SHOTS_PEER_PYTHON")
    if env:
        return env
    py = PEER_VENV / "bin" / "python"
    if not py.exists():
        if not setup:
            return None
        print(f"creating {PEER_VENV} with scenedetect-headless ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "scenedetect-headless"], check=True)
    return str(py)


def run_peer(py: str, path: Path, kind: str) -> dict:
    proc = subprocess.run([py, "-c", PEER_SCRIPT, str(path), kind], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"PySceneDetect {kind} failed on {path}: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_ours(path: Path, fast: bool = True) -> dict:
    from verticalize.analysis import detect_scenes

    t = time.perf_counter()
    scan = detect_scenes(path, details=True, fast=fast)
    dt = time.perf_counter() - t
    return {"cuts": scan.cuts, "transitions": [list(x) for x in scan.transitions], "seconds": dt,
            "frames": scan.frame_count}


def boundaries(truth: dict) -> list[tuple[int, int]]:
    """Each true boundary as an inclusive range of acceptable detections."""
    out = [(c - 1, c + 1) for c in truth.get("cuts", [])]
    out += [(s - 1, e + 1) for s, e in truth.get("transitions", [])]
    return sorted(out)


def score(truth: dict, found: list[int]) -> dict:
    bounds = boundaries(truth)
    free = sorted(found)
    used = [False] * len(free)
    hits = 0
    for lo, hi in bounds:
        mid = (lo + hi) / 2
        best = None
        for k, f in enumerate(free):
            if not used[k] and lo <= f <= hi and (best is None or abs(f - mid) < abs(free[best] - mid)):
                best = k
        if best is not None:
            used[best] = True
            hits += 1
    fp = len(free) - hits
    fn = len(bounds) - hits
    p = hits / len(free) if free else 1.0
    r = hits / len(bounds) if bounds else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": hits, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def spans_ok(truth: dict, found: list[list[int]]) -> tuple[int, int]:
    want = truth.get("transitions", [])
    ok = sum(1 for s, e in want if any(abs(s - fs) <= 1 and abs(e - fe) <= 1 for fs, fe in found))
    return ok, len(want)


def clip_list(names) -> list[tuple[str, Path, dict]]:
    import make_shot_clips

    samples = ROOT / "samples"
    if not all((samples / f"{n}.mp4").exists() and (samples / f"{n}.truth.json").exists() for n in ("drama", "short")):
        subprocess.run([sys.executable, str(samples / "make_samples.py")], check=True)
    clips = [(n, samples / f"{n}.mp4", json.loads((samples / f"{n}.truth.json").read_text())) for n in ("drama", "short")]
    only = None if not names else [n for n in names if n not in ("drama", "short")]  # build only the clips named
    for mp4 in make_shot_clips.make_all(only=only) if only != [] else []:
        clips.append((mp4.stem, mp4, json.loads(mp4.with_suffix(".truth.json").read_text())))
    return [c for c in clips if not names or c[0] in names]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="*",
                    help="only these clips (drama, short, hard_cuts, dissolves, fades, flashes, pans, vfr, montage)")
    ap.add_argument("--no-peer", action="store_true", help="ours only, no PySceneDetect")
    ap.add_argument("--repeat", type=int, default=1, help="timing runs per detector and clip (median)")
    ap.add_argument("--full", action="store_true",
                    help="also ours-full: the detector on every frame as the analysis pass decodes them")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    clips = clip_list(args.clips)
    py = None if args.no_peer else peer_python()
    # JIT warm-up outside the timings (numba caches on disk; the first process compiles)
    import numpy as np
    from edit.shots import ShotDetector
    warm = ShotDetector(30.0)
    for i in range(80):
        warm.process_frame(i, np.full((36, 64, 3), (i // 40) * 200, np.uint8))
    warm.flush()

    detectors = ["ours"] + (["ours-full"] if args.full else []) + ([] if py is None else ["adaptive", "content"])
    results = []
    for name, path, truth in clips:
        row = {"clip": name, "frames": truth["frame_count"], "size": f"{truth['width']}x{truth['height']}",
               "boundaries": len(boundaries(truth))}
        runs: dict[str, list[dict]] = {d: [] for d in detectors}
        for _ in range(args.repeat):  # detectors take turns, so a change in the machine's load hits all
            for det in detectors:
                runs[det].append(run_ours(path) if det == "ours" else run_ours(path, fast=False)
                                 if det == "ours-full" else run_peer(py, path, det))
        for det in detectors:
            sec = statistics.median(r["seconds"] for r in runs[det])
            res = runs[det][0]
            row[det] = {"cuts": res["cuts"], "seconds": sec, "fps": truth["frame_count"] / sec,
                        **score(truth, res["cuts"])}
            if det.startswith("ours"):
                row[det]["transitions"] = res["transitions"]
                row[det]["spans"] = spans_ok(truth, res["transitions"])
        results.append(row)
        print(_line(row, detectors), flush=True) if len(results) == 1 else print(_line(row, detectors, head=False), flush=True)

    print()
    tot = {"frames": sum(r["frames"] for r in results)}
    for det in detectors:
        sec = sum(r[det]["seconds"] for r in results)
        tp = sum(r[det]["tp"] for r in results)
        fp = sum(r[det]["fp"] for r in results)
        fn = sum(r[det]["fn"] for r in results)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
        tot[det] = {"fps": tot["frames"] / sec, "f1": f1, "tp": tp, "fp": fp, "fn": fn}
        print(f"all clips  {det:9} F1 {f1:.3f} (tp {tp}, fp {fp}, fn {fn})  {tot['frames'] / sec:7.1f} fps")
    if "adaptive" in detectors:
        hd = [r for r in results if r["size"] == "1920x1080"]
        ours = sum(r["frames"] for r in hd) / sum(r["ours"]["seconds"] for r in hd)
        ad = sum(r["frames"] for r in hd) / sum(r["adaptive"]["seconds"] for r in hd)
        print(f"1080p throughput: ours {ours:.1f} fps, AdaptiveDetector {ad:.1f} fps, ratio {ours / ad:.2f}x")
        worse = [r["clip"] for r in results if r["ours"]["f1"] + 1e-9 < r["adaptive"]["f1"]]
        print("clips where ours is below AdaptiveDetector's F1:", ", ".join(worse) or "none")
    if args.json:
        Path(args.json).write_text(json.dumps({"clips": results, "total": tot}, indent=1))


def _line(row: dict, detectors: list[str], head: bool = True) -> str:
    cols = "".join(f" | {d + ' F1':>12} {'fps':>7}" for d in detectors)
    header = f"{'clip':10} {'frames':>6} {'bounds':>6}{cols} | spans\n" + "-" * (26 + 23 * len(detectors) + 8) + "\n"
    cells = "".join(f" | {row[d]['f1']:12.3f} {row[d]['fps']:7.1f}" for d in detectors)
    sp = row["ours"].get("spans", (0, 0))
    line = f"{row['clip']:10} {row['frames']:6d} {row['boundaries']:6d}{cells} | {sp[0]}/{sp[1]}"
    return (header if head else "") + line


if __name__ == "__main__":
    main()
