"""Letterbox/pillarbox detection on real files: the active box per file and per shot.

    python bench/bars.py FILE_OR_DIR... [--png DIR] [--frames-per-shot K]

Decodes each file at analysis size (intra and P-frames, as the analysis does),
feeds ``reframe.bars.BorderDetector`` and ``reframe.text.TextDetector``, finds the
shots with the shot detector, and prints per file: the film's active box in
source pixels and how far inside ffmpeg cropdetect's answer it lies (never
negative: the box must hold no bar pixel), the shots whose box differs from the
film's, blank shots (every decoded frame one dark colour), the text boxes per
shot, and the per-frame time of each detector (µs), the saliency tracker's
beside them for scale. ``--png DIR`` saves, per shot, one frame
with the active box (green) and the text boxes (red) drawn, to look at.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verticalize.analysis import detect_scenes  # noqa: E402
from verticalize.media import analysis_size, decode_indexed, ffmpeg_exe, probe  # noqa: E402
from reframe.bars import BorderDetector, scale_box  # noqa: E402
from reframe.saliency import SaliencyTracker  # noqa: E402
from reframe.text import TextDetector  # noqa: E402

VIDEO = {".mp4", ".mkv", ".mov", ".webm", ".flv", ".avi", ".m4v", ".ts"}


def cropdetect(path: Path) -> str:
    """ffmpeg cropdetect's most frequent answer (w:h:x:y, rounded to 2 px)."""
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path), "-vf", "cropdetect=round=2:limit=24",
                          "-f", "null", "-"], capture_output=True, text=True).stderr
    found = re.findall(r"crop=(\d+:\d+:\d+:\d+)", out)
    return max(set(found), key=found.count) if found else "-"


def draw(frame: np.ndarray, box, color, width: int = 1) -> None:
    x0, y0, x1, y1 = box
    x1, y1 = x1 - 1, y1 - 1
    frame[y0:y0 + width, x0:x1 + 1] = color
    frame[y1 - width + 1:y1 + 1, x0:x1 + 1] = color
    frame[y0:y1 + 1, x0:x0 + width] = color
    frame[y0:y1 + 1, x1 - width + 1:x1 + 1] = color


def run(path: Path, png: Path | None) -> None:
    info = probe(path)
    aw, ah = analysis_size(info, 384)
    src = (info.width, info.height)
    # compile the kernels outside the timing (noise has dense cells: every kernel runs)
    warm = np.random.default_rng(0).integers(0, 256, (ah, aw, 3), dtype=np.uint8)
    for w in (warm, warm.copy()):
        w.flags.writeable = w is not warm  # decoded frames are read-only: that signature too
        BorderDetector(aw, ah).process_frame(0, w)
        TextDetector(aw, ah).process_frame(0, w)
        SaliencyTracker(aw, ah, 0.3, info.width).process_frame(0, w)
    bars, text = BorderDetector(aw, ah), TextDetector(aw, ah)
    t_bars = t_text = 0.0
    n = 0
    keep: dict[int, np.ndarray] = {}
    sal = SaliencyTracker(aw, ah, 0.3, info.width)
    t_sal = 0.0
    for i, frame in decode_indexed(info, aw, ah, skip="bidir"):
        t = time.perf_counter()
        sal.process_frame(i, frame)
        t_sal += time.perf_counter() - t
        t = time.perf_counter()
        bars.process_frame(i, frame)
        t_bars += time.perf_counter() - t
        t = time.perf_counter()
        text.process_frame(i, frame)
        t_text += time.perf_counter() - t
        n += 1
        if png is not None:
            keep[i] = frame
    _, cuts, total = detect_scenes(path)
    bounds = [0] + sorted(c for c in cuts if 0 < c < total) + [total]
    film = bars.film_box()
    print(f"\n{path.name}: {src[0]}x{src[1]} -> {aw}x{ah}, {n} frames decoded of {total}, {len(bounds) - 1} shots")
    fx0, fy0, fx1, fy1 = scale_box(film, (aw, ah), src)
    cd = cropdetect(path)
    versus = ""
    if cd != "-":
        cw, ch, cx, cy = map(int, cd.split(":"))
        # positive: our box lies inside cropdetect's (bar-free side); negative: it reaches past it
        versus = f"; inside cropdetect's by {fx0 - cx}, {fy0 - cy}, {cx + cw - fx1}, {cy + ch - fy1} px (l, t, r, b)"
    print(f"  film active box: {(fx0, fy0, fx1, fy1)} source px   (cropdetect w:h:x:y {cd}{versus})")
    print(f"  per frame: bars {t_bars / max(n, 1) * 1e6:.0f} µs, text {t_text / max(n, 1) * 1e6:.0f} µs, "
          f"saliency (for scale) {t_sal / max(n, 1) * 1e6:.0f} µs")
    for k, (s, e) in enumerate(zip(bounds, bounds[1:])):
        box = bars.active_box(s, e)
        dec, blank = bars.frames_in(s, e)
        tb = text.text_boxes(s, e)
        notes = []
        if bars.is_blank(s, e):
            notes.append("blank")
        if box != film:
            notes.append(f"active {scale_box(box, (aw, ah), src)}")
        if tb:
            notes.append("text " + " ".join(str(scale_box(b, (aw, ah), src)) for b in tb))
        print(f"  shot {k:3d} frames {s:5d}-{e - 1:5d} ({dec:3d} decoded, {blank:3d} blank) {'; '.join(notes)}")
        if png is not None and dec:
            idx = sorted(i for i in keep if s <= i < e)
            img = keep[idx[len(idx) // 2]].copy()
            draw(img, box, (0, 255, 0))
            for b in tb:
                draw(img, b, (255, 0, 0))
            from PIL import Image

            png.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(png / f"{path.stem}_shot{k:03d}.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", type=Path)
    ap.add_argument("--png", type=Path, default=None, help="save one frame per shot with the boxes drawn here")
    args = ap.parse_args()
    files = []
    for p in args.inputs:
        files += sorted(q for q in p.iterdir() if q.suffix.lower() in VIDEO) if p.is_dir() else [p]
    for f in files:
        run(f, args.png)


if __name__ == "__main__":
    main()
