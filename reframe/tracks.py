"""Face tracks inside one shot: identities carried across sampled frames."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FaceTrack:
    track_id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # x, y, w, h, source px

    @property
    def mean_width(self) -> float:
        return sum(b[2] for b in self.boxes) / len(self.boxes)


def _centre(b) -> tuple[float, float]:
    return b[0] + b[2] / 2, b[1] + b[3] / 2


def link_tracks(samples: list[tuple[int, list]], max_jump_frac: float = 0.6) -> list[FaceTrack]:
    """Greedy nearest-centre linking of detections across sampled frames of one shot.

    samples: (frame, [(x, y, w, h, score), ...]) in frame order. A detection
    joins the track whose last box centre is nearest, if that is within
    ``max_jump_frac`` of the larger box's width, and each track takes at most
    one detection per frame.
    """
    tracks: list[FaceTrack] = []
    for frame, boxes in samples:
        pairs = []
        for bi, b in enumerate(boxes):
            cx, cy = _centre(b)
            for t in tracks:
                lx, ly = _centre(t.boxes[-1])
                d = ((cx - lx) ** 2 + (cy - ly) ** 2) ** 0.5
                if d <= max_jump_frac * max(b[2], t.boxes[-1][2]):
                    pairs.append((d, bi, t.track_id))
        pairs.sort()
        used_b, used_t = set(), set()
        for d, bi, tid in pairs:
            if bi in used_b or tid in used_t:
                continue
            used_b.add(bi)
            used_t.add(tid)
            tracks[tid].frames.append(frame)
            tracks[tid].boxes.append(tuple(int(v) for v in boxes[bi][:4]))
        for bi, b in enumerate(boxes):
            if bi not in used_b:
                tracks.append(FaceTrack(len(tracks), [frame], [tuple(int(v) for v in b[:4])]))
    return tracks
