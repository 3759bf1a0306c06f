"""Who is speaking: mouth movement from mediapipe's bundled face landmarks, and speaker
turns with hysteresis.

Used where two faces cannot share the crop. The lip gap (inner lips, landmarks
13 and 14, over the face height, landmarks 10 to 152) is measured on each face
at a few samples per second; a speaking mouth opens and closes at the syllable
rate, so its gap varies, while a silent one holds still. The face whose gap
varies most holds the turn; the turn changes only when the other face has
clearly varied more for a while, and never before a minimum hold, so the crop
never ping-pongs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reframe.models import load_model

MESH_SIZE = 192        # face crops are scaled to this square for the landmark model, px
CROP_ENLARGE = 1.6     # crop side / face box side


class MouthSampler:
    """Measures the lip gap of given faces on a frame.

    ``samples`` maps a frame index to a list of (face centre x in source px,
    lip gap / face height or NaN when the landmarks were not found).
    """

    def __init__(self, source_width: int, source_height: int, slots: int = 2):
        self.sw = source_width
        self.sh = source_height
        # one landmark tracker per face, left to right: in tracking mode each follows its own
        # face crop and skips re-detecting it, which halves the cost of a sample
        self._meshes = [load_model(lambda mp: mp.face_mesh.FaceMesh(
            static_image_mode=False, max_num_faces=1, refine_landmarks=False, min_detection_confidence=0.3,
            min_tracking_confidence=0.3), MESH_SIZE) for _ in range(slots)]
        self.samples: dict[int, list[tuple[float, float]]] = {}

    def lip_gap(self, frame: np.ndarray, box, slot: int = 0) -> float:
        """Inner-lip gap over face height (0..~0.3) of the face ``box`` (source px) in ``frame``."""
        import cv2

        fh, fw = frame.shape[:2]
        sx, sy = fw / self.sw, fh / self.sh
        x, y, w, h = box[:4]
        cx, cy = (x + w / 2) * sx, (y + h / 2) * sy
        half = max(w * sx, h * sy) * CROP_ENLARGE / 2
        x0, y0 = int(max(0, math.floor(cx - half))), int(max(0, math.floor(cy - half)))
        x1, y1 = int(min(fw, math.ceil(cx + half))), int(min(fh, math.ceil(cy + half)))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return math.nan
        crop = cv2.resize(np.ascontiguousarray(frame[y0:y1, x0:x1]), (MESH_SIZE, MESH_SIZE),
                          interpolation=cv2.INTER_CUBIC)
        found = self._meshes[min(slot, len(self._meshes) - 1)].process(crop).multi_face_landmarks
        if not found:
            return math.nan
        lm = found[0].landmark
        face_h = abs(lm[152].y - lm[10].y)
        return abs(lm[14].y - lm[13].y) / face_h if face_h > 1e-3 else math.nan

    def process_frame(self, index: int, frame: np.ndarray, boxes) -> None:
        ordered = sorted(boxes, key=lambda b: b[0])
        self.samples[index] = [(b[0] + b[2] / 2, self.lip_gap(frame, b, k)) for k, b in enumerate(ordered)]

    def close(self) -> None:
        for mesh in self._meshes:
            mesh.close()


@dataclass(frozen=True)
class Turn:
    start: int      # first frame (source)
    end: int        # frame after the last
    face: int       # index into the face centres given to ``speaker_turns``


def mouth_activity(frames: np.ndarray, gaps: np.ndarray, window: float) -> np.ndarray:
    """Std of the lip gap over the samples within ``window`` frames either side (NaN ignored)."""
    out = np.zeros(len(frames))
    for k, f in enumerate(frames):
        sel = gaps[(np.abs(frames - f) <= window) & np.isfinite(gaps)]
        out[k] = float(np.std(sel)) if sel.size >= 3 else 0.0
    return out


def speaker_turns(start: int, end: int, samples: dict[int, list[tuple[float, float]]], centres: list[float],
                  fps: float, *, window_s: float = 0.6, min_activity: float = 0.012, switch_ratio: float = 1.5,
                  switch_s: float = 0.4, min_hold_s: float = 1.0) -> list[Turn] | None:
    """Speaker turns over frames [start, end) between faces at ``centres`` (source px, one per track).

    Each mouth sample is assigned to the nearest centre. A face speaks where
    its mouth activity (``mouth_activity`` over +-``window_s``) is at least
    ``min_activity`` and ``switch_ratio`` times the other faces'; the turn
    passes to it once that has held for ``switch_s`` and the current turn is at
    least ``min_hold_s`` old; silence keeps the current turn. The first turn
    starts at ``start``; each change happens at the first sample of the run
    that won it. None when no face is ever seen speaking.
    """
    frames = np.array(sorted(f for f in samples if start <= f < end), np.int64)
    if len(frames) < 3 or len(centres) < 2:
        return None
    gaps = np.full((len(centres), len(frames)), np.nan)
    for k, f in enumerate(frames):
        for cx, gap in samples[f]:
            j = int(np.argmin([abs(cx - c) for c in centres]))
            gaps[j, k] = gap
    window = window_s * fps
    act = np.stack([mouth_activity(frames, g, window) for g in gaps])
    leader = np.full(len(frames), -1)
    for k in range(len(frames)):
        order = np.argsort(act[:, k])[::-1]
        top, second = act[order[0], k], act[order[1], k]
        if top >= min_activity and top >= switch_ratio * second:
            leader[k] = order[0]
    if np.all(leader < 0):
        return None
    current = int(leader[leader >= 0][0])
    turns: list[list[int]] = [[start, end, current]]
    run_face, run_start = -1, -1
    for k, f in enumerate(frames):
        who = int(leader[k])
        if who < 0 or who == current:
            run_face = -1
            continue
        if who != run_face:
            run_face, run_start = who, int(f)
        switch_at = max(run_start, turns[-1][0] + int(math.ceil(min_hold_s * fps)))
        if f - run_start >= switch_s * fps and f >= switch_at:
            turns[-1][1] = switch_at
            turns.append([switch_at, end, who])
            current, run_face = who, -1
    return [Turn(s, e, j) for s, e, j in turns if e > s]
