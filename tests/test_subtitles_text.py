"""Line breaking rules, text kept whole through retiming and splitting, reading-speed check and fix."""
from __future__ import annotations

import argparse
import json
import random
from fractions import Fraction

import pytest

from subtitles import Cue, Track, cue_frame_spans, load_track, track_for_episode
from verticalize.cli.subs import add_subs_parser, run_subs
from subtitles.linebreak import (
    DISCOURAGED,
    GOOD,
    break_lines,
    break_opportunities,
)
from subtitles.measure import text_width_px
from subtitles.readability import LIMITS, check_track, count_chars, fix_durations, limits_for
from subtitles.retime import split_cue_text, track_for_segments
from subtitles.thai import have_dictionary, thai_words
from verticalize.errors import OptionsError, SubtitleError


def squash(text: str) -> str:
    return "".join(text.split())


# --- line breaking -------------------------------------------------------------


def penalties(text: str, lang: str) -> dict[str, int]:
    """'word1|word2' -> penalty for every space break."""
    out = {}
    for b in break_opportunities(text, lang):
        if b.start2 > b.end1:
            out[text[:b.end1].split()[-1] + "|" + text[b.start2:].split()[0]] = b.penalty
    return out


def test_articles_and_names_are_discouraged_breaks():
    p = penalties("Then the captain met Mara Quinn and a friend, J. Smith.", "en")
    assert p["the|captain"] == DISCOURAGED and p["a|friend,"] == DISCOURAGED
    assert p["Mara|Quinn"] == DISCOURAGED and p["J.|Smith."] == DISCOURAGED
    assert p["Then|the"] == GOOD and p["met|Mara"] == GOOD and p["friend,|J."] == GOOD
    assert penalties("Vi a la comandante", "es")["la|comandante"] == DISCOURAGED
    assert penalties("Ich sah den Mann", "de")["den|Mann"] == DISCOURAGED
    assert penalties("Yes. Quinn is here", "en")["Yes.|Quinn"] == GOOD  # a sentence end, not a name


@pytest.mark.parametrize("lang, text", [
    ("en", "I could not believe that the man was here with the letter from Mara Quinn"),
    ("en", "Tomorrow morning I will finally meet Commander Mara Quinn at the station"),
    ("es", "Mañana por la mañana veré a la comandante Mara Quinn en la estación"),
    ("fr", "Demain matin je verrai enfin le commandant Mara Quinn à la gare"),
])
def test_no_article_or_name_split_when_another_break_fits(lang, text):
    size = 40
    total = text_width_px(text, lang, size)
    for step in range(50, 100):
        width = total * step / 100
        lines = break_lines(text, lang, width, size)
        assert " ".join(lines) == text
        if len(lines) < 2:
            continue
        chosen = [b for b in break_opportunities(text, lang) if text[:b.end1] == lines[0]][0]
        if chosen.penalty > GOOD:
            fitting_good = [b for b in break_opportunities(text, lang) if b.penalty == GOOD
                            and text_width_px(text[:b.end1], lang, size) <= width
                            and text_width_px(text[b.start2:], lang, size) <= width]
            assert not fitting_good, (width, lines)


def test_break_after_punctuation_when_nearly_as_balanced():
    text = "Wait, do you hear that? Someone is at the door."
    width = text_width_px(text, "en", 40) * 0.6
    assert break_lines(text, "en", width, 40) == ["Wait, do you hear that?", "Someone is at the door."]


@pytest.mark.skipif(not have_dictionary(), reason="newmm-tokenizer (Thai word list) not installed")
def test_thai_dictionary_segmentation():
    assert thai_words("เราไม่เคยพูดถึงเรื่องนั้น") == ["เรา", "ไม่", "เคย", "พูดถึง", "เรื่อง", "นั้น"]
    # บอก|ว่า and บอ|กว่า tie on word count: neither boundary is safe, the others are.
    text = "ฉันไม่เคยบอกว่ารักเธอฉันแค่บอกว่าจะอยู่จนถึงเช้า"
    size = 40
    for step in range(45, 100, 5):
        lines = break_lines(text, "th", text_width_px(text, "th", size) * step / 100, size)
        assert "".join(lines) == text
        if len(lines) == 2:  # never inside a word: both halves are whole dictionary words
            assert lines[0].endswith(("ฉัน", "ไม่", "เคย", "เธอ", "แค่", "จะ", "อยู่", "จนถึง", "ว่า", "รัก")), lines
    assert break_lines(text, "th", text_width_px(text, "th", size) * 0.6, size) == \
        ["ฉันไม่เคยบอกว่ารักเธอฉัน", "แค่บอกว่าจะอยู่จนถึงเช้า"]


