"""Read SRT / WebVTT / ASS / SSA files into a ``Track``.

Decoding: BOMs first, then strict UTF-8, then charset-normalizer; when the
detector is unsure (short files often are) the subtitle language picks the
legacy code page (zh-Hans -> GB18030, ja -> Shift-JIS, ar -> cp1256, ...).
Parsing is done by pysubs2; we add what it lacks: line-numbered errors for
negative / inverted / malformed timings, and clean-up of WebVTT blocks
(NOTE, STYLE, REGION, cue identifiers) that pysubs2 would glue onto the
previous cue's text.

Every user-facing failure is a ``SubtitleError`` with the path and one line.
"""
from __future__ import annotations

import html
import re
import warnings
from fractions import Fraction
from pathlib import Path

from verticalize.errors import SubtitleError

from .fonts import is_traditional_chinese, primary_language
from .model import Cue, Track, as_fps, first_frame_at_or_after

NOT_A_SUBTITLE = "not a subtitle file (SRT, WebVTT or ASS expected)"
SUPPORTED_FORMATS = ("srt", "vtt", "ass", "ssa")
MAX_BYTES = 64 * 1024 * 1024  # a subtitle file is never this big

# Magic numbers of files people pass by mistake (images, video, archives, PDFs).
BINARY_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x1a\x45\xdf\xa3",
    b"RIFF", b"OggS", b"ID3", b"fLaC", b"\x7fELF", b"\x00\x00\x00", b"II*\x00", b"MM\x00*",
)

# Byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE).
BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

# Legacy code page to try for a language, as Python codec names, best first.
# Codecs of one family are supersets/variants of each other.
ENCODING_FAMILIES = {
    "gb18030": ("gb18030",),
    "big5": ("cp950", "big5hkscs", "big5"),
    "shift_jis": ("cp932", "shift_jis_2004", "shift_jis"),
    "euc-kr": ("cp949", "euc_kr"),
    "cp1250": ("cp1250",),
    "cp1251": ("cp1251",),
    "cp1252": ("cp1252",),
    "cp1253": ("cp1253",),
    "cp1254": ("cp1254",),
    "cp1255": ("cp1255",),
    "cp1256": ("cp1256",),
    "cp874": ("cp874", "tis_620"),
}
FAMILY_OF_CODEC = {
    **{codec: family for family, codecs in ENCODING_FAMILIES.items() for codec in codecs},
    "gbk": "gb18030", "gb2312": "gb18030", "euc_jis_2004": None, "johab": None,
    "euc_kr": "euc-kr", "iso8859_11": "cp874",
}
LANGUAGE_ENCODING = {
    **dict.fromkeys(("ar", "fa", "ur"), "cp1256"),
    "ja": "shift_jis",
    "ko": "euc-kr",
    "th": "cp874",
    "el": "cp1253",
    "he": "cp1255",
    "tr": "cp1254",
    **dict.fromkeys(("ru", "uk", "bg", "be", "mk", "sr"), "cp1251"),
    **dict.fromkeys(("pl", "cs", "sk", "hu", "ro", "hr", "sl", "bs"), "cp1250"),
    **dict.fromkeys(("en", "es", "fr", "de", "it", "pt", "nl", "ca", "da", "sv", "no", "nb", "fi", "id", "ms"), "cp1252"),
}

TIMING_ARROW = "-->"
# A lenient SRT/WebVTT timestamp: optional sign, hours and fraction; "," or "." before ms.
TIMESTAMP = re.compile(r"(-?)\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?")
TIMING_LINE = re.compile(rf"^\s*({TIMESTAMP.pattern})\s*-->\s*({TIMESTAMP.pattern})(?:\s.*)?$")
VTT_BLOCK_KEYWORDS = ("NOTE", "STYLE", "REGION")
VTT_TAG = re.compile(r"</?[A-Za-z][^<>\n]*>|<\d[\d:.]*>")  # <v Bob>, <c.red>, </i>, <00:00:01.000>
ASS_TIME = re.compile(r"^-?\d+:\d{1,2}:\d{1,2}(?:[.,]\d+)?$")
ASS_DRAWING = re.compile(r"\{[^}]*\\p[1-9][^}]*\}.*?(?=\{[^}]*\\p0[^}]*\}|$)", re.S)


