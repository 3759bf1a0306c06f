"""Person cues where no face is seen: mediapipe's bundled selfie-segmentation model.

On sampled frames without a face, the person mask is reduced to the column
span holding the middle 80% of its mass. Masks covering almost nothing or
almost everything are ignored (no person, or a false positive on texture).
"""
from __future__ import annotations

import numpy as np

from reframe.models import borrow_model, return_model

SEGMENTER = ("selfie_segmentation", 1)  # the model's key in reframe.models' pool


class PersonSampler:
    """``spans`` maps a sampled frame to (left, right) in source px, or None when no person."""

    def __init__(self, every: int, source_width: int, min_area: float = 0.03, max_area: float = 0.45):
        if every < 1:
            raise ValueError("every must be >= 1")
        self.every = every
        self.sw = source_width
        self.min_area = min_area
        self.max_area = max_area
        # stateless per-image segmentation (no smoothing across frames): reused by the next sampler
        self._seg = borrow_model(SEGMENTER, lambda mp: mp.selfie_segmentation.SelfieSegmentation(model_selection=1))
        self.spans: dict[int, tuple[float, float] | None] = {}
        self._due = 0

    def wants(self, index: int) -> bool:
        """True at the first frame offered at or after each multiple of ``every``."""
        return index >= self._due

    def process_frame(self, index: int, frame: np.ndarray) -> None:
        self._due = (index // self.every + 1) * self.every
        mask = self._seg.process(frame).segmentation_mask
        self.spans[index] = person_span(mask, self.sw, self.min_area, self.max_area)

    def close(self) -> None:
        """Hand the model back for the next sampler of this process (at most once)."""
        if self._seg is not None:
            return_model(SEGMENTER, self._seg)
            self._seg = None


def person_span(mask: np.ndarray, source_width: int, min_area: float = 0.03,
                max_area: float = 0.45) -> tuple[float, float] | None:
    """Column span (source px) holding the middle 80% of a 0..1 person mask's mass."""
    fg = mask > 0.5
    area = float(fg.mean())
    if not min_area <= area <= max_area:
        return None
    cols = fg.sum(axis=0).astype(np.float64)
    c = np.cumsum(cols) / cols.sum()
    scale = source_width / mask.shape[1]
    left = float(np.searchsorted(c, 0.1)) * scale
    right = float(np.searchsorted(c, 0.9) + 1) * scale
    return left, right
