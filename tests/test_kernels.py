"""numba kernels agree with slow numpy references."""
from __future__ import annotations

import numpy as np
import pytest

from edit.shots import ShotDetector, content_score, frame_features, grid_size
from reframe.saliency import best_window, changed_fraction, luma_motion

rng = np.random.default_rng(0)


def ref_features(frame):
    """Histograms and the luma thumbnail: cell (i, j) averages the pixels with y*gh//h == i, x*gw//w == j."""
    hist = np.concatenate([np.bincount(frame[..., c].ravel() >> 4, minlength=16) for c in range(3)]) / frame[..., 0].size
    luma = 0.299 * frame[..., 0] + 0.587 * frame[..., 1] + 0.114 * frame[..., 2]
    h, w = frame.shape[:2]
    gw, gh = grid_size(w, h)
    sums = np.zeros((gh, gw))
    counts = np.zeros((gh, gw))
    for y in range(h):
        for x in range(w):
            sums[y * gh // h, x * gw // w] += luma[y, x]
            counts[y * gh // h, x * gw // w] += 1
    return hist, (sums / counts).ravel()


def test_frame_features_match_reference():
    for shape in ((36, 64, 3), (50, 70, 3), (90, 40, 3)):
        frame = rng.integers(0, 256, shape, dtype=np.uint8)
        hist, thumb = frame_features(frame)
        rh, rt = ref_features(frame)
        np.testing.assert_allclose(hist, rh, atol=1e-12)
        np.testing.assert_allclose(thumb, rt, atol=1e-9)


def test_content_score_reference_and_range():
    a = rng.integers(0, 256, (36, 64, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (36, 64, 3), dtype=np.uint8)
    fa, fb = frame_features(a), frame_features(b)
    ref = 0.5 * (np.abs(fa[0] - fb[0]).sum() / 6 + min(1.0, np.abs(fa[1] - fb[1]).mean() / 64))
    assert content_score(fa, fb) == pytest.approx(ref)
    assert content_score(fa, fa) == 0.0
    black, white = np.zeros((36, 64, 3), np.uint8), np.full((36, 64, 3), 255, np.uint8)
    assert content_score(frame_features(black), frame_features(white)) == pytest.approx(1.0)


def test_detector_finds_hard_cuts_only():
    frames = []
    for shot, colour in enumerate([(200, 30, 30), (20, 180, 40), (30, 30, 200)]):
        base = np.zeros((54, 96, 3), np.uint8) + np.array(colour, np.uint8)
        for k in range(40):  # a bright square drifting: motion, not a cut
            f = base.copy()
            f[10:30, 10 + k:30 + k] = 255
            frames.append(f)
    det = ShotDetector(30.0)
    cuts = []
    for i, f in enumerate(frames):
        cuts += det.process_frame(i, f)
    assert cuts + det.flush() == [40, 80]


def test_luma_motion_matches_reference():
    frame = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    prev = rng.uniform(0, 255, (20, 30)).astype(np.float32)
    luma, motion = luma_motion(frame, prev)
    f = frame.astype(np.float64)
    ref_luma = 0.299 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]
    np.testing.assert_allclose(luma, ref_luma, rtol=1e-5)
    assert motion == pytest.approx(float(np.abs(ref_luma - prev).mean()), rel=1e-5)
    assert luma_motion(frame)[1] == 0.0
    with pytest.raises(ValueError):
        luma_motion(frame, prev[:, :5])


def test_best_window_matches_brute_force():
    cols = rng.uniform(0, 1, 50)
    for window in (1, 7, 20, 50, 60):
        c, share = best_window(cols, window)
        if window >= 50:
            assert share == 1.0
            continue
        sums = [cols[i:i + window].sum() for i in range(50 - window + 1)]
        i = int(np.argmax(sums))
        assert c == pytest.approx(i + (window - 1) / 2)
        assert share == pytest.approx(sums[i] / cols.sum())


def test_changed_fraction_matches_reference_and_ignores_noise():
    a = rng.uniform(0, 255, (30, 40)).astype(np.float32)
    b = a + rng.normal(0, 3, a.shape).astype(np.float32)     # noise: well under 12 levels
    assert changed_fraction(a, b) == pytest.approx(float(np.mean(np.abs(a - b) > 12.0)))
    assert changed_fraction(a, b) < 0.001
    b[5:15, 10:30] += 40                                      # something moved: 200 of 1200 pixels
    assert changed_fraction(a, b) == pytest.approx(float(np.mean(np.abs(a - b) > 12.0)))
    assert changed_fraction(a, b) >= 200 / 1200
    with pytest.raises(ValueError):
        changed_fraction(a, b[:, :5])


def test_saliency_tracker_fills_skipped_frames_within_shots_only():
    from reframe.saliency import SaliencyTracker

    def frame(x0):  # a bright bar at columns x0..x0+3 of a 40-wide frame
        f = np.zeros((10, 40, 3), np.uint8)
        f[:, x0:x0 + 4] = 255
        return f

    sal = SaliencyTracker(40, 10, 0.1, 400)   # source 400 px wide: 10 px per analysis column
    for i, x0 in ((0, 2), (4, 10), (8, 30), (12, 34)):  # frames 0, 4 | cut at 6 | 8, 12
        sal.process_frame(i, frame(x0))
    with pytest.raises(ValueError):
        sal.process_frame(12, frame(0))
    centres, motion = sal.per_frame(14, [6])
    c = [sal.centres[k] for k in range(4)]
    np.testing.assert_allclose(centres[:5], np.interp(range(5), [0, 4], c[:2]))   # blended inside the shot
    np.testing.assert_allclose(centres[5], c[1])                                  # held up to the cut
    np.testing.assert_allclose(centres[6:9], c[2])                                 # held back from the shot's first decoded frame
    np.testing.assert_allclose(centres[12:], c[3])
    assert motion[8] == pytest.approx(sal.motion[2])                               # per frame of distance: /4
