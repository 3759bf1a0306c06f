"""verticalize: horizontal footage in, vertical 9:16 micro-drama episodes out.

The Python API in a few lines::

    import verticalize
    plan = verticalize.analyze("film.mp4", subtitles={"en": "film.en.srt"})
    verticalize.write_plan(plan, "film.plan.json")
    verticalize.render(plan, "out/film")

    # one file in Python, through moviepy 2: the plan's framing as a frozen Effect
    from moviepy import VideoFileClip
    vertical = VideoFileClip("film.mp4").with_effects([verticalize.Reframe(plan)])
"""
from __future__ import annotations

from verticalize.errors import (  # noqa: F401
    InputError,
    OptionsError,
    PlanError,
    RenderError,
    SubtitleError,
    VerticalizeError,
)

__version__ = "0.1.0"

_API = {
    "analyze": "verticalize.api",
    "render": "verticalize.api",
    "run": "verticalize.api",
    "read_plan": "verticalize.plan",
    "write_plan": "verticalize.plan",
    "Plan": "verticalize.plan",
    "Reframe": "reframe.effect",
}


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(name)
