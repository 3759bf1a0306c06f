"""``verticalize review PLAN -o DIR``: a static page of the plan's decisions (index.html + img/);
``verticalize hint PLAN SHOT WHERE``: overrule one shot's framing in the plan, for the next review or render."""
from __future__ import annotations

import re

from verticalize.errors import OptionsError
from verticalize.options import DEFAULTS


def add_commands(sub) -> dict:
    r = sub.add_parser("review", help="write a review page (DIR/index.html): shots with their crop drawn, 9:16 "
                       "previews, episode timeline, crop path, warnings")
    r.add_argument("plan", metavar="PLAN")
    r.add_argument("-o", "--output", required=True, metavar="DIR")
    r.add_argument("--lang", help="subtitles burned into the previews (default: the plan's first; none: none)")
    r.add_argument("--platform", help=f"safe zone drawn and used for subtitles (default {DEFAULTS.platform})")
    r.add_argument("--jobs", type=int, help="parallel ffmpeg processes (default: one per core)")
    h = sub.add_parser("hint", help="frame one shot of a plan as told: left, center, right, a crop left edge in "
                       "source px, or none (back to the analysed path)")
    h.add_argument("plan", metavar="PLAN")
    h.add_argument("shot", type=int, metavar="SHOT", help="shot number, as the review page shows it (from 0)")
    h.add_argument("where", metavar="WHERE", help="left, center, right, X (source px) or none")
    return {"review": _cmd_review, "hint": _cmd_hint}


def _cmd_review(args) -> int:
    from verticalize import api
    from verticalize.cli.run import options_from_args

    page = api.review(args.plan, args.output, options_from_args(args), lang=args.lang)
    print(str(page))
    return 0


def _cmd_hint(args) -> int:
    from verticalize import api

    plan = api.read_plan(args.plan)
    if not 0 <= args.shot < len(plan.shots):
        raise OptionsError(f"shot {args.shot}: the plan has shots 0..{len(plan.shots) - 1}", args.plan)
    where = args.where.strip().lower()
    shot = plan.shots[args.shot]
    if where == "none":
        shot.pop("hint", None)
    elif where in ("left", "center", "right"):
        shot["hint"] = where
    elif re.fullmatch(r"\d+", where):
        shot["hint"] = int(where)
    else:
        raise OptionsError(f"hint {args.where!r}: give left, center, right, a crop left edge in source px, or none")
    api.write_plan(plan, args.plan)
    print(f"{args.plan}: shot {args.shot} ({shot['start']}-{shot['end'] - 1}) hint {shot.get('hint', 'none')}")
    return 0
