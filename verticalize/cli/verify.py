"""``verticalize verify OUTDIR --against GOLDEN`` and ``verticalize golden update``."""
from __future__ import annotations

from dataclasses import fields

from verticalize.errors import OptionsError
from verticalize.verify import DEFAULT_THRESHOLDS, Thresholds, print_report, verify, write_junit


def add_commands(subparsers) -> dict:
    v = subparsers.add_parser("verify", help="check outputs against golden ones (pictures, plan, subtitles)")
    v.add_argument("outdir", metavar="OUTDIR", help="the run folder to check (or one folder per input)")
    v.add_argument("--against", required=True, metavar="GOLDEN_DIR", help="the golden run folder")
    v.add_argument("--junit", metavar="FILE", help="also write JUnit XML (one testcase per check per output)")
    for f in fields(Thresholds):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            v.add_argument(flag, action="store_true", default=None, help=f.metadata["help"])
        else:
            kind = int if f.type in ("int", int) else float
            v.add_argument(flag, type=kind, metavar="N", help=f"{f.metadata['help']} (default {f.default:g})")
    g = subparsers.add_parser("golden", help="golden outputs for verify")
    gsub = g.add_subparsers(dest="golden_command", metavar="ACTION", required=True)
    u = gsub.add_parser("update", help="replace GOLDEN_DIR with copies of OUTDIR's outputs (on purpose)")
    u.add_argument("outdir", metavar="OUTDIR", help="the run folder whose outputs become the golden")
    u.add_argument("--golden", required=True, metavar="GOLDEN_DIR", help="the golden folder to (re)write")
    return {"verify": _cmd_verify, "golden": _cmd_golden}


def _cmd_verify(args) -> int:
    th = DEFAULT_THRESHOLDS.with_(**{f.name: getattr(args, f.name) for f in fields(Thresholds)})
    if not 0 <= th.min_ssim <= 1:
        raise OptionsError(f"--min-ssim {th.min_ssim:g} is outside 0..1")
    if th.frame_tolerance < 0 or th.crop_tolerance_px < 0:
        raise OptionsError("--frame-tolerance and --crop-tolerance-px must not be negative")
    report = verify(args.outdir, args.against, th)
    print_report(report)
    if args.junit:
        write_junit(report, args.junit)
    return 0 if report.ok else 1


def _cmd_golden(args) -> int:
    from verticalize.golden import update_golden

    copied = update_golden(args.outdir, args.golden)
    print(f"{args.golden}: {len(copied)} files from {args.outdir}")
    return 0
