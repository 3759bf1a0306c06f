"""``verticalize teaser PLAN -o TEASER.mp4``: a vertical trailer of the free episodes."""
from __future__ import annotations

import re

from verticalize.errors import OptionsError


def _span(text: str, flag: str, kind=float) -> tuple:
    """``A-B`` (or a single ``A``) as a pair of numbers."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?", text)
    if not m:
        raise OptionsError(f"{flag} {text!r} is not a range like 15-30")
    a = kind(float(m.group(1)))
    b = kind(float(m.group(2))) if m.group(2) else a
    if b < a:
        raise OptionsError(f"{flag} {text!r}: the range runs backwards")
    return a, b


def add_commands(sub) -> dict:
    from verticalize.cli.run import add_render_opts

    t = sub.add_parser("teaser", help="a 15-30 s vertical teaser of the free episodes, opening on the strongest hook")
    t.add_argument("plan", metavar="PLAN")
    t.add_argument("-o", "--output", required=True, metavar="TEASER.mp4",
                   help="the video; TEASER.json beside it lists the source frame ranges in play order")
    t.add_argument("--seconds", default="15-30", metavar="MIN-MAX", help="length of the teaser, s (default 15-30)")
    t.add_argument("--lang", help="burn this language's subtitles in and/or play its dub")
    t.add_argument("--from-episodes", metavar="A-B", help="draw on episodes A..B (default: the free episodes, or all "
                   "but the last when none is marked free)")
    t.add_argument("--title", help="a title card over the opening seconds, in the language's font")
    add_render_opts(t, size=False)
    return {"teaser": _cmd_teaser}


def _cmd_teaser(args) -> int:
    from pathlib import Path

    from verticalize import api
    from verticalize.cli.run import options_from_args
    from verticalize.teaser import make_teaser

    out = Path(args.output)
    if out.suffix.lower() != ".mp4":
        raise OptionsError(f"-o {out}: the teaser must be an .mp4 file")
    plan = api.read_plan(args.plan)
    opts = options_from_args(args)
    episodes = _span(args.from_episodes, "--from-episodes", int) if args.from_episodes else None
    result = make_teaser(plan, out, opts, seconds=_span(args.seconds, "--seconds"), lang=args.lang,
                         from_episodes=episodes, title=args.title)
    print(f"{out}: {result['duration_s']:.1f} s, {len(result['ranges'])} moments; {out.with_suffix('.json')}")
    return 0
