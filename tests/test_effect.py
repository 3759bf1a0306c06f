"""The moviepy Effect frames like the plan."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from moviepy import VideoClip

from reframe.effect import Reframe


def make_plan(n=10, fps="10/1"):
    xs = [i * 4 for i in range(n)]
    return {"source": {"fps": fps, "width": 80, "height": 40}, "target": {"width": 20, "height": 40},
            "crop": {"x": xs, "y": [0] * n, "w": [20] * n, "h": [40] * n}}


def test_effect_crops_the_plan_window_per_frame():
    ramp = np.tile(np.arange(80, dtype=np.uint8)[None, :, None], (40, 1, 3))
    clip = VideoClip(lambda t: ramp, duration=1.0).with_fps(10)
    out = clip.with_effects([Reframe(make_plan())])
    for i in (0, 3, 9):
        frame = out.get_frame(i / 10)
        assert frame.shape == (40, 20, 3)
        assert abs(int(frame[20, 10, 0]) - (i * 4 + 10)) <= 1  # the window moved with the plan


def test_effect_is_frozen():
    eff = Reframe(make_plan())
    with pytest.raises(dataclasses.FrozenInstanceError):
        eff.start_frame = 3
