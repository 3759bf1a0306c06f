"""The library's front door: analyze, render, run. The CLI is a thin shell over these."""
from __future__ import annotations

import os
from pathlib import Path

from edit.analyze import analyze, detect_scenes  # noqa: F401
from edit.defaults import check_size  # noqa: F401
from edit.defaults import DEFAULTS, Options
from edit.plan import Plan, read_plan, write_plan  # noqa: F401
from edit.render import RenderTask, render, render_episode  # noqa: F401


def run(inputs: list[str | os.PathLike], outdir: str | os.PathLike, subtitles: dict[str, str] | None = None,
        opts: Options = DEFAULTS) -> list[dict]:
    """Analyze then render each input into ``outdir/<stem>/``; returns the manifests."""
    manifests = []
    for path in inputs:
        target = Path(outdir) / Path(path).stem
        plan = analyze(path, subtitles, opts)
        write_plan(plan, target / "plan.json")
        manifests.append(render(plan, target, opts))
    return manifests


def reframe_file(path: str | os.PathLike, output: str | os.PathLike, opts: Options = DEFAULTS) -> Plan:
    """One vertical file from ``path``: no episodes, no subtitles."""
    plan = analyze(path, None, opts.with_(episodes=False))
    render_episode(plan, RenderTask(1, None, Path(output)), opts)
    return plan
