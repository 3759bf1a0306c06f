"""``verticalize watermark detect FILE``: read the recipient ID a copy carries."""
from __future__ import annotations

import json

from verticalize.errors import OptionsError


def add_commands(sub) -> dict:
    w = sub.add_parser("watermark", help="forensic watermark: read the recipient ID of a copy")
    wsub = w.add_subparsers(dest="watermark_command", metavar="ACTION", required=True)
    d = wsub.add_parser("detect", help="print the ID a video carries and the confidence (exit 0), or say it carries "
                        "none (exit 1)")
    d.add_argument("file", metavar="FILE")
    d.add_argument("--start", type=float, default=0.0, metavar="S", help="read from this second on (default 0)")
    d.add_argument("--duration", type=float, metavar="S", help="read this many seconds (default: to the end)")
    d.add_argument("--plan", metavar="PLAN", help="the marked output's plan: bars around a picture of the output's "
                   "shape (a 9:16 copy boxed into 16:9, say) are cut away before reading")
    d.add_argument("--json", action="store_true", help='print {"id": N or null, "confidence": z, ...}')
    return {"watermark": _cmd_watermark}


def _cmd_watermark(args) -> int:
    from verticalize.watermark import CODE_Z_MIN, detect

    if args.start < 0 or (args.duration is not None and args.duration <= 0):
        raise OptionsError("--start must be >= 0 and --duration > 0")
    plan = None
    if args.plan:
        from verticalize.plan import read_plan

        plan = read_plan(args.plan)
    found = detect(args.file, args.start, args.duration, plan)
    if args.json:
        print(json.dumps(found.as_json()))
    elif found.id is not None:
        print(f"{args.file}: watermark ID {found.id} (confidence z = {found.confidence:.1f}, threshold {CODE_Z_MIN:g})")
    else:
        print(f"{args.file}: no watermark found (best confidence z = {found.confidence:.1f}, threshold {CODE_Z_MIN:g})")
    return 0 if found.id is not None else 1
