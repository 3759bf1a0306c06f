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
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from verticalize.errors import SubtitleError

from .fonts import is_traditional_chinese, primary_language
from .model import Cue, Track, as_fps, first_frame_at_or_after, format_timestamp

NOT_A_SUBTITLE = "not a subtitle file (SRT, WebVTT or ASS expected)"
SUPPORTED_FORMATS = ("srt", "vtt", "ass", "ssa")
FORMAT_NAMES = {"srt": "SRT", "vtt": "WebVTT", "ass": "ASS", "ssa": "SSA"}
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
    try:
        raw.decode("utf-8")
        where = ""
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        where = f"line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8, and "
    raise _fail(path, f"{where}cannot decode the text: no known encoding fits; save it as UTF-8")


def _looks_binary(text: str) -> bool:
    """Many control characters: a binary file that happened to decode."""
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return controls > max(8, len(sample) // 100)


# --- repair notes -------------------------------------------------------------


class RepairLog:
    """Repair notes, each naming its source line(s).

    Up to ``PER_KIND`` notes of one kind are kept as they are; the rest of that
    kind are summed up in one note that still lists their line numbers.
    """

    PER_KIND = 5

    def __init__(self):
        self._kinds: dict[str, list[tuple[int, str]]] = {}
        self._plain: list[str] = []

    def add(self, kind: str, line: int, message: str) -> None:
        self._kinds.setdefault(kind, []).append((line, message))

    def note(self, message: str) -> None:
        """A note that concerns the whole file (it names its lines itself)."""
        self._plain.append(message)

    def notes(self) -> list[str]:
        """Whole-file notes first, then the others in line order."""
        kept: list[tuple[int, str]] = []
        for kind, items in self._kinds.items():
            items = sorted(items)
            kept.extend((line, f"line {line}: {message}") for line, message in items[: self.PER_KIND])
            rest = items[self.PER_KIND:]
            if rest:
                numbers = ", ".join(str(line) for line, _ in rest[:10]) + (", …" if len(rest) > 10 else "")
                kept.append((rest[0][0], f"lines {numbers}: {len(rest)} more like that ({kind})"))
        return self._plain + [note for _, note in sorted(kept, key=lambda item: item[0])]


def _line_ending_note(text: str) -> str | None:
    """A note on CRLF / CR-only / mixed line ends (before they are normalised)."""
    crlf = text.count("\r\n")
    cr_only = text.count("\r") - crlf
    lf_only = text.count("\n") - crlf
    if not crlf and not cr_only:
        return None
    total = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    if cr_only and not crlf and not lf_only:
        return f"lines 1-{total}: CR-only line endings (classic Mac) read as line breaks"
    if crlf and not cr_only and not lf_only:
        return f"lines 1-{total}: CRLF line endings converted to LF"
    # Mixed: name the first line whose ending differs from the file's first one.
    lines = re.split(r"(\r\n|\r|\n)", text)
    endings = lines[1::2]
    first = endings[0]
    odd = next((i for i, ending in enumerate(endings) if ending != first), 0)
    return (f"line {odd + 1}: mixed line endings ({crlf} CRLF, {cr_only} CR, {lf_only} LF) "
            f"all read as line breaks")


# --- SRT / WebVTT structure -------------------------------------------------

TIMESTAMP = re.compile(r"(-?)\s*(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:([.,:])(\d{1,3}))?")
# The arrow: "-->" as written, or the slips a reader still understands.
ARROW = r"(?:-->|--?\s?>|–>|—>|=>|->)"
TIMING_LINE = re.compile(rf"^\s*({TIMESTAMP.pattern})\s*({ARROW})\s*({TIMESTAMP.pattern})(?:\s+(.*))?$")
LOOSE_TIMING = re.compile(rf"\d+:\d+\S*\s*{ARROW}")  # a line meant as a timing line
SRT_STAMP = re.compile(r"^\d{2,}:\d{2}:\d{2},\d{3}$")
VTT_STAMP = re.compile(r"^(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}$")
INDEX_LINE = re.compile(r"^\s*\d+\s*$")


@dataclass
class _RawCue:
    line: int  # the timing line, 1-based
    start: int
    end: int
    number: int | None  # the cue number written above it (SRT), if any
    text: list[tuple[int, str]]  # (line, text) of the cue's text lines


def _is_timing_line(line: str) -> bool:
    return TIMING_ARROW in line or bool(LOOSE_TIMING.search(line))


def _stamp_ms(groups: tuple[str, ...]) -> int:
    """Milliseconds of one TIMESTAMP's groups (sign ignored)."""
    _sign, hours, minutes, seconds, _sep, fraction = groups
    ms = int(fraction) * 10 ** (3 - len(fraction)) if fraction else 0
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + ms




def _parse_timing(line: str, number: int, fmt: str, path: Path, log: RepairLog) -> tuple[int, int]:
    """(start, end) ms of a timing line; repairs noted, the unreadable rejected."""
    shown = line.strip()[:60]
    match = TIMING_LINE.match(line)
    if not match:
        raise _fail(path, f"line {number}: malformed timing line {shown!r}")
    groups = match.groups()
    stamps = ((groups[0].strip(), groups[1:7]), (groups[8].strip(), groups[9:15]))
    arrow = groups[7]
    if any(stamp_groups[0] for _, stamp_groups in stamps):
        raise _fail(path, f"line {number}: negative time in {shown!r}")
    if any(stamp_groups[4] == ":" and len(stamp_groups[5]) != 3 for _, stamp_groups in stamps):
        raise _fail(path, f"line {number}: malformed timing line {shown!r} (frames, not milliseconds?)")
    start, end = (_stamp_ms(stamp_groups) for _, stamp_groups in stamps)
    if end < start:
        raise _fail(path, f"line {number}: cue ends before it starts ({shown})")
    if arrow != "-->":
        log.add("arrow", number, f"arrow {arrow!r} read as '-->'")
    standard = SRT_STAMP if fmt == "srt" else VTT_STAMP
    wanted = "," if fmt == "srt" else "."
    for text, stamp_groups in stamps:
        if standard.match(text):
            continue
        sep, fraction = stamp_groups[4], stamp_groups[5]
        if sep and sep != wanted and standard.match(text[: -len(fraction) - 1] + wanted + fraction):
            log.add("millisecond separator", number,
                    f"{sep!r} before the milliseconds read as {wanted!r} ({FORMAT_NAMES[fmt]} uses {wanted!r})")
        else:
            log.add("timestamp", number, f"nonstandard timestamp {text!r} read as "
                                         f"{format_timestamp(_stamp_ms(stamp_groups), wanted)}")
        break  # one note per line
    return start, end


def _blocks(lines: list[str]) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines as [(1-based line, text)], in file order."""
    blocks, current = [], []
    for number, line in enumerate(lines, 1):
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _srt_vtt_cues(lines: list[str], fmt: str, path: Path, log: RepairLog) -> list[_RawCue]:
    """Read SRT/WebVTT structure the way a careful reader would.

    A block (lines between blank lines) with a timing line starts a cue; its
    number (SRT) or identifier (WebVTT) is the line just above the timing.
    A block without a timing line continues the cue before it (a blank line
    inside a cue), or is the number of the next cue when it is a lone number
    just above a timing block. Header, NOTE, STYLE and REGION blocks are
    skipped. Every such repair is noted with its line number.
    """
    cues: list[_RawCue] = []
    blocks = _blocks(lines)
    pending_number: tuple[int, int] | None = None  # (line, value) of a number separated from its timing
    for b, block in enumerate(blocks):
        first_line, first = block[0][0], block[0][1].strip()
        timing_at = [i for i, (_, text) in enumerate(block) if _is_timing_line(text)]
        if fmt == "vtt" and b == 0 and first.startswith("WEBVTT"):
            if not timing_at:
                continue
            log.add("header", block[timing_at[0]][0], "no blank line between the WEBVTT header and the first cue")
            block = block[timing_at[0]:]
            timing_at = [i - timing_at[0] for i in timing_at]
        if fmt == "vtt" and not timing_at and first.split()[0] in VTT_BLOCK_KEYWORDS:
            continue
        if not timing_at:
            next_block = blocks[b + 1] if b + 1 < len(blocks) else None
            if fmt == "srt" and len(block) == 1 and INDEX_LINE.match(first) and next_block \
                    and _is_timing_line(next_block[0][1]):
                log.add("number", first_line, "blank line between the cue number and its timing line")
                pending_number = (first_line, int(first))
                continue
            if cues:
                log.add("blank line inside a cue", first_line,
                        f"blank line inside the cue at line {cues[-1].line}: text kept in that cue")
                cues[-1].text.extend(block)
            else:
                log.add("text outside cues", first_line,
                        f"text before the first cue ignored ({first[:30]!r})")
            continue
        for k, t in enumerate(timing_at):
            number = None
            if k == 0:
                # Above the first timing line: the cue number (SRT) or identifier
                # (WebVTT); anything more belongs to the previous cue.
                above = block[:t]
                if fmt == "srt":
                    if above and INDEX_LINE.match(above[-1][1]):
                        number, above = int(above[-1][1]), above[:-1]
                    elif not above and pending_number:
                        number = pending_number[1]
                else:
                    above = above[:-1]
                if above and cues:
                    log.add("missing blank line", above[0][0],
                            f"no blank line before the cue at line {block[t][0]}: "
                            f"text kept in the cue at line {cues[-1].line}")
                    cues[-1].text.extend(above)
                elif above:
                    log.add("text outside cues", above[0][0],
                            f"text before the first cue ignored ({above[0][1].strip()[:30]!r})")
            else:
                log.add("missing blank line", block[t][0], "no blank line between this cue and the one above")
                if fmt == "srt" and t - 1 > timing_at[k - 1] and INDEX_LINE.match(block[t - 1][1]):
                    number = int(block[t - 1][1])
            timing_line = block[t][0]
            start, end = _parse_timing(block[t][1], timing_line, fmt, path, log)
            if fmt == "srt" and number is None:
                log.add("cue number", timing_line, "cue has no number")
            text_end = timing_at[k + 1] if k + 1 < len(timing_at) else len(block)
            text = block[t + 1:text_end]
            if k + 1 < len(timing_at) and text and fmt == "srt" and INDEX_LINE.match(text[-1][1]):
                text = text[:-1]  # the next cue's number
            cues.append(_RawCue(timing_line, start, end, number, list(text)))
        pending_number = None
    # Numbers out of sequence (the output is renumbered anyway).
    for ordinal, cue in enumerate(cues, 1):
        if cue.number is not None and cue.number != ordinal:
            log.add("cue numbers", cue.line - 1, f"cue number {cue.number} where {ordinal} was expected (renumbered)")
    return cues


def _canonical_srt_vtt(cues: list[_RawCue], fmt: str) -> str:
    """The cues as clean SRT/WebVTT text for pysubs2: numbered, canonical times, no blank lines inside."""
    separator = "," if fmt == "srt" else "."
    out = ["WEBVTT", ""] if fmt == "vtt" else []
    for ordinal, cue in enumerate(cues, 1):
        if fmt == "srt":
            out.append(str(ordinal))
        out.append(f"{format_timestamp(cue.start, separator)} --> {format_timestamp(cue.end, separator)}")
        out.extend(text.strip() for _, text in cue.text if text.strip())
        out.append("")
    return "\n".join(out) + "\n"


# --- ASS ----------------------------------------------------------------------


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


def parse_subtitle_text(text: str, lang: str, path: Path, log: RepairLog | None = None) -> list[Cue]:
    """Cues (file order) of a decoded subtitle file; repairs go to ``log``."""
    import pysubs2

    log = log if log is not None else RepairLog()
    ending_note = _line_ending_note(text)
    if ending_note:
        log.note(ending_note)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    fmt = _detect_format(text, path)
    lines = text.split("\n")
    if fmt in ("srt", "vtt"):
        raw_cues = _srt_vtt_cues(lines, fmt, path, log)
        line_numbers = [cue.line for cue in raw_cues]
        source = _canonical_srt_vtt(raw_cues, fmt)
    else:
        line_numbers = _check_ass_events(lines, path)
        source = "\n".join(lines) + "\n"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            subs = pysubs2.SSAFile.from_string(source, format_=fmt)
    except Exception as exc:  # pysubs2 raises plain ValueError etc. on bad input
        raise _fail(path, f"cannot parse as {fmt.upper()}: {exc}") from exc
    if len(subs.events) != len(line_numbers):  # never expected: our pass and pysubs2 disagree
        raise _fail(path, f"cannot parse as {fmt.upper()}: found {len(line_numbers)} cues, "
                          f"pysubs2 read {len(subs.events)}")

    cues: list[Cue] = []
    for event, number in zip(subs.events, line_numbers):
        if event.is_comment:
            log.add("comment", number, "ASS comment skipped")
            continue
        if event.start < 0 or event.end < 0:
            raise _fail(path, f"line {number}: negative time")
        if event.end < event.start:
            raise _fail(path, f"line {number}: cue ends before it starts")
        plain = _plain_text(event.text, fmt)
        if not plain:
            log.add("empty cue", number, "cue without text dropped")
            continue
        if event.end == event.start:
            log.add("empty cue", number, "zero-length cue dropped")
            continue
        cues.append(Cue(int(event.start), int(event.end), plain, line=number))
    return cues


def _note_order(cues: list[Cue], log: RepairLog) -> list[Cue]:
    """Cues sorted by start time; each one that was out of order is noted."""
    latest: Cue | None = None
    for cue in cues:
        if latest is not None and (cue.start_ms, cue.end_ms) < (latest.start_ms, latest.end_ms):
            log.add("order", cue.line or 0,
                    f"cue at {format_timestamp(cue.start_ms, ',')} comes after one at "
                    f"{format_timestamp(latest.start_ms, ',')} (line {latest.line}): sorted by start time")
        elif latest is None or (cue.start_ms, cue.end_ms) >= (latest.start_ms, latest.end_ms):
            latest = cue
    return sorted(cues, key=lambda cue: (cue.start_ms, cue.end_ms))


def load_track(path, lang: str) -> Track:
    """Load an SRT, WebVTT or ASS/SSA file as a Track of language ``lang``.

    Cues come back sorted by start time, markup stripped, empty cues dropped,
    each with the line it came from. ``Track.repairs`` lists every repair,
    with line numbers. Raises ``SubtitleError`` (one line, naming the file
    and, for bad content, the line) when the file is missing, not a
    subtitle, undecodable, has no cues or has unreadable times.
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
    log = RepairLog()
    if note:
        log.note(note)
    cues = parse_subtitle_text(text, lang, path, log)
    if not cues:
        raise _fail(path, "no subtitle cues found")
    ordered = _note_order(cues, log)
    return Track(lang=lang, cues=tuple(ordered), source=str(path), repairs=tuple(log.notes()))


def cue_frame_spans(track: Track, fps: Fraction, times=None) -> list[tuple[int, int]]:
    """Frames on which each cue is shown: ``[first, end)`` per cue, same order.

    ``first`` is the first frame whose start time is >= the cue start, ``end``
    the first frame whose start is >= the cue end (frame times compared at
    the cues' ms resolution, see ``first_frame_at_or_after``). A cue shorter
    than a frame gap can get an empty span (first == end). ``times``: the
    exact start time (s) of every frame, for variable-frame-rate video; the
    last entry ends the last frame.
    """
    rate = as_fps(fps)
    if times is not None:
        import bisect

        starts_ms = [round(t * 1000) for t in times]
        return [(bisect.bisect_left(starts_ms, cue.start_ms), bisect.bisect_left(starts_ms, cue.end_ms))
                for cue in track.cues]
    return [
        (first_frame_at_or_after(cue.start_ms, rate), first_frame_at_or_after(cue.end_ms, rate))
        for cue in track.cues
    ]
