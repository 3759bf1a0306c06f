"""NVENC next to libx264 on the same plans: every episode rendered with each, timed, and compared.

    python bench/nvenc.py PLAN [PLAN ...] [--lang LANG] [--remap OLD=NEW] [--work DIR] [--json OUT]
                          [--encoders libx264,h264_nvenc] [--size WxH]

For each plan, ``verticalize.render`` renders every episode in one language (the plan's first, or
``--lang``) with each encoder in turn, default options otherwise (x264 veryfast CRF 20; NVENC
``-preset p5 -rc vbr -cq CRF+3``), wall and CPU seconds of each render (this process's ffmpeg
children). Then every file of the second encoder is compared with its twin of the first (the
golden): SSIM (all planes), PSNR (dB) and VMAF, mean and minimum over frames, and the sizes.
VMAF only where this ffmpeg has libvmaf. ``--remap OLD=NEW`` rewrites the start of the plan's source and subtitle paths (plans made on
another machine). Needs an NVIDIA GPU and driver for h264_nvenc: without one it stops in one line.
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def remapped(plan, pairs: list[tuple[str, str]]):
    def fix(p: str) -> str:
        for old, new in pairs:
            if p.startswith(old):
                return new + p[len(old):]
        return p
    source = {**plan.source, "path": fix(plan.source["path"])}
    subtitles = {lang: fix(p) for lang, p in plan.subtitles.items()}
    return replace(plan, source=source, subtitles=subtitles)


def timed(fn) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    fn()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def summary(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return float("inf"), float("inf")
    return statistics.fmean(finite), min(finite)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("plans", nargs="+", type=Path)
    ap.add_argument("--lang", help="subtitle language rendered (default: the plan's first)")
    ap.add_argument("--remap", action="append", default=[], metavar="OLD=NEW")
    ap.add_argument("--work", type=Path, default=Path("/tmp/nvenc-bench"))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--encoders", default="libx264,h264_nvenc", help="golden first, then the one compared")
    ap.add_argument("--size", default=None, help="output WIDTHxHEIGHT (default: the plan's)")
    ap.add_argument("--loudness", choices=["on", "off"], default="on",
                    help="off: skip loudness normalisation (an ffmpeg older than 6 has no ebur128 framelog=quiet)")
    args = ap.parse_args()

    from verticalize.media.compare import frame_scores, has_filter
    from verticalize.options import DEFAULTS
    from verticalize.plan import read_plan
    from verticalize.render import check_encoder, render

    golden_enc, test_enc = args.encoders.split(",")
    if golden_enc == test_enc:
        raise SystemExit("nvenc.py: two different encoders, please (the golden first)")
    for enc in (golden_enc, test_enc):
        check_encoder(enc)
    pairs = [tuple(r.split("=", 1)) for r in args.remap]
    rows, report = [], []
    vmaf = has_filter("libvmaf")  # not in every build (Debian's ffmpeg 5.1 has none): NaN then
    for plan_path in args.plans:
        plan = remapped(read_plan(plan_path), pairs)
        if args.size:
            w, h = (int(v) for v in args.size.split("x"))
            plan = replace(plan, target={"width": w, "height": h})
        lang = args.lang or next(iter(plan.subtitles), None)
        seconds = {}
        outs = {}
        for k, enc in enumerate((golden_enc, test_enc)):
            out = args.work / plan_path.stem / f"{k}-{enc}"
            opts = DEFAULTS.with_(encoder=enc, normalize_loudness=args.loudness == "on")
            seconds[enc] = timed(lambda: render(plan, out, opts, langs=[lang] if lang else None))
            outs[enc] = sorted(out.glob("ep*.mp4"))
            print(f"{plan_path.stem}: {enc} {seconds[enc][0]:.1f} s wall, {seconds[enc][1]:.1f} CPU s, "
                  f"{len(outs[enc])} files", flush=True)
        for a, b in zip(outs[golden_enc], outs[test_enc]):
            s = frame_scores(b, a, vmaf=vmaf)
            ssim, psnr, vmaf = summary(s["ssim"]), summary(s["psnr"]), summary(s.get("vmaf") or [float("nan")])
            rows.append((plan_path.stem, a.name, len(s["ssim"]), a.stat().st_size, b.stat().st_size, ssim, psnr, vmaf))
            report.append({"plan": plan_path.stem, "file": a.name, "frames": len(s["ssim"]),
                           "bytes": {golden_enc: a.stat().st_size, test_enc: b.stat().st_size},
                           "ssim_mean_min": ssim, "psnr_mean_min": psnr, "vmaf_mean_min": vmaf})
        report.append({"plan": plan_path.stem, "seconds": {e: {"wall": w, "cpu": c} for e, (w, c) in seconds.items()}})
        print(f"| {plan_path.stem} | {golden_enc} {seconds[golden_enc][0]:.1f} s / {seconds[golden_enc][1]:.1f} CPU s "
              f"| {test_enc} {seconds[test_enc][0]:.1f} s / {seconds[test_enc][1]:.1f} CPU s |", flush=True)
    print()
    print(f"| plan | file | frames | {golden_enc} MB | {test_enc} MB | SSIM mean / min | PSNR dB mean / min "
          f"| VMAF mean / min |")
    print("|---|---|---:|---:|---:|---|---|---|")
    for plan, name, n, sa, sb, ssim, psnr, vmaf in rows:
        print(f"| {plan} | {name} | {n} | {sa / 1e6:.2f} | {sb / 1e6:.2f} | {ssim[0]:.4f} / {ssim[1]:.4f} "
              f"| {psnr[0]:.2f} / {psnr[1]:.2f} | {vmaf[0]:.2f} / {vmaf[1]:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