def _fail(path: Path, message: str) -> SubtitleError:
    """A SubtitleError whose message is one line of reasonable length."""
    message = " ".join(message.split())
    return SubtitleError(message if len(message) <= 240 else message[:239] + "…", path)


# --- bytes -> text ----------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise _fail(path, "subtitle file not found")
    if path.is_dir():
        raise _fail(path, "is a directory, not a subtitle file")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise _fail(path, f"{NOT_A_SUBTITLE}: larger than {MAX_BYTES // 2**20} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read the file: {exc.strerror or exc}") from exc


def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le'/'-be' when NUL bytes sit on one parity only (ASCII-heavy UTF-16)."""
    if len(raw) < 4 or len(raw) % 2:
        return None
    even, odd = raw[0::2], raw[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul > 0.3 and even_nul < 0.02:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.02:
        return "utf-16-be"
    return None


def _decode_strict(raw: bytes, codecs: tuple[str, ...]) -> tuple[str, str] | None:
    for codec in codecs:
        try:
            return raw.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def decode_subtitle_bytes(raw: bytes, lang: str, path: Path) -> tuple[str, str, str | None]:
    """Decode subtitle bytes: (text, codec used, repair note or None)."""
    for bom, codec in BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec).lstrip("\ufeff"), codec, None
            except UnicodeDecodeError as exc:
                raise _fail(path, f"cannot decode the text: starts with a {codec} byte-order mark "
                                  f"but byte {exc.start} is invalid") from exc
    if any(raw.startswith(magic) for magic in BINARY_MAGIC):
        raise _fail(path, f"{NOT_A_SUBTITLE}: looks like binary data")
    if b"\x00" in raw:  # text has no NULs, except UTF-16 without a BOM
        codec = _utf16_without_bom(raw)
        decoded = codec and _decode_strict(raw, (codec,))
        if decoded:
            return decoded[0], codec, f"decoded as {codec} (no byte-order mark)"
        raise _fail(path, f"{NOT_A_SUBTITLE}: contains binary data (NUL bytes)")
    try:
        return raw.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass

    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw))
    detected = {FAMILY_OF_CODEC.get(m.encoding, m.encoding) for m in matches}
    hint = LANGUAGE_ENCODING.get(primary_language(lang))
    if primary_language(lang) in ("zh", "yue"):
        hint = "big5" if is_traditional_chinese(lang) else "gb18030"
    # 1. The language's code page, when the detector also finds it plausible.
    if hint and hint in detected:
        decoded = _decode_strict(raw, ENCODING_FAMILIES[hint])
        if decoded:
            return decoded[0], decoded[1], f"decoded as {decoded[1]} (detected, matches language {lang})"
    # 2. The detector's best guess.
    if matches:
        best = matches[0]
        decoded = _decode_strict(raw, (best.encoding,))
        if decoded:
            return decoded[0], decoded[1], f"decoded as {decoded[1]} (detected)"
    # 3. The language's code page, if the bytes are valid in it at all.
    if hint:
        decoded = _decode_strict(raw, ENCODING_FAMILIES[hint])
        if decoded:
            return decoded[0], decoded[1], f"decoded as {decoded[1]} (guessed from language {lang})"
    raise _fail(path, "cannot decode the text: not UTF-8 and no known encoding fits; save it as UTF-8")


