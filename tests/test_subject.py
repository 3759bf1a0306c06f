"""The subject map without faces: kernels against numpy references, and real outcomes on made-up frames."""
from __future__ import annotations

import numpy as np
import pytest

from reframe.subject import SubjectMap, _box_mean, _camera_shift, grid_block, subject_columns

rng = np.random.default_rng(3)


def ref_box_mean(ch: np.ndarray, r: int) -> np.ndarray:
    h, w = ch.shape
    out = np.empty_like(ch)
    for y in range(h):
        for x in range(w):
            out[y, x] = ch[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1].mean()
    return out


def test_box_mean_matches_reference():
    ch = rng.uniform(0, 255, (13, 21))
    for r in (1, 4, 16):
        np.testing.assert_allclose(_box_mean(ch, r), ref_box_mean(ch, r), rtol=1e-9)


def ref_camera_shift(lum: np.ndarray, prev: np.ndarray, max_shift: int) -> tuple[int, int]:
    """The exhaustive search the kernel's bounded one must agree with: the (dy, dx) of least mean
    |lum - prev shifted| on every other cell of every other row, + 0.02 per cell shifted; the first in
    scan order on ties."""
    gh, gw = lum.shape
    best, arg = np.inf, (0, 0)
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            a = lum[max(0, -dy):min(gh, gh - dy):2, max(0, -dx):min(gw, gw - dx):2]
            b = prev[max(0, -dy) + dy:min(gh, gh - dy) + dy:2, max(0, -dx) + dx:min(gw, gw - dx) + dx:2]
            cost = np.abs(a - b).mean() + 0.02 * (abs(dx) + abs(dy))
            if cost < best - 1e-9:
                best, arg = cost, (dy, dx)
    return arg


def test_bounded_camera_shift_search_matches_the_exhaustive_one():
    for seed in range(6):
        g = np.random.default_rng(seed)
        prev = g.uniform(0, 255, (54, 96))
        true = (int(g.integers(-4, 5)), int(g.integers(-4, 5)))
        lum = np.roll(prev, (-true[0], -true[1]), axis=(0, 1)) + g.normal(0, 3 * seed, prev.shape)
        _, dy, dx = _camera_shift(lum, prev, 6)
        arg = (dy, dx)
        assert arg == ref_camera_shift(lum, prev, 6)
        if seed == 0:
            assert arg == true


def textured(h=108, w=192, seed=0):
    """Grey-green grass-like texture: busy but one colour everywhere."""
    g = np.random.default_rng(seed)
    base = np.array([90, 110, 80], np.float64)
    img = base + g.normal(0, 12, (h, w, 1))
    return np.clip(img, 0, 255).astype(np.uint8)


def test_a_small_red_figure_beats_texture_anywhere_in_the_frame():
    for x0 in (10, 90, 170):
        f = textured()
        f[40:70, x0:x0 + 10] = (200, 40, 40)  # a small figure: 10 px of 192
        cols, (lo, hi), _ = subject_columns(f)
        b = grid_block(192)
        assert lo * b <= x0 + 2 and hi * b >= x0 + 8
        assert (hi - lo) * b < 40                      # the region is the figure, not the texture
        assert x0 - 4 <= np.argmax(cols) * b <= x0 + 12


