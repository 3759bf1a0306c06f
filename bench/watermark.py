"""Forensic watermark bench: invisibility, render cost, attacks, and the null distribution.

For each plan given (made with ``verticalize analyze ... --no-episodes``; the output size
is set here), renders the episode unmarked and marked (IDs A and B) side by side and
reports: PSNR/SSIM of marked against unmarked, the render's wall and CPU seconds, the
output size; then reads the ID back from 10-second excerpts after each attack. The null
part reads every 10-second excerpt (whole windows; starts on a 0.25-s grid, the picture
mirrored 4 ways) of unmarked videos and reports how many give an ID and the
largest statistics seen, against the thresholds in ``verticalize.watermark``.

  python bench/watermark.py PLAN.json [PLAN.json ...] [--size 1080x1920] [--null FILE ...]
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from verticalize import api, watermark as wm
from verticalize.media.compare import frame_scores
from verticalize.media.ffmpeg import run
from verticalize.options import DEFAULTS

ID_A, ID_B = 3141592653, 271828182

# name -> ffmpeg arguments between the input and the output (excerpt of 10 s from START_S)
ATTACKS = {
    "excerpt only (CRF 18)": ["-c:v", "libx264", "-crf", "18"],
    "x264 CRF 32": ["-c:v", "libx264", "-crf", "32"],
    "scale 720x1280": ["-vf", "scale=720:1280", "-c:v", "libx264", "-crf", "23"],
    "scale 540x960": ["-vf", "scale=540:960", "-c:v", "libx264", "-crf", "23"],
    "10% cut from the left, scaled back": ["-vf", "crop=iw*0.9:ih:iw*0.1:0,scale=W:H", "-c:v", "libx264",
                                           "-crf", "23"],
    "10% cut from the top, scaled back": ["-vf", "crop=iw:ih*0.9:0:ih*0.1,scale=W:H", "-c:v", "libx264",
                                          "-crf", "23"],
    "25 fps": ["-vf", "fps=25", "-c:v", "libx264", "-crf", "23"],
    "screen recording (blur 1.5 px + noise)": ["-vf", "gblur=sigma=1.5,noise=alls=10:allf=t", "-c:v", "libx264",
                                               "-crf", "23"],
    "chain: CRF 30, 720x1280, 25 fps": ["-vf", "scale=720:1280,fps=25", "-c:v", "libx264", "-crf", "30"],
}
START_S, EXCERPT_S = 7.3, 10.0


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def render(plan, outdir: Path, mark_id, size) -> dict:
    opts = DEFAULTS.with_(width=size[0], height=size[1], jobs=1, watermark_id=mark_id)
    plan.target.update(width=size[0], height=size[1])
    t0, c0 = time.time(), cpu_children()
    api.render(plan, outdir, opts)
    return {"wall_s": time.time() - t0, "cpu_s": cpu_children() - c0, "path": outdir / "ep001.mp4",
            "bytes": (outdir / "ep001.mp4").stat().st_size}


def attack(src: Path, out: Path, args: list[str], size) -> None:
    args = [a.replace("scale=W:H", f"scale={size[0]}:{size[1]}") for a in args]
    proc = run(["-v", "error", "-y", "-ss", f"{START_S}", "-t", f"{EXCERPT_S}", "-i", str(src), *args,
                "-preset", "veryfast", "-an", str(out)])
    if proc.returncode:
        raise SystemExit(f"attack failed: {proc.stderr[-500:]}")


def null_reads(paths: list[str], max_s: float = 120.0) -> list[wm.Detection]:
    """Reads of every excerpt of ``EXCERPT_S`` (10 s) rounded up to whole windows (3 windows of 4 s)
    starting on a 0.25-s grid, 4 mirrorings each, of each file's first ``max_s`` seconds: each file
    decoded once."""
    reads = []
    for path in paths:
        frames = list(wm.luma_frames(path, 0.0, max_s))
        n = int(np.ceil(EXCERPT_S / wm.WINDOW_S - 1e-9))
        for offset in np.arange(0.0, wm.WINDOW_S - 1e-9, 0.25):
            windows = wm.window_images((f, t - offset) for f, t in frames if t >= offset)
            last = max(windows, default=-1)
            for k0 in range(0, last - n + 2):
                parts = [windows[k] for k in range(k0, k0 + n) if k in windows]
                if not parts:
                    continue
                images = sum(parts)
                for flip in ((), (1,), (2,), (1, 2)):
                    reads.append(wm.read_mark(np.flip(images, flip) if flip else images, len(parts)))
        print(f"  null: {path}: {len(reads)} reads so far", file=sys.stderr, flush=True)
    return reads


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("plans", nargs="+")
    ap.add_argument("--size", default="1080x1920")
    ap.add_argument("--null", nargs="*", default=[], help="unmarked videos for the null distribution")
    ap.add_argument("--json", help="write the results here too")
    a = ap.parse_args()
    size = tuple(int(v) for v in a.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="wm-bench-"))
    results = {"size": a.size, "renders": [], "attacks": [], "null": {}}
    null_files = list(a.null)
    print("| clip | render | wall s | CPU s | MB | PSNR dB (mean/min) | SSIM (mean/min) |")
    print("|---|---|---|---|---|---|---|")
    for n, plan_path in enumerate(a.plans):
        plan = api.read_plan(plan_path)
        name = Path(plan.source["path"]).stem
        plain = render(plan, work / f"{n}plain", None, size)
        marked = render(plan, work / f"{n}a", ID_A, size)
        other = render(plan, work / f"{n}b", ID_B, size)
        scores = frame_scores(marked["path"], plain["path"])
        psnr, ssim = np.array(scores["psnr"]), np.array(scores["ssim"])
        # the mean as PSNR of the mean squared error: frames left untouched (the mark fades out on
        # black) have an infinite PSNR, which a plain mean would report
        mse = 255.0 ** 2 / np.power(10.0, psnr / 10)
        psnr_mean = 10 * np.log10(255.0 ** 2 / mse.mean()) if mse.mean() > 0 else np.inf
        for label, r in (("unmarked", plain), ("marked", marked)):
            extra = (f"{psnr_mean:.2f} / {psnr.min():.2f} | {ssim.mean():.4f} / {ssim.min():.4f}"
                     if label == "marked" else "- | -")
            print(f"| {name} | {label} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['bytes'] / 1e6:.2f} | {extra} |")
        results["renders"].append({"clip": name, "plain": {k: v for k, v in plain.items() if k != "path"},
                                   "marked": {k: v for k, v in marked.items() if k != "path"},
                                   "psnr_mean": psnr_mean, "psnr_min": psnr.min(), "ssim_mean": ssim.mean(),
                                   "ssim_min": ssim.min()})
        null_files += [str(plain["path"])]
        for label, src, want in (("ID A", marked, ID_A), ("ID B", other, ID_B), ("unmarked", plain, None)):
            for attack_name, args in ATTACKS.items():
                if label != "ID A" and attack_name not in ("x264 CRF 32", "chain: CRF 30, 720x1280, 25 fps"):
                    continue
                out = work / f"{n}{label[-1]}_{len(results['attacks'])}.mp4"
                attack(src["path"], out, args, size)
                c0 = time.process_time()
                d = wm.detect(out)
                row = {"clip": name, "copy": label, "attack": attack_name, "want": want, "got": d.id,
                       "ok": d.id == want, "detect_cpu_s": time.process_time() - c0, **d.as_json()}
                results["attacks"].append(row)
    print()
    print("| clip | copy | attack | ID read | right | confidence z | margin | sync z | bit errors | box |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results["attacks"]:
        print(f"| {r['clip']} | {r['copy']} | {r['attack']} | {r['got']} | {'yes' if r['ok'] else 'NO'} | "
              f"{r['confidence']:.1f} | {r['margin']:.1f} | {r['sync_z']:.1f} | {r['bit_errors']} | {r['box']} |")
    if null_files:
        reads = null_reads(null_files)
        conf = np.array([d.confidence for d in reads])
        sync = np.array([d.sync_z for d in reads])
        found = [d.id for d in reads if d.id is not None]
        margin = np.array([d.margin for d in reads])
        results["null"] = {"files": null_files, "reads": len(reads), "ids_found": len(found),
                           "confidence_max": conf.max(), "confidence_p99": np.percentile(conf, 99),
                           "sync_z_max": sync.max(), "sync_z_p99": np.percentile(sync, 99),
                           "margin_max": margin.max(), "margin_p99": np.percentile(margin, 99),
                           "thresholds": {"sync_z": wm.SYNC_Z_MIN, "confidence": wm.CODE_Z_MIN}}
        print()
        print(f"null: {len(reads)} reads of unmarked 10-s excerpts from {len(null_files)} files: "
              f"{len(found)} gave an ID; confidence z max {conf.max():.2f} (99th pct {np.percentile(conf, 99):.2f}), "
              f"sync z max {sync.max():.2f} (99th pct {np.percentile(sync, 99):.2f}), margin max {margin.max():.2f} "
              f"(99th pct {np.percentile(margin, 99):.2f}); thresholds: sync z >= {wm.SYNC_Z_MIN:g}, confidence z >= "
              f"{wm.CODE_Z_MIN:g}, margin >= {wm.MARGIN_Z_MIN:g}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1, default=float))
    print(f"(work files in {work})", file=sys.stderr)


if __name__ == "__main__":
    main()
