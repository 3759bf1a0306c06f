"""Loading every subtitle file of a run up front, before any decoding."""
from __future__ import annotations

from .ass import check_glyphs
from .model import Track
from .parse import load_track


def load_tracks(paths: dict[str, str] | None) -> dict[str, Track]:
    """Parse every subtitle file (language -> path) and check that a bundled font covers every
    character, so a bad file fails (SubtitleError, one line) before any decoding or rendering."""
    tracks = {}
    for lang, path in (paths or {}).items():
        track = load_track(path, lang)
        check_glyphs(track)  # a character no bundled font covers: SubtitleError listing chars and cues
        tracks[lang] = track
    return tracks
