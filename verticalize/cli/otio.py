"""``verticalize export PLAN --otio OUT.otio`` and ``verticalize import TIMELINE.otio -o PLAN.json``."""
from __future__ import annotations

from verticalize.otio import embedded_plan, export_otio, read_timeline, timeline_to_plan
from verticalize.plan import read_plan, write_plan


def add_commands(sub) -> dict:
    e = sub.add_parser("export", help="write a plan's episodes as an OpenTimelineIO timeline for an editor")
    e.add_argument("plan", metavar="PLAN")
    e.add_argument("--otio", required=True, metavar="OUT.otio", help="the timeline to write")
    i = sub.add_parser("import", help="read an edited OpenTimelineIO timeline back into a plan")
    i.add_argument("timeline", metavar="TIMELINE.otio")
    i.add_argument("-o", "--output", required=True, metavar="PLAN.json")
    i.add_argument("--plan", metavar="PLAN", help="the exported plan, for a timeline whose verticalize metadata "
                   "an editor dropped (default: the copy inside the timeline)")
    return {"export": _cmd_export, "import": _cmd_import}


def _cmd_export(args) -> int:
    plan = read_plan(args.plan)
    timeline = export_otio(plan, args.otio)
    markers = sum(len(c.markers) for c in timeline.find_clips())
    print(f"{args.otio}: {len(plan.episodes)} episodes, {markers} shot markers")
    return 0


def _cmd_import(args) -> int:
    timeline = read_timeline(args.timeline)
    original = read_plan(args.plan) if args.plan else embedded_plan(timeline, args.timeline)
    plan = timeline_to_plan(timeline, original, args.timeline)
    before = {(ep["start"], ep["end"]) for ep in original.episodes}
    changed = sum((ep["start"], ep["end"]) not in before for ep in plan.episodes)
    write_plan(plan, args.output)
    print(f"{args.output}: {len(plan.episodes)} episodes ({changed} changed; the timeline had "
          f"{len(original.episodes)} at export)")
    return 0
