"""ASS files for libass burn-in at the output size.

The layout (font size, lines, position of every cue inside the platform's
safe zone, stacking of overlapping cues) is computed by ``subtitles.layout``
with our own measured line breaking; this module writes it as ASS:
``PlayResX``/``PlayResY`` equal to the output size, ``WrapStyle: 2`` (libass
never re-wraps) and one ``\\an2\\pos(x,y)`` per cue. Arabic and Hebrew are
written in logical order; libass shapes them (HarfBuzz) and orders them
(FriBidi) right to left.
"""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from verticalize.errors import SubtitleError

from .export import write_text_atomically
from .fonts import font_name_for, is_traditional_chinese, missing_glyphs, primary_language
from .layout import (  # noqa: F401  (re-exported)
    FONT_SIZE_OF_HEIGHT,
    OUTLINE_OF_HEIGHT,
    PLATFORMS,
    RTL_LANGUAGES,
    SHADOW_OF_HEIGHT,
    burnin_font_size,
    layout_track,
    safe_zone,
    style_for,
)
from .linebreak import NO_LINE_END, NO_LINE_START, break_lines, fit_cue_lines  # noqa: F401  (re-exported)
from .measure import text_width_px  # noqa: F401  (re-exported)
from .model import Track, as_fps, frame_to_ms
from .parse import cue_frame_spans


# --- ffmpeg filtergraph escaping -------------------------------------------


def ffmpeg_filter_path(path) -> str:
    """``path`` escaped for ``subtitles=filename=<here>`` inside an ffmpeg filtergraph.

    Two levels: the option value (``\\ ' :``), then the filtergraph
    (``\\ ' [ ] , ;``). Pass the result as one argv item, no shell quoting.
    """
    value = re.sub(r"([\\':])", r"\\\1", str(path))
    return re.sub(r"([\\'\[\],;])", r"\\\1", value)


# --- glyph coverage ---------------------------------------------------------


def check_glyphs(track: Track) -> None:
    """Raise ``SubtitleError`` listing the characters no bundled font covers and their cues.

    Run before any rendering: libass would draw those characters as empty
    boxes ("tofu").
    """
    missing = missing_glyphs(track)
    if not missing:
        return
    chars = " ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in list(missing)[:8])
    more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
    cues = sorted({i for indexes in missing.values() for i in indexes})
    where = ", ".join(
        f"cue {i + 1} (line {track.cues[i].line})" if track.cues[i].line else f"cue {i + 1}" for i in cues[:6])
    where += f" and {len(cues) - 6} more cues" if len(cues) > 6 else ""
    raise SubtitleError(f"no bundled font covers {chars}{more}: in {where}", track.source)


# --- the ASS file -----------------------------------------------------------


def _ass_time(ms: int) -> str:
    """ASS H:MM:SS.cc for a cue boundary of ``ms``.

    ASS has centiseconds and libass compares them with the frame time in
    whole ms (truncated, sometimes 1 ms low after float rounding). Flooring
    ``ms - 1`` to centiseconds puts every frame-aligned boundary strictly
    after the previous frame and at or before its own frame, for frame rates
    up to ~90 fps, so the cue shows on exactly the frames ``cue_frame_spans``
    gives.
    """
    cs = max(0, ms - 1) // 10
    hours, rest = divmod(cs, 360_000)
    minutes, rest = divmod(rest, 6000)
    seconds, centis = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{seconds:02d}.{centis:02d}"


def _ass_escape(line: str) -> str:
    """Make plain text literal in ASS: no {override blocks}, no \\N, \\h, \\n escapes."""
    line = line.replace("\\", "\\\u2060")  # a word joiner keeps "\N" from being a line break
    return line.replace("{", "\\{").replace("}", "\\}")


def _language_header(lang: str) -> list[str]:
    """Script Info "Language" line: libass hands it to harfbuzz, whose locl
    feature then picks the regional glyphs of the CJK font (Simplified or
    Japanese punctuation sits bottom-left, not centred). libass only uses the
    ISO 639-1 code, and "zh" means Simplified, so for Traditional Chinese we
    leave it out: the TC font's default glyphs are the right ones."""
    if is_traditional_chinese(lang) or not primary_language(lang).isalpha():
        return []
    return [f"Language: {primary_language(lang)}"]


def _frame_times(track: Track, fps: Fraction | None) -> list[tuple[int, int]]:
    """The cues' (start, end) ms, snapped to the frames they are shown on when ``fps`` is given."""
    if fps is None:
        return [(cue.start_ms, cue.end_ms) for cue in track.cues]
    rate = as_fps(fps)
    return [(frame_to_ms(a, rate), frame_to_ms(b, rate)) for a, b in cue_frame_spans(track, rate)]


