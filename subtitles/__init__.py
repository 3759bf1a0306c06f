"""Subtitles: load, re-time per episode, export, and burn in with libass.

    track = load_track("film.zh-Hans.srt", "zh-Hans")
    episode = track_for_episode(track, start_frame, end_frame, Fraction(30000, 1001))
    write_srt(episode, "ep01.zh-Hans.srt"); write_vtt(episode, "ep01.zh-Hans.vtt")
    write_burnin_ass(episode, "ep01.zh-Hans.ass", 1080, 1920, platform="tiktok")
    # ffmpeg -vf subtitles=filename=<ffmpeg_filter_path(ass)>:fontsdir=<fonts_dir()>
    #   with FONTCONFIG_FILE=<fontconfig_file()> in its environment
"""
from __future__ import annotations

from .ass import check_glyphs, ffmpeg_filter_path, title_text, write_burnin_ass, write_title_card
from .layout import PLATFORMS, CueLayout, layout_track, safe_zone
from .linebreak import break_lines
from .export import write_srt, write_vtt
from .fonts import font_name_for, fontconfig_file, fonts_dir, missing_glyphs
from .model import Cue, Track
from .parse import cue_frame_spans, load_track
from .retime import track_for_episode
from .tracks import load_tracks

__all__ = [
    "Cue",
    "Track",
    "load_track",
    "load_tracks",
    "cue_frame_spans",
    "track_for_episode",
    "write_srt",
    "write_vtt",
    "write_burnin_ass",
    "write_title_card",
    "title_text",
    "check_glyphs",
    "PLATFORMS",
    "safe_zone",
    "layout_track",
    "CueLayout",
    "break_lines",
    "ffmpeg_filter_path",
    "fonts_dir",
    "fontconfig_file",
    "font_name_for",
    "missing_glyphs",
]
