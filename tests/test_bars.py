"""Letterbox/pillarbox detection: the kernel against a numpy reference, shots made with numpy
(moving picture in bars, a fade to black, a night sky, a title card, a format change) and
clips padded by ffmpeg."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest

from verticalize.media import ffmpeg_exe
from reframe.bars import BorderDetector, edge_depths, scale_box

W, H = 384, 216


def reference_depths(frame, dark_level=40, tol=10, hard_tol=32, max_bad_frac=0.05, max_frac=1.0):
    """Slow numpy twin of ``_edge_depths_kernel``: (depths, corner depths), edges top, bottom,
    left, right."""
    f = frame.astype(np.int32)
    H_, W_ = f.shape[:2]
    lines = [lambda k: f[k], lambda k: f[H_ - 1 - k], lambda k: f[:, k], lambda k: f[:, W_ - 1 - k]]

    def matches(px, seed):
        dist = np.abs(px - seed).max(axis=1)
        return (dist > tol).sum() <= max_bad_frac * len(dist) and dist.max() <= hard_tol

    out, corners = [], []
    for e, line in enumerate(lines):
        dim = H_ if e < 2 else W_
        first = line(0)
        seed = np.sort(first, axis=0)[len(first) // 2]  # per-channel median (upper)
        if (first > dark_level + tol).any(axis=1).sum() > max_bad_frac * len(first) or (seed > dark_level).any():
            out.append(0)  # the outer line is not mostly dark, or its colour is not
            corners.append(0)
            continue
        limit = dim if e == 0 else min(dim, int(max_frac * dim) + 1)
        k = 0
        while k < limit and matches(line(k), seed):
            k += 1
        out.append(k)
        if e == 0 and k == H_:
            return [H_, H_, W_, W_], [H_, H_, W_, W_]
        c = max(1, len(first) // 5)
        limit = min(dim, int(max_frac * dim) + 1)
        while k < limit and matches(np.concatenate([line(k)[:c], line(k)[-c:]]), seed):
            k += 1
        corners.append(k)
    return out, corners


def picture(rng, h, w, t=0.0):
    """A moving, bright-ish picture (no dark edges)."""
    yy, xx = np.mgrid[0:h, 0:w]
    base = 120 + 60 * np.sin(xx / 17.0 + t) * np.cos(yy / 11.0 - t)
    img = np.stack([base, base * 0.8 + 30, 255 - base], axis=2) + rng.normal(0, 6, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def boxed(inner, top, bottom, left, right, colour=(0, 0, 0)):
    frame = np.empty((H, W, 3), np.uint8)
    frame[:] = colour
    frame[top:H - bottom, left:W - right] = inner
    return frame


def test_kernel_matches_reference():
    rng = np.random.default_rng(1)
    cases = [
        boxed(picture(rng, H - 52, W, 0.3), 26, 26, 0, 0),
        boxed(picture(rng, H, W - 96, 1.0), 0, 0, 48, 48, colour=(12, 10, 14)),
        boxed(picture(rng, H - 40, W - 60, 2.0), 20, 20, 30, 30),
        picture(rng, H, W, 0.5),
        np.zeros((H, W, 3), np.uint8),
    ]
    noisy = boxed(picture(rng, H - 52, W, 0.3), 26, 26, 0, 0)
    noisy[:26] = np.clip(rng.normal(8, 3, (26, W, 3)), 0, 255).astype(np.uint8)  # compressed black is not flat
    cases.append(noisy)
    subs = cases[0].copy()
    subs[H - 20:H - 12, 150:234] = 235  # a subtitle line in the bottom bar
    cases.append(subs)
    for frame in cases:
        for max_frac in (1.0, 0.4):
            depths, coverage, seeds, corners = edge_depths(frame, max_frac=max_frac)
            assert (list(depths), list(corners)) == reference_depths(frame, max_frac=max_frac)
            assert (corners >= depths).all()
            assert ((coverage >= 0) & (coverage <= 1)).all()
    d, _, _, k = edge_depths(cases[0])
    assert list(d) == [26, 26, 0, 0] and list(k) == [26, 26, 0, 0]
    d, _, _, _ = edge_depths(cases[2])
    assert list(d) == [20, 20, 30, 30]
    subs = cases[0].copy()
    subs[H - 20:H - 12, 150:234] = 235  # a subtitle line in the bottom bar
    d, _, _, k = edge_depths(subs)
    assert list(d) == [26, 12, 0, 0] and list(k) == [26, 26, 0, 0]


def feed(det, frames, start=0):
    for k, f in enumerate(frames):
        det.process_frame(start + k, f)
    return start + len(frames)


def test_letterbox_pillarbox_and_windowbox_boxes():
    rng = np.random.default_rng(2)
    for bars in [(27, 27, 0, 0), (0, 0, 48, 48), (20, 22, 30, 30)]:
        t, b, l, r = bars
        det = BorderDetector(W, H)
        n = feed(det, [boxed(picture(rng, H - t - b, W - l - r, k * 0.4), *bars) for k in range(24)])
        box = det.active_box(0, n)
        assert box == det.film_box()
        x0, y0, x1, y1 = box
        # never a bar pixel inside, at most the safety margin lost
        assert l <= x0 <= l + 1 and t <= y0 <= t + 1
        assert W - r - 1 <= x1 <= W - r and H - b - 1 <= y1 <= H - b


def test_dark_scenes_are_not_bars():
    rng = np.random.default_rng(3)
    # a fade to black on a film without bars
    det = BorderDetector(W, H)
    frames = [(picture(rng, H, W, k * 0.3) * (1 - k / 20)).astype(np.uint8) for k in range(21)]
    frames += [np.zeros((H, W, 3), np.uint8)] * 5
    n = feed(det, frames)
    assert det.active_box(0, n) == (0, 0, W, H)
    assert det.is_blank(21, n) and not det.is_blank(0, n)
    # a night: a dark sky whose gradient and stars are no bar, a lit street below
    det = BorderDetector(W, H)
    night = []
    for k in range(24):
        yy = np.arange(H)[:, None, None]
        sky = np.clip(3 + yy * 0.35 + rng.normal(0, 1.5, (H, W, 3)), 0, 255)
        frame = sky.astype(np.uint8)
        frame[150:] = picture(rng, H - 150, W, k * 0.3) // 2
        frame[rng.integers(0, 60, 30), rng.integers(0, W, 30)] = 220  # stars
        night.append(frame)
    n = feed(det, night)
    assert det.active_box(0, n) == (0, 0, W, H)
    # a dark band on top only (a dark sky that happens to be flat) is not a letterbox
    det = BorderDetector(W, H)
    n = feed(det, [boxed(picture(rng, H - 30, W, k * 0.3), 30, 0, 0, 0) for k in range(24)])
    assert det.active_box(0, n) == (0, 0, W, H)


def test_subtitles_burned_into_a_bar():
    """White subtitles in the bottom bar on most frames: the bars are still found (the bottom one
    by its corners) and the active box holds neither bar nor subtitle pixels."""
    rng = np.random.default_rng(7)
    det = BorderDetector(W, H)
    frames = []
    for k in range(30):
        f = boxed(picture(rng, H - 52, W, k * 0.4), 26, 26, 0, 0)
        if k % 3:
            f[H - 20:H - 12, 120 + k:260 + k] = 235
        frames.append(f)
    n = feed(det, frames)
    assert det.film_box() == det.active_box(0, n) == (0, 27, W, H - 27)


def test_title_card_on_black_takes_the_film_box():
    rng = np.random.default_rng(4)
    det = BorderDetector(W, H)
    n = feed(det, [boxed(picture(rng, H - 52, W, k * 0.4), 26, 26, 0, 0) for k in range(40)])
    card = np.zeros((H, W, 3), np.uint8)
    card[100:108, 150:240] = 230  # a line of text, nothing else
    m = feed(det, [card.copy() for _ in range(12)], n)
    assert det.active_box(n, m) == det.film_box() == (0, 27, W, H - 27)
    # same card in a film without bars: no pillars around the text
    det = BorderDetector(W, H)
    n = feed(det, [picture(rng, H, W, k * 0.4) for k in range(20)])
    m = feed(det, [card.copy() for _ in range(12)], n)
    assert det.active_box(n, m) == (0, 0, W, H)


def test_shots_with_their_own_format_and_dark_shots():
    rng = np.random.default_rng(5)
    det = BorderDetector(W, H)
    a = feed(det, [boxed(picture(rng, H - 52, W, k * 0.4), 26, 26, 0, 0) for k in range(40)])
    # a full-frame shot (the film changes format), then a dark letterboxed shot
    b = feed(det, [picture(rng, H, W, k * 0.4) for k in range(15)], a)
    dark = [boxed(picture(rng, H - 52, W, k * 0.4) // 8, 26, 26, 0, 0) for k in range(15)]
    c = feed(det, dark, b)
    assert det.active_box(0, a) == (0, 27, W, H - 27)
    assert det.active_box(a, b) == (0, 0, W, H)
    assert det.active_box(b, c) == (0, 27, W, H - 27)
    # a shot pillarboxed inside a letterboxed film
    d = feed(det, [boxed(picture(rng, H - 52, W - 120, k * 0.4), 26, 26, 60, 60) for k in range(15)], c)
    assert det.active_box(c, d) == (61, 27, W - 61, H - 27)


def test_scale_box_rounds_inward():
    assert scale_box((0, 27, 384, 189), (384, 216), (854, 480)) == (0, 60, 854, 420)
    assert scale_box((1, 1, 383, 215), (384, 216), (854, 480)) == (3, 3, 851, 477)
    assert scale_box((0, 26, 384, 190), (384, 216), (854, 480)) == (0, 58, 854, 422)
    # a text box, kept whole: outward
    assert scale_box((136, 92, 248, 104), (384, 216), (854, 480), inward=False) == (302, 204, 552, 232)
    assert scale_box((0, 27, 384, 189), (384, 216), (854, 480), inward=False) == (0, 60, 854, 420)
    with pytest.raises(ValueError):
        scale_box((0, 0, 1, 1), (0, 216), (854, 480))


def decode(path, w, h):
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vf", f"scale={w}:{h}:flags=area",
                          "-pix_fmt", "rgb24", "-f", "rawvideo", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, h, w, 3)


@pytest.mark.parametrize("size,pad,bars", [
    ("640x272", "pad=640:360:0:44", (44, 44, 0, 0)),     # 2.35:1 letterboxed in 16:9
    ("480x360", "pad=640:360:80:0", (0, 0, 80, 80)),     # 4:3 pillarboxed in 16:9
])
def test_bars_on_an_encoded_clip(tmp_path, size, pad, bars):
    """A moving test pattern padded by ffmpeg and encoded: the box found at analysis size,
    scaled to the source, holds no bar pixel and loses at most a few pixels of picture."""
    path = tmp_path / "padded.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=10",
                    "-t", "2", "-vf", pad, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    str(path)], check=True)
    frames = decode(path, W, H)
    det = BorderDetector(W, H)
    feed(det, list(frames))
    x0, y0, x1, y1 = scale_box(det.film_box(), (W, H), (640, 360))
    t, b, l, r = bars
    assert l <= x0 <= l + 4 and t <= y0 <= t + 4
    assert 640 - r - 4 <= x1 <= 640 - r and 360 - b - 4 <= y1 <= 360 - b
    # and the picture inside the box really has no bar rows/columns at full size
    full = decode(path, 640, 360)
    inside = full[:, y0:y1, x0:x1].max(axis=(0, 3))
    assert inside[0].max() > 60 and inside[-1].max() > 60 and inside[:, 0].max() > 60 and inside[:, -1].max() > 60


def test_many_frames_keep_order_and_memory():
    det = BorderDetector(W, H)
    frame = boxed(picture(np.random.default_rng(6), H - 52, W), 26, 26, 0, 0)
    for k in range(3000):  # past the first growth of the per-frame arrays
        det.process_frame(2 * k, frame)
    assert det.frames_in(0, 6000) == (3000, 0) and det.frames_in(100, 200) == (50, 0)
    assert det.active_box(1000, 1100) == (0, 27, W, H - 27)
    held = det._idx.nbytes + det._depth.nbytes + det._corner.nbytes + det._cov.nbytes
    assert held <= 4096 * 56  # 56 bytes a slot, at most twice the frames


def test_validation():
    with pytest.raises(ValueError):
        BorderDetector(4, 4)
    with pytest.raises(ValueError):
        BorderDetector(W, H, tol=40, hard_tol=20)
    det = BorderDetector(W, H)
    with pytest.raises(ValueError):
        det.process_frame(0, np.zeros((H, W + 2, 3), np.uint8))
    det.process_frame(3, np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ValueError):
        det.process_frame(3, np.zeros((H, W, 3), np.uint8))
    assert det.film_box() == (0, 0, W, H) and det.is_blank(0, 10)
    assert BorderDetector(W, H).active_box(0, 10) == (0, 0, W, H)
