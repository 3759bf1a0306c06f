"""Shot detection: kernels against numpy references, then behaviour on frames built from real photos.

Frames are composed in numpy from scikit-image's photographs at 96x54 (the detector's
features do not depend on the resolution), with the ground truth known by construction.
"""
from __future__ import annotations

import numpy as np
import pytest

from edit.shots import (FLAT_STD, ShotDetector, _gradual_kernel, _ramp_fit_kernel, gradual_tests, ramp_span,
                        thumb_correlation)

W, H = 96, 54
rng = np.random.default_rng(7)


# --------------------------------------------------------------------------------------
# kernels vs references
# --------------------------------------------------------------------------------------

def ref_line(fa, fb, ft):
    v = fb - fa
    t = (ft - fa) @ v / (v @ v)
    r = np.sqrt(np.mean((ft - fa - t * v) ** 2))
    return t, r


def ref_dip(fa, fb, ft, t):
    t = min(1.0, max(0.0, t))
    mix = (1 - t) * fa + t * fb
    vflat = (1 - t) * fa.var() + t * fb.var()
    vmix = mix.var()
    if vflat - vmix <= 0.1 * vflat or vflat <= 0:
        return 0.0
    return (vflat - ft.var()) / (vflat - vmix)


def ref_gradual(th, c, h):
    n = len(th)
    a, b = c - h, c + h
    fa, fb, fc = th[a], th[b], th[c]
    delta = np.sqrt(np.mean((fb - fa) ** 2))
    t, r = ref_line(fa, fb, fc)
    q = h // 2
    if h >= 3:
        (t1, r1), (t3, r3) = ref_line(fa, fb, th[c - q]), ref_line(fa, fb, th[c + q])
        i1, i3 = c - q, c + q
    else:
        t1, r1, t3, r3, i1, i3 = t, r, t, r, c, c
    far = np.sqrt(np.mean((th[max(0, a - h)] - th[min(n - 1, b + h)]) ** 2)) / delta
    corr = np.corrcoef(fa, fb)[0, 1]
    return [delta, t, r / delta, t1, r1 / delta, t3, r3 / delta, far, corr,
            ref_dip(fa, fb, fc, t), ref_dip(fa, fb, th[i1], t1), ref_dip(fa, fb, th[i3], t3)]


def test_gradual_kernel_matches_reference():
    th = rng.uniform(0, 255, (40, 60))
    th[10:20] = np.linspace(th[9], th[20], 12)[1:-1]   # a mix, so some dips are defined
    hs = [2, 3, 5, 8]
    for c in (8, 14, 15, 20, 30):
        got = gradual_tests(th, c, hs)
        for k, h in enumerate(hs):
            if c - h < 0 or c + h > 39:
                assert got[k, 0] == -1
                continue
            np.testing.assert_allclose(got[k], ref_gradual(th, c, h), rtol=1e-9, atol=1e-9)


def test_gradual_kernel_reads_a_ring():
    """The detector keeps thumbnails in a ring (frame i in row i % size): same answers."""
    th = rng.uniform(0, 255, (50, 30))
    size = 16
    ring = np.zeros((size, 30))
    for i in range(34, 50):
        ring[i % size] = th[i]
    out = np.zeros((2, 12))
    _gradual_kernel(ring, 42, 50, np.array([2, 4]), out)
    np.testing.assert_allclose(out, gradual_tests(th, 42, [2, 4]), rtol=1e-12)


def test_correlation_matches_numpy_and_flat_is_zero():
    a, b = rng.uniform(0, 255, 100), rng.uniform(0, 255, 100)
    assert thumb_correlation(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert thumb_correlation(a, 3 * a + 7) == pytest.approx(1.0)   # gain and offset: a flash
    assert thumb_correlation(a, np.full(100, 250.0)) == 0.0
    assert thumb_correlation(a, a * 0 + FLAT_STD * 0.5 * (np.arange(100) % 2)) == 0.0


def ref_ramp(y, lo, c, min_len):
    m = len(y)
    best = (np.inf, None)
    for s in range(1, c - lo + 1):
        for e in range(c - lo + 1, m):
            if e - s < min_len:
                continue
            f = np.arange(m)
            w = np.clip((f - s + 1) / (e - s + 1), 0, 1)
            A = np.stack([np.ones(m), w], 1)
            coef, *_ = np.linalg.lstsq(A, y, rcond=None)
            if coef[1] <= 0:
                continue
            sse = np.sum((A @ coef - y) ** 2)
            if sse < best[0] - 1e-12:
                best = (sse, (lo + s, lo + e))
    return best[1]


def test_ramp_fit_matches_brute_force_and_is_exact_on_a_clean_mix():
    lo = 100
    y = np.concatenate([np.zeros(7), np.arange(1, 11) / 11, np.ones(6)])  # mixed frames 107..116
    assert ramp_span(y, lo, 111) == (107, 117)
    noisy = y + rng.normal(0, 0.03, len(y))
    assert ramp_span(noisy, lo, 111) == ref_ramp(noisy, lo, 111, 2)
    s, e, _ = _ramp_fit_kernel(noisy, lo, 11, 2)
    assert (s, e) == ref_ramp(noisy, lo, 111, 2)


# --------------------------------------------------------------------------------------
# behaviour on frames from photographs
# --------------------------------------------------------------------------------------

def _photo(name):
    import skimage.data

    img = np.asarray(getattr(skimage.data, name)(), np.float32)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, 2)
    return img[..., :3]