def test_letterbox_bars_are_left_out():
    f = textured(108, 192)
    f[:18] = 0
    f[-18:] = 0
    f[40:70, 150:160] = (200, 40, 40)
    m = SubjectMap(192, 108)
    lo, hi, share = m.process(f)
    b = grid_block(192)
    assert 146 <= lo * b and hi * b <= 164
    assert np.all(m.map[: 18 // b] == 0) and np.all(m.map[-(18 // b):] == 0)   # bars carry no saliency


def test_motion_against_a_panning_camera_finds_the_mover():
    """The background pans 2 px a frame; a same-coloured patch moves against it: only motion shows it."""
    g = np.random.default_rng(1)
    world = np.clip(120 + g.normal(0, 30, (108, 400, 1)), 0, 255).repeat(3, 2).astype(np.uint8)
    patch = np.clip(120 + g.normal(0, 30, (20, 12, 1)), 0, 255).repeat(3, 2).astype(np.uint8)
    m = SubjectMap(192, 108, weights=(0.0, 0.0, 1.0))
    for t in range(6):
        f = world[:, 2 * t:2 * t + 192].copy()
        x = 40 + 6 * t                        # moves right 6 px a frame in the picture
        f[50:70, x:x + 12] = patch
        lo, hi, _ = m.process(f)
    b = grid_block(192)
    assert lo * b >= x - 12 and hi * b <= x + 24


def test_the_sharp_figure_beats_a_brighter_blurred_foreground():
    """A blurred green blob (rare colour, strong contrast) beside a sharp grey figure of the ground's
    mean colour, grain over all: focus and the blur gate of the table pick the figure; without them
    the map picks the blob (the koala behind a leaf of bench/subject_labels)."""
    from reframe.subject import SUBJECT_WEIGHTS

    g = np.random.default_rng(0)
    h, w = 108, 192
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3)) + np.array([120, 120, 125]) + (xx / w * 10)[..., None]
    blob = np.exp(-(((xx - 45) / 18.0) ** 2 + ((yy - 54) / 22.0) ** 2))
    img += blob[..., None] * (np.array([60, 200, 70]) - img)
    img[30:80, 130:158] += g.choice([-45.0, 45.0], (50, 28))[..., None]
    img += g.normal(0, 3, (h, w, 1))
    f = np.clip(img, 0, 255).astype(np.uint8)
    b = grid_block(w)
    cues = tuple(SUBJECT_WEIGHTS[k] for k in ("contrast", "rarity", "motion"))
    m = SubjectMap(w, h, cues + (SUBJECT_WEIGHTS["focus"],), 0.5, blur_gate=SUBJECT_WEIGHTS["blur_gate"])
    lo, hi, _ = m.process(f)
    assert 124 <= lo * b and hi * b <= 162 and 130 <= np.argmax(m.columns) * b < 158
    for weights, gate in ((cues + (0.0,), 0.0), (cues, 0.0)):    # no focus, no gate: the blob
        m = SubjectMap(w, h, weights, 0.5, blur_gate=gate)
        lo, hi, _ = m.process(f)
        assert hi * b <= 80 and 20 <= np.argmax(m.columns) * b <= 70


def test_subject_map_validates_input():
    with pytest.raises(ValueError):
        SubjectMap(192, 108).process(np.zeros((108, 192, 3), np.float32))
    with pytest.raises(ValueError):
        SubjectMap(192, 108).process(np.zeros((50, 192, 3), np.uint8))
    with pytest.raises(ValueError):
        SubjectMap(192, 108, weights=(1.0, -1.0, 0.0))
    with pytest.raises(ValueError):
        SubjectMap(192, 108, weights=(1.0, 1.0, 0.0, 1.0, 1.0))
    with pytest.raises(ValueError):
        SubjectMap(192, 108, blur_gate=-1.0)


def test_a_subject_wider_than_the_crop_pads_the_shot():
    from verticalize.options import DEFAULTS
    from reframe.path import solve_shot

    n, W, cw = 48, 854, 270
    centres = np.full(n, 300.0)
    narrow = solve_shot(0, n, {}, centres, W, cw, 24.0, DEFAULTS, saliency_widths=np.full(n, 100.0))
    assert narrow.mode == "static" and narrow.x[0] <= 300 - 100 / 2 and narrow.x[0] + cw >= 300 + 100 / 2
    wide = solve_shot(0, n, {}, centres, W, cw, 24.0, DEFAULTS,
                      saliency_widths=np.full(n, DEFAULTS.subject_pad_width * cw + 10))
    assert wide.mode == "pad" and np.all(wide.x == 0)
    faces = {0: [(500, 100, 60, 60, 0.9)], 24: [(500, 100, 60, 60, 0.9)]}   # a face decides: no pad
    assert solve_shot(0, n, faces, centres, W, cw, 24.0, DEFAULTS,
                      saliency_widths=np.full(n, 800.0)).mode != "pad"
