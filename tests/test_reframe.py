"""Camera path: the numba ADMM solver against a dense numpy reference and an LP optimum,
integer quantization, and the per-shot camera modes."""
from __future__ import annotations

import numpy as np
import pytest

from verticalize.options import DEFAULTS
from reframe.path import solve_shot
from reframe.solver import PathWeights, quantize_path, solve_l1_path
from reframe.tracks import link_tracks


def reference_admm(target, conf, lo, hi, v_max, a_max, w: PathWeights):
    """Dense, slow, obviously-correct version of the kernel's iteration."""
    n = len(target)
    D = [np.diff(np.eye(n), k, axis=0) for k in (1, 2, 3)]
    A = [np.eye(n)] + D
    M = sum(a.T @ a for a in A)
    z = [a @ np.clip(target, lo, hi) for a in A]
    u = [np.zeros(a.shape[0]) for a in A]
    shrink = lambda v, t: np.sign(v) * np.maximum(np.abs(v) - t, 0)
    for _ in range(w.iterations):
        x = np.linalg.solve(M, sum(a.T @ (zk - uk) for a, zk, uk in zip(A, z, u)))
        v = x + u[0]
        z[0] = np.clip(target + shrink(v - target, w.data * conf / w.rho), lo, hi)
        z[1] = np.clip(shrink(D[0] @ x + u[1], w.velocity / w.rho), -v_max, v_max)
        z[2] = np.clip(shrink(D[1] @ x + u[2], w.accel / w.rho), -a_max, a_max)
        z[3] = shrink(D[2] @ x + u[3], w.jerk / w.rho)
        for k, a in enumerate(A):
            u[k] += a @ x - z[k]
    return z[0]


def objective(x, target, conf, w: PathWeights):
    return (w.data * np.sum(conf * np.abs(x - target)) + w.velocity * np.abs(np.diff(x, 1)).sum()
            + w.accel * np.abs(np.diff(x, 2)).sum() + w.jerk * np.abs(np.diff(x, 3)).sum())


def problem(n=60, seed=0):
    rng = np.random.default_rng(seed)
    target = np.cumsum(rng.normal(0, 3, n)) + 300
    conf = rng.uniform(0.2, 1.0, n)
    lo, hi = target - 40, target + 40
    return target, conf, lo, hi


def test_kernel_matches_numpy_reference():
    target, conf, lo, hi = problem()
    w = PathWeights(iterations=150, tolerance_px=0.0)
    got = solve_l1_path(target, conf, lo, hi, 6.0, 1.0, w)
    ref = reference_admm(target, conf, lo, hi, 6.0, 1.0, w)
    np.testing.assert_allclose(got, ref, atol=1e-6)


def test_solution_is_near_the_lp_optimum():
    scipy_opt = pytest.importorskip("scipy.optimize")
    target, conf, lo, hi = problem(n=40, seed=3)
    w = PathWeights(iterations=4000, tolerance_px=1e-6)
    v_max, a_max = 6.0, 1.0
    got = solve_l1_path(target, conf, lo, hi, v_max, a_max, w)
    # LP: variables x (n) and slacks e0 (n), e1..e3; minimise weighted slacks
    n = len(target)
    D = [np.eye(n)] + [np.diff(np.eye(n), k, axis=0) for k in (1, 2, 3)]
    sizes = [d.shape[0] for d in D]
    nv = n + sum(sizes)
    c = np.zeros(nv)
    weights = [w.data * conf, np.full(sizes[1], w.velocity), np.full(sizes[2], w.accel), np.full(sizes[3], w.jerk)]
    off = n
    rows, b = [], []
    for k, d in enumerate(D):
        c[off:off + sizes[k]] = weights[k]
        shift = target if k == 0 else np.zeros(sizes[k])
        for sign in (1, -1):
            block = np.zeros((sizes[k], nv))
            block[:, :n] = sign * d
            block[:, off:off + sizes[k]] = -np.eye(sizes[k])
            rows.append(block)
            b.append(sign * shift)
        off += sizes[k]
    for d, lim in ((D[1], v_max), (D[2], a_max)):
        for sign in (1, -1):
            block = np.zeros((d.shape[0], nv))
            block[:, :n] = sign * d
            rows.append(block)
            b.append(np.full(d.shape[0], lim))
    bounds = [(l, h) for l, h in zip(lo, hi)] + [(0, None)] * (nv - n)
    res = scipy_opt.linprog(c, A_ub=np.vstack(rows), b_ub=np.concatenate(b), bounds=bounds, method="highs")
    assert res.success
    assert np.all(got >= lo - 1e-6) and np.all(got <= hi + 1e-6)
    assert objective(got, target, conf, w) <= res.fun * 1.02 + 1e-6