def _view(img, x0, y0, vw):
    """Nearest-neighbour window vw px wide of img at (x0, y0), resized to W x H (fractional x0 ok)."""
    vh = vw * H / W
    xs = np.clip((x0 + (np.arange(W) + 0.5) * vw / W).astype(int), 0, img.shape[1] - 1)
    ys = np.clip((y0 + (np.arange(H) + 0.5) * vh / H).astype(int), 0, img.shape[0] - 1)
    return img[ys][:, xs]


def shot(name, n, pan_px=0.0, x0=20.0, vw=300.0):
    img = _photo(name)
    return [_view(img, x0 + pan_px * k, 60, vw) for k in range(n)]


def u8(frames):
    return [np.clip(f + 0.5, 0, 255).astype(np.uint8) for f in frames]


def run(frames, fps=30.0, **kw):
    det = ShotDetector(fps, **kw)
    cuts, early = [], 0
    for i, f in enumerate(u8(frames)):
        got = det.process_frame(i, f)
        early += len(got)
        cuts += got
    cuts += det.flush()
    return det, cuts, early


def dissolve(a, b, length):
    """length mixed frames between the last frame of a and the first of b: a = (j+1)/(length+1)."""
    return [(1 - (j + 1) / (length + 1)) * a[-1] + (j + 1) / (length + 1) * b[0] for j in range(length)]


def test_hard_cuts_exact_with_motion_and_no_transitions():
    frames = shot("astronaut", 50, 1.0) + shot("coffee", 45, -1.5, 200) + shot("rocket", 60, 0.5) + shot("chelsea", 40)
    det, cuts, early = run(frames)
    assert cuts == [50, 95, 155]
    assert det.transitions == [] and det.flashes == []
    assert early >= 1  # streaming: decided before flush
    assert set(det.cut_strength) == set(cuts) and all(0 < v <= 1 for v in det.cut_strength.values())
    assert len(det.scores) == len(frames)


