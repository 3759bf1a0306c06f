"""``verticalize run | analyze | render | scenes | reframe``: the main job and its halves."""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from verticalize.errors import InputError, OptionsError, SubtitleError
from verticalize.options import (AUDIO_TRACKS, DEFAULTS, ENCODERS, PRESETS, WATERMARK_ID_MAX, Options, check_options,
                                 check_size, with_preset)

PROG = "verticalize"


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX:]\s*(\d+)\s*", text)
    if not m:
        raise OptionsError(f"--size {text!r} is not WIDTHxHEIGHT, e.g. 1080x1920")
    w, h = int(m.group(1)), int(m.group(2))
    check_size(w, h)
    return w, h


def _subs(items: list[str] | None, flag: str = "--subs") -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        lang, sep, path = item.partition("=")
        if not sep or not lang or not path:
            raise OptionsError(f"{flag} {item!r} is not LANG=PATH, e.g. es=film.es.{'srt' if flag == '--subs' else 'wav'}")
        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang):
            raise OptionsError(f"{flag}: {lang!r} is not a language tag like en, pt-BR or zh-Hans")
        if lang in out:
            raise OptionsError(f"{flag}: language {lang!r} given twice")
        out[lang] = path
    return out


def _loudness(text: str) -> dict:
    """``--loudness`` LUFS or off -> option changes."""
    if text.strip().lower() == "off":
        return {"normalize_loudness": False}
    try:
        return {"normalize_loudness": True, "loudness_lufs": float(text)}
    except ValueError:
        raise OptionsError(f"--loudness {text!r} is not a level in LUFS like -14, or off") from None