@pytest.mark.parametrize("lang, text", [
    ("en", "“The Quinn file,” she said. “Nobody reads it. Not Mara, not the board, not even me.”"),
    ("ru", "Завтра утром я наконец встречу командира Мару Квинн на вокзале."),
    ("el", "Αύριο το πρωί θα συναντήσω επιτέλους τη διοικήτρια Μάρα Κουίν."),
    ("zh-Hans", "我从来没有说过我爱你。我只是说我会留到天亮，然后就离开。"),
    ("ja", "「ちょっと待って！」彼女は言った。「明日の朝までここにいるって約束したでしょう？」"),
    ("ko", "나는 아침까지 있겠다고 말했을 뿐이야. 그 이상은 아니야."),
    ("ar", "لم أقل أبدًا إنني أحبك. قلت فقط إنني سأبقى حتى الصباح؟"),
    ("hi", "मैंने सिर्फ इतना कहा था कि मैं सुबह तक रुकूंगा, बस इतना ही।"),
    ("th", "ฉันไม่เคยบอกว่ารักเธอ ฉันแค่บอกว่าจะอยู่จนถึงเช้าเท่านั้นเอง"),
])
def test_line_breaking_neither_loses_nor_repeats_text(lang, text):
    for width in (60, 120, 250, 400, 800, 3000):
        lines = break_lines(text, lang, width, 30)
        assert 1 <= len(lines) <= 2
        assert squash("".join(lines)) == squash(text)


# --- retiming and splitting ------------------------------------------------------

NTSC = Fraction(30000, 1001)
TEXTS = {
    "en": "Commander Mara Quinn never said that she would stay until the morning",
    "zh-Hans": "我从来没有说过我爱你。我只是说我会留到天亮，然后就离开。",
    "ja": "「ちょっと待って！」明日の朝までここにいるって約束したでしょう？",
    "th": "ฉันไม่เคยบอกว่ารักเธอ ฉันแค่บอกว่าจะอยู่จนถึงเช้า",
    "ar": "قلت فقط إنني سأبقى حتى الصباح، لا أكثر ولا أقل",
}


def test_split_cue_text_divides_at_allowed_breaks():
    text = "one two three four"
    assert split_cue_text(text, "en", 0, 100, [50]) == ["one two", "three four"]
    assert split_cue_text(text, "en", 0, 100, [2]) == ["", "one two three four"]
    assert split_cue_text(text, "en", 0, 100, [25, 75]) == ["one", "two three", "four"]
    assert split_cue_text("two\nlines", "en", 0, 10, []) == ["two\nlines"]
    pieces = split_cue_text(TEXTS["ja"], "ja", 0, 100, [40])
    assert "".join(pieces) == TEXTS["ja"] and pieces[1][0] not in "、。！？」"


@pytest.mark.parametrize("lang", list(TEXTS))
@pytest.mark.parametrize("fps", [NTSC, Fraction(25)])
def test_episodes_neither_lose_nor_repeat_a_word(lang, fps):
    rng = random.Random(sum(map(ord, lang)))
    if lang == "th":
        if not have_dictionary():
            pytest.skip("newmm-tokenizer (Thai word list) not installed")
        words, joiner = thai_words(TEXTS[lang]), ""
    else:
        words = TEXTS[lang].split(" ") if lang in ("en", "ar") else list(TEXTS[lang])
        joiner = " " if lang in ("en", "ar") else ""
    cues, t = [], 0
    for _ in range(80):
        t += rng.randrange(100, 3000)
        start = rng.randrange(0, len(words) - 3)
        text = joiner.join(words[start:start + rng.randrange(2, 12)])
        cues.append(Cue(t, t + rng.randrange(300, 7000), text))
    track = Track(lang, tuple(sorted(cues, key=lambda c: c.start_ms)))
    total = max(b for _, b in cue_frame_spans(track, fps)) + 5
    bounds = sorted({0, total, *(rng.randrange(1, total) for _ in range(15))})
    shown = [c for c, (a, b) in zip(track.cues, cue_frame_spans(track, fps)) if b > a]
    before = "".join(squash(c.text) for c in shown)
    episodes = []
    for start, end in zip(bounds, bounds[1:]):
        episode = track_for_episode(track, start, end, fps)
        for cue, (a, b) in zip(episode.cues, cue_frame_spans(episode, fps)):
            assert 0 <= a < b <= end - start
        episodes.append(episode)
    after = "".join(squash(c.text) for episode in episodes for c in episode.cues)
    assert sorted(after) == sorted(before)  # same characters, none lost or repeated
    assert len(after) == len(before)


