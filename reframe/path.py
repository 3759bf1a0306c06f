"""The per-shot camera path: where the crop window sits on every frame.

Decision only, no pixels. For each shot the solver picks a subject (faces
first, saliency when there is no face), then a mode:

* ``static``: the subject stays within ``static_tolerance_frac`` of the source
  width and one window holds it all shot long, so the crop does not move;
* ``track``: the crop follows a smoothed, speed-limited path that keeps the
  subject's box inside the window.

The path restarts at every cut: nothing is smoothed across shot boundaries.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from edit.defaults import DEFAULTS


@dataclass(frozen=True)
class ShotPath:
    x: np.ndarray        # crop left edge per frame, source px (int64)
    mode: str            # "static" | "track"
    subject: str         # "faces" | "saliency"


@numba.njit(cache=True, nogil=True)
def _moving_average_kernel(x, half):
    """Centred moving average with a window of 2*half+1 that shrinks symmetrically at the ends."""
    n = x.shape[0]
    out = np.empty(n, np.float64)
    csum = np.zeros(n + 1, np.float64)
    for i in range(n):
        csum[i + 1] = csum[i] + x[i]
    for i in range(n):
        k = min(half, i, n - 1 - i)
        out[i] = (csum[i + k + 1] - csum[i - k]) / (2 * k + 1)
    return out


@numba.njit(cache=True, nogil=True)
def _limit_and_contain_kernel(x, lo, hi, max_step):
    """Clamp per-frame steps to ``max_step`` (forward then backward), then clamp into [lo, hi]."""
    n = x.shape[0]
    out = x.copy()
    for i in range(1, n):
        d = out[i] - out[i - 1]
        if d > max_step:
            out[i] = out[i - 1] + max_step
        elif d < -max_step:
            out[i] = out[i - 1] - max_step
    for i in range(n - 2, -1, -1):
        d = out[i] - out[i + 1]
        if d > max_step:
            out[i] = out[i + 1] + max_step
        elif d < -max_step:
            out[i] = out[i + 1] - max_step
    for i in range(n):
        if out[i] < lo[i]:
            out[i] = lo[i]
        if out[i] > hi[i]:
            out[i] = hi[i]
    return out


def moving_average(x: np.ndarray, half: int) -> np.ndarray:
    """Centred moving average of a 1-D float array; ``half`` >= 0 frames each side."""
    if half < 0:
        raise ValueError("half must be >= 0")
    return _moving_average_kernel(np.ascontiguousarray(x, dtype=np.float64), int(half))


def _pick_subject(boxes, crop_w: float, margin: float, prev_centre):
    """(left, right) source-px span that must stay in frame, from one frame's face boxes."""
    x0 = min(b[0] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    if x1 - x0 <= crop_w - 2 * margin:
        return float(x0), float(x1)
    if prev_centre is None:
        best = max(boxes, key=lambda b: b[2] * b[3])
    else:  # stay with the face we were on: no ping-pong between speakers
        best = min(boxes, key=lambda b: abs(b[0] + b[2] / 2 - prev_centre))
    return float(best[0]), float(best[0] + best[2])


def solve_shot(start: int, end: int, faces: dict[int, list], saliency_centres: np.ndarray,
               source_width: int, crop_w: int, fps: float, opts=DEFAULTS) -> ShotPath:
    """Crop path for frames [start, end) of one shot.

    faces: sampled frame -> list of (x, y, w, h, score) in source px (empty list = no face).
    saliency_centres: best-window centre per source frame, source px.
    """
    n = end - start
    if n <= 0:
        raise ValueError("empty shot")
    max_x = float(source_width - crop_w)
    frames = np.arange(start, end)
    sampled = sorted(f for f in faces if start <= f < end)
    with_face = [f for f in sampled if faces[f]]
    margin = opts.face_margin_frac * crop_w
    if with_face and len(with_face) >= 0.3 * len(sampled):
        spans, prev = [], None
        for f in with_face:
            l, r = _pick_subject(faces[f], crop_w, margin, prev)
            prev = (l + r) / 2
            spans.append((l, r))
        left = np.interp(frames, with_face, [s[0] for s in spans])
        right = np.interp(frames, with_face, [s[1] for s in spans])
        subject = "faces"
    else:
        half = max(1, int(round(fps)))  # saliency is noisy: 2 s of averaging
        c = moving_average(np.asarray(saliency_centres[start:end], np.float64), half)
        left = right = c
        subject = "saliency"
    centre = (left + right) / 2
    # window positions that keep the subject inside with the margin (relaxed if it cannot fit)
    m = np.where(right - left + 2 * margin <= crop_w, margin, np.maximum(0.0, (crop_w - (right - left)) / 2))
    lo = np.clip(right + m - crop_w, 0.0, max_x) if subject == "faces" else np.zeros(n)
    hi = np.clip(left - m, 0.0, max_x) if subject == "faces" else np.full(n, max_x)
    hi = np.maximum(hi, lo)

    travel = float(centre.max() - centre.min())
    if travel <= opts.static_tolerance_frac * source_width and lo.max() <= hi.min():
        x = float(np.clip(np.median(centre) - crop_w / 2, lo.max(), hi.min()))
        return ShotPath(np.full(n, int(round(x)), np.int64), "static", subject)

    half = max(0, int(round(opts.smooth_window_s * fps / 2)))
    raw = np.clip(centre - crop_w / 2, 0.0, max_x)
    smooth = moving_average(raw, half)
    max_step = opts.max_velocity_frac_s * source_width / fps
    path = _limit_and_contain_kernel(smooth, lo, hi, max_step)
    # soften the corners left by clamping, then re-assert containment
    path = _limit_and_contain_kernel(moving_average(path, max(1, half // 3)), lo, hi, max_step * 4)
    return ShotPath(np.round(path).astype(np.int64), "track", subject)


def solve_path(shots: list[tuple[int, int]], faces: dict[int, list], saliency_centres: np.ndarray,
               source_width: int, crop_w: int, fps: float, opts=DEFAULTS) -> tuple[np.ndarray, list[str]]:
    """Crop x per source frame and a mode per shot; each shot is solved on its own."""
    total = shots[-1][1] if shots else 0
    x = np.zeros(total, np.int64)
    modes = []
    for s, e in shots:
        p = solve_shot(s, e, faces, saliency_centres, source_width, crop_w, fps, opts)
        x[s:e] = p.x
        modes.append(p.mode)
    return x, modes
