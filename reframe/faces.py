"""Face detection with mediapipe's two bundled models, on sampled frames.

The full-range model finds faces down to a few percent of the frame; when it
finds none, the short-range model (made for close-ups) gets a look too.
"""
from __future__ import annotations

import logging

import numpy as np

from reframe.models import borrow_model, return_model

log = logging.getLogger(__name__)


CLOSE_MIN_SCORE = 0.75  # short-range detections below this were coins and fabric in our tests


class FaceSampler:
    """Runs face detection about every ``every`` frames; boxes are kept in source pixels.

    On a stream with every frame, frames 0, every, 2*every, ... are sampled; when
    frames are skipped, the first frame at or after each multiple of ``every``.
    ``detections`` maps a sampled frame index to a list of (x, y, w, h, score).
    Frames that were sampled and had no face map to an empty list.
    """

    def __init__(self, every: int, source_width: int, source_height: int,
                 min_confidence: float = 0.5):
        if every < 1:
            raise ValueError("every must be >= 1")
        self.every = every
        self.sw = source_width
        self.sh = source_height
        # stateless per-image detectors: reused by the next sampler of this process (reframe.models)
        self._keys = (("face_detection", 1, min_confidence), ("face_detection", 0, max(min_confidence, 0.6)))
        self._det = borrow_model(self._keys[0], lambda mp: mp.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence))
        self._close = borrow_model(self._keys[1], lambda mp: mp.face_detection.FaceDetection(
            model_selection=0, min_detection_confidence=max(min_confidence, 0.6)))
        self.detections: dict[int, list[tuple[int, int, int, int, float]]] = {}
        self._due = 0

    def wants(self, index: int) -> bool:
        return index >= self._due

    def claim(self, index: int) -> None:
        """Mark frame ``index`` as sampled: the next frame wanted is the next multiple of ``every``."""
        self._due = (index // self.every + 1) * self.every

    def process_frame(self, index: int, frame: np.ndarray) -> None:
        """Sample frame ``index`` if it is wanted (``wants``)."""
        if not self.wants(index):
            return
        self.claim(index)
        self.detect(index, frame)

    def detect(self, index: int, frame: np.ndarray) -> None:
        """Detect faces on frame ``index`` (RGB, any size) and record them, wanted or not."""
        found = self._det.process(frame).detections
        if not found:  # close-ups: the short-range model, held to a stricter score (it fires on textures)
            found = [d for d in self._close.process(frame).detections or [] if d.score[0] >= CLOSE_MIN_SCORE]
        boxes = []
        for det in found or []:
            rb = det.location_data.relative_bounding_box
            x0 = max(0.0, rb.xmin) * self.sw
            y0 = max(0.0, rb.ymin) * self.sh
            x1 = min(1.0, rb.xmin + rb.width) * self.sw
            y1 = min(1.0, rb.ymin + rb.height) * self.sh
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            boxes.append((int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0)),
                          float(det.score[0])))
        self.detections[index] = boxes

    def close(self) -> None:
        """Hand the detectors back for the next sampler of this process (at most once)."""
        if self._det is not None:
            return_model(self._keys[0], self._det)
            return_model(self._keys[1], self._close)
            self._det = self._close = None
