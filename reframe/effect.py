"""The reframe as a moviepy 2 Effect, for Python users: ``clip.with_effects([Reframe(plan)])``.

Batch rendering does not go through moviepy; this gives the same framing as the
plan's crop windows, frame by frame, in Python.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from moviepy import Effect


@dataclass(frozen=True)
class Reframe(Effect):
    """Crop each frame to the plan's window and resize it to the plan's target size.

    plan: an ``verticalize.plan.Plan`` (or its JSON dict). The clip's time t maps to
    source frame ``floor(t * fps + 1/2)`` offset by ``start_frame`` (for clips
    cut out of the source, e.g. one episode).
    """

    plan: Any
    start_frame: int = 0

    def _crop(self):
        crop = self.plan.crop if hasattr(self.plan, "crop") else self.plan["crop"]
        return crop

    def apply(self, clip):
        src = self.plan.source if hasattr(self.plan, "source") else self.plan["source"]
        target = self.plan.target if hasattr(self.plan, "target") else self.plan["target"]
        fps = Fraction(src["fps"])
        crop = self._crop()
        n = len(crop["x"])
        W, H = int(target["width"]), int(target["height"])
        start = self.start_frame

        def frame_at(get_frame, t):
            i = min(n - 1, max(0, start + int(Fraction(t).limit_denominator(10**6) * fps + Fraction(1, 2))))
            x, y, w, h = crop["x"][i], crop["y"][i], crop["w"][i], crop["h"][i]
            window = get_frame(t)[y:y + h, x:x + w]
            return _resize(window, W, H)

        return clip.transform(frame_at, apply_to=["mask"]).with_fps(float(fps))


def _resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(img).resize((width, height), Image.LANCZOS))
