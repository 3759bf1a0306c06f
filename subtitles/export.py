"""Write tracks as SRT or WebVTT (UTF-8, "\\n" line ends), atomically."""
from __future__ import annotations

import os
from pathlib import Path

from verticalize.errors import SubtitleError

from .model import Track


def _timestamp(ms: int, separator: str) -> str:
    """HH:MM:SS<sep>mmm for integer ms (>= 0)."""
    hours, rest = divmod(max(0, ms), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _cue_lines(text: str) -> list[str]:
    """Non-blank lines of a cue (a blank line would end the cue early)."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def write_text_atomically(path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` + ".tmp", then rename over ``path``."""
    path = Path(path)
    tmp = Path(str(path) + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SubtitleError(f"cannot write subtitle file: {exc.strerror or exc}", path) from exc


def srt_text(track: Track) -> str:
    blocks = []
    for number, cue in enumerate(track.cues, 1):
        head = f"{number}\n{_timestamp(cue.start_ms, ',')} --> {_timestamp(cue.end_ms, ',')}"
        blocks.append("\n".join([head, *_cue_lines(cue.text)]) + "\n")
    return "\n".join(blocks)


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_text(track: Track) -> str:
    blocks = ["WEBVTT\n"]
    for cue in track.cues:
        head = f"{_timestamp(cue.start_ms, '.')} --> {_timestamp(cue.end_ms, '.')}"
        blocks.append("\n".join([head, *(_vtt_escape(line) for line in _cue_lines(cue.text))]) + "\n")
    return "\n".join(blocks)


def write_srt(track: Track, path) -> None:
    """Write ``track`` as SubRip (.srt), atomically."""
    write_text_atomically(path, srt_text(track))


def write_vtt(track: Track, path) -> None:
    """Write ``track`` as WebVTT (.vtt), atomically."""
    write_text_atomically(path, vtt_text(track))
