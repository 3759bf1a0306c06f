"""Framing quality on every sample shot with ground truth: ours next to two baselines, one run.

    python bench/reframe_quality.py [--sample drama|short]

Baselines: a static centre crop, and a naive follow that centres the crop on the
detected face of the latest sampled frame (no smoothing). Targets (issue 3):
containment >= 99% on single-subject shots, stillness >= 98% on still-subject
shots, <= 1 reversal per 10 s and mean |d2x| <= 0.2 px/frame^2, first frame of a
shot within 2% of the source width of its framing.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from verticalize.analysis import analyze  # noqa: E402
from reframe import metrics  # noqa: E402


def naive_follow(plan, faces: dict, source_width: int) -> list[int]:
    w = plan.crop["w"][0]
    n = plan.source["frame_count"]
    x, cur = [], (source_width - w) // 2
    for i in range(n):
        if faces.get(i):
            b = max(faces[i], key=lambda b: b[2] * b[3])
            cur = int(min(max(b[0] + b[2] / 2 - w / 2, 0), source_width - w))
        x.append(cur)
    return x


def evaluate(name: str, xs, ws, truth, fps: float, W: int, breaks=(), out_w: int = 1080) -> dict:
    """``breaks``: frames where the crop cuts inside a shot (speaker changes), left out of |d2x|."""
    rows = {"contain": [], "still": [], "rev": [], "accel": [], "first": [], "speaker": [], "speaker_h": []}
    lag = int(round(1.0 * fps))  # time allowed to see who took the turn
    for d in truth.get("speakers", []):
        s, e = d["start"], d["end"]
        turns = [(a - s, b - s, side) for a, b, side in d["turns"]]
        share, height = metrics.speaker_framing(xs[s:e], ws[s:e], turns, d["faces"], out_w, lag)
        rows["speaker"].append(share)
        rows["speaker_h"].append(height)
    for shot in truth["shots"]:
        s, e = shot["start"], shot["end"]
        boxes = truth["faces"][s:e]
        x, w = xs[s:e], ws[s:e]
        if shot["kind"] in ("pan_face", "static_face", "static_face_offcentre"):
            rows["contain"].append(metrics.containment(x, w, boxes))
            rows["first"].append(metrics.first_frame_error(x[0], w[0], boxes[0], W))
        if shot.get("subject") == "still":
            rows["still"].append(metrics.stillness(x))
        if shot.get("subject") == "moving":
            rows["rev"].append(metrics.reversals_per_10s(x, fps))
        rows["accel"].append(metrics.mean_abs_accel_between(x, [b - s for b in breaks if s < b < e]))
    return {"method": name,
            "containment": float(np.mean(rows["contain"])), "containment_min": float(np.min(rows["contain"])),
            "stillness": float(np.mean(rows["still"])) if rows["still"] else 1.0,
            "reversals_10s": float(np.max(rows["rev"])) if rows["rev"] else 0.0,
            "mean_abs_d2x": float(np.mean(rows["accel"])),
            "first_frame_err": float(np.max(rows["first"])),
            "speaker": float(np.mean(rows["speaker"])) if rows["speaker"] else float("nan"),
            "speaker_h": float(np.mean(rows["speaker_h"])) if rows["speaker_h"] else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", default="drama")
    args = ap.parse_args()
    video = ROOT / "samples" / f"{args.sample}.mp4"
    truth = json.loads((ROOT / "samples" / f"{args.sample}.truth.json").read_text())
    plan = analyze(video)
    W, fps = plan.source["width"], float(plan.fps)
    faces = plan.analysis.get("faces", {})
    faces = {int(k): v for k, v in faces.items()}
    ours_w = plan.crop["w"]
    cw = min(ours_w)
    n = plan.source["frame_count"]
    breaks = [t[0] for shot in plan.shots for t in shot.get("speakers", [])[1:]]
    out_w = plan.target["width"]
    results = [
        evaluate("verticalize", plan.crop["x"], ours_w, truth, fps, W, breaks, out_w),
        evaluate("centre crop", [(W - cw) // 2] * n, [cw] * n, truth, fps, W, (), out_w),
        evaluate("naive face follow", naive_follow(plan, faces, W), [cw] * n, truth, fps, W, (), out_w),
    ]
    modes = [s["mode"] for s in plan.shots]
    print(f"sample: {args.sample} ({n} frames, {len(truth['shots'])} shots); modes: "
          + ", ".join(f"{m} {modes.count(m)}" for m in ("static", "pan", "track", "speaker", "pad")))
    head = (f"{'method':20} {'contain mean':>12} {'contain min':>11} {'stillness':>9} {'rev/10s max':>11} "
            f"{'|d2x| mean':>10} {'1st-frame err':>13} {'speaker in crop':>15} {'speaker face px':>15}")
    print(head)
    for r in results:
        print(f"{r['method']:20} {r['containment']:12.2%} {r['containment_min']:11.2%} {r['stillness']:9.2%} "
              f"{r['reversals_10s']:11.2f} {r['mean_abs_d2x']:10.3f} {r['first_frame_err']:13.2%} "
              f"{r['speaker']:15.2%} {r['speaker_h']:15.0f}")
    print("speaker in crop: share of speaking frames (truth turns, 1 s allowed after each change) whose speaker's "
          "face is fully in the picture; speaker face px: its height in the 9:16 output (0 when out of the crop).")


if __name__ == "__main__":
    main()