def test_l1_path_is_static_on_jitter_and_linear_on_a_pan():
    n = 300
    rng = np.random.default_rng(1)
    jitter = 500 + rng.normal(0, 4, n)
    x = solve_l1_path(jitter, np.ones(n), jitter - 150, jitter + 150, 20, 2)
    assert x.max() - x.min() < 1.0
    pan = np.linspace(100, 1300, n)
    x = solve_l1_path(pan, np.ones(n), pan - 150, pan + 150, 20, 2)
    assert np.mean(np.abs(np.diff(x, 2)) < 0.05) > 0.9        # constant velocity almost everywhere
    assert np.all(x >= pan - 150 - 1e-6) and np.all(x <= pan + 150 + 1e-6)


def test_long_shots_are_solved_in_windows_without_a_seam():
    n = 2500
    pan = np.linspace(0, 2000, n)
    x = solve_l1_path(pan, np.ones(n), pan - 100, pan + 100, 20, 2, window=600, overlap=60)
    assert np.all(np.abs(np.diff(x)) < 2.0)
    assert np.all(x >= pan - 100 - 1e-6) and np.all(x <= pan + 100 + 1e-6)


def test_quantize_follows_within_tolerance_and_rarely_changes_speed():
    x = np.linspace(100, 250, 301)  # 0.5 px/frame: naive rounding would stutter every frame
    q = quantize_path(x, x - 50, x + 50, tolerance=3.0)
    assert q.dtype == np.int64
    assert np.max(np.abs(q - x)) <= 3.5
    assert np.mean(np.abs(np.diff(q, 2))) <= 0.2
    assert np.mean(np.abs(np.diff(np.round(x), 2))) > 0.5  # what we avoid
    pinned = np.floor(x) + 7  # a band of one integer position per frame wins over the path
    q = quantize_path(x, pinned, pinned, tolerance=3.0)
    assert np.all(q == pinned)


def faces_every(n, every, boxes_fn):
    return {f: boxes_fn(f) for f in range(0, n, every)}


W, CW, FPS = 1920, 608, 30.0


def test_static_face_gives_a_still_crop():
    faces = faces_every(300, 5, lambda f: [(1300 + (f % 3), 300, 210, 210, 0.9)])
    p = solve_shot(0, 300, faces, np.full(300, 960.0), W, CW, FPS)
    assert p.mode == "static" and len(set(p.x.tolist())) == 1
    assert p.x[0] <= 1300 and 1300 + 210 <= p.x[0] + CW


def test_panning_face_is_followed_and_contained():
    faces = faces_every(330, 5, lambda f: [(190 + int(f * 1200 / 330), 220, 218, 218, 0.9)])
    p = solve_shot(0, 330, faces, np.full(330, 960.0), W, CW, FPS)
    assert p.mode in ("pan", "track")
    for f in range(330):
        fx = 190 + f * 1200 / 330
        assert p.x[f] <= fx + 1 and fx + 218 <= p.x[f] + CW + 1
    assert np.all(np.diff(p.x) >= 0)  # never reverses


def test_far_apart_speakers_are_padded_close_ones_kept_together():
    far = faces_every(300, 5, lambda f: [(340, 250, 213, 213, 0.9), (1360, 270, 213, 213, 0.9)])
    assert solve_shot(0, 300, far, np.full(300, 960.0), W, CW, FPS).mode == "pad"
    near = faces_every(300, 5, lambda f: [(700, 250, 180, 180, 0.9), (1000, 270, 180, 180, 0.9)])
    p = solve_shot(0, 300, near, np.full(300, 960.0), W, CW, FPS)
    assert p.mode == "static" and p.x[0] <= 700 and 1180 <= p.x[0] + CW


