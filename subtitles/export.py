"""Write tracks as SRT or WebVTT (UTF-8, "\\n" line ends), atomically."""
from __future__ import annotations


from verticalize.errors import SubtitleError
from verticalize.files import write_text

from .model import Track, format_timestamp


def _cue_lines(text: str) -> list[str]:
    """Non-blank lines of a cue (a blank line would end the cue early)."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def write_text_atomically(path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` through a hidden temporary file; SubtitleError if it cannot."""
    try:
        write_text(path, text)
    except OSError as exc:
        raise SubtitleError(f"cannot write subtitle file: {exc.strerror or exc}", path) from exc


def srt_text(track: Track) -> str:
    blocks = []
    for number, cue in enumerate(track.cues, 1):
        head = f"{number}\n{format_timestamp(cue.start_ms, ',')} --> {format_timestamp(cue.end_ms, ',')}"
        blocks.append("\n".join([head, *_cue_lines(cue.text)]) + "\n")
    return "\n".join(blocks)


def _vtt_escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def vtt_text(track: Track) -> str:
    blocks = ["WEBVTT\n"]
    for cue in track.cues:
        head = f"{format_timestamp(cue.start_ms, '.')} --> {format_timestamp(cue.end_ms, '.')}"
        blocks.append("\n".join([head, *(_vtt_escape(line) for line in _cue_lines(cue.text))]) + "\n")
    return "\n".join(blocks)


def write_srt(track: Track, path) -> None:
    """Write ``track`` as SubRip (.srt), atomically."""
    write_text_atomically(path, srt_text(track))


def write_vtt(track: Track, path) -> None:
    """Write ``track`` as WebVTT (.vtt), atomically."""
    write_text_atomically(path, vtt_text(track))
