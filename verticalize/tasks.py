"""Render tasks for a farm: one per episode (one ffmpeg process renders its languages), or one
per episode x language, each with the exact command that reproduces the run's bytes
(``verticalize tasks PLAN [--per-language]``)."""
from __future__ import annotations

import os
import shlex
from pathlib import Path

from verticalize.options import DEFAULTS, check_options
from verticalize.plan import read_plan
from verticalize.render import episode_tasks, render_groups


RENDER_OPTIONS = ("encoder", "preset", "crf", "platform", "normalize_loudness", "loudness_lufs",
                  "audio_tracks", "watermark_id", "x264_threads")  # the options a render task's bytes depend on


def task_list(plan_path: str | os.PathLike, outdir: str | os.PathLike, overrides: dict | None = None,
              per_language: bool = False, encoders_per_process: int | None = None) -> list[dict]:
    """One entry per episode (its languages in groups of at most ``encoders_per_process``, default
    ``DEFAULTS.encoders_per_process``; one ffmpeg process each) or, with ``per_language``, one per
    episode x language as before: episode, langs, outputs, command (argv), shell, frames; a
    per-language entry also has lang and output.

    The commands render with the options the plan was made with (``verticalize
    run`` records them in the plan), so they reproduce that run's bytes (a file
    has the same bytes rendered alone or beside other languages); ``overrides``
    (non-None values) win, then the defaults.
    """
    plan_path = Path(plan_path).resolve()
    plan = read_plan(plan_path)
    recorded = plan.analysis.get("input", {}).get("options", {})
    values = {k: (overrides or {}).get(k) for k in RENDER_OPTIONS}
    values = {k: v if v is not None else recorded.get(k, getattr(DEFAULTS, k)) for k, v in values.items()}
    opts = DEFAULTS.with_(**values, encoders_per_process=1 if per_language else encoders_per_process)
    check_options(opts)
    outdir = Path(outdir).resolve()
    out = []
    for group in render_groups(episode_tasks(plan, outdir), opts.encoders_per_process):
        episode = group[0].episode
        ep = plan.episodes[episode - 1]
        recap = ep.get("recap")
        frames = ep["end"] - ep["start"] + (recap["end"] - recap["start"] if recap else 0)
        cmd = ["verticalize", "render", str(plan_path), "-o", str(outdir), "--episode", str(episode)]
        for task in group:
            if task.lang:
                cmd += ["--lang", task.lang]
        cmd += ["--encoder", opts.encoder, "--preset", opts.preset, "--crf", str(opts.crf),
                "--x264-threads", str(opts.x264_threads),
                "--platform", opts.platform, "--jobs", "1",
                "--loudness", f"{opts.loudness_lufs:g}" if opts.normalize_loudness else "off",
                "--audio-tracks", opts.audio_tracks]
        if opts.watermark_id is not None:
            cmd += ["--watermark", str(opts.watermark_id)]
        if len(group) > 1:
            cmd += ["--encoders-per-process", str(len(group))]
        entry = {"episode": episode, "langs": [t.lang for t in group], "outputs": [str(t.output) for t in group]}
        if per_language:
            entry.update(lang=group[0].lang, output=str(group[0].output))
        out.append({**entry, "frames": frames, "command": cmd, "shell": shlex.join(cmd)})
    return out
