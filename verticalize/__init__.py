"""verticalize: horizontal footage in, vertical 9:16 micro-drama episodes out.

The Python API in a few lines::

    import verticalize
    plan = verticalize.analyze("film.mp4", subtitles={"en": "film.en.srt"})
    verticalize.write_plan(plan, "film.plan.json")
    verticalize.attach_dubs(plan, {"es": "film.es.wav"})     # optional: dubbed audio per language
    verticalize.render(plan, "out/film")                       # -14 LUFS, true peak <= -1 dBTP
    verticalize.make_teaser(plan, "out/film/TEASER.mp4", lang="es")

    # one file in Python, through moviepy 2: the plan's framing as a frozen Effect
    from moviepy import VideoFileClip
    vertical = VideoFileClip("film.mp4").with_effects([verticalize.Reframe(plan)])
"""
from __future__ import annotations

import sys
import types

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
    "make_teaser": "verticalize.teaser",
    "attach_dubs": "verticalize.dub",
}


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(name)


class _Package(types.ModuleType):
    """``verticalize.render`` is the API function even after the module ``verticalize.render`` is
    imported (the import system would otherwise set the package attribute to the module; the
    module stays reachable as ``sys.modules["verticalize.render"]`` and by ``import``)."""

    @property
    def render(self):
        from verticalize.api import render

        return render

    @render.setter
    def render(self, value):  # the import system announcing the submodule: keep the function
        pass


sys.modules[__name__].__class__ = _Package
