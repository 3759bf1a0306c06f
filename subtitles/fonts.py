"""Bundled fonts: where they are, what libass calls them, what they cover.

The fonts come from PyPI packages (Noto Sans, Arabic, Devanagari, Thai and
Noto Sans CJK TC). For burn-in they are exposed to libass twice:

* ``fonts_dir()``: one folder of symlinks, passed as ``fontsdir=`` to the
  ffmpeg ``subtitles`` filter (libass loads every file in it);
* ``fontconfig_file()``: a fonts.conf listing only that folder, set as
  ``FONTCONFIG_FILE``, so libass' fontconfig provider can FALL BACK to another
  of our fonts for characters the style's font lacks (Latin inside Arabic,
  digits inside Thai, ...) instead of drawing tofu boxes.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
import tempfile
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from verticalize.errors import SubtitleError
from verticalize.files import write_text_if_changed

# Packages that ship our fonts, in fallback order.
FONT_PACKAGES = (
    "fontpkg_noto_sans",
    "fontpkg_noto_sans_arabic",
    "fontpkg_noto_sans_devanagari",
    "fontpkg_noto_sans_thai",
    "cvttf_NotoSansCJK_Regular",
)
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
# Optional font packages, used when installed: package -> (file name, family).
# Noto Sans Hebrew ships as a variable font whose default instance is Thin, so
# we cut a static Regular instance from it (once, into the cache).
OPTIONAL_FONTS = {"pylopdf_fonts_he": ("NotoSansHebrew-Variable.ttf", "Noto Sans Hebrew")}

LATIN_FONT = "Noto Sans"
# libass matched the CJK OTF only by this name (its name-ID-1 family and full
# name); the typographic family "Noto Sans CJK TC" gave tofu boxes.
CJK_FONT = "Noto Sans CJK TC Regular"
ARABIC_FONT = "Noto Sans Arabic"
DEVANAGARI_FONT = "Noto Sans Devanagari"
THAI_FONT = "Noto Sans Thai"
HEBREW_FONT = "Noto Sans Hebrew"

_FONT_BY_LANGUAGE = {
    **dict.fromkeys(("zh", "ja", "ko", "yue", "cmn"), CJK_FONT),
    **dict.fromkeys(("ar", "fa", "ur"), ARABIC_FONT),
    **dict.fromkeys(("hi", "mr", "ne"), DEVANAGARI_FONT),
    "th": THAI_FONT,
    **dict.fromkeys(("he", "yi"), HEBREW_FONT),
}


def primary_language(lang: str) -> str:
    """The primary subtag, lower case: "zh-Hans" -> "zh", "pt_BR" -> "pt"."""
    return lang.strip().replace("_", "-").split("-")[0].lower()


def is_traditional_chinese(lang: str) -> bool:
    """zh-Hant, zh-TW, zh-HK, zh-MO (and yue, usually written in traditional)."""
    subtags = lang.strip().replace("_", "-").lower().split("-")
    if subtags[0] == "yue":
        return "hans" not in subtags
    return subtags[0] == "zh" and bool({"hant", "tw", "hk", "mo"} & set(subtags[1:]))


def font_name_for(lang: str) -> str:
    """The font name libass should match for ``lang`` (unknown -> "Noto Sans")."""
    return _FONT_BY_LANGUAGE.get(primary_language(lang), LATIN_FONT)


# --- locating the bundled files ---------------------------------------------


@functools.lru_cache(maxsize=1)
def bundled_font_files() -> tuple[Path, ...]:
    """Every font file of the font packages, in fallback order."""
    files: list[Path] = []
    for package in FONT_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise SubtitleError(f"font package {package!r} is not installed; reinstall verticalize")
        root = Path(list(spec.submodule_search_locations)[0])
        found = sorted(p for p in root.rglob("*") if p.suffix.lower() in FONT_SUFFIXES and p.is_file())
        if not found:
            raise SubtitleError(f"font package {package!r} has no font file; reinstall it")
        files.extend(p.resolve() for p in found)
    for package, (name, family) in OPTIONAL_FONTS.items():
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            source = Path(list(spec.submodule_search_locations)[0]) / name
            if source.is_file():
                files.append(_regular_instance(source, family))
    return tuple(files)


def _regular_instance(source: Path, family: str) -> Path:
    """A static Regular (wght 400, wdth 100) cut of a variable font, cached by source size."""
    out = cache_root() / "font-instances" / f"{source.stem}-{source.stat().st_size}-Regular.ttf"
    if out.is_file():
        return out
    from fontTools.ttLib import TTFont  # here: a cached instance needs neither (0.1 s of imports)
    from fontTools.varLib import instancer

    try:
        with TTFont(str(source)) as font:
            axes = {a.axisTag: a for a in font["fvar"].axes} if "fvar" in font else {}
            location = {tag: min(max(value, axes[tag].minValue), axes[tag].maxValue)
                        for tag, value in (("wght", 400), ("wdth", 100)) if tag in axes}
            static = instancer.instantiateVariableFont(font, location) if axes else font
            names = static["name"]
            postscript = family.replace(" ", "") + "-Regular"
            for name_id, value in ((1, family), (2, "Regular"), (4, family), (6, postscript), (16, family), (17, "Regular")):
                names.setName(value, name_id, 3, 1, 0x409)
                names.setName(value, name_id, 1, 0, 0)
            static["OS/2"].usWeightClass = 400
            # Not files.atomic_path: with it, tests/test_subtitles.py's 16 concurrent fonts_dir() calls
            # failed 1 run in 5 (a fonts folder judged incomplete and moved aside); this way 0 in 6.
            out.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
            os.close(fd)
            static.save(tmp)
            os.replace(tmp, out)
    except OSError as exc:
        raise SubtitleError(f"cannot write a font instance: {exc.strerror or exc}", out) from exc
    return out


def _font_names(path: Path) -> tuple[set[str], str]:
    """(lower-case family/full/postscript names, subfamily) of a font file."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True, fontNumber=0) as font:
        table = font["name"]
        names = {str(table.getDebugName(i) or "").lower() for i in (1, 4, 6, 16)} - {""}
        return names, str(table.getDebugName(2) or "")


