"""``verticalize``: the command line, a thin shell over the library (kept private).

One module per command group, each with ``add_commands(subparsers) -> {name:
handler(args) -> exit code}``. The library raises typed errors that name
options as the library knows them (``episode_min_s``); here each becomes one
line on stderr, with the flag the user typed (``--episode-min``), and its exit
code (2). ``VERTICALIZE_DEBUG=1`` re-raises instead, traceback and all.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys

from verticalize.errors import OptionsError, VerticalizeError

PROG = "verticalize"

# Command groups, in the order their commands appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "verticalize.cli.run",
    "verticalize.cli.subs",
    "verticalize.cli.tasks",
    "verticalize.cli.verify",
    "verticalize.cli.otio",
    "verticalize.cli.review",
    "verticalize.cli.teaser",
    "verticalize.cli.watermark",
)

# Library option names (fields of verticalize.options.Options, and "market") -> the CLI flag.
FLAGS: dict[str, str] = {
    "episode_min_s": "--episode-min", "episode_max_s": "--episode-max", "recap_s": "--recap",
    "free_episodes": "--free-episodes", "crf": "--crf", "jobs": "--jobs", "encoder": "--encoder",
    "platform": "--platform", "market": "--market", "preset": "--preset",
    "encoders_per_process": "--encoders-per-process",
    "loudness_lufs": "--loudness", "audio_tracks": "--audio-tracks",
    "watermark_id": "--watermark", "x264_threads": "--x264-threads",
}
_FLAG_RE = re.compile(r"(?<![\w-])(" + "|".join(sorted(FLAGS, key=len, reverse=True)) + r")\b")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other error
        raise OptionsError(message)


def flag_message(message: str) -> str:
    """A library error message with option names replaced by the flags that set them."""
    return _FLAG_RE.sub(lambda m: FLAGS[m.group(1)], message)


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    """The parser and the handler of each command."""
    p = _Parser(prog=PROG, description="Horizontal footage in, vertical 9:16 micro-drama episodes out.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    handlers: dict = {}
    for module in COMMAND_MODULES:
        handlers.update(importlib.import_module(module).add_commands(sub))
    return p, handlers


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(levelname)s: %(message)s")
    debug = os.environ.get("VERTICALIZE_DEBUG") == "1"
    try:
        parser, handlers = build_parser()
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 2
        return handlers[args.command](args)
    except OptionsError as e:
        if debug:
            raise
        message = flag_message(e.message)
        print(f"{PROG}: error: {e.path}: {message}" if e.path else f"{PROG}: error: {message}", file=sys.stderr)
        return e.exit_code
    except VerticalizeError as e:
        if debug:
            raise
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
