"""``verticalize review PLAN -o DIR``: a static page of the plan's decisions (index.html + img/)."""
from __future__ import annotations

from verticalize.options import DEFAULTS


def add_commands(sub) -> dict:
    r = sub.add_parser("review", help="write a review page (DIR/index.html): shots with their crop drawn, 9:16 "
                       "previews, episode timeline, crop path, warnings")
    r.add_argument("plan", metavar="PLAN")
    r.add_argument("-o", "--output", required=True, metavar="DIR")
    r.add_argument("--lang", help="subtitles burned into the previews (default: the plan's first; none: none)")
    r.add_argument("--platform", help=f"safe zone drawn and used for subtitles (default {DEFAULTS.platform})")
    r.add_argument("--jobs", type=int, help="parallel ffmpeg processes (default: one per core)")
    return {"review": _cmd_review}


def _cmd_review(args) -> int:
    from verticalize import api
    from verticalize.cli.run import options_from_args

    page = api.review(args.plan, args.output, options_from_args(args), lang=args.lang)
    print(str(page))
    return 0