def test_concatenated_text_matches_exactly_per_language():
    """Cues that don't overlap: the episodes' text, in order, is the film's text."""
    fps = Fraction(30)
    for lang, text in TEXTS.items():
        words = text.split(" ") if lang in ("en", "ar") else list(text)
        joiner = " " if lang in ("en", "ar") else ""
        cues = tuple(Cue(i * 2000, i * 2000 + 1900, joiner.join(words[i % 5:i % 5 + 6]), line=i) for i in range(30))
        track = Track(lang, cues)
        bounds = [0, 95, 250, 611, 1200, 1800]
        episodes = [track_for_episode(track, a, b, fps) for a, b in zip(bounds, bounds[1:])]
        assert squash("".join(c.text for e in episodes for c in e.cues)) == squash("".join(c.text for c in cues))


def test_recap_comes_first_and_shifts_the_episode():
    fps = Fraction(25)
    track = Track("en", (Cue(0, 2000, "previously on"), Cue(10_000, 12_000, "now")))
    episode = track_for_episode(track, 250, 400, fps, recap=(0, 50))  # 2 s recap, then 10 s..16 s
    assert episode.cues == (Cue(0, 2000, "previously on"), Cue(2000, 4000, "now"))
    assert track_for_segments(track, [(250, 400)], fps).cues == (Cue(0, 2000, "now"),)


# --- reading speed --------------------------------------------------------------


def test_limits_table_has_the_published_figures():
    assert (LIMITS["en"].cps, LIMITS["en"].chars_per_line) == (20, 42)
    assert (LIMITS["zh"].cps, LIMITS["zh"].chars_per_line) == (9, 16)
    assert (LIMITS["ja"].cps, LIMITS["ja"].chars_per_line) == (4, 13)
    assert (LIMITS["ko"].cps, LIMITS["ko"].chars_per_line) == (12, 16)
    assert LIMITS["ar"].cps == 20 and (LIMITS["th"].cps, LIMITS["th"].chars_per_line) == (17, 35)
    assert limits_for("zh-Hant") is LIMITS["zh"] and limits_for("pt-BR") is LIMITS["pt"]
    lim = limits_for("xx")
    assert (lim.min_duration_ms, lim.max_duration_ms, lim.min_gap_frames, lim.max_lines) == (833, 7000, 2, 2)


def test_count_chars():
    assert count_chars("Hello, you\nthere", "en") == 15
    assert count_chars("iPhone 15を買った", "ja") == 9 * 0.5 + 4  # half-width counts half
    assert count_chars("ที่นี่", "th") == 2  # above/below vowels and tone marks are not counted
    assert count_chars("مَرحبا", "ar") == 5  # harakat are not counted


def test_check_reports_every_limit():
    track = Track("en", (
        Cue(0, 1000, "This line is far too long to read in one second, really", line=2),  # 55 chars
        Cue(1010, 1500, "Short", line=6),  # 10 ms gap before it, 490 ms long
        Cue(3000, 11000, "Too long on screen", line=10),
        Cue(12000, 14000, "one\ntwo\nthree", line=14),
    ))
    found = {(v.line, v.kind) for v in check_track(track, Fraction(24))}
    assert found == {(2, "cps"), (2, "chars_per_line"), (2, "gap"), (6, "min_duration"), (10, "max_duration"),
                     (14, "lines")}
    cps = next(v for v in check_track(track) if v.kind == "cps")
    assert (cps.value, cps.limit) == (55.0, 20) and "reading speed: 55 cps > 20 cps" == cps.describe()
    assert check_track(Track("en", (Cue(0, 2000, "Fine."),))) == []