def burnin_ass_text(track: Track, width: int, height: int, fps: Fraction | None = None,
                    platform: str = "none") -> str:
    """The ASS document ``write_burnin_ass`` writes."""
    lang = primary_language(track.lang)
    style = style_for(track.lang, height)
    left, top, right, bottom = safe_zone(platform, width, height)
    # Encoding -1 makes libass detect the paragraph direction (RTL for Arabic, Hebrew).
    encoding = -1 if lang in RTL_LANGUAGES else 1
    header = [
        "[Script Info]",
        f"; written by verticalize for libass burn-in; platform {platform}, safe zone "
        f"x {left}-{right}, y {top}-{bottom}",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "ScaledBorderAndShadow: yes",
        "WrapStyle: 2",
        "YCbCr Matrix: None",
        *_language_header(track.lang),
        "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, "
        "Alignment, MarginL, MarginR, MarginV, Encoding",
        # White text, black outline, half-transparent black shadow; every
        # event is placed with \an2\pos, so the margins only matter to an
        # editor that strips the positions.
        f"Style: Default,{font_name_for(track.lang)},{style.font_size},&H00FFFFFF,&H00FFFFFF,&H00000000,"
        f"&H80000000,0,0,0,0,100,100,0,0,1,{style.outline:g},{style.shadow:g},2,{left},{width - right},"
        f"{height - bottom},{encoding}",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = []
    for cue in layout_track(track, width, height, platform, _frame_times(track, fps)):
        text = "\\N".join(_ass_escape(line) for line in cue.lines)
        # The blur softens the outline and shadow edges only; the fill stays crisp.
        size = "" if cue.font_size == style.font_size else f"\\fs{cue.font_size}"
        tags = f"{{\\an2\\pos({cue.x:.1f},{cue.y:.1f})\\blur1{size}}}"
        events.append(f"Dialogue: 0,{_ass_time(cue.start_ms)},{_ass_time(cue.end_ms)},Default,,0,0,0,,{tags}{text}")
    return "\n".join(header + events) + "\n"


def write_burnin_ass(track: Track, path, width: int, height: int, *, platform: str = "none",
                     fps: Fraction | None = None, check_coverage: bool = True) -> None:
    """Write an ASS file for burning ``track`` into a ``width`` x ``height`` video.

    One style: ``font_name_for(lang)``, size ~4.2% of the height, white with
    a black outline and soft shadow. Every cue is laid out by
    ``layout_track``: at most two lines, centred in ``platform``'s safe zone
    (``PLATFORMS``) on its bottom edge, overlapping cues stacked upwards,
    the whole block inside the zone. With ``fps``, cue times are first
    snapped to the frames they are shown on. Glyph coverage is checked first
    (``check_glyphs``) unless ``check_coverage`` is False. Atomic.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"bad output size {width}x{height}")
    if check_coverage:
        check_glyphs(track)
    write_text_atomically(path, burnin_ass_text(track, width, height, fps, platform))


# --- the title card ---------------------------------------------------------

TITLE_WORDS = {  # "Episode N" per language; {n} is the number
    "en": "Episode {n}", "es": "Episodio {n}", "pt": "Episódio {n}", "id": "Episode {n}", "fr": "Épisode {n}",
    "de": "Folge {n}", "th": "ตอนที่ {n}", "ja": "第{n}話", "ko": "{n}화", "zh": "第{n}集", "ar": "الحلقة {n}",
    "hi": "एपिसोड {n}", "vi": "Tập {n}", "tr": "Bölüm {n}", "ru": "Серия {n}",
}


def title_text(episode: int, lang: str | None) -> str:
    base = (lang or "en").split("-")[0].lower()
    return TITLE_WORDS.get(base, TITLE_WORDS["en"]).format(n=episode)


def write_title_card(path: Path, episode: int, lang: str | None, W: int, H: int, seconds: float = 2.5,
                     text: str | None = None) -> None:
    """An ASS file that shows "Episode N" (or ``text``, in the language's font) in the upper third
    for the first ``seconds``, fading out."""
    font = font_name_for(lang or "en")
    size = int(round(H * 0.055))
    end_cs = int(round(seconds * 100))
    if text is None:
        text = title_text(episode, lang)
    else:  # the user's words, shown as they are: no override tags, line breaks kept
        text = text.replace("\\", "\u2216").replace("{", "(").replace("}", ")").replace("\n", "\\N")
    path.write_text(
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 2\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {W}\nPlayResY: {H}\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding\n"
        f"Style: Title,{font},{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,1,0,0,0,100,100,0,0,1,"
        f"{max(1, size // 12)},{max(1, size // 20)},8,{W // 10},{W // 10},{int(H * 0.16)},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        f"Dialogue: 0,0:00:00.00,0:00:{end_cs // 100:02d}.{end_cs % 100:02d},Title,,0,0,0,,{{\\fad(200,400)}}{text}\n",
        encoding="utf-8")
