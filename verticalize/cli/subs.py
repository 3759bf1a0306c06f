"""``verticalize subs check FILE --lang xx [--fix] [-o OUT] [--json] [--fps RATE]``.

Reads the file the way rendering does (reporting every repair with its line
number), then reports every cue over the language's reading limits
(``subtitles.readability.LIMITS``). With ``--fix``, cues that are too short
or too fast are lengthened into the free time around them where that
resolves the problem, and the result is written to ``-o`` (default: next to
the input, ``NAME.fixed.srt`` or ``.vtt``). Exit status: 0 when no violation
remains, 1 when some do; a file that cannot be read raises ``SubtitleError``
(the CLI prints one line and exits 2).
"""
from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

from verticalize.errors import OptionsError

from subtitles.export import write_srt, write_vtt
from subtitles.model import format_timestamp
from subtitles.parse import load_track
from subtitles.readability import check_track, fix_durations, limits_for, min_gap_ms


def add_subs_parser(subparsers) -> None:
    """Add the ``subs`` command (with its ``check`` subcommand) to an argparse subparsers object."""
    subs = subparsers.add_parser("subs", help="subtitle tools: check reading speed and layout limits")
    inner = subs.add_subparsers(dest="subs_command", metavar="SUBCOMMAND")
    check = inner.add_parser("check", help="report cues over the language's reading-speed limits")
    check.add_argument("file", metavar="FILE", help="an SRT, WebVTT or ASS/SSA file")
    check.add_argument("--lang", required=True, help="language of the file: en, zh-Hans, ja, ar, th, ...")
    check.add_argument("--fix", action="store_true",
                       help="lengthen too short / too fast cues into free gaps where that resolves them")
    check.add_argument("-o", "--output", metavar="OUT", help="where --fix writes (.srt or .vtt); "
                                                             "default NAME.fixed.srt next to FILE")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument("--fps", help="frame rate for the minimum gap in frames, e.g. 30000/1001 (default 24)")


def _fps(text: str | None) -> Fraction | None:
    if text is None:
        return None
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(/\s*\d+\s*)?", text):
        raise OptionsError(f"--fps {text!r} is not a frame rate like 25, 29.97 or 30000/1001")
    rate = Fraction(text.replace(" ", ""))
    if rate <= 0:
        raise OptionsError(f"--fps {text!r} must be positive")
    return rate


def _default_output(path: Path) -> Path:
    suffix = ".vtt" if path.suffix.lower() == ".vtt" else ".srt"
    return path.with_name(f"{path.stem}.fixed{suffix}")


def run_subs(args) -> int:
    """Run ``subs check``; returns the exit status (0 clean, 1 violations remain)."""
    if getattr(args, "subs_command", None) != "check":
        raise OptionsError("subs: choose a subcommand: check")
    path = Path(args.file)
    if args.output and not args.fix:
        raise OptionsError("-o needs --fix (check alone writes nothing)")
    fps = _fps(args.fps)
    track = load_track(path, args.lang)
    limits = limits_for(args.lang)
    fixes: list[str] = []
    output = None
    if args.fix:
        track, fixes = fix_durations(track, fps, limits)
        output = Path(args.output) if args.output else _default_output(path)
        if output.resolve() == path.resolve():
            raise OptionsError(f"-o {output}: would overwrite the input; choose another name")
        (write_vtt if output.suffix.lower() == ".vtt" else write_srt)(track, output)
    violations = check_track(track, fps, limits)
    gap = min_gap_ms(limits, fps)
    if args.json:
        print(json.dumps({
            "file": str(path), "lang": args.lang, "cues": len(track.cues),
            "limits": {"cps": limits.cps, "chars_per_line": limits.chars_per_line, "max_lines": limits.max_lines,
                       "min_duration_ms": limits.min_duration_ms, "max_duration_ms": limits.max_duration_ms,
                       "min_gap_ms": gap},
            "repairs": list(track.repairs), "fixes": fixes, "output": str(output) if output else None,
            "violations": [{"cue": v.index + 1, "line": v.line, "start": format_timestamp(v.start_ms, ","),
                            "kind": v.kind, "value": v.value, "limit": v.limit} for v in violations],
        }, ensure_ascii=False, indent=1))
        return 1 if violations else 0
    print(f"{path} ({args.lang}): {len(track.cues)} cues; limits {limits.cps:g} chars/s, "
          f"{limits.chars_per_line} chars/line, {limits.max_lines} lines, "
          f"{limits.min_duration_ms / 1000:g}-{limits.max_duration_ms / 1000:g} s, gap >= {gap} ms")
    for note in track.repairs:
        print(f"  repaired  {note}")
    for note in fixes:
        print(f"  fixed     {note}")
    if output:
        print(f"  wrote     {output}")
    if violations:
        rows = [("cue", "line", "start", "problem")]
        rows += [(str(v.index + 1), str(v.line or ""), format_timestamp(v.start_ms, ","), v.describe()) for v in violations]
        widths = [max(len(row[k]) for row in rows) for k in range(3)]
        for row in rows:
            print("  " + "  ".join(cell.rjust(widths[k]) for k, cell in enumerate(row[:3])) + "  " + row[3])
        cues = len({v.index for v in violations})
        print(f"{len(violations)} violation(s) in {cues} cue(s)")
        return 1
    print("no violations")
    return 0


def add_commands(sub) -> dict:
    add_subs_parser(sub)
    return {"subs": run_subs}