def test_fix_extends_into_free_gaps_only_when_that_resolves_it():
    track = Track("en", (
        Cue(0, 500, "Hi there, you two.", line=2),  # 18 chars: needs 900 ms; the next cue is far
        Cue(3000, 3400, "Wait for me at the station tonight!", line=6),  # 35 chars: needs 1750 ms
        Cue(5000, 5200, "This one is far too long to be helped by any gap at all, ever, really, truly.", line=10),
        Cue(5300, 6500, "Next", line=14),
    ))
    fixed, notes = fix_durations(track, Fraction(25))
    assert fixed.cues[0] == Cue(0, 900, "Hi there, you two.")
    assert fixed.cues[1] == Cue(3000, 4750, "Wait for me at the station tonight!")
    assert fixed.cues[2] == track.cues[2]  # could not be resolved: untouched
    assert len(notes) == 2 and notes[0].startswith("line 2: 00:00:00,000 --> 00:00:00,500 now")
    remaining = {(v.line, v.kind) for v in check_track(fixed, Fraction(25))}
    assert (2, "cps") not in remaining and (6, "cps") not in remaining and (10, "cps") in remaining
    # Into the free time before the previous cue when the time after is not enough:
    squeezed = Track("en", (Cue(2000, 2400, "Wait for me at the station tonight!"), Cue(2600, 4000, "B")))
    fixed, _ = fix_durations(squeezed, Fraction(25))
    assert fixed.cues[0] == Cue(2520 - 1750, 2520, "Wait for me at the station tonight!")  # 80 ms = 2 frames
    # ... and not at all when the time around it is taken.
    boxed = Track("en", (Cue(0, 1900, "Fine, fine."), Cue(2000, 2400, "Wait for me at the station tonight!"),
                         Cue(2600, 4000, "B")))
    assert fix_durations(boxed, Fraction(25))[0] == boxed


def _cli(*argv):
    parser = argparse.ArgumentParser(prog="verticalize")
    add_subs_parser(parser.add_subparsers(dest="command"))
    return run_subs(parser.parse_args(["subs", "check", *argv]))


def test_subs_check_cli(tmp_path, capsys):
    good = tmp_path / "good.srt"
    good.write_text("1\n00:00:01,000 --> 00:00:03,000\nHello there.\n", encoding="utf-8")
    assert _cli(str(good), "--lang", "en") == 0
    assert "no violations" in capsys.readouterr().out
    bad = tmp_path / "bad.srt"
    bad.write_text("00:00:01,000 --> 00:00:01,400\nWait for me at the station tonight!\n\n"
                   "00:00:09,000 --> 00:00:10,000\nOK\n", encoding="utf-8")
    assert _cli(str(bad), "--lang", "en") == 1
    out = capsys.readouterr().out
    assert "line 1: cue has no number" in out and "reading speed: 87.5 cps > 20 cps" in out
    assert _cli(str(bad), "--lang", "en", "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert {v["kind"] for v in report["violations"]} == {"cps", "min_duration"}
    assert report["violations"][0]["line"] == 1
    assert _cli(str(bad), "--lang", "en", "--fix", "-o", str(tmp_path / "fixed.vtt")) == 0
    fixed = load_track(tmp_path / "fixed.vtt", "en")
    assert fixed.cues[0].end_ms - fixed.cues[0].start_ms >= 1750
    assert _cli(str(bad), "--lang", "en", "--fix") == 0
    assert (tmp_path / "bad.fixed.srt").is_file()
    with pytest.raises(OptionsError):
        _cli(str(bad), "--lang", "en", "-o", str(tmp_path / "x.srt"))
    with pytest.raises(OptionsError):
        _cli(str(bad), "--lang", "en", "--fix", "-o", str(bad))
    with pytest.raises(SubtitleError, match="not found"):
        _cli(str(tmp_path / "missing.srt"), "--lang", "en")
