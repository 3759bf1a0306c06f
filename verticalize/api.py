"""The library's front door: analyze, render, run. The CLI is a thin shell over these."""
from __future__ import annotations

import os
from pathlib import Path

from verticalize.analysis import analyze, detect_scenes  # noqa: F401
from verticalize.options import check_size  # noqa: F401
from verticalize.options import DEFAULTS, Options
from verticalize.plan import Plan, read_plan, write_plan  # noqa: F401
from verticalize.render import RenderTask, check_encoder, render, render_episode  # noqa: F401


def run(inputs: list[str | os.PathLike], outdir: str | os.PathLike, subtitles: dict[str, str] | None = None,
        opts: Options = DEFAULTS, resume: bool = False, dubs: dict[str, tuple] | None = None) -> list[dict]:
    """Analyze then render each input into ``outdir/<stem>/``, one after the other; returns the manifests.

    ``dubs``: language -> (dubbed mix, offset s or None), see verticalize.dub.attach_dubs.
    The first error is raised. ``resume`` skips work already done for the same
    input and options (see verticalize.batch); verticalize.batch.run_batch runs many inputs
    in parallel and reports errors per file instead.
    """
    from verticalize.batch import run_file, target_dirs

    check_encoder(opts.encoder)
    inputs = [str(p) for p in inputs]
    return [run_file(path, target, subtitles, opts, resume, dubs) for path, target in zip(inputs, target_dirs(inputs, outdir))]


def reframe_file(path: str | os.PathLike, output: str | os.PathLike, opts: Options = DEFAULTS) -> Plan:
    """One vertical file from ``path``: no episodes, no subtitles."""
    check_encoder(opts.encoder)
    plan = analyze(path, None, opts.with_(episodes=False))
    render_episode(plan, RenderTask(1, None, Path(output)), opts)
    return plan