def _looks_binary(text: str) -> bool:
    """Many control characters: a binary file that happened to decode."""
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return controls > max(8, len(sample) // 100)


# --- text -> events ---------------------------------------------------------


def _timestamp_ms(groups: tuple[str, ...]) -> int:
    """Milliseconds of a TIMESTAMP match's groups (sign ignored)."""
    _sign, hours, minutes, seconds, fraction = groups
    ms = int(fraction) * 10 ** (3 - len(fraction)) if fraction else 0
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + ms


def _format_timestamp(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _check_srt_vtt_timings(lines: list[str], fmt: str, path: Path) -> list[int]:
    """Validate every timing line and rewrite it in canonical form, in place.

    Canonical lines ("HH:MM:SS,mmm --> HH:MM:SS,mmm") make pysubs2 read
    exactly the cues we validated. Returns their 1-based line numbers.
    """
    separator = "," if fmt == "srt" else "."
    numbers = []
    for index, line in enumerate(lines):
        if TIMING_ARROW not in line:
            continue
        number, shown = index + 1, line.strip()[:60]
        match = TIMING_LINE.match(line)
        if not match:
            raise _fail(path, f"line {number}: malformed timing line {shown!r}")
        start_groups, end_groups = match.groups()[1:6], match.groups()[7:12]
        if start_groups[0] or end_groups[0]:
            raise _fail(path, f"line {number}: negative time in {shown!r}")
        start, end = _timestamp_ms(start_groups), _timestamp_ms(end_groups)
        if end < start:
            raise _fail(path, f"line {number}: cue ends before it starts ({shown})")
        lines[index] = f"{_format_timestamp(start, separator)} --> {_format_timestamp(end, separator)}"
        numbers.append(number)
    return numbers


def _strip_vtt_extras(lines: list[str]) -> list[str]:
    """Blank out WebVTT header, NOTE/STYLE/REGION blocks and cue identifiers.

    Lines are blanked, not removed, so line numbers stay valid.
    """
    out = list(lines)
    block_start = 0
    for index in range(len(out) + 1):
        if index < len(out) and out[index].strip():
            continue
        block = range(block_start, index)
        if block:
            first = out[block.start].strip()
            timing_at = next((i for i in block if TIMING_ARROW in out[i]), None)
            if (block.start == 0 and first.startswith("WEBVTT")) or first.split(" ")[0] in VTT_BLOCK_KEYWORDS \
                    or timing_at is None:
                if block.start == 0 and timing_at is not None:  # header glued to a cue: keep the cue
                    block = range(block.start, timing_at)
                for i in block:
                    out[i] = ""
            else:
                for i in range(block.start, timing_at):  # cue identifier line(s)
                    out[i] = ""
        block_start = index + 1
    return out


def _check_ass_events(lines: list[str], path: Path) -> list[int]:
    """Validate Dialogue/Comment times; return their 1-based line numbers,
    in the order pysubs2 reads the events."""
    numbers, section = [], ""
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped.lower()
        elif section not in ("[script info]", "[aegisub project garbage]", "[fonts]", "[graphics]") \
                and stripped.startswith(("Dialogue:", "Comment:")):
            fields = stripped.split(":", 1)[1].split(",", 3)
            times = [field.strip() for field in fields[1:3]]
            if len(times) < 2 or not all(ASS_TIME.match(t) for t in times):
                raise _fail(path, f"line {number}: malformed event line {stripped[:60]!r}")
            if any(t.startswith("-") for t in times):
                raise _fail(path, f"line {number}: negative time in {stripped[:60]!r}")
            numbers.append(number)
    return numbers


def _detect_format(text: str, path: Path) -> str:
    import pysubs2
    from pysubs2.exceptions import FormatAutodetectionError

    head = text.lstrip()
    if head.startswith("WEBVTT"):
        return "vtt"
    if "[Script Info]" in text or "[V4+ Styles]" in text or "[V4 Styles]" in text or "[Events]" in text:
        return "ass" if "[V4+ Styles]" in text or "ScriptType: v4.00+" in text else "ssa"
    try:
        detected = pysubs2.formats.autodetect_format(text)
    except FormatAutodetectionError:
        detected = None
    if detected not in SUPPORTED_FORMATS:
        if TIMING_ARROW in text:
            return "srt"  # let the timing check name the bad line
        raise _fail(path, NOT_A_SUBTITLE)
    return detected


def _plain_text(event_text: str, fmt: str) -> str:
    """Event text without markup; "\\n" between lines, no blank lines."""
    import pysubs2

    text = ASS_DRAWING.sub("", event_text) if fmt in ("ass", "ssa") else event_text
    text = pysubs2.SSAEvent(text=text).plaintext  # drops {\tags}, \N -> newline, \h -> space
    if fmt == "vtt":
        text = html.unescape(VTT_TAG.sub("", text))
    elif fmt == "srt":
        text = VTT_TAG.sub("", text)  # <font ...> and friends pysubs2 left in
    text = text.replace("\u00a0", " ")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def parse_subtitle_text(text: str, lang: str, path: Path) -> tuple[list[Cue], list[str]]:
    """Cues (file order) and repair notes of a decoded subtitle file."""
    import pysubs2

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    fmt = _detect_format(text, path)
    lines = text.split("\n")
    if fmt in ("srt", "vtt"):
        if fmt == "vtt":
            lines = _strip_vtt_extras(lines)
        line_numbers = _check_srt_vtt_timings(lines, fmt, path)
    else:
        line_numbers = _check_ass_events(lines, path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            subs = pysubs2.SSAFile.from_string("\n".join(lines) + "\n", format_=fmt)
    except Exception as exc:  # pysubs2 raises plain ValueError etc. on bad input
        raise _fail(path, f"cannot parse as {fmt.upper()}: {exc}") from exc

    cues: list[Cue] = []
    repairs: list[str] = []
    comments = empty = 0
    for index, event in enumerate(subs.events):
        where = f"line {line_numbers[index]}" if index < len(line_numbers) else f"cue {index + 1}"
        if event.is_comment:
            comments += 1
            continue
        if event.start < 0 or event.end < 0:
            raise _fail(path, f"{where}: negative time")
        if event.end < event.start:
            raise _fail(path, f"{where}: cue ends before it starts")
        plain = _plain_text(event.text, fmt)
        if not plain or event.end == event.start:
            empty += 1
            continue
        cues.append(Cue(int(event.start), int(event.end), plain))
    if empty:
        repairs.append(f"dropped {empty} empty or zero-length cue(s)")
    if comments:
        repairs.append(f"skipped {comments} ASS comment line(s)")
    return cues, repairs


def load_track(path, lang: str) -> Track:
    """Load an SRT, WebVTT or ASS/SSA file as a Track of language ``lang``.

    Cues come back sorted by start time, markup stripped, empty cues dropped.
    Raises ``SubtitleError`` (one line, naming the file) when the file is
    missing, not a subtitle, undecodable, has no cues or has bad times.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if not raw.strip():
        raise _fail(path, "the file is empty (no subtitle cues)")
    text, _codec, note = decode_subtitle_bytes(raw, lang, path)
    if not text.strip():
        raise _fail(path, "the file is empty (no subtitle cues)")
    if _looks_binary(text):
        raise _fail(path, f"{NOT_A_SUBTITLE}: looks like binary data")
    cues, repairs = parse_subtitle_text(text, lang, path)
    if not cues:
        raise _fail(path, "no subtitle cues found")
    ordered = sorted(cues, key=lambda cue: (cue.start_ms, cue.end_ms))
    if ordered != cues:
        repairs.append("sorted cues by start time")
    if note:
        repairs.insert(0, note)
    return Track(lang=lang, cues=tuple(ordered), source=str(path), repairs=tuple(repairs))


def cue_frame_spans(track: Track, fps: Fraction) -> list[tuple[int, int]]:
    """Frames on which each cue is shown: ``[first, end)`` per cue, same order.

    ``first`` is the first frame whose start time is >= the cue start, ``end``
    the first frame whose start is >= the cue end (frame times compared at
    the cues' ms resolution, see ``first_frame_at_or_after``). A cue shorter
    than a frame gap can get an empty span (first == end).
    """
    rate = as_fps(fps)
    return [
        (first_frame_at_or_after(cue.start_ms, rate), first_frame_at_or_after(cue.end_ms, rate))
        for cue in track.cues
    ]