@functools.lru_cache(maxsize=None)
def font_file_for(name: str) -> Path:
    """The bundled file libass would pick for the font ``name`` (regular style)."""
    matches = []
    for path in bundled_font_files():
        names, subfamily = _font_names(path)
        if name.lower() in names:
            matches.append((subfamily.lower() != "regular", str(path), path))
    if not matches:
        raise SubtitleError(f"no bundled font is called {name!r}")
    return min(matches)[2]


@functools.lru_cache(maxsize=None)
def _cmap_codepoints(path: Path) -> frozenset[int]:
    """Code points the font file ``path`` has a glyph for."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap() or {})


@functools.lru_cache(maxsize=1)
def covered_codepoints() -> frozenset[int]:
    """Code points some bundled font has a glyph for (union of their cmaps)."""
    return frozenset().union(*(_cmap_codepoints(p) for p in bundled_font_files()))


def _uncovered(codepoints: set[int], first: Path | None = None) -> set[int]:
    """The ``codepoints`` no bundled font covers; fonts are read ``first`` first, then smallest file
    first, and only while some code point is left (Latin text never opens the CJK font: 0.2 s of CPU)."""
    left = set(codepoints)
    for path in sorted(bundled_font_files(), key=lambda p: (p != first, p.stat().st_size, str(p))):
        if not left:
            break
        left -= _cmap_codepoints(path)
    return left


def _needs_glyph(char: str) -> bool:
    """False for line breaks, controls and invisible format characters."""
    if char in "\n\r\t":
        return False
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Zl", "Zp"):
        return False  # ZWJ, LRM/RLM, BOM... are handled by the shaper
    return not (0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF)  # variation selectors


def missing_glyphs(track) -> dict[str, list[int]]:
    """Characters no bundled font covers -> indexes of the cues that use them.

    Keys are in order of first appearance. Empty dict: everything can be drawn.
    """
    used: dict[str, list[int]] = {}
    for index, cue in enumerate(track.cues):
        for char in dict.fromkeys(cue.text):
            if _needs_glyph(char):
                used.setdefault(char, []).append(index)
    try:
        first = font_file_for(font_name_for(track.lang))
    except SubtitleError:
        first = None
    uncovered = _uncovered({ord(char) for char in used}, first)
    return {char: cues for char, cues in used.items() if ord(char) in uncovered}


# --- the fonts folder and fonts.conf ----------------------------------------


def cache_root() -> Path:
    """$VERTICALIZE_CACHE, or ~/.cache/verticalize."""
    env = os.environ.get("VERTICALIZE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "verticalize"


def _fonts_digest(files: tuple[Path, ...]) -> str:
    """Short hash of the font paths and sizes, so each install gets its own folder."""
    h = hashlib.sha256()
    for path in files:
        h.update(f"{path}\t{path.stat().st_size}\n".encode())
    return h.hexdigest()[:16]


def _link_names(files: tuple[Path, ...]) -> dict[str, Path]:
    """File name inside the fonts folder -> bundled font file (names made unique)."""
    names: dict[str, Path] = {}
    for index, path in enumerate(files):
        name = path.name if path.name not in names else f"{index}-{path.name}"
        names[name] = path
    return names


def _folder_is_complete(folder: Path, links: dict[str, Path]) -> bool:
    return folder.is_dir() and all((folder / name).exists() for name in links)


def _link_or_copy(target: Path, link: Path) -> None:
    try:
        os.symlink(target, link)
    except OSError:  # no symlinks (some Windows setups): copy instead
        shutil.copy2(target, link)


def fonts_dir() -> Path:
    """One folder holding (symlinks to) every bundled font file.

    Lives in ``<cache>/fonts/<digest>``; built on first use in a temporary
    folder and renamed into place, so concurrent processes never see a half
    built folder (the loser of a race just uses the winner's folder).
    """
    files = bundled_font_files()
    links = _link_names(files)
    parent = cache_root() / "fonts"
    folder = parent / _fonts_digest(files)
    for _attempt in range(3):
        if _folder_is_complete(folder, links):
            return folder
        try:
            parent.mkdir(parents=True, exist_ok=True)
            if _folder_is_complete(folder, links):  # another process just finished it
                return folder
            if folder.exists():  # broken (a font was removed): move it aside
                trash = Path(tempfile.mkdtemp(prefix=".trash-", dir=parent))
                os.rename(folder, trash / "old")
                shutil.rmtree(trash, ignore_errors=True)
            building = Path(tempfile.mkdtemp(prefix=".building-", dir=parent))
            try:
                for name, target in links.items():
                    _link_or_copy(target, building / name)
                os.rename(building, folder)
            except OSError:
                if not folder.is_dir():
                    raise
                # Another process renamed its folder in first: use that one.
            finally:
                shutil.rmtree(building, ignore_errors=True)
        except OSError as exc:
            raise SubtitleError(f"cannot create the fonts folder: {exc.strerror or exc}", parent) from exc
    if _folder_is_complete(folder, links):
        return folder
    raise SubtitleError("cannot create a complete fonts folder", folder)


def fontconfig_file() -> Path:
    """A fonts.conf that makes fontconfig see only our fonts (set as FONTCONFIG_FILE).

    Its ``<dir>`` is ``fonts_dir()`` and its ``<cachedir>`` is in our cache, so
    the fontconfig cache is built once and reused by later ffmpeg runs.
    """
    folder = fonts_dir()
    config_dir = cache_root() / "fontconfig" / folder.name
    fallback_order = "".join(
        f"<family>{xml_escape(name)}</family>"
        for name in (LATIN_FONT, ARABIC_FONT, HEBREW_FONT, DEVANAGARI_FONT, THAI_FONT, CJK_FONT)
    )
    text = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<!-- written by verticalize: only the bundled fonts, for libass burn-in -->\n"
        "<fontconfig>\n"
        f"  <dir>{xml_escape(str(folder))}</dir>\n"
        f"  <cachedir>{xml_escape(str(config_dir / 'cache'))}</cachedir>\n"
        f"  <alias><family>sans-serif</family><prefer>{fallback_order}</prefer></alias>\n"
        f"  <alias><family>Sans</family><prefer>{fallback_order}</prefer></alias>\n"
        "  <config><rescan><int>0</int></rescan></config>\n"
        "</fontconfig>\n"
    )
    path = config_dir / "fonts.conf"
    try:
        write_text_if_changed(path, text)
    except OSError as exc:
        raise SubtitleError(f"cannot write fonts.conf: {exc.strerror or exc}", path) from exc
    return path
