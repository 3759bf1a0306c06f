"""Where to look: faces, persons, saliency and the per-shot camera path (decisions only).

``Reframe`` is the plan's framing as a moviepy 2 Effect (imported on first use,
so the analysis does not pay for moviepy)::

    from reframe import Reframe
    vertical = clip.with_effects([Reframe(plan)])
"""


def __getattr__(name: str):
    if name == "Reframe":
        from reframe.effect import Reframe

        return Reframe
    raise AttributeError(name)
