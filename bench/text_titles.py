"""Burned-in titles, before vs after: found, whole, coverage, false positives and cost, in one run.

    python bench/text_titles.py [FILE_OR_DIR ...] [--before REV] [--text-fps 4] [--png DIR]

``--before REV``: the ``reframe/text.py`` of git revision REV (default a86fda4, the
single-scale detector) is loaded beside the working tree's and both get the same frames.

1. Synthetic titles: text drawn by PIL on a 384 x 216 frame (the analysis size of 16:9),
   8 frames one every 6 source frames, over a flat dark, a flat light background and
   skimage's coffee photograph panning 3 px a frame under it. Faces: Noto Sans (bundled,
   variable weight: Thin 100, Regular 400, Black 900) and DejaVu Serif (matplotlib's).
   Per case: ``found`` (a box on the text's rows), ``whole`` (one box holds the whole
   text box PIL reports), ``cov`` (share of the text's columns inside a box on its rows),
   ``over`` (px of box beyond the text, left + right).
2. Textures: skimage grass, gravel and brick, still and panning 3 px a frame, 24 frames:
   boxes found (any box is a false positive).
3. Files (e.g. ../shared/media and samples/*.mp4): decoded once at analysis size, every
   ``--text-fps`` frame fed to both detectors in turn; per detector the shots given text
   that have none per bench/text_boxes.py's truth table (``fp shots``), the shots with text
   found, and process_frame time per frame: wall ms and CPU ms (process time, both measured
   on the same frames, interleaved, so a busy machine slows both alike).
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import reframe.text as after  # noqa: E402

W, H = 384, 216
VIDEO = {".mp4", ".mkv", ".mov", ".webm", ".flv", ".avi", ".m4v", ".ts"}
CASES = [(face, size, bg) for face in ("Noto Sans 400", "Noto Sans 900", "Noto Sans 100", "DejaVu Serif")
         for size in (12, 16, 22, 30, 40, 56, 72) for bg in ("dark", "light", "photo")]


def load_before(rev: str):
    """The reframe/text.py of ``rev`` as a module (its numba cache beside a temporary copy)."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:reframe/text.py"], capture_output=True,
                         text=True, check=True).stdout
    d = Path(tempfile.gettempdir()) / f"verticalize_text_{rev}"
    d.mkdir(exist_ok=True)
    path = d / f"text_{rev}.py"
    if not path.exists() or path.read_text() != src:
        path.write_text(src)
    spec = importlib.util.spec_from_file_location(f"text_{rev}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # numba's cache finds the module by name
    spec.loader.exec_module(mod)
    return mod


def font(face: str, size: int):
    from PIL import ImageFont

    if face.startswith("Noto Sans"):
        from subtitles.fonts import font_file_for

        f = ImageFont.truetype(str(font_file_for("Noto Sans")), size)
        f.set_variation_by_axes([int(face.split()[-1]), 100])
        return f
    spec = importlib.util.find_spec("matplotlib")
    return ImageFont.truetype(str(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSerif.ttf"), size)


def title_frames(face: str, size: int, bg: str, n: int = 8):
    """n frames of a still title ("THE END" from 40 px, else "Chapter One: Fire"); (frames, text box)."""
    import skimage.data
    from PIL import Image, ImageDraw

    text = "THE END" if size >= 40 else "Chapter One: Fire"
    f = font(face, size)
    photo = skimage.data.coffee()
    frames = []
    for k in range(n):
        if bg == "photo":
            base, fill = (photo[40:40 + H, 3 * k:3 * k + W] // 2).copy(), (245, 245, 245)
        else:
            base = np.full((H, W, 3), 20 if bg == "dark" else 225, np.uint8)
            fill = (235, 235, 235) if bg == "dark" else (15, 15, 15)
        img = Image.fromarray(base)
        d = ImageDraw.Draw(img)
        x0, y0, x1, y1 = d.textbbox((0, 0), text, font=f)
        xy = ((W - (x1 - x0)) // 2 - x0, (H - (y1 - y0)) // 2 - y0)
        d.text(xy, text, font=f, fill=fill)
        frames.append(np.asarray(img).copy())
    return frames, d.textbbox(xy, text, font=f)


def score(mod, frames, box):
    det = mod.TextDetector(W, H)
    for k, f in enumerate(frames):
        det.process_frame(6 * k, f)
    boxes = det.text_boxes(0, 6 * len(frames))
    bx0, by0, bx1, by1 = box
    on_rows = [b for b in boxes if b[1] < by1 and by0 < b[3]]
    cols = np.zeros(W, bool)
    for x0, _, x1, _ in on_rows:
        cols[x0:x1] = True
    whole = [b for b in on_rows if b[0] <= bx0 and b[2] >= bx1 and b[1] <= by0 + 1 and b[3] >= by1 - 1]
    over = min((bx0 - b[0]) + (b[2] - bx1) for b in whole) if whole else None
    return bool(on_rows), bool(whole), float(cols[bx0:bx1].mean()), over, boxes


def textures(mod) -> dict:
    import skimage.data

    out = {}
    for name in ("grass", "gravel", "brick"):
        tex = np.repeat(getattr(skimage.data, name)()[..., None], 3, axis=2)
        for step in (0, 3):
            det = mod.TextDetector(W, H)
            for k in range(24):
                det.process_frame(k, tex[100:100 + H, step * k:step * k + W].copy())
            out[f"{name}{' pan' if step else ''}"] = len(det.text_boxes(0, 24))
    return out


def files_rows(paths, mods, text_fps: float):
    from text_boxes import TRUTH

    from verticalize.analysis import detect_scenes
    from verticalize.media import analysis_size, decode_indexed, probe

    rows = []
    for path in paths:
        info = probe(path)
        fps = float(info.fps)
        aw, ah = analysis_size(info, 384)
        every = max(1, int(round(fps / text_fps)))
        warm = np.random.default_rng(0).integers(0, 256, (ah, aw, 3), dtype=np.uint8)
        ro = warm.copy()
        ro.flags.writeable = False  # decoded frames are read-only: compile that signature too
        for m in mods:  # compile outside the timing
            m.TextDetector(aw, ah).process_frame(0, warm)
            m.TextDetector(aw, ah).process_frame(0, ro)
        dets = [m.TextDetector(aw, ah, every=every) for m in mods]
        wall, cpu = [0.0] * len(mods), [0.0] * len(mods)
        for i, frame in decode_indexed(info, aw, ah, skip="bidir"):
            if not dets[0].wants(i):
                continue
            for k, d in enumerate(dets):
                t, c = time.perf_counter(), time.process_time()
                d.process_frame(i, frame)
                wall[k] += time.perf_counter() - t
                cpu[k] += time.process_time() - c
        _, cuts, total = detect_scenes(path)
        bounds = [0] + sorted(c for c in cuts if 0 < c < total) + [total]
        spans = [(a * fps, b * fps) for a, b in TRUTH.get(path.name, [])]
        row = [path.name, str(len(dets[0].indices))]
        for k, d in enumerate(dets):
            hit = fp = true = 0
            for s, e in zip(bounds, bounds[1:]):
                t = any(a < e and s <= b for a, b in spans)
                found = bool(d.text_boxes(s, e))
                true += t
                hit += t and found
                fp += (not t) and found
            n = max(1, len(d.indices))
            row += [f"{hit}/{true}", f"{fp}/{len(bounds) - 1 - true}",
                    f"{wall[k] / n * 1e3:.2f}", f"{cpu[k] / n * 1e3:.2f}"]
        rows.append(row)
    return rows


def table(head, rows):
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for r in [head] + rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)))
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", type=Path)
    ap.add_argument("--before", default="a86fda4", help="git revision of the detector to compare with")
    ap.add_argument("--text-fps", type=float, default=4.0)
    ap.add_argument("--png", type=Path, default=None, help="save the 'after' boxes on a frame per synthetic case")
    args = ap.parse_args()
    before = load_before(args.before)
    mods = (before, after)

    rows, totals = [], {m: [0, 0, 0.0] for m in ("before", "after")}
    for face, size, bg in CASES:
        frames, box = title_frames(face, size, bg)
        row = [face, size, bg, f"{box[2] - box[0]}x{box[3] - box[1]}"]
        for name, m in zip(("before", "after"), mods):
            found, whole, cov, over, boxes = score(m, frames, box)
            row += ["yes" if found else "no", "yes" if whole else "no", f"{cov:.0%}", "-" if over is None else over]
            t = totals[name]
            t[0] += found
            t[1] += whole
            t[2] += cov
            if args.png is not None and name == "after":
                from PIL import Image

                img = frames[-1].copy()
                for x0, y0, x1, y1 in boxes:
                    img[y0, x0:x1] = img[y1 - 1, x0:x1] = (255, 0, 0)
                    img[y0:y1, x0] = img[y0:y1, x1 - 1] = (255, 0, 0)
                args.png.mkdir(parents=True, exist_ok=True)
                Image.fromarray(img).save(args.png / f"{face.replace(' ', '_')}_{size}_{bg}.png")
        rows.append(row)
    print(f"synthetic titles, 384x216, before = {args.before}, after = working tree")
    table(("face", "px", "background", "text box", "found", "whole", "cov", "over",
           "found'", "whole'", "cov'", "over'"), rows)
    n = len(CASES)
    table(("", "found", "whole", "mean cov"),
          [[k, f"{v[0]}/{n}", f"{v[1]}/{n}", f"{v[2] / n:.0%}"] for k, v in totals.items()])

    tex = [textures(m) for m in mods]
    table(("texture (boxes: false positives)", "before", "after"), [[k, tex[0][k], tex[1][k]] for k in tex[0]])

    files = []
    for p in args.inputs:
        files += sorted(q for q in p.iterdir() if q.suffix.lower() in VIDEO) if p.is_dir() else [p]
    if files:
        table(("file", "frames fed", "shots found", "fp shots", "wall ms/frame", "cpu ms/frame",
               "shots found'", "fp shots'", "wall ms/frame'", "cpu ms/frame'"),
              files_rows(files, mods, args.text_fps))
        print("' = after; fed at --text-fps", args.text_fps, "as the analysis does (TextDetector.wants)")


if __name__ == "__main__":
    main()
