"""subtitles/: loading, retiming, export, line breaking, fonts and a real libass burn-in."""
from __future__ import annotations

import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pytest

from subtitles import (
    Cue,
    Track,
    break_lines,
    cue_frame_spans,
    ffmpeg_filter_path,
    font_name_for,
    fontconfig_file,
    fonts_dir,
    load_track,
    missing_glyphs,
    track_for_episode,
    write_burnin_ass,
    write_srt,
    write_vtt,
)
from subtitles.ass import NO_LINE_END, NO_LINE_START, text_width_px
from subtitles.model import first_frame_at_or_after, frame_to_ms
from verticalize.errors import SubtitleError

NTSC = Fraction(30000, 1001)


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory):
    """Fonts folder and fontconfig cache in a fresh cache dir for this module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VERTICALIZE_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def srt(*cues: tuple[str, str, str]) -> str:
    return "".join(f"{i}\n{a} --> {b}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, 1))


def texts(track: Track) -> list[str]:
    return [cue.text for cue in track.cues]


# --- loading ----------------------------------------------------------------

BASIC = srt(("00:00:01,000", "00:00:02,500", "<i>Hello</i> {\\an8}world\nsecond line"),
            ("00:00:03,000", "00:00:04,000", "<font color=red>Bye</font>"))


@pytest.mark.parametrize("encode", [
    pytest.param(lambda s: s.encode("utf-8"), id="utf8"),
    pytest.param(lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"), id="utf8-bom"),
    pytest.param(lambda s: s.encode("utf-16"), id="utf16-bom"),
    pytest.param(lambda s: s.encode("utf-32"), id="utf32-bom"),
    pytest.param(lambda s: s.replace("\n", "\r\n").encode(), id="crlf"),
])
def test_load_srt_encodings_and_markup(tmp_path, encode):
    path = tmp_path / "a.srt"
    path.write_bytes(encode(BASIC))
    track = load_track(path, "en")
    assert track.lang == "en" and track.source == str(path)
    assert track.cues == (Cue(1000, 2500, "Hello world\nsecond line"), Cue(3000, 4000, "Bye"))


@pytest.mark.parametrize("lang, codec, lines", [
    ("zh-Hans", "gbk", ["你好，世界。", "我们明天见吧！"]),
    ("zh-Hant", "big5", ["你好，世界。", "我們明天見吧！"]),
    ("ja", "shift_jis", ["こんにちは、世界。", "明日また会いましょう！"]),
    ("ko", "euc-kr", ["안녕하세요, 세계.", "내일 또 만나요!"]),
    ("ar", "cp1256", ["مرحبا بالعالم.", "أراك غدا!"]),
    ("ru", "cp1251", ["Привет, мир.", "До завтра!"]),
    ("es", "cp1252", ["¿Qué pasó, señor?", "¡Mañana será otro día!"]),
])
def test_load_legacy_encodings(tmp_path, lang, codec, lines):
    path = tmp_path / f"{lang}.srt"
    path.write_bytes(srt(("00:00:01,000", "00:00:02,000", lines[0]),
                         ("00:00:03,000", "00:00:04,000", lines[1])).encode(codec))
    track = load_track(path, lang)
    assert texts(track) == lines
    assert track.repairs and track.repairs[0].startswith("decoded as")


def test_load_webvtt(tmp_path):
    path = tmp_path / "a.vtt"
    path.write_text(
        "WEBVTT - title\nKind: captions\n\nNOTE a comment\nover two lines\n\nSTYLE\n::cue { color: red }\n\n"
        "intro\n00:01.000 --> 00:02.000 align:start position:10%\n"
        "<v Bob>Hi &amp; <c.yellow>bye</c> <00:00:01.500>now\n\n"
        "2\n00:00:03.000 --> 00:00:04.250\nSecond &lt;3\n", encoding="utf-8")
    assert load_track(path, "en").cues == (Cue(1000, 2000, "Hi & bye now"), Cue(3000, 4250, "Second <3"))


ASS = """[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:05.00,0:00:06.00,Default,,0,0,0,,{\\i1}Later{\\i0}\\Nline two
Comment: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,a comment
Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\\pos(10,10)\\c&HFF&\\fad(200,200)}Early\\hspace
Dialogue: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,{\\p1}m 0 0 l 10 10{\\p0}
Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,
"""


def test_load_ass_strips_tags_and_sorts(tmp_path):
    path = tmp_path / "a.ass"
    path.write_text(ASS, encoding="utf-8")
    track = load_track(path, "en")
    assert track.cues == (Cue(1000, 2500, "Early space"), Cue(5000, 6000, "Later\nline two"))
    assert [cue.line for cue in track.cues] == [12, 10]
    assert track.repairs == (
        "line 11: ASS comment skipped",
        "line 12: cue at 00:00:01,000 comes after one at 00:00:05,000 (line 10): sorted by start time",
        "line 13: cue without text dropped",
        "line 14: cue without text dropped",
    )


def test_load_sorts_out_of_order_cues(tmp_path):
    path = tmp_path / "a.srt"
    path.write_text(srt(("00:00:05,000", "00:00:06,000", "B"), ("00:00:01,000", "00:00:02,000", "A"),
                        ("00:00:03,000", "00:00:03,500", "  ")), encoding="utf-8")
    track = load_track(path, "en")
    assert texts(track) == ["A", "B"]
    assert track.cues[0].start_ms == 1000


def _bad_file(tmp_path, name: str, data: bytes | None):
    path = tmp_path / name
    if data is not None:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("name, data, expected", [
    ("png.srt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not a subtitle file"),
    ("noise.srt", bytes(random.Random(1).randrange(256) for _ in range(4096)), "not a subtitle file"),
    ("notes.txt", b"Shopping list\nmilk, eggs\nbread\n", "not a subtitle file (SRT, WebVTT or ASS expected)"),
    ("empty.srt", b"", "empty"),
    ("blank.srt", b"\xef\xbb\xbf \n\n", "empty"),
    ("missing.srt", None, "not found"),
    ("inverted.srt", b"1\n00:00:05,000 --> 00:00:03,000\nX\n", "line 2: cue ends before it starts"),
    ("negative.srt", b"1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n-00:00:01,000 --> 00:00:03,000\nX\n",
     "line 6: negative time"),
    ("malformed.srt", b"1\n00:00:01,000 --> soon\nX\n", "line 2: malformed timing line"),
    ("negative.ass", b"[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, "
                     b"MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,-0:00:05.00,0:00:06.00,Default,,0,0,0,,x\n",
     "line 6: negative time"),
    ("badtime.ass", b"[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, "
                    b"MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,ok\n"
                    b"Dialogue: 0,soon,0:00:06.00,Default,,0,0,0,,x\n", "line 7: malformed event line"),
    ("nocues.vtt", b"WEBVTT\n\n", "no subtitle cues"),
    ("undecodable.srt", b"1\n00:00:01,000 --> 00:00:02,000\n" + bytes(range(128, 256)) * 3 + b"\n", "cannot decode"),
])
def test_bad_files_raise_one_line_subtitle_error(tmp_path, name, data, expected):
    path = _bad_file(tmp_path, name, data)
    with pytest.raises(SubtitleError) as info:
        load_track(path, "en")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path) + ": ")
    assert info.value.path == str(path)
    assert expected in message


def test_directory_is_not_a_subtitle(tmp_path):
    with pytest.raises(SubtitleError, match="directory"):
        load_track(tmp_path, "en")


# --- frames and retiming ------------------------------------------------------


def test_frame_ms_conversions_are_exact_and_round_trip():
    assert [frame_to_ms(k, NTSC) for k in (0, 1, 2, 3, 15, 30)] == [0, 33, 67, 100, 500, 1001]
    assert [frame_to_ms(k, Fraction(30)) for k in (1, 2, 3)] == [33, 67, 100]
    for fps in (NTSC, Fraction(30), Fraction(24000, 1001), Fraction(25), Fraction(60)):
        for k in range(0, 5000, 7):
            assert first_frame_at_or_after(frame_to_ms(k, fps), fps) == k
    with pytest.raises(TypeError):
        frame_to_ms(1, 29.97)


def test_cue_frame_spans():
    track = Track("en", (Cue(1000, 2000, "a"), Cue(100, 200, "b"), Cue(0, 10, "c")))
    assert cue_frame_spans(track, Fraction(30)) == [(30, 60), (3, 6), (0, 1)]
    # 1000 ms at 29.97: frame 29 starts at 967.6 ms, frame 30 at 1001 ms.
    assert cue_frame_spans(track, NTSC) == [(30, 60), (3, 6), (0, 1)]
    assert cue_frame_spans(Track("en", (Cue(1002, 1030, "x"),)), NTSC) == [(31, 31)]  # shorter than a frame gap


def test_track_for_episode_exact_ms_ntsc():
    track = Track("en", (Cue(1000, 2000, "one"), Cue(1500, 2500, "crosses"), Cue(4000, 4500, "later")),
                  source="x.srt", repairs=("note",))
    assert cue_frame_spans(track, NTSC) == [(30, 60), (45, 75), (120, 135)]
    first = track_for_episode(track, 0, 60, NTSC, split_text=False)
    second = track_for_episode(track, 60, 150, NTSC, split_text=False)
    # "crosses" is on frames [45, 75): split at frame 60 (2002 ms), text kept in both halves.
    # Frame 45 is at 1501.5 ms and frame 15 at 500.5 ms: round() gives 1502 and 500.
    assert first.cues == (Cue(1001, 2002, "one"), Cue(1502, 2002, "crosses"))
    assert second.cues == (Cue(0, 500, "crosses"), Cue(2002, 2502, "later"))
    assert (second.lang, second.source, second.repairs) == ("en", "x.srt", ("note",))
    # Episode-relative ms convert back to the same frames.
    assert cue_frame_spans(second, NTSC) == [(0, 15), (60, 75)]


def test_track_for_episode_exact_ms_30fps():
    track = Track("en", (Cue(100, 200, "a"), Cue(950, 1100, "b")))
    assert track_for_episode(track, 3, 30, Fraction(30), split_text=False).cues == (Cue(0, 100, "a"),
                                                                                    Cue(867, 900, "b"))
    assert track_for_episode(track, 30, 60, Fraction(30), split_text=False).cues == (Cue(0, 100, "b"),)
    assert track_for_episode(track, 60, 90, Fraction(30)).cues == ()


@pytest.mark.parametrize("fps", [NTSC, Fraction(30), Fraction(24000, 1001)])
def test_no_cue_lost_across_episodes(fps):
    rng = random.Random(7)
    cues, t = [], 0
    for i in range(300):
        t += rng.randrange(0, 3000)
        cues.append(Cue(t, t + rng.randrange(40, 6000), f"cue {i}"))
    track = Track("en", tuple(cues))
    total = max(b for _, b in cue_frame_spans(track, fps)) + 10
    bounds = sorted({0, total, *(rng.randrange(1, total) for _ in range(40))})
    shown: dict[str, set[int]] = {}
    for start, end in zip(bounds, bounds[1:]):
        episode = track_for_episode(track, start, end, fps, split_text=False)
        for cue, (a, b) in zip(episode.cues, cue_frame_spans(episode, fps)):
            assert 0 <= a < b <= end - start
            shown.setdefault(cue.text, set()).update(range(start + a, start + b))
    for cue, (a, b) in zip(track.cues, cue_frame_spans(track, fps)):
        assert shown.get(cue.text, set()) == set(range(a, b)), cue


# --- export -----------------------------------------------------------------


def test_write_srt_and_vtt_round_trip(tmp_path):
    track = Track("en", (Cue(0, 1001, "Hi <there> & you"), Cue(3_723_004, 3_724_000, "two\nlines")))
    write_srt(track, tmp_path / "a.srt")
    write_vtt(track, tmp_path / "a.vtt")
    assert (tmp_path / "a.srt").read_text(encoding="utf-8").startswith("1\n00:00:00,000 --> 00:00:01,001\n")
    vtt = (tmp_path / "a.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.001\nHi &lt;there&gt; &amp; you\n")
    assert load_track(tmp_path / "a.vtt", "en").cues == track.cues
    assert load_track(tmp_path / "a.srt", "en").cues[1] == track.cues[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.srt", "a.vtt"]  # no .tmp left behind


# --- fonts ------------------------------------------------------------------


@pytest.mark.parametrize("lang, name", [
    ("en", "Noto Sans"), ("es", "Noto Sans"), ("ru", "Noto Sans"), ("el", "Noto Sans"),
    ("zh-Hans", "Noto Sans CJK TC Regular"), ("zh-Hant", "Noto Sans CJK TC Regular"),
    ("ja", "Noto Sans CJK TC Regular"), ("ko", "Noto Sans CJK TC Regular"),
    ("ar", "Noto Sans Arabic"), ("fa", "Noto Sans Arabic"), ("ur", "Noto Sans Arabic"),
    ("hi", "Noto Sans Devanagari"), ("mr", "Noto Sans Devanagari"), ("ne", "Noto Sans Devanagari"),
    ("th", "Noto Sans Thai"), ("he", "Noto Sans Hebrew"), ("xx-Unknown", "Noto Sans"),
])
def test_font_name_for(lang, name):
    assert font_name_for(lang) == name


def test_fonts_dir_is_complete_and_race_safe(tmp_path, monkeypatch):
    monkeypatch.setenv("VERTICALIZE_CACHE", str(tmp_path / "cache"))
    with ThreadPoolExecutor(8) as pool:
        folders = set(pool.map(lambda _: fonts_dir(), range(16)))
    assert len(folders) == 1
    folder = folders.pop()
    names = sorted(p.name for p in folder.iterdir())
    assert "NotoSansCJKtc-Regular.otf" in names and "NotoSans[wdth,wght].ttf" in names
    assert {"NotoSansArabic[wdth,wght].ttf", "NotoSansThai[wdth,wght].ttf"} <= set(names)
    assert all((folder / n).stat().st_size > 10_000 for n in names)
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temp folders left
    conf = fontconfig_file().read_text(encoding="utf-8")
    assert f"<dir>{folder}</dir>" in conf and "<cachedir>" in conf


def test_missing_glyphs():
    track = Track("en", (Cue(0, 1, "Hello"), Cue(1, 2, "你好 مرحبا สวัสดี नमस्ते"), Cue(2, 3, "ok 😀\u200d\ue000"),
                         Cue(3, 4, "again 😀")))
    assert missing_glyphs(track) == {"😀": [2, 3], "\ue000": [2]}
    assert missing_glyphs(Track("ja", (Cue(0, 1, "「ちょっと待って！」ー…"),))) == {}


# --- line breaking ------------------------------------------------------------


def _squash(text: str) -> str:
    return "".join(text.split())


def test_break_lines_latin_is_balanced():
    text = "I never said I loved you. I only said that I would stay until the morning came."
    lines = break_lines(text, "en", 300, 27)
    assert len(lines) == 2 and " ".join(lines) == text
    widths = [text_width_px(line, "en", 27) for line in lines]
    words = text.split()
    best = min(max(text_width_px(" ".join(words[:i]), "en", 27), text_width_px(" ".join(words[i:]), "en", 27))
               for i in range(1, len(words)))
    assert max(widths) == pytest.approx(best)
    assert break_lines("Short line.", "en", 300, 27) == ["Short line."]
    assert break_lines("- Hi.\n- Hello.", "en", 300, 27) == ["- Hi.", "- Hello."]  # fitting breaks kept


def test_break_lines_japanese_kinsoku():
    # A balanced cut falls just before "。": kinsoku must move it.
    text = "あいうえおかきくけこ。さしすせそたちつて"
    lines = break_lines(text, "ja", 400, 40)
    assert len(lines) == 2 and "".join(lines) == text
    assert lines[1][0] != "。"
    # Brackets: never end a line with an opening one, never start with a closing one.
    text = "「ちょっと待って！」彼女は言った。「明日の朝までここにいるって約束したでしょう？」"
    for width in range(250, 900, 10):
        lines = break_lines(text, "ja", width, 30)
        assert 1 <= len(lines) <= 2 and "".join(lines) == text
        assert all(line[0] not in NO_LINE_START and line[-1] not in NO_LINE_END for line in lines)


@pytest.mark.parametrize("lang, text", [
    ("zh-Hans", "我从来没有说过我爱你。我只是说我会留到天亮，然后就离开。这句话太长了，三行都放不下。"),
    ("th", "ฉันไม่เคยบอกว่ารักเธอ ฉันแค่บอกว่าจะอยู่จนถึงเช้า"),
    ("th", "ฉันไม่เคยบอกว่ารักเธอฉันแค่บอกว่าจะอยู่จนถึงเช้า"),
    ("ar", "لم أقل أبدًا إنني أحبك. قلت فقط إنني سأبقى حتى الصباح؟"),
    ("en", "Supercalifragilisticexpialidocious-and-then-some-more-words-without-spaces"),
    ("en", "one\ntwo\nthree\nfour five six seven eight nine ten eleven twelve"),
])
def test_break_lines_never_drops_text(lang, text):
    for width in (80, 150, 300, 2000):
        lines = break_lines(text, lang, width, 27)
        assert 1 <= len(lines) <= 2
        assert _squash("".join(lines)) == _squash(text)


def test_break_lines_thai_prefers_spaces():
    text = "ฉันไม่เคยบอกว่ารักเธอ ฉันแค่บอกว่าจะอยู่จนถึงเช้า"
    assert break_lines(text, "th", 300, 27) == text.split(" ")


# --- the ASS file and ffmpeg --------------------------------------------------


def test_ffmpeg_filter_path_escaping():
    assert ffmpeg_filter_path("/tmp/a b/c.ass") == "/tmp/a b/c.ass"
    assert ffmpeg_filter_path("/tmp/a:b.ass") == "/tmp/a\\\\:b.ass"
    assert ffmpeg_filter_path("C:\\x,y[1];'z'") == "C\\\\:\\\\\\\\x\\,y\\[1\\]\\;\\\\\\'z\\\\\\'"


def test_burnin_ass_layout(tmp_path):
    track = Track("en", (Cue(0, 1001, "{curly} back\\Nslash"), Cue(2000, 2000, "zero"), Cue(3000, 4000, "x")))
    write_burnin_ass(track, tmp_path / "a.ass", 1080, 1920, platform="tiktok")
    text = (tmp_path / "a.ass").read_text(encoding="utf-8")
    for line in ("PlayResX: 1080", "PlayResY: 1920", "ScaledBorderAndShadow: yes", "WrapStyle: 2", "Language: en"):
        assert line in text
    style = next(line for line in text.splitlines() if line.startswith("Style:")).split(",")
    assert style[1] == "Noto Sans" and style[2] == "81"  # 4.2% of 1920
    assert style[18:22] == ["2", "60", "170", "420"]  # bottom centre, TikTok's safe zone as margins
    events = [line for line in text.splitlines() if line.startswith("Dialogue:")]
    assert len(events) == 2  # the zero-length cue is dropped
    assert events[0].startswith("Dialogue: 0,0:00:00.00,0:00:01.00,")
    # Placed explicitly: bottom centre of the safe zone, above its bottom edge by the shadow and outline.
    assert "{\\an2\\pos(483.1,1487.4)\\blur1}" in events[0]
    assert "\\{curly\\} back\\\u2060Nslash" in events[0]
    assert not (tmp_path / "a.ass.tmp").exists()
    write_burnin_ass(Track("ar", (Cue(0, 1000, "مرحبا"),)), tmp_path / "ar.ass", 1080, 1920)
    ar_style = next(line for line in (tmp_path / "ar.ass").read_text(encoding="utf-8").splitlines()
                    if line.startswith("Style:")).split(",")
    assert ar_style[1] == "Noto Sans Arabic" and int(ar_style[2]) > 81 and ar_style[-1] == "-1"
    # Traditional Chinese: no Language line ("zh" would select Simplified glyph forms).
    write_burnin_ass(Track("zh-Hant", (Cue(0, 1000, "你好。"),)), tmp_path / "tc.ass", 1080, 1920)
    assert "Language:" not in (tmp_path / "tc.ass").read_text(encoding="utf-8")


def test_write_burnin_ass_checks_glyphs_first(tmp_path):
    track = Track("en", (Cue(0, 1000, "fine"), Cue(1000, 2000, "emoji 😀", line=7)), source="x.srt")
    with pytest.raises(SubtitleError) as info:
        write_burnin_ass(track, tmp_path / "a.ass", 1080, 1920)
    assert str(info.value) == "x.srt: no bundled font covers '😀' (U+1F600): in cue 2 (line 7)"
    assert not (tmp_path / "a.ass").exists()


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def burn_in_frames(ass_path, width=360, height=640, rate="30", seconds=2.0, first=None, count=1) -> np.ndarray:
    """Render a black clip with the ASS burned in; frames as (n, h, w, 3) uint8."""
    vf = f"subtitles=filename={ffmpeg_filter_path(ass_path)}:fontsdir={ffmpeg_filter_path(fonts_dir())}"
    env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig_file()))
    cmd = [_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
           "-i", f"color=c=black:s={width}x{height}:r={rate}:d={seconds}", "-vf", vf]
    if first is not None:
        cmd += ["-ss", str(first)]
    cmd += ["-frames:v", str(count), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    out = subprocess.run(cmd, env=env, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    return np.frombuffer(out.stdout, np.uint8).reshape(-1, height, width, 3)


def text_mask(frame: np.ndarray) -> np.ndarray:
    """Pixels of the white text fill."""
    return frame.min(axis=2) > 200


@pytest.mark.parametrize("lang, text", [("zh-Hans", "我从来没有说过"), ("ja", "ちょっと待って"),
                                        ("ar", "قلت فقط إنني"), ("th", "ฉันแค่บอกว่า")])
def test_burn_in_is_not_tofu(tmp_path, lang, text):
    """Real text must not look like the same number of missing-glyph boxes."""
    frames = []
    for name, content in (("real", text), ("tofu", "\ue000" * len(text))):
        write_burnin_ass(Track(lang, (Cue(0, 2000, content),)), tmp_path / f"{name}.ass", 360, 640,
                         check_coverage=False)
        frames.append(text_mask(burn_in_frames(tmp_path / f"{name}.ass", first=1.0)[0]))
    real, tofu = frames
    assert real.sum() > 100
    assert (real ^ tofu).sum() > 0.5 * real.sum()


@pytest.mark.parametrize("rate, fps", [("30", Fraction(30)), ("30000/1001", NTSC)])
def test_burn_in_is_frame_exact(tmp_path, rate, fps):
    """A cue retimed to frames [3, 6) is drawn on exactly those frames."""
    start, end = frame_to_ms(3, fps), frame_to_ms(6, fps)
    episode = track_for_episode(Track("en", (Cue(start, end, "Now"),)), 0, 12, fps)
    assert cue_frame_spans(episode, fps) == [(3, 6)]
    write_burnin_ass(episode, tmp_path / "a.ass", 360, 640)
    frames = burn_in_frames(tmp_path / "a.ass", rate=rate, seconds=0.4, count=10)
    shown = [i for i, frame in enumerate(frames) if text_mask(frame).any()]
    assert shown == [3, 4, 5]


def test_filter_path_with_space_colon_comma_quote_brackets(tmp_path):
    folder = tmp_path / "my subs: 'final', [v2]; ok"
    folder.mkdir()
    ass = folder / "a.ass"
    write_burnin_ass(Track("en", (Cue(0, 2000, "Hello"),)), ass, 360, 640)
    assert text_mask(burn_in_frames(ass, first=1.0)[0]).sum() > 50
