"""Framing quality of a crop path against ground truth, in the units of the targets.

All functions take per-frame integer crop arrays (x, w) of one shot and, where
needed, the ground-truth face boxes of those frames.
"""
from __future__ import annotations

import numpy as np


def containment(x, w, boxes_per_frame, any_face: bool = False) -> float:
    """Share of frames (0..1) whose face boxes lie fully inside [x, x + w).

    any_face: count a frame when at least one face is inside (dialogue);
    otherwise every face must be. Frames without faces are skipped.
    """
    ok = total = 0
    for xi, wi, boxes in zip(x, w, boxes_per_frame):
        if not boxes:
            continue
        inside = [xi <= b[0] and b[0] + b[2] <= xi + wi for b in boxes]
        ok += any(inside) if any_face else all(inside)
        total += 1
    return ok / total if total else 1.0


def stillness(x) -> float:
    """Share of frame steps (0..1) where x moves by less than 0.5 px."""
    d = np.abs(np.diff(np.asarray(x, np.float64)))
    return float(np.mean(d < 0.5)) if len(d) else 1.0


def reversals_per_10s(x, fps: float) -> float:
    """Direction reversals of the crop per 10 s of footage."""
    d = np.diff(np.asarray(x, np.float64))
    signs = np.sign(d[d != 0])
    rev = int(np.sum(signs[1:] != signs[:-1])) if len(signs) > 1 else 0
    return rev / (len(x) / fps / 10.0) if len(x) else 0.0


def mean_abs_accel(x) -> float:
    """Mean |second difference| of x, px/frame^2."""
    x = np.asarray(x, np.float64)
    return float(np.mean(np.abs(np.diff(x, 2)))) if len(x) > 2 else 0.0


def first_frame_error(x0: int, w: int, boxes, source_width: int) -> float:
    """How far (fraction of source width) the first frame's crop is from centring its faces."""
    if not boxes:
        return 0.0
    left = min(b[0] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    ideal = min(max((left + right) / 2 - w / 2, 0), source_width - w)
    # a crop that already holds the face with room to spare is at the framing
    if x0 <= left and right <= x0 + w:
        return 0.0
    return abs(x0 - ideal) / source_width


def speaker_framing(x, w, turns, faces: dict, out_width: int, lag_frames: int = 0) -> tuple[float, float]:
    """(share of speaking frames whose speaker's face lies fully inside the crop, mean
    height of that face in the output, px) over ``turns`` = [(start, end, side)] in shot
    frames, ``faces`` = {side: (x, y, w, h)} in source px. The first ``lag_frames`` of each
    turn are skipped (the time allowed to see who speaks). The crop is scaled to the
    output's width (a ``pad`` crop is the whole frame, letterboxed)."""
    ok = total = 0
    heights = []
    for s, e, side in turns:
        bx, by, bw, bh = faces[side]
        for k in range(s + lag_frames, e):
            total += 1
            inside = x[k] <= bx and bx + bw <= x[k] + w[k]
            ok += inside
            heights.append(bh * out_width / w[k] if inside else 0.0)
    return (ok / total if total else 1.0), (float(np.mean(heights)) if heights else 0.0)


def mean_abs_accel_between(x, breaks) -> float:
    """``mean_abs_accel`` over the pieces of x between the frame indices ``breaks`` (jump cuts)."""
    x = np.asarray(x, np.float64)
    edges = [0] + sorted(b for b in breaks if 0 < b < len(x)) + [len(x)]
    acc = [np.abs(np.diff(x[a:b], 2)) for a, b in zip(edges, edges[1:]) if b - a > 2]
    return float(np.mean(np.concatenate(acc))) if acc else 0.0
