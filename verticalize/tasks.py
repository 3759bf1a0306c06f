"""Render tasks for a farm: one per episode x language, each with the exact command that
reproduces the run's bytes (``verticalize tasks PLAN``)."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

from verticalize.options import DEFAULTS, check_options
from verticalize.plan import read_plan
from verticalize.render import episode_tasks


RENDER_OPTIONS = ("encoder", "preset", "crf", "platform", "watermark_id")  # the options a render task's bytes depend on


def task_list(plan_path: str | os.PathLike, outdir: str | os.PathLike, overrides: dict | None = None) -> list[dict]:
    """One entry per episode x language: episode, lang, output, command (argv), frames.

    The commands render with the options the plan was made with (``verticalize
    run`` records them in the plan), so they reproduce that run's bytes;
    ``overrides`` (non-None values) win, then the defaults.
    """
    plan_path = Path(plan_path).resolve()
    plan = read_plan(plan_path)
    recorded = plan.analysis.get("input", {}).get("options", {})
    values = {k: (overrides or {}).get(k) for k in RENDER_OPTIONS}
    values = {k: v if v is not None else recorded.get(k, getattr(DEFAULTS, k)) for k, v in values.items()}
    opts = DEFAULTS.with_(**values)
    check_options(opts)
    outdir = Path(outdir).resolve()
    out = []
    for task in episode_tasks(plan, outdir):
        ep = plan.episodes[task.episode - 1]
        recap = ep.get("recap")
        frames = ep["end"] - ep["start"] + (recap["end"] - recap["start"] if recap else 0)
        cmd = ["verticalize", "render", str(plan_path), "-o", str(outdir), "--episode", str(task.episode)]
        if task.lang:
            cmd += ["--lang", task.lang]
        cmd += ["--encoder", opts.encoder, "--preset", opts.preset, "--crf", str(opts.crf),
                "--platform", opts.platform, "--jobs", "1"]
        if opts.watermark_id is not None:
            cmd += ["--watermark", str(opts.watermark_id)]
        out.append({"episode": task.episode, "lang": task.lang, "output": str(task.output), "frames": frames,
                    "command": cmd, "shell": shlex.join(cmd)})
    return out
