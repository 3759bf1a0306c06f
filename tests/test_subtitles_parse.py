"""Reading messy subtitle files: every encoding, every repair noted with its line, clean rejections.

Each fixture is either read, with exactly the expected cues and repair notes
(each naming its line), or rejected with one ``SubtitleError`` line that
names the file and the line. Never a traceback.
"""
from __future__ import annotations

import pytest

from subtitles import Cue, load_track
from verticalize.errors import SubtitleError


def srt(*cues: tuple[str, str, str]) -> str:
    return "".join(f"{i}\n{a} --> {b}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, 1))


TWO = srt(("00:00:01,000", "00:00:02,000", "{0}"), ("00:00:03,000", "00:00:04,000", "{1}"))

# (lang, codec, the two cue texts): one fixture per supported encoding.
ENCODINGS = [
    ("en", "utf-8", ["Hello there", "Good bye"]),
    ("en", "utf-8-sig", ["Hello there", "Good bye"]),
    ("fr", "utf-16", ["Où êtes-vous ?", "À demain !"]),
    ("fr", "utf-16-le", ["Où êtes-vous ?", "À demain !"]),
    ("fr", "utf-16-be", ["Où êtes-vous ?", "À demain !"]),
    ("ja", "utf-32", ["こんにちは", "また明日"]),
    ("zh-Hans", "gbk", ["你好，世界。", "我们明天见吧！"]),
    ("zh-Hans", "gb18030", ["你好，世界。", "我们明天见吧！"]),
    ("zh-Hant", "big5", ["你好，世界。", "我們明天見吧！"]),
    ("ja", "shift_jis", ["こんにちは、世界。", "明日また会いましょう！"]),
    ("ko", "euc-kr", ["안녕하세요, 세계.", "내일 또 만나요!"]),
    ("pl", "cp1250", ["Zażółć gęślą jaźń.", "Dzień dobry, panie Łukaszu!"]),
    ("ru", "cp1251", ["Привет, мир.", "До завтра!"]),
    ("es", "cp1252", ["¿Qué pasó, señor?", "¡Mañana será otro día!"]),
    ("el", "cp1253", ["Καλημέρα, κόσμε.", "Τα λέμε αύριο!"]),
    ("tr", "cp1254", ["Günaydın, dünya.", "Yarın görüşürüz, Ağabey!"]),
    ("he", "cp1255", ["שלום עולם.", "נתראה מחר!"]),
    ("ar", "cp1256", ["مرحبا بالعالم.", "أراك غدا!"]),
    ("th", "cp874", ["สวัสดีครับ", "แล้วพบกันใหม่"]),
]


@pytest.mark.parametrize("lang, codec, texts", ENCODINGS, ids=[f"{lang}-{codec}" for lang, codec, _ in ENCODINGS])
def test_every_encoding_is_read(tmp_path, lang, codec, texts):
    path = tmp_path / "a.srt"
    path.write_bytes(TWO.format(*texts).encode(codec))
    track = load_track(path, lang)
    assert [cue.text for cue in track.cues] == texts
    assert [cue.line for cue in track.cues] == [2, 6]
    if codec not in ("utf-8", "utf-8-sig", "utf-16", "utf-32"):  # no BOM: say what was guessed
        assert track.repairs[0].startswith("decoded as")


# name -> (file text, expected (start, end, text) per cue, expected repair notes)
REPAIRS = {
    "missing-numbers.srt": (
        "00:00:01,000 --> 00:00:02,000\nHello\n\n00:00:03,000 --> 00:00:04,000\nWorld\n",
        [(1000, 2000, "Hello"), (3000, 4000, "World")],
        ["line 1: cue has no number", "line 4: cue has no number"]),
    "crlf.srt": (
        "1\r\n00:00:01,000 --> 00:00:02,000\r\nHello\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nWorld\r\n",
        [(1000, 2000, "Hello"), (3000, 4000, "World")],
        ["lines 1-8: CRLF line endings converted to LF"]),
    "cr-only.srt": (
        "1\r00:00:01,000 --> 00:00:02,000\rHello\r\r2\r00:00:03,000 --> 00:00:04,000\rWorld\r",
        [(1000, 2000, "Hello"), (3000, 4000, "World")],
        ["lines 1-8: CR-only line endings (classic Mac) read as line breaks"]),
    "blank-line-inside.srt": (
        "1\n00:00:01,000 --> 00:00:02,000\nHello\n\nthere\n\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n",
        [(1000, 2000, "Hello\nthere"), (3000, 4000, "World")],
        ["line 5: blank line inside the cue at line 2: text kept in that cue"]),
    "dot-separator.srt": (
        "1\n00:00:01.000 --> 00:00:02.000\nHello\n\n2\n00:00:03,000 --> 00:00:04.5\nWorld\n",
        [(1000, 2000, "Hello"), (3000, 4500, "World")],
        ["line 2: '.' before the milliseconds read as ',' (SRT uses ',')",
         "line 6: nonstandard timestamp '00:00:04.5' read as 00:00:04,500"]),
    "comma-separator.vtt": (
        "WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nHello\n\n00:03.000 --> 00:04.000\nWorld\n",
        [(1000, 2000, "Hello"), (3000, 4000, "World")],
        ["line 3: ',' before the milliseconds read as '.' (WebVTT uses '.')"]),
    "out-of-order.srt": (
        srt(("00:00:05,000", "00:00:06,000", "B"), ("00:00:01,000", "00:00:02,000", "A")),
        [(1000, 2000, "A"), (5000, 6000, "B")],
        ["line 6: cue at 00:00:01,000 comes after one at 00:00:05,000 (line 2): sorted by start time"]),
    "overlapping.srt": (  # both kept: the layout stacks them
        srt(("00:00:01,000", "00:00:04,000", "A"), ("00:00:02,000", "00:00:03,000", "B")),
        [(1000, 4000, "A"), (2000, 3000, "B")],
        []),
    "no-blank-between-cues.srt": (
        "1\n00:00:01,000 --> 00:00:02,000\nHello\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n",
        [(1000, 2000, "Hello"), (3000, 4000, "World")],
        ["line 5: no blank line between this cue and the one above"]),
    "number-apart-from-timing.srt": (
        "1\n\n00:00:01,000 --> 00:00:02,000\nHello\n",
        [(1000, 2000, "Hello")],
        ["line 1: blank line between the cue number and its timing line"]),
    "text-is-a-number.srt": (
        srt(("00:00:01,000", "00:00:02,000", "42"), ("00:00:03,000", "00:00:04,000", "World")),
        [(1000, 2000, "42"), (3000, 4000, "World")],
        []),
    "numbers-out-of-sequence.srt": (
        "7\n00:00:01,000 --> 00:00:02,000\nHello\n",
        [(1000, 2000, "Hello")],
        ["line 1: cue number 7 where 1 was expected (renumbered)"]),
    "short-arrow.srt": (
        "1\n00:00:01,000 -> 00:00:02,000\nHello\n",
        [(1000, 2000, "Hello")],
        ["line 2: arrow '->' read as '-->'"]),
    "colon-milliseconds.srt": (
        "1\n00:00:01:250 --> 00:00:02:000\nHello\n",
        [(1250, 2000, "Hello")],
        ["line 2: ':' before the milliseconds read as ',' (SRT uses ',')"]),
    "title-before-first-cue.srt": (
        "Subtitles by somebody\n\n1\n00:00:01,000 --> 00:00:02,000\nHello\n",
        [(1000, 2000, "Hello")],
        ["line 1: text before the first cue ignored ('Subtitles by somebody')"]),
    "vtt-identifiers-notes-and-blank-inside.vtt": (
        "WEBVTT\n\nNOTE a note\n\nintro\n00:01.000 --> 00:02.000\nHello\n\nthere\n\n00:03.000 --> 00:04.000\nWorld\n",
        [(1000, 2000, "Hello\nthere"), (3000, 4000, "World")],
        ["line 9: blank line inside the cue at line 6: text kept in that cue"]),
    "empty-cue.srt": (
        srt(("00:00:01,000", "00:00:02,000", "Hello"), ("00:00:03,000", "00:00:04,000", " ")),
        [(1000, 2000, "Hello")],
        ["line 6: cue without text dropped"]),
    "everything-at-once.srt": (
        "00:00:05.000 --> 00:00:06.000\r\nLater\r\n\r\n\r\nstill later\r\n\r\n"
        "00:00:01,000 --> 00:00:02,000\r\nFirst\r\n",
        [(1000, 2000, "First"), (5000, 6000, "Later\nstill later")],
        ["lines 1-9: CRLF line endings converted to LF",
         "line 1: '.' before the milliseconds read as ',' (SRT uses ',')",
         "line 1: cue has no number",
         "line 5: blank line inside the cue at line 1: text kept in that cue",
         "line 7: cue has no number",
         "line 7: cue at 00:00:01,000 comes after one at 00:00:05,000 (line 1): sorted by start time"]),
}


@pytest.mark.parametrize("name", list(REPAIRS))
def test_repairs_are_made_and_reported_with_line_numbers(tmp_path, name):
    text, cues, notes = REPAIRS[name]
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    track = load_track(path, "en")
    assert [(c.start_ms, c.end_ms, c.text) for c in track.cues] == cues
    assert list(track.repairs) == notes
    assert all(note.startswith(("line ", "lines ")) for note in track.repairs)


def test_many_repairs_of_one_kind_are_summed_up(tmp_path):
    path = tmp_path / "a.srt"
    path.write_text("".join(f"00:00:{i:02d},000 --> 00:00:{i:02d},500\ncue {i}\n\n" for i in range(20)))
    track = load_track(path, "en")
    assert len(track.cues) == 20
    assert track.repairs[:5] == tuple(f"line {1 + 3 * i}: cue has no number" for i in range(5))
    assert track.repairs[5] == ("lines 16, 19, 22, 25, 28, 31, 34, 37, 40, 43, …: "
                                "15 more like that (cue number)")


# name -> (bytes, expected message after "PATH: ")
REJECTS = {
    "inverted.srt": (b"1\n00:00:05,000 --> 00:00:03,000\nX\n", "line 2: cue ends before it starts"),
    "negative.srt": (b"1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n-00:00:01,000 --> 00:00:03,000\nX\n",
                     "line 6: negative time"),
    "malformed.srt": (b"1\n00:00:01,000 --> soon\nX\n", "line 2: malformed timing line"),
    "frames-not-ms.srt": (b"1\n00:00:01:12 --> 00:00:02:00\nX\n", "line 2: malformed timing line"),
    "half-arrow.vtt": (b"WEBVTT\n\n00:01.000 --> \nX\n", "line 3: malformed timing line"),
    "bad-event.ass": (b"[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, "
                      b"MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00\n",
                      "line 6: malformed event line"),
    "negative.ass": (b"[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, "
                     b"MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,-0:00:05.00,0:00:06.00,Default,,0,0,0,,x\n",
                     "line 6: negative time"),
    "undecodable.srt": (b"1\n00:00:01,000 --> 00:00:02,000\n" + bytes(range(128, 256)) * 3 + b"\n",
                        "line 3: byte 0x80 is not UTF-8, and cannot decode the text"),
}


@pytest.mark.parametrize("name", list(REJECTS))
def test_unreadable_files_are_rejected_with_the_line(tmp_path, name):
    data, expected = REJECTS[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SubtitleError) as info:
        load_track(path, "en")
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: line ")
    assert expected in message


def test_overlapping_cues_are_all_kept_in_order(tmp_path):
    path = tmp_path / "a.srt"
    path.write_text(srt(("00:00:01,000", "00:00:05,000", "narrator"), ("00:00:02,000", "00:00:03,000", "A"),
                        ("00:00:02,000", "00:00:04,000", "B")))
    assert load_track(path, "en").cues == (Cue(1000, 5000, "narrator"), Cue(2000, 3000, "A"), Cue(2000, 4000, "B"))
