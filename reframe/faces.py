"""Face detection with mediapipe's bundled full-range model, on sampled frames."""
from __future__ import annotations

import logging
import os

import numpy as np

log = logging.getLogger(__name__)


class FaceSampler:
    """Runs face detection every ``every`` frames; boxes are kept in source pixels.

    ``detections`` maps a sampled frame index to a list of (x, y, w, h, score).
    Frames that were sampled and had no face map to an empty list.
    """

    def __init__(self, every: int, source_width: int, source_height: int,
                 min_confidence: float = 0.5):
        if every < 1:
            raise ValueError("every must be >= 1")
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import mediapipe as mp

        self.every = every
        self.sw = source_width
        self.sh = source_height
        self._det = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence)
        self.detections: dict[int, list[tuple[int, int, int, int, float]]] = {}

    def wants(self, index: int) -> bool:
        return index % self.every == 0

    def process_frame(self, index: int, frame: np.ndarray) -> None:
        if not self.wants(index):
            return
        result = self._det.process(frame)
        boxes = []
        for det in result.detections or []:
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
        self._det.close()