@pytest.mark.parametrize("length", [6, 12, 30])
def test_dissolve_is_one_transition_with_exact_span(length):
    a, b = shot("astronaut", 60, 0.3), shot("coffee", 60, 0.0, 150)
    frames = a + dissolve(a, b, length) + b
    det, cuts, _ = run(frames)
    assert len(det.transitions) == 1
    s, e = det.transitions[0]
    assert abs(s - 60) <= 1 and abs(e - (60 + length)) <= 1   # A pans before the mix: +-1 frame
    assert cuts == [(s + e) // 2]   # the midpoint
    assert 0.1 < det.cut_strength[cuts[0]] <= 1


def test_fade_out_hold_fade_in_is_one_transition():
    a, b = shot("rocket", 60), shot("chelsea", 60, 0.4)
    out = [a[-1] * (1 - (j + 1) / 13) for j in range(12)]
    hold = [np.zeros_like(a[0])] * 8
    inn = [b[0] * ((j + 1) / 13) for j in range(12)]
    frames = a + out + hold + inn + b
    det, cuts, _ = run(frames)
    assert det.transitions == [(60, 92)]
    assert cuts == [76]


def test_fade_out_then_cut_in_is_one_transition():
    a, b = shot("coffee", 60, 0.5, 100), shot("astronaut", 60)
    frames = a + [a[-1] * (1 - (j + 1) / 16) for j in range(15)] + [np.zeros_like(a[0])] * 5 + b
    det, cuts, _ = run(frames)
    assert len(cuts) == 1 and len(det.transitions) == 1
    s, e = det.transitions[0]
    assert abs(s - 60) <= 1 and e == 80


def test_fades_at_the_very_start_and_end_are_not_boundaries():
    a, b = shot("astronaut", 70, 0.3), shot("rocket", 70)
    frames = [a[0] * (j + 1) / 21 for j in range(20)] + a + b + [b[-1] * (1 - (j + 1) / 21) for j in range(20)]
    det, cuts, _ = run(frames)
    assert cuts == [90] and det.transitions == []


@pytest.mark.parametrize("levels", [[1.0], [1.0, 1.0], [1.0, 1.0, 1.0], [0.7], [0.6, 0.6],
                                    [0.85, 0.5, 0.25, 0.1], [0.9, 0.6, 0.3, 0.1]])
def test_flash_frames_and_camera_flashes_are_not_cuts(levels):
    frames = shot("astronaut", 60, 0.5) + shot("coffee", 60, 0.3, 150)
    for k, lv in enumerate(levels):
        frames[25 + k] = frames[25 + k] + lv * (255 - frames[25 + k])
        frames[90 + k] = frames[90 + k] + lv * (255 - frames[90 + k])
    det, cuts, _ = run(frames)
    assert cuts == [60]
    assert det.transitions == []


def test_fast_cutting_six_frame_shots_found_and_single_flash_frames_ignored():
    """A trailer-like run: shots of 6 to 9 frames, moving, all found frame-exactly, while single
    white or bright frames inside shots (also inside a 9-frame shot) are not cuts."""
    parts = [shot("astronaut", 40, 0.5), shot("coffee", 6, 1.0, 150), shot("rocket", 6, -1.0),
             shot("chelsea", 7, 0.5, 60), shot("hubble_deep_field", 6, 1.5), shot("coins", 9, 0.0, 40),
             shot("clock", 6, -1.0, 50), shot("retina", 8, 0.0, 400), shot("camera", 6, 1.0),
             shot("immunohistochemistry", 40, 0.5)]
    frames = [f for p in parts for f in p]
    want = list(np.cumsum([len(p) for p in parts])[:-1])
    for i, level in ((20, 1.0), (71, 0.7), (96, 1.0), (120, 0.8)):  # inside shots, two beside a cut
        frames[i] = frames[i] + level * (255 - frames[i])
    det, cuts, _ = run(frames)
    assert want == [40, 46, 52, 59, 65, 74, 80, 88, 94]
    assert cuts == want
    assert det.transitions == []
    assert {(20, 21), (71, 72), (120, 121)} <= set(det.flashes)   # the one 2 frames after a cut is too soon to be a cut


def test_a_cut_closer_than_min_shot_s_is_dropped():
    """``min_shot_s``: the second of two cuts 6 frames apart is kept at 0.2 s and dropped at 0.3 s."""
    frames = shot("astronaut", 40, 0.5) + shot("coffee", 6, 1.0, 150) + shot("rocket", 40, -1.0)
    assert run(frames)[1] == [40, 46]
    assert run(frames, min_shot_s=0.3)[1] == [40]


def test_fast_pan_is_not_a_cut():
    img = np.concatenate([_photo("hubble_deep_field")] * 2, axis=1)
    frames = [_view(img, 10 + 14.0 * k, 100, 400) for k in range(90)] + shot("coins", 40)
    det, cuts, _ = run(frames)
    assert cuts == [90] and det.transitions == []


def test_cuts_in_order_and_input_checks():
    det = ShotDetector(30.0)
    det.process_frame(0, np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ValueError):
        det.process_frame(0, np.zeros((H, W, 3), np.uint8))
    with pytest.raises(ValueError):
        det.process_frame(1, np.zeros((H + 2, W, 3), np.uint8))
    with pytest.raises(ValueError):
        ShotDetector(0.0)
    with pytest.raises(ValueError):
        ShotDetector(30.0, ratio=1.0)
    assert ShotDetector(30.0).flush() == []


def test_resolution_does_not_change_the_answer():
    a, b, c = shot("astronaut", 50, 0.4), shot("coffee", 50, 0.0, 150), shot("rocket", 50)
    frames = a + dissolve(a, b, 10) + b + c
    small = run(frames)
    big_frames = [np.repeat(np.repeat(f, 2, 0), 2, 1) for f in frames]
    big = run(big_frames)
    assert small[1] == big[1] and small[0].transitions == big[0].transitions
