"""Burn-in rendered for real (ffmpeg + libass): every supported script, every platform's safe zone.

Each test lays a track out with ``layout_track``, burns the ASS into a plain
grey clip at 1080x1920 and checks, frame by frame, that every inked pixel
(white fill, black outline, shadow) is inside the platform's safe zone and
inside the boxes the layout predicted, and that the fill of each cue spans
the predicted width and shows the predicted number of lines.
"""
from __future__ import annotations

import os
import random
import subprocess

import numpy as np
import pytest

from subtitles import (
    PLATFORMS,
    Cue,
    Track,
    ffmpeg_filter_path,
    fontconfig_file,
    fonts_dir,
    layout_track,
    safe_zone,
    write_burnin_ass,
)
from subtitles.fonts import covered_codepoints
from subtitles.layout import OVERSHOOT_OF_SIZE

W, H = 1080, 1920
BACKGROUND = (96, 96, 96)

# Two texts per script: a long one (two lines, maybe shrunk) and a short one.
SCRIPTS = {
    "en": ("I only said I would stay until the morning came, nothing more.", "Mara Quinn?"),
    "ru": ("Я только сказал, что останусь до утра, и ничего больше.", "Кто там?"),
    "el": ("Είπα μόνο ότι θα μείνω μέχρι το πρωί, τίποτα παραπάνω.", "Ποιος είναι;"),
    "zh-Hans": ("我从来没有说过我爱你。我只是说我会留到天亮。", "谁在那里？"),
    "zh-Hant": ("我從來沒有說過我愛你。我只是說我會留到天亮。", "誰在那裡？"),
    "ja": ("「ちょっと待って！」明日の朝までここにいるって約束したよね？", "誰？"),
    "ko": ("나는 아침까지 있겠다고 말했을 뿐이야. 그 이상은 아니야.", "누구세요?"),
    "ar": ("قلت فقط إنني سأبقى حتى الصباح، لا أكثر ولا أقل من ذلك.", "من هناك؟"),
    "hi": ("मैंने सिर्फ इतना कहा था कि मैं सुबह तक रुकूंगा, बस इतना ही।", "कौन है?"),
    "th": ("ฉันไม่เคยบอกว่ารักเธอ ฉันแค่บอกว่าจะอยู่จนถึงเช้าเท่านั้นเอง", "ใครน่ะ"),
    "he": ("אמרתי רק שאשאר עד הבוקר, לא יותר מזה.", "מי שם?"),
}
HEBREW_FONT = all(ord(ch) in covered_codepoints() for ch in "אמרתי")


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VERTICALIZE_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def render_at(ass, times_s: list[float], width=W, height=H) -> list[np.ndarray]:
    """Frames (h, w, 3) of a grey clip with ``ass`` burned in, at the given times (multiples of 0.25 s)."""
    duration = max(times_s) + 0.5
    wanted = "+".join(f"eq(n\\,{round(t * 4)})" for t in times_s)
    vf = (f"subtitles=filename={ffmpeg_filter_path(ass)}:fontsdir={ffmpeg_filter_path(fonts_dir())},"
          f"select='{wanted}'")
    env = dict(os.environ, FONTCONFIG_FILE=str(fontconfig_file()))
    color = "0x{:02x}{:02x}{:02x}".format(*BACKGROUND)
    cmd = [_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
           "-i", f"color=c={color}:s={width}x{height}:r=4:d={duration}", "-vf", vf, "-fps_mode", "passthrough",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    out = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    frames = np.frombuffer(out.stdout, np.uint8).reshape(-1, height, width, 3)
    assert len(frames) == len(times_s)
    return list(frames)


def check_frame(frame: np.ndarray, visible, zone, label: str) -> None:
    """Every inked pixel in the zone and in a predicted box; each cue's fill matches its prediction."""
    ink = np.abs(frame.astype(int) - np.array(BACKGROUND)).max(axis=2) > 12
    fill = frame.min(axis=2) > 200
    rows, cols = np.nonzero(ink)
    assert rows.size > 0, f"{label}: nothing drawn"
    left, top, right, bottom = zone
    assert cols.min() >= left and cols.max() < right and rows.min() >= top and rows.max() < bottom, \
        f"{label}: ink ({cols.min()},{rows.min()})-({cols.max()},{rows.max()}) outside the safe zone {zone}"
    inside_any = np.zeros_like(ink)
    for cue in visible:
        x0, y0, x1, y1 = cue.box
        inside_any[max(0, int(np.floor(y0)) - 1):int(np.ceil(y1)) + 1,
                   max(0, int(np.floor(x0)) - 1):int(np.ceil(x1)) + 1] = True
    stray = ink & ~inside_any
    assert not stray.any(), f"{label}: {int(stray.sum())} inked pixels outside the predicted boxes"
    for cue in visible:
        x0, y0, x1, y1 = (int(round(v)) for v in cue.box)
        own = fill[max(0, y0):y1, max(0, x0):x1]
        frows, fcols = np.nonzero(own)
        assert frows.size > 0, f"{label}: cue {cue.index} drew no fill"
        predicted = cue.text_box[2] - cue.text_box[0]
        drawn = fcols.max() - fcols.min() + 1
        overshoot = 2 * OVERSHOOT_OF_SIZE * cue.font_size
        assert 0.8 * predicted <= drawn <= predicted + overshoot + 2, f"{label}: cue {cue.index} is {drawn} px wide, " \
                                                          f"layout predicted {predicted:.0f}"
        # One predicted line per font-size slot above the anchor: the middle of
        # each slot (where every script has ink) must be drawn on. Text drawn
        # on more lines than predicted would have left the box (checked above).
        for k in range(len(cue.lines)):
            slot_top = cue.y - (len(cue.lines) - k) * cue.font_size
            core = fill[int(slot_top + 0.45 * cue.font_size):int(slot_top + 0.75 * cue.font_size), x0:x1]
            assert core.any(), f"{label}: cue {cue.index} line {k + 1} ({cue.lines[k]!r}) not drawn where predicted"


def scripted_track(lang: str) -> Track:
    long_text, short_text = SCRIPTS[lang]
    # cue 1 overlaps cue 0: it must be stacked above it, not lost.
    return Track(lang, (Cue(0, 2000, long_text), Cue(1000, 3000, short_text), Cue(3000, 4000, long_text)))


SAMPLE_TIMES = [0.5, 1.5, 2.5, 3.5]  # cue 0 alone, 0 and 1 stacked, 1 alone (still up), cue 2


@pytest.mark.parametrize("lang", [pytest.param(lang, marks=pytest.mark.skipif(
    lang == "he" and not HEBREW_FONT, reason="no bundled Hebrew font installed")) for lang in SCRIPTS])
def test_every_script_renders_inside_tiktok_safe_zone(tmp_path, lang):
    track = scripted_track(lang)
    write_burnin_ass(track, tmp_path / "a.ass", W, H, platform="tiktok")
    layouts = layout_track(track, W, H, "tiktok")
    zone = safe_zone("tiktok", W, H)
    assert len(layouts) == 3 and all(len(cue.lines) <= 2 for cue in layouts)
    assert layouts[1].stacked == 1 and layouts[1].box[3] <= layouts[0].box[1]  # above cue 0
    frames = render_at(tmp_path / "a.ass", SAMPLE_TIMES)
    for t, frame in zip(SAMPLE_TIMES, frames):
        visible = [cue for cue in layouts if cue.start_ms <= t * 1000 < cue.end_ms]
        check_frame(frame, visible, zone, f"{lang} at {t}s")


@pytest.mark.parametrize("platform", [p for p in PLATFORMS if p != "tiktok"])
def test_other_platforms_keep_text_inside(tmp_path, platform):
    for lang in ("en", "ja"):
        track = scripted_track(lang)
        write_burnin_ass(track, tmp_path / f"{lang}.ass", W, H, platform=platform)
        layouts = layout_track(track, W, H, platform)
        frames = render_at(tmp_path / f"{lang}.ass", SAMPLE_TIMES[:2])
        for t, frame in zip(SAMPLE_TIMES, frames):
            visible = [cue for cue in layouts if cue.start_ms <= t * 1000 < cue.end_ms]
            check_frame(frame, visible, safe_zone(platform, W, H), f"{platform} {lang} at {t}s")


def test_safe_zone_figures():
    assert safe_zone("tiktok", 1080, 1920) == (60, 250, 910, 1500)  # 250 top, 420 bottom, 170 right
    assert safe_zone("reels", 1080, 1920) == (65, 269, 1015, 1248)  # 6% sides, 14% top, 35% bottom
    assert safe_zone("none", 1080, 1920) == (54, 96, 1026, 1824)
    from verticalize.errors import OptionsError
    with pytest.raises(OptionsError, match="tiktok"):
        safe_zone("myspace", 1080, 1920)


def test_layout_never_leaves_the_zone_and_stacks_without_collisions():
    """Random tracks in every script, many overlaps, three sizes: every box stays in the zone."""
    rng = random.Random(3)
    langs = [lang for lang in SCRIPTS if lang != "he" or HEBREW_FONT]
    checked = 0
    for width, height in ((1080, 1920), (720, 1280), (360, 640)):
        for platform in PLATFORMS:
            zone = safe_zone(platform, width, height)
            for lang in langs:
                words = " ".join(SCRIPTS[lang]).split(" ")
                cues, t = [], 0
                for _ in range(12):
                    t += rng.choice([0, 200, 700, 1500])
                    text = " ".join(rng.choice(words) for _ in range(rng.randrange(1, 14)))
                    cues.append(Cue(t, t + rng.randrange(500, 3000), text))
                layouts = layout_track(Track(lang, tuple(cues)), width, height, platform)
                assert len(layouts) == len(cues)
                for cue in layouts:
                    x0, y0, x1, y1 = cue.box
                    assert zone[0] <= x0 and x1 <= zone[2] and zone[1] <= y0 and y1 <= zone[3], (platform, lang, cue)
                    assert len(cue.lines) <= 2
                    checked += 1
                for a in layouts:
                    for b in layouts:
                        if a.index < b.index and a.start_ms < b.end_ms and b.start_ms < a.end_ms \
                                and not (a.overlaps_other or b.overlaps_other):
                            assert a.box[3] <= b.box[1] or b.box[3] <= a.box[1], (lang, a, b)
    assert checked > 1000
