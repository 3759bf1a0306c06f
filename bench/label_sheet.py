"""Frames to label by eye: extract frames of a clip and draw a pixel ruler on each.

    python bench/label_sheet.py CLIP OUT.png FRAME [FRAME ...] [--cols 2] [--width 560]

Each tile is one source frame (frame index in decode order, as ``select=eq(n,K)``
counts it) scaled to ``--width`` px, with vertical guides every 10 % of the
source width labelled in source pixels and minor ticks every 2 %, so the main
subject's horizontal extent [x0, x1] can be read off in source pixels. Used to
make ``bench/subject_labels/*.json``.
"""
from __future__ import annotations

import argparse
import subprocess

import numpy as np
from PIL import Image, ImageDraw


def grab_frames(path: str, frames: list[int]) -> dict[int, np.ndarray]:
    """RGB uint8 arrays of the given frame indices (decode order), one ffmpeg run."""
    import imageio_ffmpeg

    ff = imageio_ffmpeg.get_ffmpeg_exe()
    probe = subprocess.run([ff, "-hide_banner", "-i", path], capture_output=True, text=True).stderr
    import re

    m = re.search(r"Video: .*?, (\d{2,5})x(\d{2,5})", probe)
    w, h = int(m.group(1)), int(m.group(2))
    order = sorted(set(frames))
    sel = "+".join(f"eq(n\\,{k})" for k in order)
    raw = subprocess.run([ff, "-v", "error", "-i", path, "-map", "0:v:0", "-vf", f"select={sel}", "-fps_mode",
                          "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True,
                         check=True).stdout
    arr = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    return dict(zip(order, arr))


def ruler_tile(img: np.ndarray, label: str, width: int) -> Image.Image:
    h, w, _ = img.shape
    s = width / w
    th = int(round(h * s))
    tile = Image.new("RGB", (width, th + 34), (255, 255, 255))
    tile.paste(Image.fromarray(img).resize((width, th), Image.BILINEAR), (0, 0))
    d = ImageDraw.Draw(tile)
    for k in range(51):
        x = int(round(k * 0.02 * w * s))
        x = min(x, width - 1)
        major = k % 5 == 0
        d.line([(x, th), (x, th + (12 if major else 6))], fill=(0, 0, 0))
        if major:
            d.line([(x, 0), (x, th)], fill=(255, 0, 255) if k % 25 else (255, 255, 0))
            d.text((max(0, x - 8), th + 13), str(int(round(k * 0.02 * w))), fill=(0, 0, 0))
    d.text((4, 4), label, fill=(255, 255, 0))
    return tile


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip")
    ap.add_argument("out")
    ap.add_argument("frames", type=int, nargs="+")
    ap.add_argument("--cols", type=int, default=2)
    ap.add_argument("--width", type=int, default=560)
    a = ap.parse_args()
    got = grab_frames(a.clip, a.frames)
    tiles = [ruler_tile(got[f], f"#{f}", a.width) for f in a.frames if f in got]
    cols = min(a.cols, len(tiles))
    rows = (len(tiles) + cols - 1) // cols
    tw, th = tiles[0].size
    sheet = Image.new("RGB", (cols * tw + (cols - 1) * 6, rows * th + (rows - 1) * 6), (128, 128, 128))
    for i, t in enumerate(tiles):
        sheet.paste(t, ((i % cols) * (tw + 6), (i // cols) * (th + 6)))
    sheet.save(a.out)


if __name__ == "__main__":
    main()
