"""Burned-in text: the stroke kernel against a numpy reference, rendered titles found whole,
textures (grass, gravel, moving noise) not taken for text."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from verticalize.media import ffmpeg_exe
from reframe.text import TextDetector, components, luma_planes, stroke_cells

W, H = 384, 216


def reference_strokes(frame, cell=4, contrast=60, max_stroke=5):
    """Slow twin of the kernel's stroke counts: (rows, columns, bright) per cell."""
    f = frame.astype(np.int32)
    luma = (77 * f[..., 0] + 150 * f[..., 1] + 29 * f[..., 2]) >> 8
    h, w = luma.shape
    gh, gw = h // cell, w // cell
    out = np.zeros((gh, gw, 3), np.int64)

    def scan(values, put):
        last_i, last_s, prev = -1000, 0, 0
        for i in range(len(values) - 1):
            d = values[i + 1] - values[i]
            s = 0 if abs(d) < contrast else (1 if d > 0 else -1)
            if s != 0 and s != prev:  # a ramp of one sign is one edge
                if s == -last_s and i - last_i <= max_stroke:
                    put(last_i, last_s > 0)
                    last_s = 0
                else:
                    last_s, last_i = s, i
            prev = s
    for y in range(h):
        def put(x, bright, y=y):
            cy, cx = min(y // cell, gh - 1), min(x // cell, gw - 1)
            out[cy, cx, 0] += 1
            out[cy, cx, 2] += bright
        scan(luma[y], put)
    for x in range(w):
        def put(y, bright, x=x):
            cy, cx = min(y // cell, gh - 1), min(x // cell, gw - 1)
            out[cy, cx, 1] += 1
            out[cy, cx, 2] += bright
        scan(luma[:, x], put)
    return out


def font_file(family):
    """A real font file: "Noto Sans" (bundled, variable weight) or "DejaVu Serif" (matplotlib's,
    installed with mediapipe; the test is skipped without it)."""
    if family == "Noto Sans":
        from subtitles.fonts import font_file_for

        return str(font_file_for("Noto Sans"))
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("matplotlib")
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSerif.ttf" if spec else None
    if path is None or not path.exists():
        pytest.skip("no DejaVu Serif")
    return str(path)


def render(text, size, width=W, height=H, background=None, xy=None, fill=(240, 240, 240),
           family="Noto Sans", weight=400):
    """RGB uint8 frame with ``text`` drawn by PIL in a real font (``weight``: 100..900, Noto Sans's
    variable weight axis); returns (frame, text box)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(font_file(family), size)
    if family == "Noto Sans":
        font.set_variation_by_axes([weight, 100])
    img = Image.fromarray(np.zeros((height, width, 3), np.uint8) if background is None else background)
    draw = ImageDraw.Draw(img)
    x0, y0, x1, y1 = draw.textbbox((0, 0), text, font=font)
    if xy is None:
        xy = ((width - (x1 - x0)) // 2 - x0, (height - (y1 - y0)) // 2 - y0)
    draw.text(xy, text, font=font, fill=fill)
    bx0, by0, bx1, by1 = draw.textbbox(xy, text, font=font)
    return np.asarray(img).copy(), (bx0, by0, bx1, by1)


def texture(name):
    import skimage.data

    g = getattr(skimage.data, name)()
    return np.repeat(g[..., None], 3, axis=2)


def test_kernel_matches_reference():
    rng = np.random.default_rng(1)
    frame, _ = render("Hello World 42", 14, 96, 64, background=(rng.random((64, 96, 3)) * 80).astype(np.uint8))
    for f in (frame, texture("gravel")[:64, :96].copy(), (rng.random((64, 96, 3)) * 255).astype(np.uint8)):
        for contrast, max_stroke in ((40, 5), (60, 3)):
            counts, edges = stroke_cells(f, contrast=contrast, max_stroke_px=max_stroke)
            ref = reference_strokes(f, contrast=contrast, max_stroke=max_stroke)
            assert (counts[..., 0] == ref[..., 0]).all()
            assert (counts[..., 1] == ref[..., 1]).all()
            assert (counts[..., 4] == ref[..., 2]).all()
            assert counts[..., :2].sum() > 0
    # stability: the same frame twice is stable in every candidate cell, a shifted texture is not
    counts, edges = stroke_cells(frame)
    again, _ = stroke_cells(frame, edges)
    cand = again[..., 0] + again[..., 1] >= 4
    assert cand.any() and (again[cand, 3] == again[cand, 2]).all()


def test_components():
    grid = np.zeros((6, 12), bool)
    grid[1, 1:4] = True
    grid[1, 6:9] = True   # a gap of two cells: joined with gap=2, not with gap=1
    grid[4, 10] = True
    assert components(grid, 2).tolist() == [[1, 1, 2, 9, 6], [4, 10, 5, 11, 1]]
    assert len(components(grid, 1)) == 3
    assert components(np.zeros((3, 3), bool)).shape == (0, 5)


@pytest.mark.parametrize("background", ["dark", "coffee"])
def test_title_found_whole(background):
    """A wide title (like "THE BLENDER FOUNDATION presents", about 9 px tall at analysis size)
    fading in over a dark or a photographic background: one box holding all of it."""
    import skimage.data

    bg = None
    if background == "coffee":
        bg = np.asarray(skimage.data.coffee()[100:316, 100:484]) // 2
    frame, (bx0, by0, bx1, by1) = render("THE BLENDER FOUNDATION presents", 13, background=bg)
    det = TextDetector(W, H)
    base = np.zeros_like(frame) if bg is None else bg
    for k in range(30):
        alpha = min(1.0, k / 6)  # fades in over 6 frames
        det.process_frame(k * 3, (base * (1 - alpha) + frame * alpha).astype(np.uint8))
    boxes = det.text_boxes(0, 90)
    assert 1 <= len(boxes) <= 2, boxes  # the words may come as one line or two pieces of it
    x0, x1 = det.text_extent(0, 90)
    assert (x0, x1) == (min(b[0] for b in boxes), max(b[2] for b in boxes))
    assert x0 <= bx0 and x1 >= bx1  # whole
    assert x0 >= bx0 - 8 and x1 <= bx1 + 8  # and not much more
    assert all(b[1] <= by0 + 2 and b[3] >= by1 - 2 and b[3] - b[1] <= 2 * (by1 - by0) for b in boxes)
    assert det.text_boxes(200, 300) == [] and det.text_extent(200, 300) is None
    # within an active box: the text in it is kept (clipped), text outside it is not
    assert det.text_extent(0, 90, within=(0, 0, W, H)) == (x0, x1)
    assert det.text_extent(0, 90, within=(100, 0, W, H)) == (100, x1)
    assert det.text_boxes(0, 90, within=(0, 0, W, by0 - 10)) == []


def test_shrunk_luma_matches_reference():
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, (37, 51, 3), dtype=np.uint8)
    f = frame.astype(np.int64)
    luma = (77 * f[..., 0] + 150 * f[..., 1] + 29 * f[..., 2]) >> 8
    planes = luma_planes(frame, (1, 2, 3, 4))
    assert (planes[0] == luma).all()
    for k, s in zip(planes[1:], (2, 3, 4)):
        h, w = 37 // s, 51 // s
        ref = luma[:h * s, :w * s].reshape(h, s, w, s).sum(axis=(1, 3))
        assert k.shape == (h, w) and (k == (ref + s * s // 2) // (s * s)).all()
    counts, _ = stroke_cells(planes[2], cell_px=3)  # a luma plane is measured like a frame
    assert counts.shape == (4, 5, 5)


def test_dense_cells_match_reference():
    rng = np.random.default_rng(4)
    counts = rng.integers(0, 4, (9, 11, 5)).astype(np.int32)
    counts[rng.random((9, 11)) < 0.4, 0] = 0
    counts[rng.random((9, 11)) < 0.4, 1] = 0
    det = TextDetector(W, H)
    r, c, e, s = (counts[..., k] for k in range(4))
    enough = r + c >= det.min_strokes
    assert (det.dense_cells(counts, True) == (enough & (r > 0) & (c > 0))).all()
    stable = s >= det.min_stable * e
    assert (det.dense_cells(counts, False) == (enough & (r > 0) & (c > 0) & stable)).all()
    # coarse scales: row and column strokes within the 3 x 3 cells around
    pr, pc = np.pad(r > 0, 1), np.pad(c > 0, 1)
    near_r = np.zeros_like(enough)
    near_c = np.zeros_like(enough)
    for dy in range(3):
        for dx in range(3):
            near_r |= pr[dy:dy + 9, dx:dx + 11]
            near_c |= pc[dy:dy + 9, dx:dx + 11]
    assert (det.dense_cells(counts, False, level=1) == (enough & near_r & near_c & stable)).all()


# titles as big as a quarter of the frame's height, several faces and weights, light on dark,
# dark on light and over a photograph that pans under them (Noto Sans sizes 22 to 72 px on a
# 384 x 216 frame: capitals about 16 to 52 px tall; the single-scale detector found none)
LARGE_TITLES = [
    ("Noto Sans", 400, 22, "dark", "Chapter One: Fire"),
    ("Noto Sans", 400, 40, "light", "THE END"),
    ("Noto Sans", 400, 72, "photo", "THE END"),
    ("Noto Sans", 900, 30, "light", "Chapter One: Fire"),
    ("Noto Sans", 900, 56, "photo", "THE END"),
    ("Noto Sans", 100, 56, "dark", "THE END"),
    ("DejaVu Serif", 400, 30, "photo", "Chapter One: Fire"),
    ("DejaVu Serif", 400, 72, "light", "THE END"),
]


@pytest.mark.parametrize("family,weight,size,background,text", LARGE_TITLES)
def test_large_title_found_whole(family, weight, size, background, text):
    """A still title over 8 frames (one every 6 source frames): one box holds all of it and not
    much more (a cell of margin; over the photograph the fit to edges stops a coarse cell out)."""
    import skimage.data

    photo = skimage.data.astronaut()
    det = TextDetector(W, H)
    for k in range(8):
        if background == "photo":  # the photograph pans 3 px a frame under the title
            bg = (photo[100:100 + H, 3 * k:3 * k + W] // 2).copy()
            fill = (245, 245, 245)
        else:
            bg = np.full((H, W, 3), 20 if background == "dark" else 225, np.uint8)
            fill = (235, 235, 235) if background == "dark" else (15, 15, 15)
        frame, (bx0, by0, bx1, by1) = render(text, size, background=bg, fill=fill, family=family, weight=weight)
        det.process_frame(6 * k, frame)
    boxes = det.text_boxes(0, 48)
    assert len(boxes) == 1, boxes
    x0, y0, x1, y1 = boxes[0]
    assert x0 <= bx0 and x1 >= bx1 and y0 <= by0 and y1 >= by1, (boxes, (bx0, by0, bx1, by1))
    slack = 8 if background != "photo" else 24
    assert x0 >= bx0 - slack and x1 <= bx1 + slack, (boxes, (bx0, bx1))


def test_text_on_few_frames_of_a_shot_is_not_kept():
    frame, _ = render("A CAPTION THAT FLASHES BY", 13)
    det = TextDetector(W, H)
    rng = np.random.default_rng(2)
    for k in range(40):
        f = frame if k in (10, 11) else (rng.random((H, W, 3)) * 30).astype(np.uint8)
        det.process_frame(k, f)
    assert det.text_boxes(0, 40) == []


@pytest.mark.parametrize("name", ["grass", "gravel", "brick"])
def test_textures_are_not_text(name):
    tex = texture(name)
    for step in (0, 3):  # a still shot, a slow pan
        det = TextDetector(W, H)
        for k in range(24):
            det.process_frame(k, tex[100:100 + H, step * k:step * k + W].copy())
        assert det.text_boxes(0, 24) == [], (name, step)


def test_drawtext_title_over_noise_clip(tmp_path):
    """ffmpeg draws a title over moving noise and encodes it; at analysis size the title is found
    whole and the noise before and after it is not text."""
    from subtitles.fonts import font_file_for

    font = str(font_file_for("Noto Sans")).replace("\\", "/").replace(":", "\\:")
    path = tmp_path / "title.mp4"
    draw = (f"drawtext=fontfile='{font}':text='THE BLENDER FOUNDATION presents':fontsize=22:"
            "fontcolor=white:x=(w-tw)/2:y=(h-th)/2:enable='between(t,1,2)'")
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x305020:s=640x360:r=10",
                    "-t", "3", "-vf", f"noise=alls=40:allf=t,{draw}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vf", f"scale={W}:{H}:flags=area",
                          "-pix_fmt", "rgb24", "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    frames = np.frombuffer(out, np.uint8).reshape(-1, H, W, 3)
    det = TextDetector(W, H)
    for k, f in enumerate(frames):
        det.process_frame(k, f)
    assert det.text_boxes(0, 10) == [] and det.text_boxes(20, 30) == []
    boxes = det.text_boxes(10, 20)
    assert len(boxes) == 1, boxes
    # the title's true extent at analysis size: where the white text is
    lit = np.argwhere(frames[15].min(axis=2) > 200)
    tx0, tx1 = lit[:, 1].min(), lit[:, 1].max() + 1
    x0, x1 = det.text_extent(10, 20)
    assert x0 <= tx0 and x1 >= tx1 and x1 - x0 <= tx1 - tx0 + 16


def test_validation():
    with pytest.raises(ValueError):
        TextDetector(8, 8)
    det = TextDetector(W, H)
    with pytest.raises(ValueError):
        det.process_frame(0, np.zeros((H, W, 4), np.uint8))
    det.process_frame(5, np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ValueError):
        det.process_frame(5, np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ValueError):
        stroke_cells(np.zeros((H, W, 3), np.float32))


def test_keep_whole():
    from reframe.text import keep_whole

    # a 9:16 crop of 854x364 active picture is 204 px wide
    assert keep_whole(None, 204, 0, 854) == (0.0, 650.0)
    assert keep_whole((320, 500), 204, 0, 854) == (296.0, 320.0)
    assert keep_whole((320, 500), 204, 0, 854, margin_px=8) == (304.0, 312.0)
    assert keep_whole((320, 500), 204, 0, 854, margin_px=50) == (308.0, 308.0)  # margin shrinks to fit
    assert keep_whole((302, 552), 204, 0, 854) is None  # "THE BLENDER FOUNDATION presents": pad
    assert keep_whole((0, 100), 204, 60, 854) == (60.0, 60.0)  # clipped to the active picture
    # text by the picture's edge: no room for the margin on that side, the window stays in the picture
    assert keep_whole((6.7, 100.3), 202, 0, 640, margin_px=24) == (0.0, 0.0)
    assert keep_whole((540, 633), 202, 0, 640, margin_px=24) == (438.0, 438.0)
    with pytest.raises(ValueError):
        keep_whole(None, 300, 0, 200)


def test_text_by_the_left_edge_keeps_the_crop_inside_the_picture(tmp_path):
    # testsrc2's counter and labels sit a few pixels from the left edge: the text margin cannot fit there
    from media_helpers import ffmpeg
    from verticalize.analysis import analyze
    from verticalize.options import DEFAULTS

    clip = tmp_path / "testsrc2.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=2", "-c:v", "libx264", "-preset",
           "ultrafast", str(clip))
    plan = analyze(str(clip), opts=DEFAULTS.with_(episodes=False))
    assert min(plan.crop["x"]) >= 0 and max(x + w for x, w in zip(plan.crop["x"], plan.crop["w"])) <= 640
def test_large_titles_clip_pad_or_framed_whole(tmp_path):
    """One ffmpeg command makes two 2-s shots over moving noise: a big title wider than the 9:16
    window (capitals about 30 px tall at analysis size), then a big word that fits in it. The
    first shot is ``pad`` (its whole picture is shown) and its text box holds the title; the
    second is cropped, and the window holds the word whole on 100% of its frames."""
    import verticalize
    from verticalize.options import DEFAULTS

    font = font_file("Noto Sans").replace("\\", "/").replace(":", "\\:")
    path = tmp_path / "titles.mp4"

    def shot(k, text, size, x):
        return (f"[{k}:v]noise=alls=40:allf=t,drawtext=fontfile='{font}':text='{text}':fontsize={size}:"
                f"fontcolor=white:x={x}:y=(h-th)/2[s{k}]")
    graph = ";".join([shot(0, "THE LAST SUMMER", 60, "(w-tw)/2"), shot(1, "FIN", 96, "380"),
                      "[s0][s1]concat=n=2:v=1:a=0[v]"])
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x305020:s=640x360:r=10:d=2",
                    "-f", "lavfi", "-i", "color=c=0x283870:s=640x360:r=10:d=2", "-filter_complex", graph,
                    "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
                   check=True)
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
                         capture_output=True, check=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 360, 640, 3)
    assert len(frames) == 40

    def ink(i):  # the white text's columns in source frame i (the noise stays under 200)
        cols = np.flatnonzero((frames[i].min(axis=2) > 200).any(axis=0))
        return cols.min(), cols.max() + 1

    opts = DEFAULTS.with_(width=180, height=320, episodes=False, preset="ultrafast", jobs=1)
    plan = verticalize.analyze(path, None, opts)
    assert [(s["start"], s["end"]) for s in plan.shots] == [(0, 20), (20, 40)], plan.shots
    wide, narrow = plan.shots
    tx0, tx1 = ink(10)
    assert tx1 - tx0 > 360 * 9 / 16  # wider than the 9:16 window: shown whole by padding
    assert wide["mode"] == "pad" and wide["subject"] == "text", wide  # the plan says why
    assert min(b[0] for b in wide["text"]) <= tx0 and max(b[2] for b in wide["text"]) >= tx1, (wide, tx0, tx1)
    assert narrow["mode"] != "pad" and narrow["text"], narrow
    for i in range(40):  # each title is inside the planned window on every frame of its shot
        x0, x1 = ink(i)
        assert plan.crop["x"][i] <= x0 and plan.crop["x"][i] + plan.crop["w"][i] >= x1, (i, x0, x1, plan.crop["x"][i])