def _dub_offsets(items: list[str] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items or []:
        lang, sep, value = item.partition("=")
        try:
            out[lang] = float(value)
        except ValueError:
            sep = ""
        if not sep or not lang:
            raise OptionsError(f"--dub-offset {item!r} is not LANG=SECONDS, e.g. es=0.5")
    return out


def dubs_from_args(args) -> tuple[dict[str, str], dict[str, float]]:
    """``--dub LANG=PATH`` and ``--dub-offset LANG=SECONDS`` as two dicts (languages checked)."""
    dubs = {lang: path for lang, path in _subs(getattr(args, "dub", None), flag="--dub").items()}
    return dubs, _dub_offsets(getattr(args, "dub_offset", None))


def watermark_id(text: str) -> int:
    """``--watermark ID``: an integer 0..2**32 - 1 (OptionsError in one line otherwise)."""
    if not re.fullmatch(r"\s*\d+\s*", text) or int(text) > WATERMARK_ID_MAX:
        raise OptionsError(f"--watermark {text!r} is not an ID 0..{WATERMARK_ID_MAX}")
    return int(text)


def options_from_args(args) -> Options:
    """Defaults, then the market preset, then explicit flags; checked as a whole."""
    opts = DEFAULTS
    if getattr(args, "preset_market", None):
        opts = with_preset(opts, args.preset_market)
    changes = {}
    if getattr(args, "size", None):
        changes["width"], changes["height"] = _size(args.size)
    for name, field in (("episode_min", "episode_min_s"), ("episode_max", "episode_max_s"), ("preset", "preset"),
                        ("crf", "crf"), ("jobs", "jobs"), ("recap", "recap_s"), ("free_episodes", "free_episodes"),
                        ("platform", "platform"), ("encoder", "encoder"),
                        ("encoders_per_process", "encoders_per_process"), ("watermark", "watermark_id"),
                        ("x264_threads", "x264_threads")):
        if getattr(args, name, None) is not None:
            changes[field] = getattr(args, name)
    if getattr(args, "no_episodes", False):
        changes["episodes"] = False
    if getattr(args, "title_card", False):
        changes["title_card"] = True
    if getattr(args, "strict_boundaries", False):
        changes["strict_boundaries"] = True
    if getattr(args, "loudness", None) is not None:
        changes.update(_loudness(args.loudness))
    if getattr(args, "audio_tracks", None) is not None:
        changes["audio_tracks"] = args.audio_tracks
    opts = opts.with_(**changes)
    if opts.first_episode_min_s > opts.episode_max_s:  # a preset's long first episode, under an explicit max
        opts = opts.with_(first_episode_min_s=opts.episode_max_s)
    check_options(opts)
    return opts


def add_render_opts(p, size: bool = True):
    if size:
        p.add_argument("--size", help=f"output WIDTHxHEIGHT (default {DEFAULTS.width}x{DEFAULTS.height})")
    p.add_argument("--platform", help=f"subtitle safe zone: tiktok, reels, shorts or none (default {DEFAULTS.platform})")
    p.add_argument("--preset", help=f"x264 preset (default {DEFAULTS.preset})")
    p.add_argument("--crf", type=int, help=f"x264 CRF 0..51 (default {DEFAULTS.crf})")
    p.add_argument("--x264-threads", type=int, metavar="N",
                   help=f"x264 threads per output, 1..64 (default {DEFAULTS.x264_threads}; 1: the same bytes on "
                        "every run at any size, a lone file slower)")
    p.add_argument("--jobs", type=int, help="parallel ffmpeg renders (default: one per core)")
    p.add_argument("--encoders-per-process", type=int, metavar="N",
                   help="most languages one ffmpeg render encodes from one decode of an episode (default "
                   f"{DEFAULTS.encoders_per_process}; each x264 encoder adds memory)")
    p.add_argument("--watermark", type=watermark_id, metavar="ID", help="forensic watermark: mark every output "
                   "invisibly with this recipient ID, 0..2**32-1 (verticalize watermark detect reads it back)")
    p.add_argument("--encoder", choices=ENCODERS, help=f"video encoder (default {DEFAULTS.encoder}; h264_nvenc "
                   "needs an NVIDIA GPU)")
    p.add_argument("--loudness", metavar="LUFS|off", help=f"integrated loudness of every output (default "
                   f"{DEFAULTS.loudness_lufs:g} LUFS, true peak <= {DEFAULTS.true_peak_dbtp:g} dBTP); off keeps the source's")
    p.add_argument("--audio-tracks", choices=AUDIO_TRACKS, help="one: each output carries its language's audio "
                   "(default); all: the original first, then every dub, each tagged with its language")


def _add_episode_opts(p):
    p.add_argument("--episode-min", type=float, metavar="S", help=f"shortest episode, s (default {DEFAULTS.episode_min_s:g})")
    p.add_argument("--episode-max", type=float, metavar="S", help=f"longest episode, s (default {DEFAULTS.episode_max_s:g})")
    p.add_argument("--no-episodes", action="store_true", help="one episode for the whole input")
    p.add_argument("--subs", action="append", metavar="LANG=PATH", help="subtitles to burn in (repeatable)")
    p.add_argument("--dub", action="append", metavar="LANG=PATH", help="a full-length dubbed mix: that language's "
                   "episodes carry it instead of the original audio (repeatable)")
    p.add_argument("--dub-offset", action="append", metavar="LANG=SECONDS", help="the dub's time at the film's "
                   "first frame, for a dub longer or shorter than the film")
    p.add_argument("--market", dest="preset_market", metavar="PRESET",
                   help=f"episode-length preset: {', '.join(PRESETS)} (explicit options win)")
    p.add_argument("--recap", type=float, metavar="S", help="open each episode after the first with the last S seconds "
                   "of the one before")
    p.add_argument("--free-episodes", type=int, metavar="N", help="mark the first N episodes free in manifest.json")
    p.add_argument("--title-card", action="store_true", help='burn "Episode N" over the opening seconds')
    p.add_argument("--strict-boundaries", action="store_true",
                   help="fail when no plan ends every episode on a shot cut free of cues and speech (default: take "
                   "the best boundaries there are, named in reasons and warned)")
    p.add_argument("--relax-boundaries", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for old scripts


def add_commands(sub) -> dict:
    r = sub.add_parser("run", help="analyze and render: plan.json, epNNN[.LANG].mp4, manifest.json per input")
    r.add_argument("inputs", nargs="+", metavar="INPUT", help="video files, folders (their videos) or globs")
    r.add_argument("-o", "--output", required=True, metavar="OUTDIR")
    _add_episode_opts(r)
    add_render_opts(r)
    r.add_argument("--resume", action="store_true", help="skip inputs (and episodes) already done for the same "
                   "input content and options")
    r.add_argument("--json", action="store_true", help="print progress events as JSON lines on stdout")
    r.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask cluster (shared filesystem)")
    r.add_argument("--review", action="store_true", help="also write OUTDIR/<stem>/review/index.html, the review page "
                   "of each plan")
    a = sub.add_parser("analyze", help="write the plan (shots, crop path, episodes) without rendering")
    a.add_argument("input", metavar="INPUT")
    a.add_argument("-o", "--output", required=True, metavar="PLAN.json")
    _add_episode_opts(a)
    a.add_argument("--size", help=f"output WIDTHxHEIGHT (default {DEFAULTS.width}x{DEFAULTS.height})")
    a.add_argument("--platform", help=f"subtitle safe zone (default {DEFAULTS.platform})")
    rd = sub.add_parser("render", help="render the episodes of a plan")
    rd.add_argument("plan", metavar="PLAN")
    rd.add_argument("-o", "--output", required=True, metavar="OUTDIR")
    rd.add_argument("--episode", type=int, action="append", help="render only this episode (repeatable)")
    rd.add_argument("--lang", action="append", help="render only this language (repeatable)")
    add_render_opts(rd, size=False)
    rd.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="render on this Dask cluster (shared filesystem)")
    s = sub.add_parser("scenes", help="print the shot cuts (first frame of each new shot)")
    s.add_argument("input", metavar="INPUT")
    s.add_argument("--json", action="store_true", help='print {"fps": "num/den", "cuts": [...]}')
    f = sub.add_parser("reframe", help="one vertical file: no episodes, no subtitles")
    f.add_argument("input", metavar="INPUT")
    f.add_argument("-o", "--output", required=True, metavar="OUT.mp4")
    add_render_opts(f)
    return {"run": _cmd_run, "analyze": _cmd_analyze, "render": _cmd_render, "scenes": _cmd_scenes,
            "reframe": _cmd_reframe}


def _cmd_run(args) -> int:
    from verticalize import batch
    from verticalize.progress import BatchReporter

    opts = options_from_args(args)
    subs = _subs(args.subs)
    for path in subs.values():
        if not Path(path).is_file():
            raise SubtitleError("no such subtitle file", path)
    inputs = batch.expand_inputs(args.inputs)
    dub_paths, offsets = dubs_from_args(args)
    if dub_paths and len(inputs) > 1:
        raise OptionsError(f"--dub: a dub belongs to one film, and {len(inputs)} inputs were given")
    for lang in offsets:
        if lang not in dub_paths:
            raise OptionsError(f"--dub-offset {lang}: no --dub for that language")
    for path in dub_paths.values():
        if not Path(path).is_file():
            raise InputError("no such dub file", path)
    dubs = {lang: (p, offsets.get(lang)) for lang, p in dub_paths.items()} or None
    runner = None
    if args.scheduler:
        from verticalize.farm import DaskRunner

        runner = DaskRunner(args.scheduler, opts.jobs)
    try:
        results = batch.run_batch(inputs, args.output, subs, opts, resume=args.resume,
                                  reporter=BatchReporter(json_events=args.json, prog=PROG), runner=runner, dubs=dubs)
    finally:
        if runner is not None:
            runner.shutdown()
    if args.review:
        from verticalize import api

        for result, target in zip(results, batch.target_dirs(inputs, args.output)):
            if result.status in ("done", "skipped") and (target / "plan.json").is_file():
                api.review(target / "plan.json", target / "review", opts)
    return 2 if any(r.status == "failed" for r in results) else 0


def _cmd_analyze(args) -> int:
    from verticalize import api
    from verticalize.dub import attach_dubs

    opts = options_from_args(args)
    dubs, offsets = dubs_from_args(args)
    plan = api.analyze(args.input, _subs(args.subs), opts)
    attach_dubs(plan, dubs, offsets)
    api.write_plan(plan, args.output)
    print(f"{args.output}: {len(plan.shots)} shots, {len(plan.episodes)} episodes")
    return 0


def _cmd_render(args) -> int:
    from verticalize import api

    plan = api.read_plan(args.plan)
    opts = options_from_args(args)
    for lang in args.lang or []:
        if lang not in plan.languages:
            raise OptionsError(f"--lang {lang}: the plan has subtitles or dubs for "
                               f"{', '.join(plan.languages) or 'no language'}")
    for ep in args.episode or []:
        if not 1 <= ep <= len(plan.episodes):
            raise OptionsError(f"--episode {ep}: the plan has episodes 1..{len(plan.episodes)}")
    if args.scheduler:
        from verticalize.farm import render_on_cluster

        m = render_on_cluster(args.scheduler, plan, args.output, opts, langs=args.lang, episodes=args.episode)
    else:
        m = api.render(plan, args.output, opts, langs=args.lang, episodes=args.episode)
    print(f"{args.output}: {sum(len(e['outputs']) for e in m['episodes'])} files")
    return 0


def _cmd_scenes(args) -> int:
    from verticalize.analysis import detect_scenes

    scan = detect_scenes(args.input, details=True)
    if args.json:
        out = {"fps": f"{scan.fps.numerator}/{scan.fps.denominator}", "cuts": scan.cuts,
               "transitions": [[s, e] for s, e in scan.transitions]}
        if scan.vfr:
            out["cut_times"] = [str(scan.time_of(c)) for c in scan.cuts]  # exact "num/den" seconds
        print(json.dumps(out))
    else:
        for c in scan.cuts:
            print(f"{c}\t{float(scan.time_of(c)):.3f}")
    return 0


def _cmd_reframe(args) -> int:
    from verticalize import api

    out = Path(args.output)
    if out.suffix.lower() != ".mp4":
        raise OptionsError(f"-o {out}: the output must be an .mp4 file")
    api.reframe_file(args.input, out, options_from_args(args))
    print(str(out))
    return 0