def test_hint_overrides_the_subject():
    faces = faces_every(100, 5, lambda f: [(1300, 300, 210, 210, 0.9)])
    assert set(solve_shot(0, 100, faces, np.zeros(100), W, CW, FPS, hint="left").x.tolist()) == {0}
    assert set(solve_shot(0, 100, faces, np.zeros(100), W, CW, FPS, hint=5000).x.tolist()) == {W - CW}


def test_tracks_keep_identities():
    samples = [(f, [(100 + f, 200, 100, 100, 0.9), (1500 - f, 200, 100, 100, 0.9)]) for f in range(0, 100, 5)]
    tracks = link_tracks(samples)
    assert len(tracks) == 2 and all(len(t.frames) == 20 for t in tracks)
    assert all(abs(t.boxes[0][0] - t.boxes[-1][0]) < 100 for t in tracks)


def test_person_span_takes_the_middle_of_the_mask():
    from reframe.persons import person_span
    mask = np.zeros((100, 200))
    mask[20:90, 120:160] = 1.0
    left, right = person_span(mask, 1920)
    assert 120 * 9.6 <= left < 125 * 9.6 and 155 * 9.6 < right <= 161 * 9.6
    assert person_span(np.zeros((100, 200)), 1920) is None     # nobody
    assert person_span(np.ones((100, 200)), 1920) is None      # a texture, not a person


def test_person_cue_leads_when_there_is_no_face():
    persons = {f: (1500.0, 1700.0) for f in range(0, 200, 15)}
    p = solve_shot(0, 200, {}, np.full(200, 300.0), W, CW, FPS, persons=persons)
    assert p.subject == "person"
    centre = p.x[100] + CW / 2
    assert abs(centre - (0.6 * 1600 + 0.25 * 300) / 0.85) < 40    # weighted towards the person


def test_a_person_who_leaves_stops_holding_the_crop():
    # seen on the right for the first 100 frames, then every sample finds nobody: the crop goes back
    # to the salient left instead of holding the last seen person to the end of the shot
    persons = {f: ((1500.0, 1700.0) if f < 100 else None) for f in range(0, 300, 15)}
    p = solve_shot(0, 300, {}, np.full(300, 300.0), W, CW, FPS, persons=persons)
    assert p.subject == "person"
    assert abs(p.x[10] + CW / 2 - (0.6 * 1600 + 0.25 * 300) / 0.85) < 40               # the person first
    assert all(p.x[f] <= 300 <= p.x[f] + CW for f in range(200, 300))                    # then the salient left
    from reframe.path import _person_centres
    c = _person_centres(0, 300, persons, DEFAULTS)
    assert np.all(c[:98] == 1600.0) and np.all(np.isnan(c[98:]))   # nearest sample decides, none -> NaN
    between = {0: (100.0, 200.0), 30: None, 60: (700.0, 800.0)}    # a miss between two sightings:
    c = _person_centres(0, 90, between, DEFAULTS)                  # NaN around it, interpolated elsewhere
    assert c[0] == 150.0 and np.isnan(c[30]) and c[89] == 750.0 and c[10] == 150.0 + 600.0 * 10 / 60


def test_a_face_seen_late_in_the_shot_takes_the_crop_there():
    # 300 frames sampled every 5; the face turns up at frame 240 (12 of 60 samples: not a subject of the
    # whole shot) far from the salient texture on the left
    faces = faces_every(300, 5, lambda f: [(1400, 300, 210, 210, 0.9)] if f >= 240 else [])
    p = solve_shot(0, 300, faces, np.full(300, 300.0), W, CW, FPS)
    assert p.subject == "faces"
    held = [f for f in range(240, 300) if p.x[f] <= 1400 and 1610 <= p.x[f] + CW]
    # the crop pans there within the velocity limit (about a second for 57% of the width) and keeps it
    assert held and held[0] <= 240 + 30 and held == list(range(held[0], 300)), held
    assert p.x[0] < 600  # before the face, the crop stays on the salient left
    # a face seen for less than face_track_min_s does not move the crop
    blip = faces_every(300, 5, lambda f: [(1400, 300, 210, 210, 0.9)] if 240 <= f < 250 else [])
    q = solve_shot(0, 300, blip, np.full(300, 300.0), W, CW, FPS)
    assert q.subject != "faces" and q.x.max() < 600
