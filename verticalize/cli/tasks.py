"""``verticalize tasks PLAN``: a plan's render tasks as JSON, for a farm."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from verticalize.cli.run import watermark_id
from verticalize.options import DEFAULTS, ENCODERS


def add_commands(sub) -> dict:
    t = sub.add_parser("tasks", help="print a plan's render tasks (one per episode, all its languages) as JSON")
    t.add_argument("plan", metavar="PLAN")
    t.add_argument("-o", "--output", metavar="OUTDIR", help="where the renders go (default: the plan's folder)")
    t.add_argument("--platform", help="subtitle safe zone (default: as the plan was made)")
    t.add_argument("--preset", help="x264 preset (default: as the plan was made)")
    t.add_argument("--crf", type=int, help="x264 CRF 0..51 (default: as the plan was made)")
    t.add_argument("--encoder", choices=ENCODERS, help="video encoder (default: as the plan was made)")
    t.add_argument("--x264-threads", type=int, metavar="N", help="x264 threads per output (default: as the plan was made)")
    t.add_argument("--per-language", action="store_true",
                   help="one task per episode and language (each decodes the episode again) instead of per episode")
    t.add_argument("--encoders-per-process", type=int, metavar="N",
                   help=f"most languages one task renders (default {DEFAULTS.encoders_per_process})")
    t.add_argument("--watermark", dest="watermark_id", type=watermark_id, metavar="ID",
                   help="mark every output with this recipient ID (default: as the plan was made)")
    return {"tasks": _cmd_tasks}


def _cmd_tasks(args) -> int:
    from verticalize.tasks import RENDER_OPTIONS, task_list

    outdir = args.output or str(Path(args.plan).resolve().parent)
    overrides = {k: getattr(args, k, None) for k in RENDER_OPTIONS}
    tasks = task_list(args.plan, outdir, overrides, per_language=args.per_language,
                      encoders_per_process=args.encoders_per_process)
    json.dump(tasks, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
