"""Burned-in text detection on real files: hit rate and false positives, per frame and per shot.

    python bench/text_boxes.py FILE_OR_DIR... [--png DIR]

Decodes each file at analysis size (intra and P-frames, as the analysis does),
feeds ``reframe.text.TextDetector`` and prints one row per file:

  frames      decoded frames (with text per the truth table / without)
  hit         share of decoded frames with text on which a text line was found (one at
              least as wide as a shot's text block may be: min_line_frac of the width)
  fp          share of decoded frames without text on which one was found
  shots       shots that text_boxes() gives text for / shots with text per the truth
  fp shots    shots given text that have none
  us/frame    TextDetector.process_frame time per frame it was fed, µs

The truth table below was made by eye (frame contact sheets) and lists the
seconds where text is on screen; a file not in it has none (checked by eye:
horses_4x3, field_broken_audio, tiny_vp6, vp9_no_duration, samples/short.mp4). The
thresholds were tuned on the Sintel trailer, horses_4x3 and tiny_vp6; those of the
coarse scales (see TextDetector) on synthetic titles, samples/short.mp4 and drama.mp4.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verticalize.analysis import detect_scenes  # noqa: E402
from verticalize.media import analysis_size, decode_indexed, probe  # noqa: E402
from reframe.text import TextDetector  # noqa: E402

VIDEO = {".mp4", ".mkv", ".mov", ".webm", ".flv", ".avi", ".m4v", ".ts"}

# file name -> [(first s, last s)] with burned-in text on screen, by eye
TRUTH = {
    "sintel_trailer_letterboxed.mp4": [(9.3, 11.1),    # THE BLENDER FOUNDATION presents
                                       (40.8, 46.5),   # the SINTEL emblem and word mark
                                       (47.6, 52.3)],  # credits
    # ffmpeg -i ../shared/media/field_broken_audio.mp4 -vf "scale=640:272,pad=640:360:0:44,
    #   drawtext=fontfile=NotoSans.ttf:text='Where are you going?':fontsize=20:fontcolor=white:
    #   x=(w-tw)/2:y=328:enable='lt(mod(t,3),2)'" -an field_letterbox_subs.mp4   (a subtitle in the bar)
    "field_letterbox_subs.mp4": [(0, 1.99), (3, 4.99), (6, 7.99), (9, 10.99)],
    # samples/make_samples.py: shot 930-1110 pans over skimage's "page", a photographed page of print
    "drama.mp4": [(31.0, 36.99)],
}


def run(path: Path, png: Path | None, text_fps: float = 0.0) -> tuple:
    info = probe(path)
    fps = float(info.fps)
    aw, ah = analysis_size(info, 384)
    warm = np.random.default_rng(0).integers(0, 256, (ah, aw, 3), dtype=np.uint8)  # has dense cells
    warm.flags.writeable = False  # decoded frames are read-only: compile that signature too
    TextDetector(aw, ah).process_frame(0, warm)
    TextDetector(aw, ah).process_frame(0, warm.copy())
    every = max(1, int(round(fps / text_fps))) if text_fps > 0 else 1
    det = TextDetector(aw, ah, every=every)
    spent = 0.0
    keep = {}
    for i, frame in decode_indexed(info, aw, ah, skip="bidir"):
        if not det.wants(i):
            continue
        t = time.perf_counter()
        det.process_frame(i, frame)
        spent += time.perf_counter() - t
        if png is not None:
            keep[i] = frame
    _, cuts, total = detect_scenes(path)
    bounds = [0] + sorted(c for c in cuts if 0 < c < total) + [total]
    spans = [(a * fps, b * fps) for a, b in TRUTH.get(path.name, [])]

    def has_text(i0, i1):  # frames [i0, i1) overlap a truth span
        return any(a < i1 and i0 <= b for a, b in spans)

    truth = np.array([has_text(i, i + 1) for i in det.indices], bool)
    # a frame counts as "text found" when it has a line as wide as a shot's text block may be
    narrowest = max(det.min_width, int(np.ceil(det.min_line_frac * det.gw)))
    found = np.array([bool(len(lines)) and bool(((lines[:, 3] - lines[:, 1]) >= narrowest).any())
                      for lines in det.lines], bool)
    shots_true = shots_hit = shots_fp = 0
    for k, (s, e) in enumerate(zip(bounds, bounds[1:])):
        boxes = det.text_boxes(s, e)
        t = has_text(s, e)
        shots_true += t
        shots_hit += t and bool(boxes)
        shots_fp += (not t) and bool(boxes)
        if png is not None and boxes:
            from PIL import Image

            idx = [i for i in keep if s <= i < e]
            img = keep[idx[len(idx) // 2]].copy()
            for x0, y0, x1, y1 in boxes:
                img[y0, x0:x1] = img[y1 - 1, x0:x1] = (255, 0, 0)
                img[y0:y1, x0] = img[y0:y1, x1 - 1] = (255, 0, 0)
            png.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(png / f"{path.stem}_text{k:03d}.png")
    n_t, n_f = int(truth.sum()), int((~truth).sum())
    hit = f"{found[truth].mean():.0%}" if n_t else "-"
    fp = f"{found[~truth].mean():.1%}" if n_f else "-"
    us = spent / max(1, len(det.indices)) * 1e6
    return (path.name, f"{len(det.indices)} ({n_t}/{n_f})", hit, fp, f"{shots_hit}/{shots_true}",
            f"{shots_fp}/{len(bounds) - 1 - shots_true}", f"{us:.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", type=Path)
    ap.add_argument("--png", type=Path, default=None, help="save one frame per shot with text, boxes drawn")
    ap.add_argument("--text-fps", type=float, default=0.0,
                    help="feed the detector this many frames a second (TextDetector.wants); 0: every decoded frame")
    args = ap.parse_args()
    files = []
    for p in args.inputs:
        files += sorted(q for q in p.iterdir() if q.suffix.lower() in VIDEO) if p.is_dir() else [p]
    head = ("file", "frames (text/none)", "hit", "fp", "shots", "fp shots", "us/frame")
    rows = [run(f, args.png, args.text_fps) for f in files]
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))


if __name__ == "__main__":
    main()
