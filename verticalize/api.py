"""The library's front door: analyze, render, run. The CLI is a thin shell over these."""
from __future__ import annotations

import os
from pathlib import Path

from verticalize.options import check_size  # noqa: F401
from verticalize.options import DEFAULTS, Options
from verticalize.plan import Plan, read_plan, write_plan  # noqa: F401
from verticalize.render import RenderTask, check_encoder, render, render_episode  # noqa: F401


def analyze(path: str | os.PathLike, subtitles: dict[str, str] | None = None, opts: Options = DEFAULTS) -> Plan:
    """``verticalize.analysis.analyze``: the plan of ``path``. The analysis modules (numba, mediapipe)
    are imported on first use, so a process that only renders never loads them."""
    from verticalize import analysis

    return analysis.analyze(path, subtitles, opts)


def detect_scenes(path: str | os.PathLike, opts: Options = DEFAULTS, **kwargs):
    """``verticalize.analysis.detect_scenes`` (imported on first use, as ``analyze``)."""
    from verticalize import analysis

    return analysis.detect_scenes(path, opts, **kwargs)


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


def review(plan: Plan | str | os.PathLike, outdir: str | os.PathLike, opts: Options = DEFAULTS,
           lang: str | None = None) -> Path:
    """Write the review page of ``plan`` (a Plan or a plan file) into ``outdir``; returns its index.html.

    See verticalize.review: per-shot source frames with the crop drawn, 9:16 previews as the
    render makes them, the episode timeline, the crop path, what the analysis saw and warnings.
    """
    from verticalize.review import review as write_review

    if not isinstance(plan, Plan):
        plan = read_plan(plan)
    return write_review(plan, outdir, opts, lang)


def reframe_file(path: str | os.PathLike, output: str | os.PathLike, opts: Options = DEFAULTS) -> Plan:
    """One vertical file from ``path``: no episodes, no subtitles."""
    check_encoder(opts.encoder)
    plan = analyze(path, None, opts.with_(episodes=False))
    render_episode(plan, RenderTask(1, None, Path(output)), opts)
    return plan
