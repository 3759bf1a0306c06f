"""Our own line breaking: at most two lines, measured with the real fonts.

Where a line may break depends on the script:

* spaced scripts (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari,
  Korean): at spaces, balanced; but not after an article ("the | house") nor
  between a first and a last name ("Mara | Quinn") when another break fits
  (Netflix Timed Text Style Guide, "Line Treatment");
* Chinese and Japanese: between any two characters, except where kinsoku
  forbids it (no line starts with closing punctuation or small kana, none
  ends with an opening bracket);
* Thai: at spaces, else at word boundaries found with a dictionary
  (``subtitles.thai``), else between character clusters as a last resort.

Each allowed break has a penalty; the chosen break is the one that fits,
then has the lowest penalty, then gives the most balanced lines. No
character is ever dropped or repeated: the lines joined equal the text
apart from whitespace.
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import NamedTuple

from .fonts import primary_language
from .measure import char_widths_px, text_width_px
from .thai import AMBIGUOUS, INSIDE_WORD, SAFE, thai_word_boundaries

MAX_LINES = 2

# Languages written without spaces between words: break between characters.
CHARACTER_BREAK_LANGUAGES = {"zh", "ja", "yue", "cmn"}
# Simple kinsoku: no line may start with these ...
NO_LINE_START = set(
    "）」』】〕〉》］｝〙〗、。，．・：；！？!?:;,.)]}…‥ー〜～”’"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々ゝゞヽヾ"
)
# ... and none may end with these.
NO_LINE_END = set("（「『【〔〈《［｛〘〖([{“‘")
THAI_LEADING_VOWELS = set("เแโใไ")  # written before the consonant: never end a line

# Words that must stay with the word after them: articles (and, for English,
# possessive determiners, which behave like them). Lower case.
ARTICLES = {
    "en": {"a", "an", "the", "my", "your", "his", "her", "its", "our", "their"},
    "es": {"el", "la", "los", "las", "un", "una", "unos", "unas", "lo"},
    "fr": {"le", "la", "les", "un", "une", "des", "du", "au", "aux"},
    "de": {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines"},
    "it": {"il", "lo", "la", "i", "gli", "le", "un", "uno", "una"},
    "pt": {"o", "a", "os", "as", "um", "uma", "uns", "umas"},
    "nl": {"de", "het", "een"},
    "ca": {"el", "la", "els", "les", "un", "una"},
    "sv": {"en", "ett"},
    "da": {"en", "et"},
    "no": {"en", "ei", "et"},
    "nb": {"en", "ei", "et"},
    "ro": {"un", "o"},
    "hu": {"a", "az", "egy"},
    "el": {"ο", "η", "το", "οι", "τα", "τον", "την", "του", "της", "των", "ένας", "μία", "μια", "ένα"},
}

# Penalties of a break, lowest is best.
GOOD = 0  # a space, or a kinsoku-allowed CJK position
DISCOURAGED = 1  # after an article, between names; a Thai word boundary
THAI_AMBIGUOUS = 2  # a Thai boundary only some best segmentations have
INSIDE_A_WORD = 3  # last resort: between Thai clusters, or inside a long unspaced word
_THAI_PENALTY = {SAFE: DISCOURAGED, AMBIGUOUS: THAI_AMBIGUOUS, INSIDE_WORD: INSIDE_A_WORD}
# A break just after these reads best (Netflix: "after punctuation marks"); such
# a break wins over a more balanced one when its longer line is at most this
# fraction of the available width longer.
CLAUSE_END = set(".,!?…:;。、，！？：；」』）】")
PUNCTUATION_BONUS = 0.1


class Break(NamedTuple):
    """A place to break: line 1 is ``text[:end1]``, line 2 ``text[start2:]``."""

    end1: int
    start2: int
    penalty: int


def _is_word_char(char: str) -> bool:
    """Letters/digits of scripts that use spaces (don't split "iPhone" or "2024")."""
    return char.isascii() and char.isalnum() or unicodedata.category(char)[0] in "LN" and ord(char) < 0x0E00


def _can_break_between(before: str, after: str, lang: str) -> bool:
    """May a line end with ``before`` and the next start with ``after`` (character-level)?"""
    if after in NO_LINE_START or before in NO_LINE_END:
        return False
    if unicodedata.category(after) in ("Mn", "Mc", "Me", "Cf") or before == "\u200d":
        return False  # combining marks and joiners stay with their base
    if _is_word_char(before) and _is_word_char(after):
        return False
    if "\u0e00" <= after <= "\u0e7f" or "\u0e00" <= before <= "\u0e7f":
        if before in THAI_LEADING_VOWELS:
            return False
        if "\u0e30" <= after <= "\u0e3a" or "\u0e45" <= after <= "\u0e4e":
            return False  # following vowels, tone marks, repetition mark
    return True


def join_lines(lines: list[str], lang: str) -> str:
    """Source lines joined for re-breaking: no space between CJK characters."""
    if primary_language(lang) not in CHARACTER_BREAK_LANGUAGES:
        return " ".join(lines)
    joined = lines[0]
    for line in lines[1:]:
        joined += (" " if _is_word_char(joined[-1]) and _is_word_char(line[0]) else "") + line
    return joined


def _bare(word: str) -> str:
    """A word without the punctuation around it."""
    return word.strip("\"'“”‘’«»„()[]¿¡-–—")


def _is_capitalised(word: str) -> bool:
    bare = _bare(word)
    return len(bare) > 0 and bare[0].isupper() and bare[0].isalpha() and (len(bare) == 1 or not bare.isupper() or
                                                                          len(bare) <= 2)


def _space_penalty(before: str, after: str, lang: str) -> int:
    """Penalty of breaking between the words ``before`` and ``after``."""
    base = primary_language(lang)
    if _bare(before).lower() in ARTICLES.get(base, ()) and before[-1:].isalpha():
        return DISCOURAGED  # "the | house"
    initial = re.fullmatch(r"[A-ZÀ-ÞΑ-ΩА-Я]\.", before) is not None  # "J. | Smith"
    if (initial or before[-1:].isalpha()) and _is_capitalised(before) and _is_capitalised(after) \
            and not (base == "en" and _bare(after) == "I"):
        return DISCOURAGED  # "Mara | Quinn"
    return GOOD


def break_opportunities(text: str, lang: str) -> list[Break]:
    """Every place ``text`` may be broken, with its penalty, in text order."""
    base = primary_language(lang)
    out: list[Break] = []
    spaces = [m for m in re.finditer(r"\s+", text) if 0 < m.start() and m.end() < len(text)]
    words = re.split(r"\s+", text)
    for k, m in enumerate(spaces):
        out.append(Break(m.start(), m.end(), _space_penalty(words[k], words[k + 1], lang)))
    if base in CHARACTER_BREAK_LANGUAGES:
        for i in range(1, len(text)):
            if not text[i - 1].isspace() and not text[i].isspace() and _can_break_between(text[i - 1], text[i], lang):
                out.append(Break(i, i, GOOD))
    else:
        thai = thai_word_boundaries(text)
        for i, kind in thai.items():
            if _can_break_between(text[i - 1], text[i], lang):
                out.append(Break(i, i, _THAI_PENALTY[kind]))
        if not out:  # one long unspaced word: between characters, as a last resort
            for i in range(1, len(text)):
                if not text[i - 1].isspace() and not text[i].isspace() and \
                        _can_break_between(text[i - 1], text[i], lang):
                    out.append(Break(i, i, INSIDE_A_WORD))
    return sorted(set(out))


def break_lines(text: str, lang: str, max_width_px: float, font_size_px: float) -> list[str]:
    """Break ``text`` into at most two lines that fit ``max_width_px``.

    Widths are measured with the real font for ``lang`` (fontTools advances
    at ``font_size_px``, the ASS font size). Existing line breaks are kept
    when there are at most two lines and they fit; otherwise the text is
    re-broken at the allowed break (see ``break_opportunities``) that fits,
    has the lowest penalty and makes the longer line shortest. Text that
    needs more than two lines still gets two (overflowing) lines; no
    character is ever dropped: ``"".join(result)`` equals ``text`` apart
    from whitespace.
    """
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return []

    def fits(line: str) -> bool:
        return text_width_px(line, lang, font_size_px) <= max_width_px

    if len(lines) <= MAX_LINES and all(fits(line) for line in lines):
        return lines
    joined = join_lines(lines, lang)
    if fits(joined):
        return [joined]
    # Prefix widths make every candidate O(1).
    prefix = [0.0]
    for width in char_widths_px(joined, lang, font_size_px):
        prefix.append(prefix[-1] + width)
    best_key, best = None, None
    for end1, start2, penalty in break_opportunities(joined, lang):
        first, second = prefix[end1], prefix[-1] - prefix[start2]
        longer = max(first, second)
        bonus = PUNCTUATION_BONUS * max_width_px if joined[end1 - 1] in CLAUSE_END else 0.0
        # Fitting first, then the kind of break, then balance (after
        # punctuation counts as a little more balanced); on a tie prefer the
        # shorter top line (a pyramid reads better).
        key = (longer > max_width_px, penalty, round(longer - bonus, 3), first > second)
        if best_key is None or key < best_key:
            best_key, best = key, (end1, start2)
    if best is None:
        return [joined]  # one unbreakable word: the caller shrinks it
    end1, start2 = best
    return [joined[:end1].rstrip(), joined[start2:].lstrip()]


def fit_cue_lines(text: str, lang: str, max_width_px: float, font_size: int) -> tuple[int, list[str]]:
    """(font size, lines) for one cue: at most two lines no wider than ``max_width_px``.

    The font is shrunk, as little as needed, when even two lines at
    ``font_size`` would be too wide, so the text always fits.
    """
    size = font_size
    for _attempt in range(12):
        lines = break_lines(text, lang, max_width_px, size)
        widest = max((text_width_px(line, lang, size) for line in lines), default=0.0)
        if widest <= max_width_px or size <= 1:
            return size, lines
        size = max(1, min(size - 1, math.floor(size * max_width_px / widest)))
    return size, break_lines(text, lang, max_width_px, size)
